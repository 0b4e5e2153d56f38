// Reference images (`input_image_0` … `input_image_3`), checked as Workers AI checks them: binary
// parts holding an image, each smaller than 512×512 ("All input images must be smaller than
// 512x512"). Each one leaves a mark on the picture the stand-in paints, so a test can tell an
// edit from a text-only image and count the references that arrived.
import { createHash } from "node:crypto";
import { inspectImage } from "../../src/lib/storage/image-bytes.ts";

export interface Reference {
  name: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

/** Workers AI's limit: each side of a reference image below 512 pixels. */
const MAX_REFERENCE_EDGE = 511;

/** The references in a validated FLUX.2 input, in order; or the schema error text for a bad one. */
export async function readReferences(input: Record<string, unknown>): Promise<Reference[] | string> {
  const references: Reference[] = [];
  for (const name of ["input_image_0", "input_image_1", "input_image_2", "input_image_3"]) {
    const part = input[name];
    if (part === undefined) continue;
    if (!(part instanceof Blob)) return `'/${name}' must be a binary image part`;
    const bytes = new Uint8Array(await part.arrayBuffer());
    const info = inspectImage(bytes);
    if (!info) return `'/${name}' is not a JPEG, PNG or WebP image`;
    if (info.width > MAX_REFERENCE_EDGE || info.height > MAX_REFERENCE_EDGE) {
      return `All input images must be smaller than 512x512; '/${name}' is ${info.width}x${info.height}`;
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    references.push({
      name,
      contentType: info.contentType,
      width: info.width,
      height: info.height,
      bytes: bytes.length,
      sha256,
    });
  }
  return references;
}

/** The colour a reference leaves on the picture: from its bytes, so different images differ. */
export function markColour(reference: Reference): [number, number, number] {
  const hash = Buffer.from(reference.sha256, "hex");
  return [hash[0] ?? 0, hash[1] ?? 0, hash[2] ?? 0];
}

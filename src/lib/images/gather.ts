/**
 * The job's first stage when a request brought reference images: every one
 * read (uploaded bytes, this Worker's stored images, https downloads), then
 * shrunk for the model, in the order the request gave them.
 */
import { ApiError } from "../http/errors.ts";
import { toReferenceImage, type ImagesBinding, type ReferenceImage } from "./downscale.ts";
import type { ReferenceSource } from "./intake.ts";

export interface GatherDeps {
  /** The bytes of the `upload` sources, in order. */
  uploads: readonly Uint8Array[];
  /** One of this Worker's images by key, or undefined once it has expired. */
  readStoredImage: (key: string) => Promise<Uint8Array | undefined>;
  /** Downloads a public https image (fetch-image.ts), within its limits. */
  fetchImage: (url: string, param: string) => Promise<{ bytes: Uint8Array }>;
  images: ImagesBinding | undefined;
}

/** Every reference ready for the model; throws the first problem as an ApiError. */
export async function gatherReferences(
  sources: readonly ReferenceSource[],
  deps: GatherDeps,
): Promise<ReferenceImage[]> {
  let nextUpload = 0;
  const originals = sources.map((source) => {
    if (source.kind === "upload") return Promise.resolve(deps.uploads[nextUpload++]);
    if (source.kind === "url") return deps.fetchImage(source.url, source.param).then((fetched) => fetched.bytes);
    return deps.readStoredImage(source.key);
  });
  // Read in parallel, shrunk one by one: each shrink holds a whole photo in memory.
  const read = await Promise.all(originals);
  const references: ReferenceImage[] = [];
  for (const [index, bytes] of read.entries()) {
    const source = sources[index];
    if (!source) continue;
    if (bytes === undefined) throw missing(source);
    references.push(await toReferenceImage(bytes, deps.images, `The image in '${source.param}'`));
  }
  return references;
}

function missing(source: ReferenceSource): ApiError {
  if (source.kind === "stored") {
    return new ApiError(
      400,
      "The image to edit has expired (images are kept for IMAGE_EXPIRATION seconds). Attach the image itself to edit it.",
      { param: source.param, code: "reference_expired" },
    );
  }
  return new ApiError(400, `The image in '${source.param}' did not arrive.`, {
    param: source.param,
    code: "invalid_image",
  });
}

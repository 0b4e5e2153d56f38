/**
 * The job's first stage when a request brought reference images: every one
 * read (uploaded bytes, this Worker's stored images, https downloads), then
 * shrunk for the model, in the order the request gave them.
 */
import { ApiError } from "../http/errors.ts";
import { toReferenceImage, type ImagesBinding, type ReferenceFit, type ReferenceImage } from "./downscale.ts";
import type { ReferenceSource } from "./intake.ts";

export interface GatherDeps {
  /** The uploaded images (the `upload` sources), in order, each read only when its turn comes. */
  uploads: readonly ReadableStream<Uint8Array>[];
  /** One of this Worker's images by key, or undefined once it has expired. */
  readStoredImage: (key: string) => Promise<Uint8Array | undefined>;
  /** Downloads a public https image (fetch-image.ts), within its limits. */
  fetchImage: (url: string, param: string) => Promise<{ bytes: Uint8Array }>;
  images: ImagesBinding | undefined;
}

/**
 * Every reference ready for the model, one at a time: an original may be 20 MB, and only its
 * shrunk copy (~50 KB) is kept, so the object never holds more than one original. Throws the
 * first problem as an ApiError.
 */
export async function gatherReferences(
  sources: readonly ReferenceSource[],
  deps: GatherDeps,
  fit?: ReferenceFit,
): Promise<ReferenceImage[]> {
  const uploads = deps.uploads[Symbol.iterator]();
  const references: ReferenceImage[] = [];
  try {
    for (const source of sources) {
      const original = await readOriginal(source, deps, () => uploads.next().value);
      if (original === undefined) throw notArrived(source);
      references.push(await toReferenceImage(original, deps.images, source.param, fit));
    }
    return references;
  } finally {
    // After a failure, the uploads not yet read are not needed: let go of them.
    for (const unread of uploads) void unread.cancel();
  }
}

/** The bytes of one image as the request gave it (an upload, a link, one of this Worker's images). */
export async function readOriginal(
  source: ReferenceSource,
  deps: GatherDeps,
  nextUpload: () => ReadableStream<Uint8Array> | undefined,
): Promise<Uint8Array | undefined> {
  if (source.kind === "url") return (await deps.fetchImage(source.url, source.param)).bytes;
  if (source.kind === "stored") return deps.readStoredImage(source.key);
  const upload = nextUpload();
  return upload && new Uint8Array(await new Response(upload).arrayBuffer());
}

/** The error for an image (or mask) that could not be read: expired, or an upload that did not arrive. */
export function notArrived(source: ReferenceSource): ApiError {
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

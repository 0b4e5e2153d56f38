/**
 * Reference images as a request brings them: uploaded files and data URLs
 * (their bytes, checked here), https URLs (fetched later by the job), and this
 * Worker's own image links (read from its storage, never over HTTP). The type
 * always comes from the bytes, never from a name or a declared type: Open WebUI
 * names every part `<uuid>.png` whatever it holds.
 */
import { ApiError } from "../http/errors.ts";
import { decodeBase64, inspectImage } from "../storage/image-bytes.ts";
import { jobIdOfImageKey } from "../storage/image-store.ts";
import type { FluxModel } from "../generation/models.ts";
import { DEFAULT_MAX_BYTES } from "./fetch-image.ts";
import { urlProblem } from "./public-url.ts";
import { sizeProblem } from "./readable.ts";

/** FLUX.2 takes at most four reference images. */
export const MAX_REFERENCES = 4;
/** Per image, whichever way it comes: what the Images binding accepts at most. */
export const MAX_IMAGE_BYTES = DEFAULT_MAX_BYTES;

/** Where a reference image comes from; `param` names the request field, for errors. */
export type ReferenceSource =
  | { kind: "upload"; param: string }
  | { kind: "url"; url: string; param: string }
  | { kind: "stored"; key: string; param: string };

/** What the job is given: the sources, and the uploaded bytes of the `upload` ones, in order. */
export interface References {
  sources: ReferenceSource[];
  uploads: Uint8Array[];
}

export function noReferences(): References {
  return { sources: [], uploads: [] };
}

/** Adds an uploaded file's bytes (a multipart part), checked. */
export function addUpload(references: References, bytes: Uint8Array, param: string): void {
  checkRoomFor(references, param);
  checkImageBytes(bytes, param);
  references.sources.push({ kind: "upload", param });
  references.uploads.push(bytes);
}

/**
 * Adds an image URL: a data URL (decoded and checked now), one of this Worker's image links
 * on `origin` (read from storage by the job), or a public https URL (fetched by the job).
 */
export function addImageUrl(references: References, url: string, param: string, origin: string): void {
  checkRoomFor(references, param);
  // A URL's scheme is case-insensitive: DATA: is a data URL too.
  if (url.slice(0, 5).toLowerCase() === "data:") {
    const bytes = decodeDataUrl(url, param);
    references.sources.push({ kind: "upload", param });
    references.uploads.push(bytes);
    return;
  }
  const key = ownImageKey(url, origin);
  if (key !== undefined) {
    references.sources.push({ kind: "stored", key, param });
    return;
  }
  const problem = urlProblem(url);
  if (problem)
    throw new ApiError(400, `Invalid value for '${param}': ${problem}`, { param, code: "invalid_image_url" });
  references.sources.push({ kind: "url", url, param });
}

/** References for a model that takes none (flux-1-schnell) are refused: the caller wanted an edit. */
export function refuseUnusedReferences(model: FluxModel, references: References, param: string): void {
  if (references.sources.length > 0 && !model.takesSeedAndReferences) {
    throw new ApiError(
      400,
      `${model.id} takes no reference images: choose a FLUX.2 model (e.g. flux-2-klein-4b) to edit or combine images.`,
      { param, code: "unsupported_parameter" },
    );
  }
}

/** Adds one of this Worker's images by key (a follow-up edit of the conversation's picture). */
export function addStored(references: References, key: string, param: string): void {
  checkRoomFor(references, param);
  references.sources.push({ kind: "stored", key, param });
}

/** The key of one of this Worker's image links (`<origin>/image/<key>`), or undefined. */
export function ownImageKey(url: string, origin: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  // Keys are plain hex: compared as written, never decoded (a stray %-escape is just not a key).
  const key = /^\/image\/([^/]+)$/.exec(parsed.pathname)?.[1];
  if (parsed.origin !== origin || key === undefined) return undefined;
  return jobIdOfImageKey(key) === undefined ? undefined : key;
}

/** Refuses a fifth reference image, naming its field. */
export function checkRoomFor(references: References, param: string): void {
  if (references.sources.length >= MAX_REFERENCES) {
    throw new ApiError(
      400,
      `At most ${MAX_REFERENCES} reference images can be used at once; '${param}' is one too many.`,
      {
        param,
        code: "too_many_images",
      },
    );
  }
}

function checkImageBytes(bytes: Uint8Array, param: string): void {
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw tooLarge(param);
  const info = inspectImage(bytes);
  if (!info) {
    throw new ApiError(400, `'${param}' is not a JPEG, PNG or WebP image.`, { param, code: "invalid_image" });
  }
  // From the header alone, before a job starts: the job checks linked images the same way.
  const problem = sizeProblem(info);
  if (problem) throw new ApiError(400, `'${param}' cannot be used: ${problem}.`, { param, code: "invalid_image" });
}

function decodeDataUrl(url: string, param: string): Uint8Array {
  const comma = url.indexOf(",");
  const header = url.slice(0, Math.max(0, comma));
  if (comma < 0 || !/;base64$/i.test(header)) {
    throw new ApiError(400, `'${param}' must be a base64 data URL such as data:image/png;base64,….`, {
      param,
      code: "invalid_image",
    });
  }
  // Checked before decoding: an oversized string is refused without allocating its bytes.
  if ((url.length - comma - 1) * 0.75 > MAX_IMAGE_BYTES + 3) throw tooLarge(param);
  const bytes = decodeBase64(url.slice(comma + 1));
  if (!bytes) throw new ApiError(400, `'${param}' holds broken base64.`, { param, code: "invalid_image" });
  checkImageBytes(bytes, param);
  return bytes;
}

function tooLarge(param: string): ApiError {
  return new ApiError(400, `The image in '${param}' is larger than 20 MB; send a smaller one.`, {
    param,
    code: "image_too_large",
  });
}

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
import { INPAINTING_MODEL, type ImageModel } from "../generation/models.ts";
import { modelsTaking } from "../generation/options.ts";
import { DEFAULT_MAX_BYTES } from "./fetch-image.ts";
import { urlProblem } from "./public-url.ts";
import { seenSize, sizeProblem } from "./readable.ts";

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
  /** An inpainting edit's mask, and its bytes when uploaded (they travel after the images' uploads). */
  mask?: ReferenceSource;
  maskUpload?: Uint8Array;
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

/**
 * The images a request brought, as this model can use them: FLUX.2 combines up to four; img2img
 * transforms exactly one, and inpainting repaints one where its mask says; the others take none.
 */
export function checkImagesFor(model: ImageModel, references: References, param: string): void {
  const count = references.sources.length;
  const mask = references.mask;
  // Chat has no way to send a mask (the playground and the Images API do).
  if (model.source?.kind === "inpainting" && param === "messages") {
    throw new ApiError(
      400,
      `${model.short} repaints where a mask says, and a chat message cannot carry one: use POST /v1/images/edits with 'image' and 'mask' (or the playground's brush), or sd-img2img to redraw the whole picture.`,
      { param: "model", code: "missing_mask" },
    );
  }
  if (mask && model.source?.kind !== "inpainting") {
    throw new ApiError(
      400,
      `${model.short} takes no mask: send the mask to ${INPAINTING_MODEL.short} (or name no model), or leave 'mask' out and describe the change in the prompt.`,
      { param: mask.param, code: "unsupported_parameter" },
    );
  }
  if (model.source) {
    const what = model.source.kind === "inpainting" ? "repaints" : "redraws";
    if (count === 0) {
      throw new ApiError(400, `${model.short} ${what} a picture: attach the image to change.`, {
        param,
        code: "missing_image",
      });
    }
    if (count > 1) {
      throw new ApiError(
        400,
        `${model.short} ${what} one picture, and ${count} were sent: send one, or choose a model that combines several (${modelsTaking((other) => other.references > 1)}).`,
        { param, code: "too_many_images" },
      );
    }
    if (model.source.kind === "inpainting" && mask && references.maskUpload)
      checkMaskSize(references, references.maskUpload, mask.param);
    if (model.source.kind === "inpainting" && !mask) {
      throw new ApiError(
        400,
        `${model.short} repaints where a mask says: send 'mask', a PNG the size of the image whose fully transparent pixels mark the area to repaint.`,
        { param: "mask", code: "missing_mask" },
      );
    }
    return;
  }
  if (count > 0 && model.references === 0) {
    throw new ApiError(
      400,
      `${model.short} takes no images: choose a model that edits (${modelsTaking((other) => other.references > 0 || other.source !== undefined)}).`,
      { param, code: "unsupported_parameter" },
    );
  }
}

/**
 * Adds the mask of an inpainting edit (OpenAI's: a PNG whose fully transparent pixels are
 * repainted), an uploaded file or a URL as the images are; the job converts it.
 */
export function addMask(
  references: References,
  mask: { bytes: Uint8Array } | { url: string },
  param: string,
  origin: string,
): void {
  if (references.mask) {
    throw new ApiError(400, `Only one mask can be sent; '${param}' is a second.`, { param, code: "invalid_mask" });
  }
  if ("bytes" in mask) {
    checkMaskBytes(mask.bytes, param);
    references.mask = { kind: "upload", param };
    references.maskUpload = mask.bytes;
    return;
  }
  const probe = noReferences();
  addImageUrl(probe, mask.url, param, origin);
  const [source] = probe.sources;
  const [bytes] = probe.uploads;
  if (bytes) checkMaskBytes(bytes, param);
  references.mask = source;
  if (bytes) references.maskUpload = bytes;
}

/**
 * An uploaded mask the size of an uploaded image, known from their headers before any work (the job
 * checks a linked image's the same way once it has it). The image's size as seen: EXIF-turned.
 */
function checkMaskSize(references: References, maskBytes: Uint8Array, param: string): void {
  const [first] = references.sources;
  const imageBytes = first?.kind === "upload" ? references.uploads[0] : undefined;
  const image = imageBytes && inspectImage(imageBytes);
  const mask = inspectImage(maskBytes);
  if (!image || !mask || !imageBytes) return;
  const seen = seenSize(imageBytes, image);
  if (mask.width === seen.width && mask.height === seen.height) return;
  throw new ApiError(
    400,
    `The mask in '${param}' is ${mask.width}×${mask.height} pixels, but the image is ${seen.width}×${seen.height}. The mask must be exactly the size of the image: resize it to ${seen.width}×${seen.height} and send it again.`,
    { param, code: "mask_size_mismatch" },
  );
}

function checkMaskBytes(bytes: Uint8Array, param: string): void {
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw tooLarge(param);
  if (inspectImage(bytes)?.contentType !== "image/png") {
    throw new ApiError(
      400,
      `'${param}' must be a PNG with transparency: its fully transparent pixels mark the area to repaint.`,
      { param, code: "invalid_mask" },
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

/** The uploaded bytes in the order the job reads them: the images', then the mask's. */
export function uploadedBytes(references: References): Uint8Array[] {
  return references.maskUpload ? [...references.uploads, references.maskUpload] : references.uploads;
}

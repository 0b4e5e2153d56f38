/**
 * Images as a model takes them: FLUX.2's references "must be smaller than
 * 512x512", img2img's and inpainting's picture is sent at the size it is painted
 * (as JSON numbers, four bytes each). A photo is shrunk (aspect kept, EXIF
 * rotation applied) and re-encoded as JPEG by the Images binding, which does the work outside the
 * Worker's CPU budget; it runs in the GenerationJob, never in the Worker's
 * fetch. The README says why (figures) and what it costs on the Free plan.
 */
import { oneChunkStream } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";
import { inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import { modelReadsAsIs, seenSize, sizeProblem } from "./readable.ts";

/** Each side of a reference image below 512 pixels. */
export const MAX_REFERENCE_EDGE = 511;

/** Each side of a reference image, for FLUX.2. */
export const REFERENCE_BOX: Box = { width: MAX_REFERENCE_EDGE, height: MAX_REFERENCE_EDGE };

/** The most an image may measure once shrunk, each side. */
export interface Box {
  width: number;
  height: number;
}

export interface ReferenceImage extends ImageInfo {
  bytes: Uint8Array;
  /** The size of the image as the caller sent it, as seen (EXIF rotation applied). */
  original: Box;
}

/** The part of the Images binding used here: the real `env.IMAGES`, or a test's fake. */
export type ImagesBinding = Pick<Env["IMAGES"], "input">;

/**
 * The image ready for the model: as it is when it already fits and needs no rotation (a
 * transformation saved from the monthly allowance), otherwise shrunk by the binding.
 */
/** How an image is fitted for its model: the box it must fit (from its size as seen), and the most it may weigh sent as it is. */
export interface ReferenceFit {
  boxFor: (original: Box) => Box;
  maxBytesAsIs: number;
}

const REFERENCE_FIT: ReferenceFit = { boxFor: () => REFERENCE_BOX, maxBytesAsIs: Infinity };

export async function toReferenceImage(
  bytes: Uint8Array,
  images: ImagesBinding | undefined,
  param: string,
  fit: ReferenceFit = REFERENCE_FIT,
): Promise<ReferenceImage> {
  const label = `The image in '${param}'`;
  const info = inspectImage(bytes);
  if (!info) throw badImage(param, `${label} could not be read as a JPEG, PNG or WebP image.`);
  const problem = sizeProblem(info);
  if (problem) throw badImage(param, `${label} cannot be used: ${problem}.`);
  const original = seenSize(bytes, info);
  const box = fit.boxFor(original);
  const fits = info.width <= box.width && info.height <= box.height && bytes.byteLength <= fit.maxBytesAsIs;
  if (fits && (await modelReadsAsIs(bytes, info))) return { ...info, bytes, original };
  if (!images) {
    throw new ApiError(
      500,
      'Reference images need the Images binding: add "images": { "binding": "IMAGES" } to wrangler.jsonc.',
      {
        code: "invalid_setting",
        param: "IMAGES",
      },
    );
  }
  const shrunk = await shrink(bytes, images, param, box);
  const shrunkInfo = inspectImage(shrunk);
  // A binding that could not transform (e.g. Sharp missing locally) may hand the input back.
  if (!shrunkInfo || shrunkInfo.width > box.width || shrunkInfo.height > box.height) {
    throw new ApiError(502, `${label} could not be shrunk to ${box.width}×${box.height} by the Images binding.`, {
      param,
      code: "image_resize_failed",
    });
  }
  return { ...shrunkInfo, bytes: shrunk, original };
}

async function shrink(bytes: Uint8Array, images: ImagesBinding, param: string, box: Box): Promise<Uint8Array> {
  try {
    return await jpegOf(bytes, images, 85, box);
  } catch (error) {
    throw imagesError(error, param);
  }
}

/**
 * `bytes` as a JPEG made by the Images binding at `quality`, shrunk into `box` when one is given
 * (aspect kept, never enlarged). Throws the binding's own error.
 */
export async function jpegOf(
  bytes: Uint8Array,
  images: ImagesBinding,
  quality: number,
  box?: Box,
): Promise<Uint8Array> {
  // One chunk: the binding pumps its input through JavaScript streams, and 4 KB chunks cost
  // about twice the CPU (measured).
  const input = images.input(oneChunkStream(bytes));
  const sized = box ? input.transform({ width: box.width, height: box.height, fit: "scale-down" }) : input;
  // White behind transparency: JPEG has no alpha, and black would change the picture.
  const result = await sized.output({ format: "image/jpeg", quality, background: "#ffffff", anim: false });
  return new Uint8Array(await new Response(result.image()).arrayBuffer());
}

/**
 * The Images binding's errors carry a code: 9412 is an input that is not an image, 9423 the monthly
 * allowance used up. Locally the binding runs Sharp, whose refusal of a broken file comes back as
 * an "Unexpected error response" (code 9523 too). Anything else is the service failing, not the
 * image. Its own words, and locally Sharp's stack trace, go to the log only.
 */
function imagesError(error: unknown, param: string): ApiError {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  const firstLine = String(error).split("\n")[0] ?? "";
  console.error(JSON.stringify({ event: "images_binding_failed", code, error: firstLine }));
  if (code === 9423) {
    return new ApiError(
      429,
      "This month's free Images transformations are used up, so reference images cannot be shrunk. Attach images no larger than 511×511 (PNG, or an upright JPEG), or enable Images Paid.",
      { code: "images_quota_exceeded", type: "insufficient_quota" },
    );
  }
  if (code === 9412 || firstLine.includes("Unexpected error response")) {
    return badImage(
      param,
      `The image in '${param}' could not be decoded: it may be damaged or cut short. Send it again, or another one.`,
    );
  }
  return new ApiError(
    502,
    `The image in '${param}' could not be shrunk: the Images binding failed (code ${String(code)}). Try again.`,
    {
      param,
      code: "image_resize_failed",
    },
  );
}

function badImage(param: string, message: string): ApiError {
  return new ApiError(400, message, { param, code: "invalid_image" });
}

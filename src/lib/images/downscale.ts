/**
 * Reference images as Workers AI takes them: "All input images must be smaller
 * than 512x512". A photo is shrunk (aspect kept, EXIF rotation applied) and
 * re-encoded as JPEG by the Images binding, which does the work outside the
 * Worker's CPU budget; it runs in the GenerationJob, never in the Worker's
 * fetch. The README says why (figures) and what it costs on the Free plan.
 */
import { oneChunkStream } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";
import { inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import { modelReadsAsIs, sizeProblem } from "./readable.ts";

/** Each side of a reference image below 512 pixels. */
export const MAX_REFERENCE_EDGE = 511;

export interface ReferenceImage extends ImageInfo {
  bytes: Uint8Array;
}

/** The part of the Images binding used here: the real `env.IMAGES`, or a test's fake. */
export type ImagesBinding = Pick<Env["IMAGES"], "input">;

/**
 * The image ready for the model: as it is when it already fits and needs no rotation (a
 * transformation saved from the monthly allowance), otherwise shrunk by the binding.
 */
export async function toReferenceImage(
  bytes: Uint8Array,
  images: ImagesBinding | undefined,
  label: string,
): Promise<ReferenceImage> {
  const info = inspectImage(bytes);
  if (!info) throw unreadable(label);
  const problem = sizeProblem(info);
  if (problem) throw new ApiError(400, `${label} cannot be used: ${problem}.`, { code: "invalid_image" });
  if (info.width <= MAX_REFERENCE_EDGE && info.height <= MAX_REFERENCE_EDGE && (await modelReadsAsIs(bytes, info)))
    return { ...info, bytes };
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
  const shrunk = await shrink(bytes, images, label);
  const shrunkInfo = inspectImage(shrunk);
  // A binding that could not transform (e.g. Sharp missing locally) may hand the input back.
  if (!shrunkInfo || shrunkInfo.width > MAX_REFERENCE_EDGE || shrunkInfo.height > MAX_REFERENCE_EDGE) {
    throw new ApiError(502, `${label} could not be shrunk below 512×512 by the Images binding.`, {
      code: "image_resize_failed",
    });
  }
  return { ...shrunkInfo, bytes: shrunk };
}

async function shrink(bytes: Uint8Array, images: ImagesBinding, label: string): Promise<Uint8Array> {
  try {
    // One chunk: the binding pumps its input through JavaScript streams, and 4 KB chunks cost
    // about twice the CPU (measured).
    const result = await images
      .input(oneChunkStream(bytes))
      .transform({ width: MAX_REFERENCE_EDGE, height: MAX_REFERENCE_EDGE, fit: "scale-down" })
      // White behind transparency: JPEG has no alpha, and black would change the picture.
      .output({ format: "image/jpeg", quality: 85, background: "#ffffff", anim: false });
    return new Uint8Array(await new Response(result.image()).arrayBuffer());
  } catch (error) {
    throw imagesError(error, label);
  }
}

/**
 * The Images binding's errors carry a code: 9423 is the monthly allowance used up, which the operator
 * can change. Any other failure on an image whose header was sound is the image's: it would not
 * decode (the binding says 9412, or locally its decoder's stack trace, which is logged, never shown).
 */
function imagesError(error: unknown, label: string): ApiError {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  if (code === 9423) {
    return new ApiError(
      429,
      "This month's free Images transformations are used up, so reference images cannot be shrunk. Attach images no larger than 511×511 (PNG, or an upright JPEG), or enable Images Paid.",
      { code: "images_quota_exceeded", type: "insufficient_quota" },
    );
  }
  // The first line says why (a stack trace follows it locally).
  console.error(JSON.stringify({ event: "image_not_decoded", code, error: String(error).split("\n")[0] }));
  return new ApiError(
    400,
    `${label} could not be decoded: it may be damaged or cut short. Send it again, or another one.`,
    {
      code: "invalid_image",
    },
  );
}

function unreadable(label: string): ApiError {
  return new ApiError(400, `${label} could not be read as a JPEG, PNG or WebP image.`, { code: "invalid_image" });
}

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
  if (fitsAsIs(bytes, info)) return { ...info, bytes };
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

/** Small enough, a type the model reads, and upright: no EXIF rotation that only a transformation would apply. */
function fitsAsIs(bytes: Uint8Array, info: ImageInfo): boolean {
  const small = info.width <= MAX_REFERENCE_EDGE && info.height <= MAX_REFERENCE_EDGE;
  if (!small) return false;
  if (info.contentType === "image/png") return true;
  return info.contentType === "image/jpeg" && jpegOrientation(bytes) === 1;
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
 * The Images binding's errors carry a code: 9412 is an input that is not an image, 9423 the
 * monthly allowance used up; anything else is the service failing, not the user's image.
 */
function imagesError(error: unknown, label: string): ApiError {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  if (code === 9412) return unreadable(label);
  if (code === 9423) {
    return new ApiError(
      429,
      "This month's free Images transformations are used up, so reference images cannot be shrunk. Attach images no larger than 511×511 (PNG, or an upright JPEG), or enable Images Paid.",
      { code: "images_quota_exceeded", type: "insufficient_quota" },
    );
  }
  const detail = error instanceof Error ? `: ${error.message}` : "";
  return new ApiError(502, `${label} could not be shrunk by the Images binding${detail}. Try again.`, {
    code: "image_resize_failed",
  });
}

function unreadable(label: string): ApiError {
  return new ApiError(400, `${label} could not be read as a JPEG, PNG or WebP image.`, { code: "invalid_image" });
}

/**
 * A JPEG's EXIF orientation (1 = upright, as stored; 2–8 = flipped or turned), read from its
 * Exif segment before the image data; 1 when it has none or it cannot be read.
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan, end of image
    const length = view.getUint16(offset + 2);
    if (marker === 0xe1 && String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)) === "Exif") {
      return exifOrientation(view, offset + 10, offset + 2 + length);
    }
    offset += 2 + length;
  }
  return 1;
}

/** The Orientation tag (0x0112) of IFD0 in the TIFF structure at `tiff`, within `end`. */
function exifOrientation(view: DataView, tiff: number, end: number): number {
  if (tiff + 8 > end || end > view.byteLength) return 1;
  const little = view.getUint16(tiff) === 0x4949; // "II"; "MM" is big-endian
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return 1;
  const entries = view.getUint16(ifd, little);
  for (let index = 0; index < entries; index++) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > end) return 1;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

// @ts-check
/**
 * A picked, pasted or dropped file made ready to send: checked (an image, at
 * most 20 MB), decoded by the browser, and drawn again as a small JPEG, which
 * travels in the chat request as a data URL.
 */

/** The API's limit per image; a larger file is refused before the browser spends memory decoding it. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
/**
 * Workers AI reads reference images smaller than 512×512, so the Worker shrinks every larger one
 * to this long side (MAX_REFERENCE_EDGE in src/lib/images/downscale.ts) before the model sees it.
 * Shrinking here first loses nothing the model would see, sends tens of kilobytes instead of a
 * photo's megabytes (four 20 MB photos as base64 would pass the platform's 100 MB body limit),
 * and a small JPEG without Exif needs no transformation from the Worker's Images binding, whose
 * free allowance is monthly.
 */
const LONG_SIDE = 511;
const JPEG_QUALITY = 0.9;

/**
 * @param {File} file
 * @returns {string | undefined} why the file cannot be attached, or undefined when it may be
 */
export function fileProblem(file) {
  const name = file.name || "The pasted file";
  if (!file.type.startsWith("image/")) return `${name} is not an image: attach a JPEG, PNG or WebP.`;
  if (file.size > MAX_FILE_BYTES) return `${name} is over 20 MB.`;
  return undefined;
}

/**
 * Decodes the image (Exif rotation applied, as the browser shows it) and draws it, at most
 * LONG_SIDE pixels long, on white (JPEG has no transparency; the Worker uses white too).
 * @param {File} file
 * @returns {Promise<Blob>} a JPEG; rejects when the browser cannot read the image
 */
export async function shrinkToJpeg(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = canvas.getContext("2d");
    if (!context) throw new Error("This browser cannot draw images.");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => {
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error("The image could not be encoded."))),
        "image/jpeg",
        JPEG_QUALITY,
      );
    });
  } finally {
    bitmap.close();
  }
}

/**
 * @param {Blob} blob
 * @returns {Promise<string>} the blob as a data: URL, as the chat API takes images
 */
export function toDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("load", () =>
      typeof reader.result === "string" ? resolve(reader.result) : reject(new Error("unreadable")),
    );
    reader.addEventListener("error", () => reject(reader.error ?? new Error("unreadable")));
    reader.readAsDataURL(blob);
  });
}

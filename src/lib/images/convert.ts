/**
 * A generated picture in the format the caller asked (`output_format`: png, jpeg or webp, with
 * `output_compression` as the quality of the lossy ones), converted by the Images binding outside
 * the Worker's CPU budget. Only when it differs from the model's own: the default costs nothing.
 */
import { oneChunkStream } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";
import { inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import type { ImagesBinding } from "./downscale.ts";

export type OutputFormat = "png" | "jpeg" | "webp";

export interface OutputRequest {
  format: OutputFormat;
  /** 0–100; OpenAI's default is 100. */
  compression?: number;
}

/** The picture in `output`'s format, or as it is when it already is. */
export async function toOutputFormat(
  image: { bytes: Uint8Array; contentType: string },
  output: OutputRequest,
  images: ImagesBinding | undefined,
): Promise<ImageInfo & { bytes: Uint8Array }> {
  const wanted = `image/${output.format}` as const;
  const info = inspectImage(image.bytes);
  if (info && image.contentType === wanted) return { ...info, bytes: image.bytes };
  if (!images) {
    throw new ApiError(
      500,
      'output_format needs the Images binding: add "images": { "binding": "IMAGES" } to wrangler.jsonc.',
      {
        code: "invalid_setting",
        param: "IMAGES",
      },
    );
  }
  let bytes: Uint8Array;
  try {
    const result = await images
      .input(oneChunkStream(image.bytes))
      .output({ format: wanted, quality: output.compression ?? 100, anim: false });
    bytes = new Uint8Array(await new Response(result.image()).arrayBuffer());
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
    console.error(JSON.stringify({ event: "images_binding_failed", code, error: String(error).split("\n")[0] }));
    if (code === 9423)
      throw new ApiError(
        429,
        `This month's free Images transformations are used up, so the picture cannot be converted to ${output.format}. Leave output_format out for the model's own format.`,
        {
          code: "images_quota_exceeded",
          type: "insufficient_quota",
        },
      );
    throw new ApiError(
      502,
      `The picture could not be converted to ${output.format}: the Images binding failed. Try again, or leave output_format out.`,
      {
        code: "image_convert_failed",
      },
    );
  }
  const converted = inspectImage(bytes);
  // A binding that could not transform (Sharp missing locally) may hand the input back.
  if (!converted || converted.contentType !== wanted)
    throw new ApiError(502, `The picture could not be converted to ${output.format} by the Images binding.`, {
      code: "image_convert_failed",
    });
  return { ...converted, bytes };
}

/**
 * A picture as an MCP tool result carries it: inline as an image part of at most about 1 MB (a
 * tool result goes into the assistant's context whole), and always a
 * text part with its link and figures. A larger picture (a 1920×1920 PNG is several MB) is shown
 * as a JPEG the Images binding makes from it, outside the Worker's CPU budget, and the text says
 * so; the link keeps the picture as it was painted.
 */
import { jpegOf, type ImagesBinding } from "../images/downscale.ts";
import { base64ByteLength, decodeBase64, encodeBase64, inspectImage } from "../storage/image-bytes.ts";

/** The largest image part sent. */
export const MAX_INLINE_BYTES = 1_000_000;

/** What is tried, in order, for a picture above the limit: the same size as a JPEG, then smaller. */
const SMALLER_JPEGS = [
  { quality: 85, box: undefined },
  { quality: 80, box: { width: 1024, height: 1024 } },
] as const;

export interface Picture {
  /** The picture as the job handed it back; undefined when it did not. */
  base64: string | undefined;
  mimeType: string;
}

export type ContentPart = { type: "image"; data: string; mimeType: string } | { type: "text"; text: string };

/** The picture's parts: its image part when one can be sent, then `text` (link and figures) with what was done. */
export async function pictureParts(
  picture: Picture,
  text: string,
  images: ImagesBinding | undefined,
): Promise<ContentPart[]> {
  const { base64, mimeType } = picture;
  if (!base64) return [{ type: "text", text: `${text} (it could not be shown inline: open the link).` }];
  const byteLength = base64ByteLength(base64);
  if (byteLength <= MAX_INLINE_BYTES)
    return [
      { type: "image", data: base64, mimeType },
      { type: "text", text: `${text}.` },
    ];
  const bytes = decodeBase64(base64);
  const smaller = images && bytes ? await smallerJpeg(bytes, images) : undefined;
  const weight = `${megabytes(byteLength)} MB`;
  if (!smaller) return [{ type: "text", text: `${text} (${weight}, too large to show inline: open the link).` }];
  return [
    { type: "image", data: encodeBase64(smaller.bytes), mimeType: "image/jpeg" },
    {
      type: "text",
      text: `${text}. Shown inline as a ${smaller.width}×${smaller.height} JPEG of ${Math.ceil(smaller.bytes.byteLength / 1000)} KB: the picture itself is ${weight}, whole at the link.`,
    },
  ];
}

/** The first JPEG made from `bytes` that fits the limit, or undefined (none fits, or the binding failed). */
async function smallerJpeg(
  bytes: Uint8Array,
  images: ImagesBinding,
): Promise<{ bytes: Uint8Array; width: number; height: number } | undefined> {
  for (const { quality, box } of SMALLER_JPEGS) {
    try {
      const jpeg = await jpegOf(bytes, images, quality, box);
      const info = inspectImage(jpeg);
      // A binding that could not transform (Sharp missing locally) may hand the input back.
      if (info?.contentType === "image/jpeg" && jpeg.byteLength <= MAX_INLINE_BYTES)
        return { bytes: jpeg, width: info.width, height: info.height };
    } catch (error) {
      console.error(JSON.stringify({ event: "images_binding_failed", use: "mcp_inline", error: String(error) }));
      return undefined;
    }
  }
  return undefined;
}

function megabytes(byteLength: number): string {
  return (byteLength / 1_000_000).toFixed(1);
}

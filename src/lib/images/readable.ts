/**
 * What a reference image must be before anything decodes it: a size the Images
 * binding takes (checked from the header, so an image that claims a billion
 * pixels is refused before it costs a transformation), and, for one sent to
 * Workers AI as it is, bytes a decoder reads whole. Anything doubtful goes
 * through the binding, which decodes it fully.
 */
import { jpegFrame, jpegSegments, type ImageInfo } from "../storage/image-bytes.ts";

/** The Images binding's limits (Cloudflare's "Limits and formats"): 12,000 pixels a side, 100 megapixels. */
export const MAX_IMAGE_EDGE = 12_000;
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Why an image's stated size cannot be taken, in words for the user; undefined when it can. */
export function sizeProblem({ width, height }: ImageInfo): string | undefined {
  if (!(width > 0 && height > 0)) return `its header gives it no size (${width}×${height})`;
  if (width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE || width * height > MAX_IMAGE_PIXELS) {
    return `it is ${width}×${height} pixels; the most is ${MAX_IMAGE_EDGE} a side and ${MAX_IMAGE_PIXELS / 1_000_000} megapixels`;
  }
  return undefined;
}

/**
 * Whether Workers AI can be given the bytes as they are (no transformation used up): a baseline or
 * progressive JPEG in grey or colour (not CMYK), upright and ending where a JPEG ends, or a PNG whose
 * chunks are whole and whose image data inflates to exactly the size its header states.
 */
export async function modelReadsAsIs(bytes: Uint8Array, info: ImageInfo): Promise<boolean> {
  if (info.contentType === "image/jpeg") return jpegReadsAsIs(bytes);
  if (info.contentType === "image/png") return pngIsWhole(bytes);
  return false;
}

function jpegReadsAsIs(bytes: Uint8Array): boolean {
  const frame = jpegFrame(bytes);
  const baselineOrProgressive = frame?.marker === 0xc0 || frame?.marker === 0xc2;
  const greyOrColour = frame?.components === 1 || frame?.components === 3;
  const ended = bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
  return baselineOrProgressive && greyOrColour && ended && jpegOrientation(bytes) === 1;
}

/**
 * A JPEG's EXIF orientation (1 = upright, as stored; 2–8 = flipped or turned), read from its
 * Exif segment before the image data; 1 when it has none or it cannot be read.
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const { marker, start, end } of jpegSegments(bytes)) {
    if (marker === 0xe1 && String.fromCharCode(...bytes.subarray(start, start + 4)) === "Exif") {
      return exifOrientation(view, start + 6, end);
    }
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

/** Samples per pixel of each PNG colour type, and the bit depths it allows. */
const PNG_COLOUR_TYPES = new Map<number, { samples: number; depths: number[] }>([
  [0, { samples: 1, depths: [1, 2, 4, 8, 16] }], // grey
  [2, { samples: 3, depths: [8, 16] }], // RGB
  [3, { samples: 1, depths: [1, 2, 4, 8] }], // palette
  [4, { samples: 2, depths: [8, 16] }], // grey and alpha
  [6, { samples: 4, depths: [8, 16] }], // RGBA
]);

/**
 * Whether a PNG is whole: a valid header, chunks that follow each other to IEND within the bytes, a
 * palette where one is needed, and image data that inflates to the rows its header promises (a PNG
 * claiming 200×200 over one pixel's data is not). The CRCs are not checked.
 */
async function pngIsWhole(bytes: Uint8Array): Promise<boolean> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24], colour: bytes[25] };
  const type = PNG_COLOUR_TYPES.get(header.colour ?? -1);
  const interlace = bytes[28];
  if (!type || !type.depths.includes(header.depth ?? 0) || bytes[26] !== 0 || bytes[27] !== 0) return false;
  if (interlace !== 0 && interlace !== 1) return false;
  const data: Uint8Array[] = [];
  let palette = false;
  for (let offset = 8; offset + 12 <= bytes.length;) {
    const length = view.getUint32(offset);
    const name = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) return false;
    if (name === "IEND") {
      const bitsPerPixel = type.samples * (header.depth ?? 0);
      const expected = pngDataLength(header.width, header.height, bitsPerPixel, interlace === 1);
      return data.length > 0 && (palette || header.colour !== 3) && (await inflatedLength(data, expected)) === expected;
    }
    if (name === "IDAT") data.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (name === "PLTE") palette = true;
    offset = end;
  }
  return false;
}

/** Adam7's seven passes: the first column and row of each, and its steps across and down. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The bytes of a PNG's filtered image data: each row of each pass, with its filter byte. */
function pngDataLength(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce(
    (sum, [x, y, dx, dy]) => sum + rows(Math.ceil((width - x) / dx), Math.ceil((height - y) / dy)),
    0,
  );
}

/** How many bytes the zlib stream split over `parts` inflates to, reading at most one past `limit`; -1 if it is broken. */
async function inflatedLength(parts: Uint8Array[], limit: number): Promise<number> {
  const reader = new Blob(parts).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return length;
      length += value.byteLength;
      if (length > limit) {
        void reader.cancel();
        return length;
      }
    }
  } catch {
    return -1;
  }
}

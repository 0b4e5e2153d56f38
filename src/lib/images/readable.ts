/**
 * What a reference image must be before anything decodes it: a size the Images
 * binding takes (checked from the header, so an image that claims a billion
 * pixels is refused before it costs a transformation), and, for one sent to
 * Workers AI as it is, bytes a decoder reads whole. Anything doubtful goes
 * through the binding, which decodes it fully.
 */
import { jpegFrame, jpegSegments, type ImageInfo } from "../storage/image-bytes.ts";
import { ADAM7, crc32, PNG_COLOUR_TYPES, type PngHeader } from "./png.ts";

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

/**
 * Baseline or progressive, 8-bit, grey or colour (not CMYK), sampling factors a decoder takes, its
 * quantisation and Huffman tables before the scan, a scan, and the end marker last. (A scan's data is
 * not decoded: one cut short with an end marker added still passes.)
 */
function jpegReadsAsIs(bytes: Uint8Array): boolean {
  const frame = jpegFrame(bytes);
  if (!frame || (frame.marker !== 0xc0 && frame.marker !== 0xc2) || frame.precision !== 8) return false;
  if ((frame.components !== 1 && frame.components !== 3) || frame.samplings.length !== frame.components) return false;
  const factorsOk = frame.samplings.every((sampling) =>
    [sampling >> 4, sampling & 0x0f].every((f) => f >= 1 && f <= 4),
  );
  const markers = new Set(Array.from(jpegSegments(bytes), (segment) => segment.marker));
  const tablesAndScan = markers.has(0xdb) && markers.has(0xc4) && markers.has(0xda);
  const ended = bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9;
  return factorsOk && tablesAndScan && ended && jpegOrientation(bytes) === 1;
}

/** An image's size as it is seen: a JPEG whose EXIF orientation (5–8) turns it a quarter has its sides swapped. */
export function seenSize(bytes: Uint8Array, info: ImageInfo): { width: number; height: number } {
  const turned = info.contentType === "image/jpeg" && jpegOrientation(bytes) >= 5;
  return turned ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
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

/**
 * A small PNG is read here in full, so it has bounds: the most a 511×511 picture can take raw
 * (16-bit RGBA, 2 MB), and a number of chunks encoders never come near (they split image data
 * into 8–64 KB chunks). Anything beyond goes through the binding.
 */
const MAX_AS_IS_PNG_BYTES = 2_100_000;
const MAX_AS_IS_PNG_CHUNKS = 1_000;

/**
 * Whether a PNG is whole: a valid header; chunks that follow each other to IEND within the bytes,
 * each with its CRC; a palette (of whole entries) before the image data where one is needed; image
 * data in consecutive chunks that inflates to exactly the rows the header promises (a PNG claiming
 * 200×200 over one pixel's data is not), each row starting with a filter type that exists.
 */
async function pngIsWhole(bytes: Uint8Array): Promise<boolean> {
  if (bytes.length > MAX_AS_IS_PNG_BYTES) return false;
  const header = pngHeader(bytes);
  if (!header) return false;
  const chunks = pngChunks(bytes);
  if (!chunks || chunks.at(-1)?.name !== "IEND") return false;
  const data = chunks.filter((chunk) => chunk.name === "IDAT");
  const firstData = chunks.findIndex((chunk) => chunk.name === "IDAT");
  const consecutive = data.length > 0 && chunks[firstData + data.length - 1]?.name === "IDAT";
  const palette = chunks.findIndex((chunk) => chunk.name === "PLTE");
  const paletteLength = chunks[palette]?.data.length ?? 0;
  const paletteOk =
    palette < 0
      ? header.colour !== 3
      : palette < firstData && paletteLength % 3 === 0 && paletteLength >= 3 && paletteLength <= 768;
  if (!consecutive || !paletteOk) return false;
  const rows = pngRowLengths(header);
  const expected = rows.reduce((sum, length) => sum + length, 0);
  if (expected > MAX_AS_IS_PNG_BYTES) return false; // not a small picture: never inflated here
  const inflated = await inflate(
    data.map((chunk) => chunk.data),
    expected,
  );
  return inflated !== undefined && inflated.length === expected && filtersExist(inflated, rows);
}

function pngHeader(bytes: Uint8Array): PngHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [depth = 0, colour = -1, compression, filter, interlace] = bytes.subarray(24, 29);
  const type = PNG_COLOUR_TYPES.get(colour);
  if (!type || !type.depths.includes(depth) || compression !== 0 || filter !== 0) return undefined;
  if (interlace !== 0 && interlace !== 1) return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20), depth, colour, interlaced: interlace === 1 };
}

/** The chunks after the signature, up to IEND; undefined when one runs past the end, fails its CRC, or there are too many. */
function pngChunks(bytes: Uint8Array): { name: string; data: Uint8Array }[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { name: string; data: Uint8Array }[] = [];
  for (let offset = 8; offset + 12 <= bytes.length && chunks.length < MAX_AS_IS_PNG_CHUNKS;) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > bytes.length) return undefined;
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length))
      return undefined;
    const name = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    chunks.push({ name, data: bytes.subarray(offset + 8, offset + 8 + length) });
    if (name === "IEND") return chunks;
    offset = end;
  }
  return undefined;
}

/** Whether every row of the inflated data starts with one of PNG's five filter types. */
function filtersExist(inflated: Uint8Array, rows: readonly number[]): boolean {
  let offset = 0;
  for (const length of rows) {
    if ((inflated[offset] ?? 0xff) > 4) return false;
    offset += length;
  }
  return true;
}

/** The length of each row of a PNG's filtered image data, pass by pass, each with its filter byte. */
function pngRowLengths({ width, height, depth, colour, interlaced }: PngHeader): number[] {
  const bitsPerPixel = (PNG_COLOUR_TYPES.get(colour)?.samples ?? 0) * depth;
  const rows = (w: number, h: number) =>
    w > 0 && h > 0 ? Array<number>(h).fill(1 + Math.ceil((w * bitsPerPixel) / 8)) : [];
  if (!interlaced) return rows(width, height);
  return ADAM7.flatMap(([x, y, dx, dy]) => rows(Math.ceil((width - x) / dx), Math.ceil((height - y) / dy)));
}

/** The zlib stream split over `parts`, inflated, reading at most one byte past `limit`; undefined if it is broken. */
async function inflate(parts: Uint8Array[], limit: number): Promise<Uint8Array | undefined> {
  const reader = new Blob(parts).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  const out = new Uint8Array(limit + 1);
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out.subarray(0, length);
      out.set(value.subarray(0, out.length - length), length);
      length += Math.min(value.byteLength, out.length - length);
      if (length > limit) {
        void reader.cancel();
        return out;
      }
    }
  } catch {
    return undefined;
  }
}

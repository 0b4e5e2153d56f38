/**
 * Inpainting masks. OpenAI's `/v1/images/edits` takes a PNG the size of the image whose fully
 * transparent pixels (alpha 0) mark the area to repaint; Workers AI's Stable Diffusion inpainting
 * model takes an image that is white where it repaints and black where it keeps. This turns the
 * one into the other, at the size the image is shrunk to, inside the Worker.
 *
 * A phone's mask is 4032×3024 RGBA, 48 MB once inflated, over a third of a Worker's 128 MB: it is never
 * held whole. Its image data is inflated a little at a time and unfiltered row by row (only the
 * previous row is kept, as the filters need it); the alpha of the pixels nearest to each target
 * pixel is read as the rows go by, into a grid of the target size only (at most 2048×2048).
 *
 * Interlaced (Adam7) PNGs are supported: each pass is unfiltered the same way, and a target
 * pixel takes its alpha from whichever pass holds its nearest source pixel.
 *
 * The CRCs of the input's chunks are not checked: damaged image data is caught anyway by zlib's
 * own Adler-32 checksum (DecompressionStream checks it) and by the row count, a damaged header
 * by the checks below, and a wrong CRC on any other chunk changes nothing read here. Chunk
 * lengths are checked: every other chunk is found through them.
 */
import { concatBytes, oneChunkStream } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";
import { inspectImage } from "../storage/image-bytes.ts";
import { ADAM7, crc32, PNG_COLOUR_TYPES, PNG_SIGNATURE, type PngHeader } from "./png.ts";

/** What a converted mask is: a grayscale PNG, white where the model repaints. */
export interface InpaintingMask {
  bytes: Uint8Array;
  width: number;
  height: number;
  /** The share of the mask's pixels that are repainted (white), 0..1. */
  repaintedShare: number;
}

interface Size {
  width: number;
  height: number;
}

/**
 * The mask `png` (OpenAI's convention) as the inpainting model's mask of `target` size, scaled
 * nearest-neighbour. `image` is the size of the image being edited, which the mask must match.
 * A mask that is transparent all over is taken: the whole image is repainted.
 */
export async function toInpaintingMask(
  png: Uint8Array,
  image: Size,
  target: Size,
  param: string,
): Promise<InpaintingMask> {
  checkTarget(target);
  const layout = pngLayout(png, param);
  const { header } = layout;
  if (header.width !== image.width || header.height !== image.height) throw sizeMismatch(param, header, image);
  const transparency = transparencyOf(layout, param);
  if (!transparency) throw noTransparency(param, header);
  const grid = new MaskGrid(header, target, transparency);
  const scanlines = new ScanlineReader(header, grid, param);
  await inflateInPieces(idatPieces(png, param), (chunk) => scanlines.push(chunk), param);
  scanlines.finish();
  if (grid.repainted === 0) throw emptyMask(param, header, target, grid.translucent);
  return {
    bytes: await grayPng(grid.rows, target),
    width: target.width,
    height: target.height,
    repaintedShare: grid.repainted / (target.width * target.height),
  };
}

/** The target size comes from this service, not the user: a wrong one is a bug, not a bad request. */
function checkTarget({ width, height }: Size): void {
  const fine = (side: number) => Number.isInteger(side) && side > 0 && side <= MAX_TARGET_EDGE;
  if (!fine(width) || !fine(height)) throw new RangeError(`An inpainting mask cannot be made at ${width}×${height}.`);
}

/** The largest side a converted mask is made at: the sizes images are made at stop at 2048 a side. */
const MAX_TARGET_EDGE = 2048;

// ——— Errors: what is wrong with the mask and how to fix it, for the person who sent it. ———

function maskError(param: string, code: string, message: string): ApiError {
  return new ApiError(400, message, { param, code });
}

function invalidMask(param: string, problem: string): ApiError {
  return maskError(
    param,
    "invalid_mask",
    `The mask in '${param}' ${problem}. Save it again as a PNG the size of the image, fully transparent where it is to be repainted, and send it again.`,
  );
}

function notPng(param: string, png: Uint8Array): ApiError {
  const other = inspectImage(png)?.contentType;
  const what = other ? `is a ${other === "image/jpeg" ? "JPEG" : "WebP"} image` : "is not a PNG file";
  return maskError(
    param,
    "invalid_mask",
    `The mask in '${param}' ${what}, but a mask must be a PNG with transparency: a PNG the size of the image, fully transparent where it is to be repainted.`,
  );
}

function sizeMismatch(param: string, mask: Size, image: Size): ApiError {
  return maskError(
    param,
    "mask_size_mismatch",
    `The mask in '${param}' is ${mask.width}×${mask.height} pixels, but the image is ${image.width}×${image.height}. The mask must be exactly the size of the image: resize it to ${image.width}×${image.height} and send it again.`,
  );
}

const OPENAI_CONVENTION =
  "As in OpenAI's API, the area to repaint must be fully transparent (alpha 0) and the rest opaque: erase the area to repaint and save the mask as a PNG with an alpha channel.";

/** A colour type, and no tRNS chunk, that cannot hold a transparent pixel: no need to decode it to know. */
function noTransparency(param: string, header: PngHeader): ApiError {
  const kind = header.colour === 3 ? "a palette PNG with no transparent colour" : "a PNG without an alpha channel";
  return maskError(
    param,
    "mask_empty",
    `The mask in '${param}' is ${kind}, so none of it is transparent and nothing would be repainted. ${OPENAI_CONVENTION}`,
  );
}

function emptyMask(param: string, source: Size, target: Size, translucent: boolean): ApiError {
  const partly = translucent
    ? " Some of it is partly transparent, but only fully transparent pixels are repainted."
    : "";
  const shrunk =
    target.width < source.width || target.height < source.height
      ? ` (It was read at ${target.width}×${target.height}, the size the image is shrunk to, so a transparent area thinner than a few pixels may be missed: make it larger.)`
      : "";
  return maskError(
    param,
    "mask_empty",
    `The mask in '${param}' has no fully transparent pixels, so nothing would be repainted.${partly} ${OPENAI_CONVENTION}${shrunk}`,
  );
}

// ——— The PNG's structure: its header, the chunks that say what is transparent, where the image data is. ———

interface PngLayout {
  header: PngHeader;
  palette: Uint8Array | undefined;
  /** The tRNS chunk: alphas of palette entries, or the one grey or RGB value that is transparent. */
  transparency: Uint8Array | undefined;
}

interface PngChunk {
  type: string;
  data: Uint8Array;
}

/** The header and the chunks the mask needs, once every chunk up to IEND is known to lie within the bytes. */
function pngLayout(png: Uint8Array, param: string): PngLayout {
  if (png.length < 8 || PNG_SIGNATURE.some((byte, index) => png[index] !== byte)) throw notPng(param, png);
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  let hasData = false;
  for (const chunk of pngChunks(png, param)) {
    if (!header) header = readHeader(chunk, param);
    else if (chunk.type === "PLTE") palette = chunk.data;
    else if (chunk.type === "tRNS") transparency = chunk.data;
    else if (chunk.type === "IDAT") hasData ||= chunk.data.length > 0;
  }
  if (!header) throw invalidMask(param, "has no PNG header (IHDR chunk)");
  if (!hasData) throw invalidMask(param, "has no image data (IDAT chunk)");
  if (header.colour === 3 && !palette) throw invalidMask(param, "is a palette PNG without its palette (PLTE chunk)");
  return { header, palette, transparency };
}

/** The chunks from the first to IEND; a chunk that runs past the end of the bytes, or no IEND, is a file cut short. */
function* pngChunks(png: Uint8Array, param: string): Generator<PngChunk> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = PNG_SIGNATURE.length;
  while (offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    // Length, type, data, CRC: a length that points past the end is a file cut short (or a lie).
    if (length > png.length - offset - 12)
      throw invalidMask(param, `is cut short: its ${JSON.stringify(type)} chunk runs past the end of the file`);
    yield { type, data: png.subarray(offset + 8, offset + 8 + length) };
    if (type === "IEND") return;
    offset += 12 + length;
  }
  throw invalidMask(param, "is cut short: it ends before the end of its image (its IEND chunk)");
}

function readHeader(chunk: PngChunk, param: string): PngHeader {
  if (chunk.type !== "IHDR" || chunk.data.length !== 13)
    throw invalidMask(param, "is not a valid PNG: it does not start with its header (an IHDR chunk)");
  const view = new DataView(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
  const [depth = 0, colour = 0, compression, filter, interlace = 0] = chunk.data.subarray(8);
  const header = { width: view.getUint32(0), height: view.getUint32(4), depth, colour, interlaced: interlace === 1 };
  const type = PNG_COLOUR_TYPES.get(colour);
  if (!type || !type.depths.includes(depth))
    throw invalidMask(param, `is not a valid PNG: its header gives colour type ${colour} at ${depth} bits`);
  if (compression !== 0 || filter !== 0 || interlace > 1)
    throw invalidMask(
      param,
      "is not a valid PNG: its header names a compression, filter or interlace method PNG does not have",
    );
  if (header.width === 0 || header.height === 0) throw invalidMask(param, "is empty: its header gives it no pixels");
  return header;
}

/** The image data as copies of up to PIECE_BYTES each, however it is split into IDAT chunks (even into 1-byte ones). */
function* idatPieces(png: Uint8Array, param: string): Generator<Uint8Array> {
  let piece = new Uint8Array(PIECE_BYTES);
  let filled = 0;
  for (const { type, data } of pngChunks(png, param)) {
    if (type !== "IDAT") continue;
    for (let offset = 0; offset < data.length;) {
      const taken = Math.min(PIECE_BYTES - filled, data.length - offset);
      piece.set(data.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === PIECE_BYTES) {
        yield piece;
        piece = new Uint8Array(PIECE_BYTES);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield piece.subarray(0, filled);
}

// ——— Transparency: which pixels are fully transparent, for each colour type and depth. ———

/** The alpha of pixel `pixel` of an unfiltered row: 0 is fully transparent, `opaque` fully opaque. */
type AlphaOf = (row: Uint8Array, pixel: number) => number;

interface Transparency {
  alphaOf: AlphaOf;
  opaque: number;
}

/** How to read a pixel's alpha, or undefined when the colour type (with no tRNS chunk) has no transparency. */
function transparencyOf({ header, transparency }: PngLayout, param: string): Transparency | undefined {
  const { colour, depth } = header;
  if (colour === 6) return depth === 8 ? byteAlpha(4, 3) : wordAlpha(8, 6);
  if (colour === 4) return depth === 8 ? byteAlpha(2, 1) : wordAlpha(4, 2);
  if (!transparency) return undefined;
  if (colour === 3) return paletteAlpha(transparency, depth);
  const keySamples = colour === 0 ? 1 : 3;
  if (transparency.length !== keySamples * 2)
    throw invalidMask(
      param,
      `is not a valid PNG: its tRNS chunk is ${transparency.length} bytes, not ${keySamples * 2}`,
    );
  return keyAlpha(transparency, keySamples, depth);
}

/** 8-bit alpha: byte `at` of each pixel of `bytes`. */
function byteAlpha(bytes: number, at: number): Transparency {
  return { alphaOf: (row, pixel) => row[pixel * bytes + at] ?? 0, opaque: 0xff };
}

/** 16-bit alpha: the big-endian word at byte `at` of each pixel of `bytes`. */
function wordAlpha(bytes: number, at: number): Transparency {
  return {
    alphaOf: (row, pixel) => ((row[pixel * bytes + at] ?? 0) << 8) | (row[pixel * bytes + at + 1] ?? 0),
    opaque: 0xffff,
  };
}

/** Palette entries take their alpha from tRNS; the entries it does not reach are opaque. */
function paletteAlpha(transparency: Uint8Array, depth: number): Transparency {
  const alphas = new Uint8Array(256).fill(0xff);
  alphas.set(transparency.subarray(0, 256));
  return { alphaOf: (row, pixel) => alphas[sample(row, pixel, depth)] ?? 0xff, opaque: 0xff };
}

/** Grey or RGB: only pixels of exactly the tRNS colour (a 16-bit value per sample, whatever the depth) are transparent. */
function keyAlpha(transparency: Uint8Array, samples: number, depth: number): Transparency {
  const view = new DataView(transparency.buffer, transparency.byteOffset, transparency.byteLength);
  const key = Array.from({ length: samples }, (_, index) => view.getUint16(index * 2));
  const matches = (row: Uint8Array, pixel: number) =>
    key.every((value, index) => sample(row, pixel * samples + index, depth) === value);
  return { alphaOf: (row, pixel) => (matches(row, pixel) ? 0 : 1), opaque: 1 };
}

/** Sample `index` of an unfiltered row at `depth` bits: below 8, packed from the high bits of each byte down. */
function sample(row: Uint8Array, index: number, depth: number): number {
  if (depth === 8) return row[index] ?? 0;
  if (depth === 16) return ((row[index * 2] ?? 0) << 8) | (row[index * 2 + 1] ?? 0);
  const bit = index * depth;
  return ((row[bit >> 3] ?? 0) >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

// ——— The target grid: nearest-neighbour sampling of the rows as they are decoded. ———

/** One pass of the image data: its first column and row, its steps across and down, and its size. */
interface Pass extends Size {
  x: number;
  y: number;
  dx: number;
  dy: number;
}

/** The passes that hold pixels: the whole image once, or Adam7's (a small image leaves some empty, with no rows at all). */
function passesOf({ width, height, interlaced }: PngHeader): Pass[] {
  if (!interlaced) return [{ x: 0, y: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x, y, dx, dy]) => ({
    x,
    y,
    dx,
    dy,
    width: Math.max(0, Math.ceil((width - x) / dx)),
    height: Math.max(0, Math.ceil((height - y) / dy)),
  })).filter((pass) => pass.width > 0 && pass.height > 0);
}

/** The target columns a pass's rows fill, and for each the pixel of the pass row it takes its alpha from. */
interface PassColumns {
  targets: Int32Array;
  pixels: Int32Array;
}

/**
 * The converted mask being filled in: rows of the target size, each as PNG image data (a filter
 * byte, 0 for None, then one grey byte a pixel) so that it is deflated as it is.
 */
class MaskGrid {
  readonly rows: Uint8Array;
  repainted = 0;
  /** Whether a sampled pixel was partly but not fully transparent (said in the error of a mask with none). */
  translucent = false;
  private readonly stride: number;
  private readonly sourceColumns: Int32Array;
  /** For each source row y, the target rows taking it are firstTargetRow[y] up to firstTargetRow[y + 1]. */
  private readonly firstTargetRow: Int32Array;

  constructor(
    source: Size,
    private readonly target: Size,
    private readonly transparency: Transparency,
  ) {
    this.stride = target.width + 1;
    this.rows = new Uint8Array(this.stride * target.height);
    this.sourceColumns = Int32Array.from({ length: target.width }, (_, column) =>
      nearest(column, target.width, source.width),
    );
    this.firstTargetRow = new Int32Array(source.height + 1);
    let sourceRow = 0;
    for (let row = 0; row < target.height; row++) {
      const taken = nearest(row, target.height, source.height);
      while (sourceRow <= taken) this.firstTargetRow[sourceRow++] = row;
    }
    while (sourceRow <= source.height) this.firstTargetRow[sourceRow++] = target.height;
  }

  /** Whether any target row takes source row `y`: the rows no one takes are unfiltered (the next needs them), not read. */
  takes(y: number): boolean {
    return (this.firstTargetRow[y] ?? 0) < (this.firstTargetRow[y + 1] ?? 0);
  }

  columnsOf(pass: Pass): PassColumns {
    const targets: number[] = [];
    const pixels: number[] = [];
    this.sourceColumns.forEach((x, column) => {
      if (x >= pass.x && (x - pass.x) % pass.dx === 0) {
        targets.push(column);
        pixels.push((x - pass.x) / pass.dx);
      }
    });
    return { targets: Int32Array.from(targets), pixels: Int32Array.from(pixels) };
  }

  /** Paints, in every target row taking source row `y`, the columns of this pass: white where fully transparent. */
  paint(y: number, row: Uint8Array, { targets, pixels }: PassColumns): void {
    const first = this.firstTargetRow[y] ?? 0;
    const last = this.firstTargetRow[y + 1] ?? 0;
    const { alphaOf, opaque } = this.transparency;
    for (let index = 0; index < targets.length; index++) {
      const alpha = alphaOf(row, pixels[index] ?? 0);
      if (alpha !== 0) {
        if (alpha !== opaque) this.translucent = true;
        continue;
      }
      const column = 1 + (targets[index] ?? 0);
      for (let target = first; target < last; target++) this.rows[target * this.stride + column] = 0xff;
      this.repainted += last - first;
    }
  }
}

/** The source pixel nearest to the centre of target pixel `index`, of `targetLength` across `sourceLength`. */
function nearest(index: number, targetLength: number, sourceLength: number): number {
  return Math.min(sourceLength - 1, Math.floor(((2 * index + 1) * sourceLength) / (2 * targetLength)));
}

// ——— Scanlines: the inflated bytes cut into rows, unfiltered, handed to the grid. ———

/**
 * Takes the inflated image data chunk by chunk, keeping only the row being filled and the one
 * before it. More data than the header's rows hold is refused at once: a small file that
 * inflates to gigabytes (a zip bomb) costs no more than a real mask.
 */
class ScanlineReader {
  private readonly passes: Pass[];
  private readonly bitsPerPixel: number;
  /** The bytes a pixel takes, at least one: how far back the Sub, Average and Paeth filters look. */
  private readonly pixelBytes: number;
  private readonly expected: number;
  private received = 0;
  private passIndex = 0;
  private passRow = 0;
  private filter = -1;
  private filled = 0;
  private current: Uint8Array;
  private previous: Uint8Array;
  private columns: PassColumns;

  constructor(
    private readonly header: PngHeader,
    private readonly grid: MaskGrid,
    private readonly param: string,
  ) {
    this.passes = passesOf(header);
    this.bitsPerPixel = (PNG_COLOUR_TYPES.get(header.colour)?.samples ?? 0) * header.depth;
    this.pixelBytes = Math.ceil(this.bitsPerPixel / 8);
    this.expected = this.passes.reduce((total, pass) => total + pass.height * (1 + this.rowBytes(pass)), 0);
    const widest = this.rowBytes({ ...header, x: 0, y: 0, dx: 1, dy: 1 });
    this.current = new Uint8Array(widest);
    this.previous = new Uint8Array(widest);
    this.columns = this.startPass();
  }

  push(chunk: Uint8Array): void {
    this.received += chunk.length;
    if (this.received > this.expected)
      throw invalidMask(this.param, "is not a valid PNG: its image data holds more than its header's rows");
    for (let offset = 0; offset < chunk.length;) {
      if (this.filter < 0) {
        this.filter = chunk[offset++] ?? 0;
        if (this.filter > 4)
          throw invalidMask(
            this.param,
            `is damaged: a row of it has filter type ${this.filter}, which PNG does not have`,
          );
      }
      const taken = Math.min(this.current.length - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + taken), this.filled);
      this.filled += taken;
      offset += taken;
      if (this.filled === this.current.length) this.endRow();
    }
  }

  /** Called once the data has all been inflated: rows missing are a file cut short. */
  finish(): void {
    if (this.received < this.expected)
      throw invalidMask(this.param, "is cut short: its image data ends before its last row");
  }

  private rowBytes(pass: Pass): number {
    return Math.ceil((pass.width * this.bitsPerPixel) / 8);
  }

  /** The next pass's row buffers (the first row of a pass has nothing above it: zeros) and columns. */
  private startPass(): PassColumns {
    const pass = this.passes[this.passIndex];
    if (!pass) return { targets: new Int32Array(), pixels: new Int32Array() };
    const length = this.rowBytes(pass);
    this.current = new Uint8Array(this.current.buffer, 0, length);
    this.previous = new Uint8Array(this.previous.buffer, 0, length).fill(0);
    return this.grid.columnsOf(pass);
  }

  private endRow(): void {
    const pass = this.passes[this.passIndex];
    if (!pass) return;
    unfilter(this.filter, this.current, this.previous, this.pixelBytes);
    const y = pass.y + this.passRow * pass.dy;
    if (this.grid.takes(y)) this.grid.paint(y, this.current, this.columns);
    [this.previous, this.current] = [this.current, this.previous];
    this.filter = -1;
    this.filled = 0;
    if (++this.passRow === pass.height) {
      this.passIndex++;
      this.passRow = 0;
      this.columns = this.startPass();
    }
  }
}

/** Undoes PNG filter `filter` on `row` in place, given the row above (already unfiltered). */
function unfilter(filter: number, row: Uint8Array, previous: Uint8Array, pixelBytes: number): void {
  if (filter === 1) unfilterSub(row, pixelBytes);
  else if (filter === 2) unfilterUp(row, previous);
  else if (filter === 3) unfilterAverage(row, previous, pixelBytes);
  else if (filter === 4) unfilterPaeth(row, previous, pixelBytes);
}

function unfilterSub(row: Uint8Array, pixelBytes: number): void {
  for (let i = pixelBytes; i < row.length; i++) row[i] = ((row[i] ?? 0) + (row[i - pixelBytes] ?? 0)) & 0xff;
}

function unfilterUp(row: Uint8Array, previous: Uint8Array): void {
  for (let i = 0; i < row.length; i++) row[i] = ((row[i] ?? 0) + (previous[i] ?? 0)) & 0xff;
}

function unfilterAverage(row: Uint8Array, previous: Uint8Array, pixelBytes: number): void {
  const start = Math.min(pixelBytes, row.length);
  for (let i = 0; i < start; i++) row[i] = ((row[i] ?? 0) + ((previous[i] ?? 0) >> 1)) & 0xff;
  for (let i = pixelBytes; i < row.length; i++)
    row[i] = ((row[i] ?? 0) + (((row[i - pixelBytes] ?? 0) + (previous[i] ?? 0)) >> 1)) & 0xff;
}

/** Paeth: the one of left, above and above-left nearest to left + above − above-left. */
function unfilterPaeth(row: Uint8Array, previous: Uint8Array, pixelBytes: number): void {
  // With no pixel to the left (the first one), left and above-left are 0 and the predictor is above.
  const start = Math.min(pixelBytes, row.length);
  for (let i = 0; i < start; i++) row[i] = ((row[i] ?? 0) + (previous[i] ?? 0)) & 0xff;
  for (let i = pixelBytes; i < row.length; i++) {
    const left = row[i - pixelBytes] ?? 0;
    const above = previous[i] ?? 0;
    const aboveLeft = previous[i - pixelBytes] ?? 0;
    const toLeft = Math.abs(above - aboveLeft);
    const toAbove = Math.abs(left - aboveLeft);
    const toAboveLeft = Math.abs(left + above - 2 * aboveLeft);
    const predictor = toLeft <= toAbove && toLeft <= toAboveLeft ? left : toAbove <= toAboveLeft ? above : aboveLeft;
    row[i] = ((row[i] ?? 0) + predictor) & 0xff;
  }
}

// ——— Inflating with bounded memory. ———

/**
 * How much compressed data is given to the inflater at a time. workerd's DecompressionStream has
 * no backpressure: a write is inflated whole at once, into a queue that waits for reads, so one
 * piece at most (deflate inflates at most 1032 to 1: 16 KB makes at most 17 MB) is inflated ahead.
 */
const PIECE_BYTES = 16 * 1024;

/**
 * Inflates the zlib stream split over `pieces`, handing each inflated chunk to `sink` (which may
 * throw to stop). The next piece is written only once everything the last one gave has been read.
 */
async function inflateInPieces(
  pieces: Iterator<Uint8Array>,
  sink: (chunk: Uint8Array) => void,
  param: string,
): Promise<void> {
  const inflater = new DecompressionStream("deflate");
  const writer = inflater.writable.getWriter();
  const reader = inflater.readable.getReader();
  let reading = quietly(reader.read());
  let closed = false;
  try {
    for (;;) {
      // Once closed, the rest of the output comes as it is flushed; before, an empty queue means writing more.
      const result = closed ? await reading : await unlessDrained(reading);
      if (result === DRAINED) {
        const piece = pieces.next();
        if (piece.done) closed = true;
        await (piece.done ? writer.close() : writer.write(piece.value));
        continue;
      }
      if (result.done) return;
      sink(result.value);
      reading = quietly(reader.read());
    }
  } catch (error) {
    void reader.cancel().catch(ignore);
    void writer.abort().catch(ignore);
    // workerd's inflater fails with a TypeError ("Decompression failed.", or "…incomplete data" when the
    // stream stops short); anything else is this module's own fault, not the mask's, and goes on as it is.
    if (!(error instanceof TypeError)) throw error;
    throw invalidMask(param, "is damaged or cut short: its image data cannot be decompressed");
  }
}

const DRAINED = Symbol("drained");

/**
 * The read's result, or DRAINED when nothing is queued. Output already queued is handed over
 * within a microtask or two; when a macrotask (setTimeout 0) passes with no write in progress and
 * the read still waits, the queue is empty. The timer is only set once the microtasks have passed,
 * so the common case (a chunk queued) costs none.
 */
async function unlessDrained<T>(read: Promise<T>): Promise<T | typeof DRAINED> {
  const soon = await Promise.race([read, afterMicrotasks(4)]);
  if (soon !== DRAINED) return soon;
  let stopTimer = ignore;
  const later = new Promise<typeof DRAINED>((resolve) => {
    const timer = setTimeout(() => resolve(DRAINED), 0);
    stopTimer = () => clearTimeout(timer);
  });
  try {
    return await Promise.race([read, later]);
  } finally {
    stopTimer();
  }
}

async function afterMicrotasks(count: number): Promise<typeof DRAINED> {
  for (let tick = 0; tick < count; tick++) await Promise.resolve();
  return DRAINED;
}

/** The same promise, with its rejection marked as handled: a read left waiting when writing fails must not be reported. */
function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

function ignore(): void {}

// ——— The output: an 8-bit greyscale PNG. ———

/** A PNG of the grid's rows (already PNG image data): IHDR for 8-bit grey, not interlaced, one IDAT, IEND. */
async function grayPng(rows: Uint8Array, { width, height }: Size): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // depth 8, colour type 0 (grey), deflate, adaptive filters, no interlace
  const deflated = oneChunkStream(rows).pipeThrough(new CompressionStream("deflate"));
  const data = new Uint8Array(await new Response(deflated).arrayBuffer());
  return concatBytes([PNG_SIGNATURE, chunk("IHDR", header), chunk("IDAT", data), chunk("IEND", new Uint8Array())]);
}

/** A PNG chunk: length, type, data, and the CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(12 + data.length);
  const view = new DataView(framed.buffer);
  view.setUint32(0, data.length);
  framed.set(
    Array.from(type, (char) => char.charCodeAt(0)),
    4,
  );
  framed.set(data, 8);
  view.setUint32(8 + data.length, crc32(framed.subarray(4, 8 + data.length)));
  return framed;
}

// Real PNGs for the Stable Diffusion models, cheap enough for load tests, made as jpeg.ts makes its
// JPEGs: the pixels are encoded once per size and set of inputs, and each answer only gets a
// fresh tEXt chunk, so that no two answers carry the same bytes (callers may hash or deduplicate).
// What the picture shows (pixels.ts): the sunset, moved by the seed; an img2img or inpainting
// source blended in by strength and mask; a red stripe at the top left for a negative prompt.
import { randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import { PNG } from "pngjs";
import { blendSource, paintNegativeMark, SUN_POSITIONS, sunsetPixels } from "./pixels.ts";
import type { Pixels } from "./pixels.ts";

/** A decoded `image` or `mask`, with the hash of its encoded bytes (what the cache tells inputs apart by). */
export interface SourcePixels extends Pixels {
  sha256: string;
}

export interface PngPicture {
  width: number;
  height: number;
  seed?: number;
  negativePrompt: boolean;
  source?: SourcePixels;
  mask?: SourcePixels;
  /** 0 … 1; only a source makes it matter. */
  strength: number;
}

const MAX_CACHED_PICTURES = 64;
const encodedByInputs = new Map<string, Buffer>();
let imagesServed = 0;

export function standInPng(picture: PngPicture): Buffer {
  imagesServed += 1;
  const made = picture.source ? (picture.mask ? " inpainted" : " from a source image") : "";
  const negative = picture.negativePrompt ? " with a negative prompt" : "";
  const text = `Local stand-in image (not Stable Diffusion)${made}${negative} seed ${picture.seed ?? "none"} #${imagesServed} ${randomUUID()}`;
  return withText(encodedPng(picture), "Comment", text);
}

function encodedPng(picture: PngPicture): Buffer {
  const key = cacheKey(picture);
  let encoded = encodedByInputs.get(key);
  if (!encoded) {
    encoded = encodePng(picture.width, picture.height, paint(picture));
    encodedByInputs.set(key, encoded);
    if (encodedByInputs.size > MAX_CACHED_PICTURES) encodedByInputs.delete(encodedByInputs.keys().next().value ?? key);
  }
  return encoded;
}

function cacheKey({ width, height, seed, negativePrompt, source, mask, strength }: PngPicture): string {
  const blended = source ? `${source.sha256}:${mask?.sha256 ?? ""}:${strength}` : "";
  return `${width}x${height}:${sunPosition(seed)}:${negativePrompt ? "negative" : ""}:${blended}`;
}

/** The seed's place for the sun; these schemas allow negative seeds, which must land on a place too. */
function sunPosition(seed: number | undefined): number {
  return (((seed ?? 0) % SUN_POSITIONS) + SUN_POSITIONS) % SUN_POSITIONS;
}

function paint(picture: PngPicture): Buffer {
  const { width, height, source, mask, strength } = picture;
  const pixels = sunsetPixels(width, height, sunPosition(picture.seed));
  if (source) blendSource(pixels, width, height, { source, mask, strength });
  if (picture.negativePrompt) paintNegativeMark(pixels, width, height);
  return pixels;
}

/**
 * RGB without alpha, as the models' own PNGs; the Paeth filter throughout rather than pngjs's
 * per-row search of all five, which took ~60 ms against ~35 ms at 1024×1024 here for files of
 * much the same size.
 */
function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const png = new PNG({ width, height });
  png.data = rgba;
  return PNG.sync.write(png, { colorType: 2, inputHasAlpha: true, filterType: 4 });
}

/** The length of the PNG signature plus the IHDR chunk, which must come first. */
const AFTER_IHDR = 8 + 4 + 4 + 13 + 4;

/** Inserts a tEXt chunk right after IHDR; decoders skip it. */
function withText(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.from(`${keyword}\0${text}`, "latin1");
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write("tEXt", 4, "latin1");
  data.copy(chunk, 8);
  // The CRC covers the chunk type and data, not the length.
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return Buffer.concat([png.subarray(0, AFTER_IHDR), chunk, png.subarray(AFTER_IHDR)]);
}

// Real, decodable JPEGs of any requested size, cheap enough for load tests: the pixels are
// encoded once per size (and set of references), and each answer only gets a fresh comment
// segment so that no two responses carry the same bytes (callers may hash or deduplicate images).
// An edit shows its references as squares of their colours along the bottom edge, a negative
// prompt (phoenix-1.0) a red stripe across the top-left corner, and the seed moves the sun (one of
// SUN_POSITIONS places, so the cache still hits): two seeds, two pictures.
import { randomUUID } from "node:crypto";
import jpeg from "jpeg-js";
import { paintNegativeMark, SUN_POSITIONS, sunsetPixels } from "./pixels.ts";
import { markColour, type Reference } from "./references.ts";

/** What else a call asked for that the picture shows. */
export interface JpegMarks {
  /** A negative prompt arrived: the picture gets its stripe. */
  negativePrompt?: boolean;
}

const MAX_CACHED_SIZES = 64;
const encodedBySize = new Map<string, Buffer>();
let imagesServed = 0;

export function standInJpeg(
  width: number,
  height: number,
  references: readonly Reference[] = [],
  seed?: number,
  { negativePrompt = false }: JpegMarks = {},
): Buffer {
  imagesServed += 1;
  const edited = references.length ? ` edited from ${references.length} reference image(s)` : "";
  const negative = negativePrompt ? " with a negative prompt" : "";
  const comment = `Local stand-in image (not Flux)${edited}${negative} seed ${seed ?? "none"} #${imagesServed} ${randomUUID()}`;
  const sunPosition = (seed ?? 0) % SUN_POSITIONS;
  return withComment(encodedJpeg(width, height, sunPosition, references.map(markColour), negativePrompt), comment);
}

function encodedJpeg(
  width: number,
  height: number,
  sunPosition: number,
  marks: [number, number, number][],
  negativePrompt: boolean,
): Buffer {
  // The FLUX keys stay as they were; only a negative prompt adds to them.
  const negative = negativePrompt ? ":negative" : "";
  const key = `${width}x${height}:${sunPosition}:${marks.map((mark) => mark.join(",")).join(";")}${negative}`;
  let encoded = encodedBySize.get(key);
  if (!encoded) {
    const pixels = sunsetPixels(width, height, sunPosition);
    paintMarks(pixels, width, height, marks);
    if (negativePrompt) paintNegativeMark(pixels, width, height);
    encoded = jpeg.encode({ width, height, data: pixels }, 80).data;
    encodedBySize.set(key, encoded);
    if (encodedBySize.size > MAX_CACHED_SIZES) encodedBySize.delete(encodedBySize.keys().next().value ?? key);
  }
  return encoded;
}

/** One square per reference, left to right along the bottom edge, in the reference's colour. */
function paintMarks(pixels: Buffer, width: number, height: number, marks: [number, number, number][]): void {
  const side = Math.floor(Math.min(width, height) / 5);
  marks.forEach(([red, green, blue], index) => {
    const left = Math.floor(side / 4) + index * Math.floor((side * 5) / 4);
    for (let y = height - side - Math.floor(side / 4); y < height - Math.floor(side / 4); y++) {
      for (let x = left; x < Math.min(width, left + side); x++) {
        const offset = (y * width + x) * 4;
        pixels[offset] = red;
        pixels[offset + 1] = green;
        pixels[offset + 2] = blue;
      }
    }
  });
}

/** Inserts a COM (0xFFFE) segment right after SOI; decoders skip it. */
function withComment(image: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, "latin1");
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.length + 2, 2); // the length field counts itself, not the marker
  return Buffer.concat([image.subarray(0, 2), header, text, image.subarray(2)]);
}

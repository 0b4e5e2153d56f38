// Real, decodable JPEGs of any requested size, cheap enough for load tests: the pixels are
// encoded once per size (and set of references), and each answer only gets a fresh comment
// segment so that no two responses carry the same bytes (callers may hash or deduplicate images).
// An edit shows its references as squares of their colours along the bottom edge, and the seed
// moves the sun (one of SUN_POSITIONS places, so the cache still hits): two seeds, two pictures.
import { randomUUID } from "node:crypto";
import jpeg from "jpeg-js";
import { markColour, type Reference } from "./references.ts";

const MAX_CACHED_SIZES = 64;
const encodedBySize = new Map<string, Buffer>();
let imagesServed = 0;

// Few, because each is a fresh encode (~95 ms for 1024×1024): the Worker gives n images consecutive
// seeds, so up to four images of one request always land on different places.
const SUN_POSITIONS = 4;

export function standInJpeg(
  width: number,
  height: number,
  references: readonly Reference[] = [],
  seed?: number,
): Buffer {
  imagesServed += 1;
  const edited = references.length ? ` edited from ${references.length} reference image(s)` : "";
  const comment = `Local stand-in image (not Flux)${edited} seed ${seed ?? "none"} #${imagesServed} ${randomUUID()}`;
  const sunPosition = (seed ?? 0) % SUN_POSITIONS;
  return withComment(encodedJpeg(width, height, sunPosition, references.map(markColour)), comment);
}

function encodedJpeg(width: number, height: number, sunPosition: number, marks: [number, number, number][]): Buffer {
  const key = `${width}x${height}:${sunPosition}:${marks.map((mark) => mark.join(",")).join(";")}`;
  let encoded = encodedBySize.get(key);
  if (!encoded) {
    const pixels = sunsetPixels(width, height, sunPosition);
    paintMarks(pixels, width, height, marks);
    encoded = jpeg.encode({ width, height, data: pixels }, 80).data;
    encodedBySize.set(key, encoded);
    if (encodedBySize.size > MAX_CACHED_SIZES) encodedBySize.delete(encodedBySize.keys().next().value ?? key);
  }
  return encoded;
}

/** RGBA pixels: a dusk sky fading into a warm horizon, with a pale sun. */
function sunsetPixels(width: number, height: number, sunPosition: number): Buffer {
  const pixels = Buffer.alloc(width * height * 4);
  const sunX = width * (0.2 + (0.6 * sunPosition) / (SUN_POSITIONS - 1));
  const sunY = height * 0.62;
  const sunRadius = Math.min(width, height) * 0.12;
  for (let y = 0; y < height; y++) {
    const t = y / Math.max(1, height - 1);
    const [skyRed, skyGreen, skyBlue] = [40 + 200 * t, 50 + 90 * t, 120 - 40 * t];
    for (let x = 0; x < width; x++) {
      const glow = Math.max(0, 1 - Math.hypot(x - sunX, y - sunY) / (sunRadius * 2.5));
      const offset = (y * width + x) * 4;
      pixels[offset] = Math.min(255, skyRed + 120 * glow);
      pixels[offset + 1] = Math.min(255, skyGreen + 110 * glow);
      pixels[offset + 2] = Math.min(255, skyBlue + 60 * glow);
      pixels[offset + 3] = 255;
    }
  }
  return pixels;
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

// Small real image files of one colour, for the test image server: a JPEG from jpeg-js, a PNG
// and a lossless WebP from the minimal encoders below. Each decodes in ordinary image tools
// (ImageMagick reads all three), so what the tests fetch is what a user would link.
import { crc32, deflateSync } from "node:zlib";
import jpeg from "jpeg-js";

export type Colour = readonly [red: number, green: number, blue: number];

export function jpegFile(width: number, height: number, [red, green, blue]: Colour): Buffer {
  const pixels = Buffer.alloc(width * height * 4);
  for (let offset = 0; offset < pixels.length; offset += 4) pixels.set([red, green, blue, 255], offset);
  return jpeg.encode({ width, height, data: pixels }, 90).data;
}

/** An 8-bit RGB PNG: signature, IHDR, one IDAT of unfiltered rows, IEND. */
export function pngFile(width: number, height: number, colour: Colour): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => colour).flat())]);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A lossless WebP (VP8L) of one colour. With no transforms, no colour cache and five prefix codes
 * that each hold a single symbol (green, red, blue, alpha, distance), every pixel costs zero bits:
 * the whole image is its header and those five codes.
 */
export function webpFile(width: number, height: number, [red, green, blue]: Colour): Buffer {
  const bits = new BitWriter();
  bits.write(0x2f, 8); // VP8L signature
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(0, 1); // alpha not used
  bits.write(0, 3); // version 0
  bits.write(0, 1); // no transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes
  for (const symbol of [green, red, blue, 255, 0]) {
    bits.write(1, 1); // a simple prefix code…
    bits.write(0, 1); // …of one symbol…
    bits.write(1, 1); // …written in 8 bits
    bits.write(symbol, 8);
  }
  const payload = bits.bytes();
  const chunk = Buffer.concat([riffHeader("VP8L", payload.length), payload, Buffer.alloc(payload.length % 2)]);
  return Buffer.concat([riffHeader("RIFF", chunk.length + 4), Buffer.from("WEBP", "latin1"), chunk]);
}

function riffHeader(fourCc: string, size: number): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourCc, 0, "latin1");
  header.writeUInt32LE(size, 4);
  return header;
}

/** Packs values least significant bit first, as VP8L reads them. */
class BitWriter {
  private readonly values: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, count: number): void {
    for (let bit = 0; bit < count; bit++) {
      this.current |= ((value >> bit) & 1) << this.used;
      this.used += 1;
      if (this.used === 8) this.flush();
    }
  }

  bytes(): Buffer {
    if (this.used > 0) this.flush();
    return Buffer.from(this.values);
  }

  private flush(): void {
    this.values.push(this.current);
    this.current = 0;
    this.used = 0;
  }
}

import { describe, expect, it } from "vitest";
import { base64ByteLength, decodeBase64, encodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";

const u16be = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));

/** The start of a baseline JPEG: SOI, a JFIF APP0 segment, then SOF0 with the size. */
function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, ...u16be(16), ...ascii("JFIF"), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [0xff, 0xc0, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]);
}

function pngHeader(width: number, height: number): Uint8Array {
  const ihdr = [...u32be(13), ...ascii("IHDR"), ...u32be(width), ...u32be(height), 8, 2, 0, 0, 0, 0, 0, 0, 0];
  return new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...ihdr]);
}

function webp(chunk: string, payload: number[]): Uint8Array {
  const body = [...ascii("WEBP"), ...ascii(chunk), ...u32le(payload.length), ...payload];
  return new Uint8Array([...ascii("RIFF"), ...u32le(body.length), ...body]);
}

const u24le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const webpExtended = (width: number, height: number) =>
  webp("VP8X", [0, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]);
const webpLossy = (width: number, height: number) =>
  webp("VP8 ", [0, 0, 0, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8]);
function webpLossless(width: number, height: number): Uint8Array {
  const bits = (width - 1) | ((height - 1) << 14);
  return webp("VP8L", [0x2f, ...u32le(bits), 0, 0, 0, 0, 0]);
}

describe("recognising image bytes", () => {
  it("reads a JPEG's type and true size", () => {
    expect(inspectImage(jpegHeader(1024, 576))).toEqual({ contentType: "image/jpeg", width: 1024, height: 576 });
  });

  it("skips fill bytes and other segments before the JPEG's frame header", () => {
    const plain = jpegHeader(768, 512);
    const withFill = new Uint8Array([0xff, 0xd8, 0xff, ...plain.subarray(2)]);
    expect(inspectImage(withFill)).toEqual({ contentType: "image/jpeg", width: 768, height: 512 });
  });

  it("reads a PNG's type and size", () => {
    expect(inspectImage(pngHeader(512, 1024))).toEqual({ contentType: "image/png", width: 512, height: 1024 });
  });

  it("reads all three kinds of WebP", () => {
    expect(inspectImage(webpExtended(1920, 1080))).toEqual({ contentType: "image/webp", width: 1920, height: 1080 });
    expect(inspectImage(webpLossy(576, 1024))).toEqual({ contentType: "image/webp", width: 576, height: 1024 });
    expect(inspectImage(webpLossless(300, 200))).toEqual({ contentType: "image/webp", width: 300, height: 200 });
  });

  it("refuses anything else, including text and truncated headers", () => {
    expect(inspectImage(new TextEncoder().encode("This is plain text, not an image."))).toBeUndefined();
    expect(inspectImage(new Uint8Array())).toBeUndefined();
    expect(inspectImage(new Uint8Array([0xff, 0xd8, 0xff]))).toBeUndefined();
    expect(inspectImage(jpegHeader(10, 10).subarray(0, 22))).toBeUndefined();
    expect(inspectImage(webp("VP8Z", Array<number>(12).fill(0)))).toBeUndefined();
  });

  it("reads bytes that sit inside a larger buffer", () => {
    const png = pngHeader(640, 480);
    const padded = new Uint8Array(png.length + 7);
    padded.set(png, 7);
    expect(inspectImage(padded.subarray(7))).toEqual({ contentType: "image/png", width: 640, height: 480 });
  });
});

describe("base64", () => {
  it("round-trips bytes of every value, at sizes that exercise padding", () => {
    for (const length of [0, 1, 2, 3, 4, 5, 256, 70_001]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 7 + 3) % 256);
      const text = encodeBase64(bytes);
      if (length > 0) expect(decodeBase64(text)).toEqual(bytes);
      expect(text.length).toBe(Math.ceil(length / 3) * 4);
      expect(base64ByteLength(text)).toBe(length);
      expect(base64ByteLength(text.replace(/=+$/, ""))).toBe(length);
    }
  });

  it("encodes and decodes the standard alphabet", () => {
    expect(encodeBase64(new TextEncoder().encode("hello?>"))).toBe("aGVsbG8/Pg==");
    expect(new TextDecoder().decode(decodeBase64("aGVsbG8/Pg=="))).toBe("hello?>");
  });

  it("tolerates line breaks and missing padding", () => {
    expect(new TextDecoder().decode(decodeBase64("aGVs\nbG8/\r\nPg=="))).toBe("hello?>");
    expect(new TextDecoder().decode(decodeBase64("aGVsbG8"))).toBe("hello");
  });

  it.each(["%%%not-base64%%%", "", "a", "ab=c", "====", "aGVsbG8=x", "aGVs-bG8_"])(
    "answers undefined for invalid base64 %j",
    (text) => {
      expect(decodeBase64(text)).toBeUndefined();
    },
  );
});

/** Real images for the edit tests, made in the test itself: JPEGs of any size and colour, optionally rotated by EXIF. */
import jpeg from "jpeg-js";

/** A JPEG of `width`×`height` in one colour; with `orientation`, an Exif segment that rotates it. */
export function sampleJpeg(
  width: number,
  height: number,
  [red, green, blue]: [number, number, number] = [200, 80, 40],
  orientation?: number,
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let offset = 0; offset < data.length; offset += 4) data.set([red, green, blue, 255], offset);
  // jpeg-js writes `exifBuffer` as an APP1 segment, though its types do not name it.
  const image = {
    width,
    height,
    data,
    exifBuffer: orientation === undefined ? undefined : exifOrientation(orientation),
  };
  // Its types name Node's Buffer, which workerd's types do not have: read it as the bytes it is.
  const encoded = jpeg.encode(image, 90) as { data: Uint8Array };
  return Uint8Array.from(encoded.data);
}

/** A minimal Exif block: "Exif\0\0", a little-endian TIFF header, and IFD0 with one Orientation entry. */
function exifOrientation(orientation: number): Uint8Array {
  const bytes = new Uint8Array(6 + 8 + 2 + 12 + 4);
  bytes.set([0x45, 0x78, 0x69, 0x66, 0, 0]); // "Exif\0\0"
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49], 6); // "II": little endian
  view.setUint16(8, 42, true);
  view.setUint32(10, 8, true); // IFD0 right after the header
  view.setUint16(14, 1, true); // one entry
  view.setUint16(16, 0x0112, true); // Orientation
  view.setUint16(18, 3, true); // SHORT
  view.setUint32(20, 1, true); // one value
  view.setUint16(24, orientation, true);
  view.setUint32(28, 0, true); // no next IFD
  return bytes;
}

export function dataUrl(bytes: Uint8Array, type = "image/jpeg"): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:${type};base64,${btoa(binary)}`;
}

/** An 8-bit RGB PNG of one colour: signature, IHDR, one deflated IDAT of unfiltered rows, IEND. */
export async function samplePng(width: number, height: number, colour: [number, number, number]): Promise<Uint8Array> {
  const row = [0, ...Array.from({ length: width }, () => colour).flat()];
  const raw = Uint8Array.from(Array.from({ length: height }, () => row).flat());
  return craftedPng({ width, height }, [pngChunk("IDAT", await deflated(raw))]);
}

/** An 8-bit RGB PNG of random pixels, which deflate cannot shrink: about 3 bytes a pixel, for size limits. */
export async function noisyPng(width: number, height: number): Promise<Uint8Array> {
  const raw = new Uint8Array((width * 3 + 1) * height);
  for (let offset = 0; offset < raw.length; offset += 65536)
    crypto.getRandomValues(raw.subarray(offset, offset + 65536));
  for (let row = 0; row < height; row++) raw[row * (width * 3 + 1)] = 0; // filter type None
  return craftedPng({ width, height }, [pngChunk("IDAT", await deflated(raw))]);
}

/** The IHDR fields of a crafted PNG; the defaults are 8-bit RGB, not interlaced. */
export interface PngHeader {
  width: number;
  height: number;
  depth?: number;
  colour?: number;
  interlace?: number;
}

/**
 * A PNG put together from its parts, true or not: the header given, then `chunks` as they are
 * (pass `pngChunk("IDAT", await deflated(rows))` for image data), then IEND unless `end` is false.
 */
export function craftedPng(header: PngHeader, chunks: Uint8Array[], end = true): Uint8Array {
  const fields = new Uint8Array(13);
  new DataView(fields.buffer).setUint32(0, header.width);
  new DataView(fields.buffer).setUint32(4, header.height);
  fields.set([header.depth ?? 8, header.colour ?? 2, 0, 0, header.interlace ?? 0], 8);
  return concat([
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", fields),
    ...chunks,
    ...(end ? [pngChunk("IEND", new Uint8Array())] : []),
  ]);
}

/** `bytes` compressed as a zlib stream, as a PNG's IDAT holds them. */
export async function deflated(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
}

/** Real files made by Sharp (libvips), which the tests' own encoders cannot make. */
const SHARP_MADE = {
  /** 100×100, CMYK (four components): `sharp({create: …}).toColourspace("cmyk").jpeg({quality: 80})`. */
  cmykJpeg:
    "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwAGBAUGBQQGBgUGBwcGCAoQCgoJCQoUDg8MEBcUGBgXFBYWGh0lHxobIxwWFiAsICMmJykqKRkfLTAtKDAlKCko/8AAFAgAZABkBEMRAE0RAFkRAEsRAP/EABYAAQEBAAAAAAAAAAAAAAAAAAAHCP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAOBEMATQBZAEsAAD8A1SlTLC3gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP/9k=",
  /** 100×60, progressive (SOF2): `.jpeg({progressive: true, quality: 80})`. */
  progressiveJpeg:
    "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wgARCAA8AGQDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAWAQEBAQAAAAAAAAAAAAAAAAAABQb/2gAMAwEAAhADEAAAAZwaiQAAAAAAAAAAAAAAAAAAAAAAAAAAB//EABQQAQAAAAAAAAAAAAAAAAAAAGD/2gAIAQEAAQUCUf/EABQRAQAAAAAAAAAAAAAAAAAAAED/2gAIAQMBAT8BZ//EABQRAQAAAAAAAAAAAAAAAAAAAED/2gAIAQIBAT8BZ//EABQQAQAAAAAAAAAAAAAAAAAAAGD/2gAIAQEABj8CUf/EABQQAQAAAAAAAAAAAAAAAAAAAGD/2gAIAQEAAT8hUf/aAAwDAQACAAMAAAAQ8888888888888888888888888888/8QAFBEBAAAAAAAAAAAAAAAAAAAAQP/aAAgBAwEBPxBn/8QAFBEBAAAAAAAAAAAAAAAAAAAAQP/aAAgBAgEBPxBn/8QAFBABAAAAAAAAAAAAAAAAAAAAYP/aAAgBAQABPxBR/9k=",
  /** 37×23 RGBA, Adam7-interlaced: `.png({progressive: true})`. */
  interlacedPng:
    "iVBORw0KGgoAAAANSUhEUgAAACUAAAAXCAYAAAH7K7YzAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAATUlEQVRIie2UwQkAMAgDM0QGcyTHy1j9911aKffwIxLkSCJXeh89XXrOob4+8mmmRsyjmQmhhlHwUe6Unafl1jxVkGo8ZdJXVEKelecC8tqPEHeQB9sAAAAASUVORK5CYII=",
  /** 40×30 with a palette (colour type 3, PLTE): `.png({palette: true})`. */
  palettePng:
    "iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAMAAABpA6zvAAAAA1BMVEUUUMiTUSGgAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEklEQVQ4jWNgGAWjYBSMguEAAATOAAE9WQaqAAAAAElFTkSuQmCC",
};

/** One of the files Sharp made, as bytes. */
export function sharpMade(name: keyof typeof SHARP_MADE): Uint8Array {
  return Uint8Array.from(atob(SHARP_MADE[name]), (char) => char.charCodeAt(0));
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat([new TextEncoder().encode(type), data]);
  const framed = new Uint8Array(typed.length + 8);
  const view = new DataView(framed.buffer);
  view.setUint32(0, data.length);
  framed.set(typed, 4);
  view.setUint32(4 + typed.length, crc32(typed));
  return framed;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

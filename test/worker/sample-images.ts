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

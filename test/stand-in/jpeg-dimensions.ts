// Reads a JPEG's size from its SOF0/SOF2 header, independently of any encoder, so tests
// check what a browser would see.
export function jpegDimensions(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0xffd8) throw new Error("not a JPEG: no SOI marker");
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (view.getUint8(offset) !== 0xff) throw new Error(`bad JPEG marker at byte ${offset}`);
    const marker = view.getUint8(offset + 1);
    const segmentLength = view.getUint16(offset + 2);
    if ((marker === 0xc0 || marker === 0xc2) && offset + 9 <= bytes.length) {
      // SOFn payload: precision (1 byte), height (2), width (2)
      return { width: view.getUint16(offset + 7), height: view.getUint16(offset + 5) };
    }
    offset += 2 + segmentLength;
  }
  throw new Error("no SOF0/SOF2 segment found");
}

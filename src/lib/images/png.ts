/**
 * The facts of the PNG format that both PNG readers share (readable.ts checks a small PNG is whole,
 * mask.ts decodes a mask's transparency): its signature, colour types, interlacing and chunk CRC.
 */

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What IHDR says, as both readers need it. */
export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colour: number;
  interlaced: boolean;
}

/** Samples per pixel of each PNG colour type, and the bit depths it allows. */
export const PNG_COLOUR_TYPES = new Map<number, { samples: number; depths: readonly number[] }>([
  [0, { samples: 1, depths: [1, 2, 4, 8, 16] }], // grey
  [2, { samples: 3, depths: [8, 16] }], // RGB
  [3, { samples: 1, depths: [1, 2, 4, 8] }], // palette
  [4, { samples: 2, depths: [8, 16] }], // grey and alpha
  [6, { samples: 4, depths: [8, 16] }], // RGBA
]);

/** Adam7's seven passes: the first column and row of each, and its steps across and down. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

/** The CRC-32 of PNG chunks (ISO 3309), over a chunk's type and data. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

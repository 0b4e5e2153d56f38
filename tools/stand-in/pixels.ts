// The stand-in's pictures as RGBA pixels: a sunset stands for what a model would paint, and the
// inputs of a call leave visible traces on it (a negative prompt's band, the source picture of an
// img2img call, the kept parts of an inpainting), so tests, and people in the playground, can
// tell the kinds of call apart from the picture alone.

/** Decoded pixels, four bytes (RGBA) each, row after row. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

// Few, because each is a fresh encode (~95 ms for a 1024×1024 JPEG): the Worker gives n images
// consecutive seeds, so up to four images of one request always land on different places.
export const SUN_POSITIONS = 4;

/** RGBA pixels: a dusk sky fading into a warm horizon, with a pale sun at one of SUN_POSITIONS places. */
export function sunsetPixels(width: number, height: number, sunPosition: number): Buffer {
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

/** A red "no" stripe: nothing else in a picture is this colour at the top left. */
export const NEGATIVE_MARK_COLOUR: readonly [number, number, number] = [200, 24, 24];
/** Where the stripe runs: the pixels whose x + y lies in this share of the shorter side. */
export const NEGATIVE_MARK_BAND = { from: 0.12, to: 0.2 } as const;

/** The stripe of a negative prompt, diagonally across the top-left corner. */
export function paintNegativeMark(pixels: Uint8Array, width: number, height: number): void {
  const side = Math.min(width, height);
  const from = side * NEGATIVE_MARK_BAND.from;
  const to = side * NEGATIVE_MARK_BAND.to;
  const [red, green, blue] = NEGATIVE_MARK_COLOUR;
  for (let y = 0; y < Math.min(height, to); y++) {
    for (let x = Math.max(0, Math.ceil(from - y)); x < Math.min(width, to - y); x++) {
      const offset = (y * width + x) * 4;
      pixels[offset] = red;
      pixels[offset + 1] = green;
      pixels[offset + 2] = blue;
    }
  }
}

/**
 * img2img and inpainting: `painted` (the sunset) becomes the source scaled to its size, with the
 * sunset laid over it at `strength` (1: the sunset alone, as Workers AI's "1 ignores the source";
 * 0: the source alone). With a mask, the sunset goes only where the mask is white, in proportion
 * to its brightness: black keeps the source (the diffusers convention Workers AI follows).
 */
export function blendSource(painted: Uint8Array, width: number, height: number, blend: SourceBlend): void {
  const { source, mask, strength } = blend;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 4;
      const from = sampleOffset(source, x, y, width, height);
      const weight = mask ? strength * brightness(mask, sampleOffset(mask, x, y, width, height)) : strength;
      for (let channel = 0; channel < 3; channel++) {
        const kept = source.data[from + channel] ?? 0;
        const sunset = painted[offset + channel] ?? 0;
        painted[offset + channel] = Math.round(kept + (sunset - kept) * weight);
      }
    }
  }
}

export interface SourceBlend {
  source: Pixels;
  mask?: Pixels;
  strength: number;
}

/** The offset in `image` of the pixel that lands on (x, y) of a width×height picture (nearest neighbour). */
function sampleOffset(image: Pixels, x: number, y: number, width: number, height: number): number {
  const sourceX = Math.min(image.width - 1, Math.floor((x * image.width) / width));
  const sourceY = Math.min(image.height - 1, Math.floor((y * image.height) / height));
  return (sourceY * image.width + sourceX) * 4;
}

/** 0 (black) … 1 (white); alpha is ignored, as a mask converted to greyscale ignores it. */
function brightness(image: Pixels, offset: number): number {
  const { data } = image;
  return (0.299 * (data[offset] ?? 0) + 0.587 * (data[offset + 1] ?? 0) + 0.114 * (data[offset + 2] ?? 0)) / 255;
}

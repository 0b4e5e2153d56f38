/**
 * Aspect ratios a user writes after the prompt ("a cat 16:9", "--ar 3:2",
 * "一只猫 16：9") and the sizes they stand for.
 */

export interface SizeChoice {
  ratio: string;
  width: number;
  height: number;
}

export const SIZE_TABLE: readonly SizeChoice[] = [
  { ratio: "1:1", width: 1024, height: 1024 },
  { ratio: "1:2", width: 512, height: 1024 },
  { ratio: "3:2", width: 768, height: 512 },
  { ratio: "3:4", width: 768, height: 1024 },
  { ratio: "16:9", width: 1024, height: 576 },
  { ratio: "9:16", width: 576, height: 1024 },
];

export const DEFAULT_SIZE: SizeChoice = { ratio: "1:1", width: 1024, height: 1024 };

export interface ParsedPrompt {
  /** The prompt with the ratio text removed. */
  prompt: string;
  size: SizeChoice;
  /** Whether the user wrote a ratio (an edit without one takes its reference's shape). */
  ratioWritten: boolean;
  /** The ratio as the user wrote it, when it is not in the table and was mapped to `size`. */
  requestedRatio?: string;
}

// A trailing ratio, optionally after --ar / --aspect; ASCII or full-width colon.
const RATIO_SUFFIX = /(?:^|\s)(--(?:ar|aspect)\s*)?(\d{1,3})\s*[:：]\s*(\d{1,3})\s*$/u;

/** Splits a trailing aspect ratio off a prompt and maps it to the nearest supported size. */
export function parseSizeSuffix(text: string): ParsedPrompt {
  const match = RATIO_SUFFIX.exec(text);
  const [, flag, wText = "", hText = ""] = match ?? [];
  // --ar says it is a ratio; a bare "A:B" must look like one, or it stays in the prompt.
  if (!match || (flag === undefined && !isPlausibleRatio(wText, hText)))
    return { prompt: text.trim(), size: DEFAULT_SIZE, ratioWritten: false };
  const w = Number(wText);
  const h = Number(hText);
  const prompt = text.slice(0, match.index).trim();
  if (w === 0 || h === 0) return { prompt, size: DEFAULT_SIZE, ratioWritten: true, requestedRatio: `${w}:${h}` };
  const size = nearestSize(w / h);
  // Compared as proportions, so "32:18" is 16:9 and "2:2" is 1:1, not "an unsupported ratio".
  const exact = SIZE_TABLE.find((choice) => choice.width * h === choice.height * w);
  return exact
    ? { prompt, size: exact, ratioWritten: true }
    : { prompt, size, ratioWritten: true, requestedRatio: `${w}:${h}` };
}

/** Ratios written with a two-digit second number that are screen formats, not the times they could be. */
const RATIOS_NOT_TIMES = new Set(["9:16", "16:10", "10:16"]);

/**
 * Whether "A:B" at the end of a prompt is a ratio rather than part of it ("the meeting at 10:45"):
 * whole numbers from 1 to 32 without a leading zero ("9:05" is a time), at most 4:1 either way, and
 * not a clock time, i.e. not an hour up to 24 with two-digit minutes ("12:30"), except 9:16, 16:10
 * and 10:16. The playground has a copy (public/playground/prompt-ratio.js) that sizes.test.ts holds
 * to this one.
 */
export function isPlausibleRatio(wText: string, hText: string): boolean {
  const written = /^[1-9]\d?$/;
  if (!written.test(wText) || !written.test(hText)) return false;
  const w = Number(wText);
  const h = Number(hText);
  if (w > 32 || h > 32 || w > 4 * h || h > 4 * w) return false;
  const clockTime = w <= 24 && h >= 10;
  return !clockTime || RATIOS_NOT_TIMES.has(`${w}:${h}`);
}

/** The table entry whose ratio is closest to `ratio`, compared on a log scale so 2:1 and 1:2 are equally far from 1:1. */
export function nearestSize(ratio: number): SizeChoice {
  let best = DEFAULT_SIZE;
  let bestDistance = Infinity;
  for (const choice of SIZE_TABLE) {
    const distance = Math.abs(Math.log(ratio) - Math.log(choice.width / choice.height));
    if (distance < bestDistance) {
      best = choice;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The size an edit takes from its first reference image when none was asked for: chat picks the
 * nearest preset (as a written ratio would), the Images API keeps the ratio with the long side 1024
 * (both at `longSide` for a model with another size, e.g. Stable Diffusion 1.5's 768).
 */
export function sizeForReference(
  width: number,
  height: number,
  style: "preset" | "long-side",
  longSide = 1024,
): { width: number; height: number } {
  if (style === "preset") {
    const { width: presetWidth, height: presetHeight } = nearestSize(width / height);
    const scale = longSide / 1024;
    return { width: Math.round(presetWidth * scale), height: Math.round(presetHeight * scale) };
  }
  // Multiples of 16, the step FLUX paints in; it also absorbs the rounding of a shrunk reference's size.
  const scale = longSide / Math.max(width, height);
  const toSixteen = (edge: number) => Math.max(16, Math.round((edge * scale) / 16) * 16);
  return { width: toSixteen(width), height: toSixteen(height) };
}

/**
 * Parses an OpenAI `size` ("1024x576"); undefined when absent or "auto". Any positive size is a size
 * (an out-of-range one is scaled into the model's range later, keeping its ratio where it can).
 */
export function parseSizeParameter(size: string | undefined): { width: number; height: number } | undefined {
  if (size === undefined || size === "auto") return undefined;
  const match = /^([1-9]\d{0,5})\s*[x×]\s*([1-9]\d{0,5})$/i.exec(size.trim());
  if (!match) return undefined;
  return { width: Number(match[1]), height: Number(match[2]) };
}

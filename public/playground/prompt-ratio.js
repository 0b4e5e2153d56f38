// @ts-check
/**
 * The ratio a prompt already ends in, read as the chat endpoint reads it, so
 * that the page sends no ratio of its own after it: the Worker reads only the
 * last one, and "a second picture 9:16" with 1:1 picked would otherwise be
 * drawn square with "9:16" among its words. The rule is the Worker's
 * (isPlausibleRatio in src/lib/generation/sizes.ts); this page is static files
 * and cannot import it, so test/worker/sizes.test.ts checks that both copies
 * agree. For a request that goes to the Images API, which takes a size and
 * no ratio, the ratio is turned into the size chat would have painted.
 */

/** Characters with no width, which the Worker's clean-up removes (cleanPrompt in prompt.ts). */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** The Worker takes `--seed N` out wherever it stands before it looks for a ratio (seeds.ts). */
const SEED_FLAG = /(?:^|\s)--seed(?:\s+|=)(\S+)(?=\s|$)/u;
/** A trailing ratio, optionally after --ar / --aspect; ASCII or full-width colon. */
const RATIO_SUFFIX = /(?:^|\s)(--(?:ar|aspect)\s*)?(\d{1,3})\s*[:：]\s*(\d{1,3})\s*$/u;
/** Ratios written with a two-digit second number that are screen formats, not the times they could be. */
const RATIOS_NOT_TIMES = new Set(["9:16", "16:10", "10:16"]);

/**
 * @param {string} prompt as typed
 * @returns {string | undefined} the ratio it ends in, e.g. "9:16"; undefined when it ends in none
 */
export function promptRatio(prompt) {
  // The Worker drops characters that have no width before it looks (a ZWSP after "16:9" is not seen).
  const visible = prompt.replace(INVISIBLE, "");
  const match = RATIO_SUFFIX.exec(visible.replace(SEED_FLAG, " "));
  const [, flag, width = "", height = ""] = match ?? [];
  // --ar says it is a ratio; a bare "A:B" must look like one, or it is part of the prompt ("at 10:45").
  if (!match || (flag === undefined && !isPlausibleRatio(width, height))) return undefined;
  return `${Number(width)}:${Number(height)}`;
}

/**
 * Whole numbers from 1 to 32 without a leading zero ("9:05" is a time), at most 4:1 either way, and
 * not an hour up to 24 with two-digit minutes ("12:30"), except 9:16, 16:10 and 10:16.
 * @param {string} width as written
 * @param {string} height as written
 */
function isPlausibleRatio(width, height) {
  const written = /^[1-9]\d?$/;
  if (!written.test(width) || !written.test(height)) return false;
  const w = Number(width);
  const h = Number(height);
  if (w > 32 || h > 32 || w > 4 * h || h > 4 * w) return false;
  const clockTime = w <= 24 && h >= 10;
  return !clockTime || RATIOS_NOT_TIMES.has(`${w}:${h}`);
}

/**
 * The prompt without the ratio it ends in, for the Images API, which reads no ratio from the words
 * (it takes a size): "a cat 16:9" is "a cat". A ratio hidden behind a `--seed` flag stays.
 * @param {string} prompt
 * @returns {string}
 */
export function withoutRatio(prompt) {
  if (promptRatio(prompt) === undefined) return prompt;
  const visible = prompt.replace(INVISIBLE, "");
  const match = RATIO_SUFFIX.exec(visible);
  return match ? visible.slice(0, match.index).trim() : prompt;
}

/** The sizes the chat endpoint paints its preset ratios at (SIZE_TABLE in src/lib/generation/sizes.ts). */
const PRESET_SIZES = [
  [1024, 1024],
  [512, 1024],
  [768, 512],
  [768, 1024],
  [1024, 576],
  [576, 1024],
];

/**
 * The size the chat endpoint would paint a ratio at with this model, for a request that goes to the
 * Images API instead (which takes a size, not a ratio): a preset as chat paints it, scaled to the
 * model's long side (Stable Diffusion 1.5's 768), any other ratio at the long side in multiples of 16.
 * @param {string} ratio e.g. "16:9"
 * @param {import("./models.js").Capabilities["sizes"]} sizes the model's
 * @returns {string} "WxH"; "" for a model with one size, or a ratio that is none ("0:9")
 */
export function ratioSize(ratio, sizes) {
  const [w = 0, h = 0] = ratio.split(":").map(Number);
  if ("fixed" in sizes || !(w > 0 && h > 0)) return "";
  const preset = PRESET_SIZES.find(([width = 0, height = 0]) => width * h === height * w);
  const { longSide, multipleOf } = sizes;
  const toSixteen = (/** @type {number} */ edge) => Math.max(16, Math.round(edge / 16) * 16);
  const [width, height] = preset
    ? preset.map((edge) => (edge * longSide) / 1024)
    : w >= h
      ? [longSide, toSixteen((longSide * h) / w)]
      : [toSixteen((longSide * w) / h), longSide];
  const step = Math.max(1, multipleOf);
  const fit = (/** @type {number} */ edge) => Math.max(step, Math.round(edge / step) * step);
  return `${fit(width ?? longSide)}x${fit(height ?? longSide)}`;
}

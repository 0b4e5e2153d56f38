// @ts-check
/**
 * What pictures cost, in Workers AI's unit (neurons) and in dollars: read from
 * the API's `cost` fields, said the way the page says it ("104.2 neurons
 * (≈ $0.0011)"), and estimated before generating from a model's price of a
 * 1024×1024 picture (GET /v1/models). The page cannot know a model's price
 * formula, so the estimate scales that price by the picture's 512×512 tiles,
 * which is how most of them charge; it says "≈" and "estimate" for that reason.
 */
import { isRecord, numberAt } from "./json.js";

/**
 * Workers AI's price, $0.011 per 1,000 neurons (USD_PER_NEURON in src/lib/generation/cost.ts): for
 * GET /v1/jobs, whose entries give neurons and no dollars.
 */
const USD_PER_NEURON = 0.011 / 1000;
/** A 1024×1024 picture is four tiles of 512×512: the size `price_1024x1024` is for. */
const TILES_AT_1024 = 4;
/** Numbers as the page writes them: "1,895.8". */
const NEURONS = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
/** Cents and fractions of them: two significant digits, as the chat reply gives them ("$0.0011"). */
const DOLLARS = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 2 });
/** Between a number and its unit, and after "≈": a line never breaks there ("(≈" / "$0.0011)" did on a phone). */
export const KEEP = "\u00a0";

/**
 * What a picture or a request cost: null neurons for a model with no published price that reported
 * none; `estimated` when (part of) the figure is the model's price formula, not what Workers AI reported.
 * @typedef {{ neurons: number | null, usd: number | null, estimated: boolean }} Cost
 */

/**
 * A model's price of one 1024×1024 picture at its default steps; null when it has no published price.
 * @typedef {{ neurons: number, usd: number } | null} Price
 */

/**
 * @param {unknown} value an answer's `cost`
 * @returns {Cost | undefined} undefined when it is not one
 */
export function readCost(value) {
  if (!isRecord(value) || typeof value.estimated !== "boolean") return undefined;
  const neurons = value.neurons === null ? null : numberAt(value, "neurons");
  const usd = value.usd === null ? null : numberAt(value, "usd");
  if (neurons === undefined || usd === undefined) return undefined;
  return { neurons, usd, estimated: value.estimated };
}

/**
 * The cost of a job as GET /v1/jobs lists it: neurons only, and whether they are an estimate.
 * @param {unknown} job one entry of the list
 * @returns {Cost | undefined}
 */
export function listedCost(job) {
  if (!isRecord(job) || typeof job.estimated !== "boolean") return undefined;
  if (job.neurons === null) return { neurons: null, usd: null, estimated: job.estimated };
  const neurons = numberAt(job, "neurons");
  if (neurons === undefined) return undefined;
  return { neurons, usd: Math.round(neurons * USD_PER_NEURON * 1e6) / 1e6, estimated: job.estimated };
}

/**
 * @param {unknown} value a model's `capabilities.price_1024x1024`
 * @returns {Price | undefined} undefined when the list says nothing of it (an older service)
 */
export function readPrice(value) {
  if (value === null) return null;
  const neurons = numberAt(value, "neurons");
  const usd = numberAt(value, "usd");
  return neurons === undefined || usd === undefined ? undefined : { neurons, usd };
}

/** @param {number} neurons */
export function neuronsText(neurons) {
  return `${NEURONS.format(neurons)}${KEEP}neuron${neurons === 1 ? "" : "s"}`;
}

/** @param {number} usd */
export function dollarsText(usd) {
  return `≈${KEEP}$${DOLLARS.format(usd)}`;
}

/** @param {number} neurons a number of them, without the word */
export function neuronFigure(neurons) {
  return NEURONS.format(neurons);
}

/**
 * @param {number} neurons
 * @param {number | null} usd
 * @returns {string} "104.2 neurons (≈ $0.0011)"
 */
function amount(neurons, usd) {
  return usd === null ? neuronsText(neurons) : `${neuronsText(neurons)} (${dollarsText(usd)})`;
}

/**
 * @param {Cost} cost
 * @returns {string} what it cost, e.g. "104.2 neurons (≈ $0.0011)", ", estimated" when it is the price
 *   formula's figure; "no published price" when the model has none and Workers AI reported nothing
 */
export function costText(cost) {
  if (cost.neurons === null) return "no published price";
  return `${amount(cost.neurons, cost.usd)}${cost.estimated ? ", estimated" : ""}`;
}

/**
 * @param {number} width
 * @param {number} height
 * @returns {number} how many 512×512 tiles a picture of that size covers
 */
export function tiles(width, height) {
  return Math.ceil(width / 512) * Math.ceil(height / 512);
}

/**
 * What `count` pictures of `width`×`height` should cost with a model of this price: its 1024×1024
 * price scaled by tiles. Not exact (each model has its own formula, and steps count for some).
 * @param {Price} price
 * @param {number} width
 * @param {number} height
 * @param {number} count
 * @returns {{ neurons: number, usd: number } | null} null when the model has no published price
 */
export function estimate(price, width, height, count) {
  if (price === null) return null;
  const scale = (tiles(width, height) / TILES_AT_1024) * count;
  return { neurons: Math.round(price.neurons * scale * 100) / 100, usd: price.usd * scale };
}

/**
 * @param {{ neurons: number, usd: number }} figure
 * @returns {string} "≈ 104.2 neurons (≈ $0.0011)"
 */
export function estimateText(figure) {
  return `≈${KEEP}${amount(figure.neurons, figure.usd)}`;
}

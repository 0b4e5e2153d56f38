// @ts-check
/**
 * The models the service offers (GET /v1/models) and what each takes. The
 * list names every model twice, as a chat model (its full id) and as an image
 * model (its short name, `sdxl`), both with the same `capabilities`; the page
 * keeps one entry per model with both names. The capabilities decide which
 * settings the form shows (model-options.js) and whether the mask brush is
 * offered (mask.js).
 */
import { readPrice } from "./cost.js";
import { asArray, isRecord, numberAt, stringAt } from "./json.js";

/** @typedef {{ min: number, max: number, default: number }} Range */

/**
 * What a model takes, read from its `capabilities`.
 * @typedef {object} Capabilities
 * @property {{ min: number, max: number, multipleOf: number, longSide: number } | { fixed: string }} sizes
 *   the range each edge may take, or the one size it paints
 * @property {boolean} seed
 * @property {boolean} negativePrompt
 * @property {Range | null} steps
 * @property {Range | null} guidance
 * @property {Range | null} strength
 * @property {number} referenceImages how many images it combines (FLUX.2's 4), 0 for none
 * @property {boolean} imageToImage it redraws exactly one picture (sd-img2img)
 * @property {boolean} inpainting it repaints where a mask says, in one picture (sd-inpainting)
 * @property {import("./cost.js").Price | undefined} price what a 1024×1024 picture costs at its default
 *   steps; null: no published price; undefined: the list does not say
 */

/**
 * @typedef {object} ModelInfo
 * @property {string} id the full id, e.g. "@cf/stabilityai/stable-diffusion-xl-base-1.0": the picker's value
 * @property {string} short the short name, e.g. "sdxl": what the page shows and the Images API answers with
 * @property {string} name as its maker writes it, e.g. "Stable Diffusion XL 1.0"
 * @property {string} owner e.g. "stabilityai"
 * @property {string} description what it is good for
 * @property {Capabilities} capabilities
 */

/** The sizes FLUX.2 takes, for a model whose list entry gives none (and the server's default model). */
export const DEFAULT_SIZES = { min: 256, max: 1920, multipleOf: 1, longSide: 1024 };

/**
 * What a model the list says nothing about is taken to take: a size and a seed (what every
 * model took before the list described them), and none of the newer settings.
 * @type {Capabilities}
 */
const UNDESCRIBED = {
  sizes: DEFAULT_SIZES,
  seed: true,
  negativePrompt: false,
  steps: null,
  guidance: null,
  strength: null,
  referenceImages: 0,
  imageToImage: false,
  inpainting: false,
  price: undefined,
};

/** @type {ModelInfo[]} */
let known = [];

/**
 * @param {unknown} body the answer of GET /v1/models
 * @returns {ModelInfo[]} one entry per model, in the list's order
 */
export function readModelList(body) {
  const data = asArray(isRecord(body) ? body.data : undefined);
  const imageEntries = data.filter((entry) => stringAt(entry, "type") === "image");
  return data.flatMap((entry) => {
    const id = stringAt(entry, "id");
    if (id === undefined || stringAt(entry, "type") === "image") return [];
    const name = stringAt(entry, "displayName") ?? id;
    // The image entry of the same model: the same display name.
    const image = imageEntries.find((other) => stringAt(other, "displayName") === name);
    const capabilities = isRecord(entry) ? entry.capabilities : undefined;
    return [
      {
        id,
        short: stringAt(image, "id") ?? id.slice(id.lastIndexOf("/") + 1),
        name,
        owner: stringAt(entry, "owned_by") ?? "",
        description: stringAt(entry, "description") ?? "",
        capabilities: isRecord(capabilities) ? readCapabilities(capabilities) : UNDESCRIBED,
      },
    ];
  });
}

/**
 * @param {Record<string, unknown>} raw a model's `capabilities`
 * @returns {Capabilities}
 */
function readCapabilities(raw) {
  const sizes = raw.sizes;
  const fixed = stringAt(sizes, "fixed");
  // The default size is the model's square: its long side, where a ratio is painted.
  const longSide = Number((stringAt(sizes, "default") ?? "").split("x")[0]) || DEFAULT_SIZES.longSide;
  return {
    sizes:
      fixed !== undefined
        ? { fixed }
        : {
            min: numberAt(sizes, "min") ?? DEFAULT_SIZES.min,
            max: numberAt(sizes, "max") ?? DEFAULT_SIZES.max,
            multipleOf: numberAt(sizes, "multiple_of") ?? 1,
            longSide,
          },
    seed: raw.seed !== false,
    negativePrompt: raw.negative_prompt === true,
    steps: readRange(raw.steps),
    guidance: readRange(raw.guidance),
    strength: readRange(raw.strength),
    referenceImages: numberAt(raw, "reference_images") ?? 0,
    imageToImage: raw.image_to_image === true,
    inpainting: raw.inpainting === true,
    price: readPrice(raw.price_1024x1024),
  };
}

/**
 * @param {unknown} value `{ min, max, default }`, or null for a setting the model does not take
 * @returns {Range | null}
 */
function readRange(value) {
  const min = numberAt(value, "min");
  const max = numberAt(value, "max");
  const fallback = numberAt(value, "default");
  if (min === undefined || max === undefined) return null;
  return { min, max, default: fallback ?? min };
}

/** @param {ModelInfo[]} models the list the picker now offers */
export function rememberModels(models) {
  known = models;
}

/**
 * @param {string} id a full id, a short name, or "" for the server's default
 * @returns {ModelInfo | undefined} undefined for the server's default and for a model the list did not name
 */
export function findModel(id) {
  if (id === "") return undefined;
  return known.find((model) => model.id === id || model.short === id);
}

/**
 * @param {string} id a model as an answer names it (full id or short name)
 * @returns {string} the name people know it by: its short name ("sdxl"), or the id's last part
 */
export function modelLabel(id) {
  return findModel(id)?.short ?? id.slice(id.lastIndexOf("/") + 1);
}

/**
 * The kinds of work the picker groups models by.
 * @param {ModelInfo} model
 * @returns {string} its group's label
 */
export function modelGroup(model) {
  const { capabilities } = model;
  if (capabilities.imageToImage || capabilities.inpainting) return "Change one picture";
  if (capabilities.referenceImages > 0) return "New pictures and edits";
  return "New pictures";
}

// @ts-check
/**
 * The chosen model's settings beyond the prompt and the size: a negative
 * prompt, steps, guidance and strength, each shown only when the model takes
 * it (its `capabilities` in GET /v1/models), with the model's range beside it
 * and its default as the placeholder. A hidden setting is neither checked nor
 * sent, so a value typed for one model never reaches another that would
 * refuse it. The same goes for the seed and the exact size of a model that
 * takes neither (flux-1-schnell).
 */
import { ui } from "./view.js";

/**
 * The settings the form sends, only those given and taken by the model.
 * @typedef {{ negativePrompt?: string, steps?: number, guidance?: number, strength?: number }} ModelOptions
 */

/** @typedef {import("./models.js").ModelInfo} ModelInfo */
/** @typedef {"steps" | "guidance" | "strength"} NumberSetting */

/** The numeric settings: their inputs, and how a value must look. */
const NUMBER_SETTINGS = /** @type {const} */ ([
  { name: "steps", label: "Steps", whole: true },
  { name: "guidance", label: "Guidance", whole: false },
  { name: "strength", label: "Strength", whole: false },
]);

/**
 * @param {NumberSetting} name
 * @returns {{ field: HTMLElement, input: HTMLInputElement, range: HTMLElement }}
 */
function elementsOf(name) {
  if (name === "steps") return { field: ui.stepsField, input: ui.steps, range: ui.stepsRange };
  if (name === "guidance") return { field: ui.guidanceField, input: ui.guidance, range: ui.guidanceRange };
  return { field: ui.strengthField, input: ui.strength, range: ui.strengthRange };
}

/**
 * Shows the settings the model takes and hides the others. The server's default model is not
 * known to the page: it gets none of them (and keeps the seed and the exact size, as before).
 * @param {ModelInfo | undefined} model
 */
export function showModelOptions(model) {
  const capabilities = model?.capabilities;
  ui.negativeField.hidden = capabilities?.negativePrompt !== true;
  for (const { name } of NUMBER_SETTINGS) {
    const range = capabilities?.[name] ?? null;
    const { field, input, range: rangeText } = elementsOf(name);
    field.hidden = range === null;
    if (range === null) continue;
    input.min = String(range.min);
    input.max = String(range.max);
    input.placeholder = String(range.default);
    rangeText.textContent = `${range.min}–${range.max}`;
  }
  ui.modelOptions.hidden =
    ui.negativeField.hidden && NUMBER_SETTINGS.every(({ name }) => elementsOf(name).field.hidden);

  const sizes = capabilities?.sizes;
  const fixed = sizes !== undefined && "fixed" in sizes ? sizes.fixed : undefined;
  const noSeed = capabilities?.seed === false;
  for (const input of [ui.width, ui.height]) {
    setShown(input, fixed === undefined);
    if (sizes !== undefined && !("fixed" in sizes)) {
      input.min = String(sizes.min);
      input.max = String(sizes.max);
    }
  }
  setShown(ui.seed, !noSeed);
  const limits = [
    ...(fixed === undefined ? [] : [`always paints ${fixed.replace("x", "×")}`]),
    ...(noSeed ? ["takes no seed"] : []),
  ];
  ui.modelLimits.hidden = limits.length === 0;
  ui.modelLimits.textContent = model && limits.length > 0 ? `${model.short} ${limits.join(" and ")}.` : "";
}

/**
 * @param {HTMLInputElement} input
 * @param {boolean} shown
 */
function setShown(input, shown) {
  input.hidden = !shown;
  for (const label of input.labels ?? []) label.hidden = !shown;
}

/**
 * @param {HTMLInputElement} input
 * @returns {boolean} whether the form sends it: hidden fields are the chosen model's "not taken"
 */
export function isSent(input) {
  return !input.hidden;
}

/**
 * The settings shown and filled in, checked against the model's ranges.
 * @param {ModelInfo | undefined} model
 * @returns {ModelOptions | string} the settings, or what is wrong with one of them
 */
export function readModelOptions(model) {
  const capabilities = model?.capabilities;
  if (!model || !capabilities) return {};
  /** @type {ModelOptions} */
  const options = {};
  const negative = ui.negativePrompt.value.trim();
  if (capabilities.negativePrompt && negative !== "") options.negativePrompt = negative;
  for (const { name, label, whole } of NUMBER_SETTINGS) {
    const range = capabilities[name];
    const { input } = elementsOf(name);
    if (range === null) continue;
    const kind = whole ? "a whole number" : "a number";
    const rule = `${label} for ${model.short} is ${kind} from ${range.min} to ${range.max}.`;
    // A number input's value is "" both when empty and when what was typed is no number.
    if (input.validity.badInput) return rule;
    if (input.value.trim() === "") continue;
    const value = Number(input.value);
    if (!Number.isFinite(value) || value < range.min || value > range.max || (whole && !Number.isInteger(value)))
      return rule;
    options[name] = value;
  }
  return options;
}

/**
 * @param {ModelOptions} options
 * @returns {boolean} whether any setting is given (the request then goes to the Images API)
 */
export function hasModelOptions(options) {
  return Object.values(options).some((value) => value !== undefined);
}

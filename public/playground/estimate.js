// @ts-check
/**
 * Above Generate: what the request should cost with the chosen model, at the
 * size it will ask for and for as many pictures, before anything is sent.
 * From the model's price of a 1024×1024 picture (GET /v1/models), scaled by
 * 512×512 tiles (cost.js says why that is an estimate); shown again whenever
 * the model, the size, the prompt's own ratio, the number of pictures or the
 * attached images change.
 */
import { watchAttachments } from "./attachments.js";
import { estimate, estimateText, KEEP } from "./cost.js";
import { isSent } from "./model-options.js";
import { findModel } from "./models.js";
import { promptRatio, ratioSize } from "./prompt-ratio.js";
import { chosenRatio, ui } from "./view.js";

let attachedCount = 0;

/**
 * @param {string} size "WxH"
 * @returns {{ width: number, height: number } | undefined}
 */
function parseSize(size) {
  const match = /^(\d+)x(\d+)$/.exec(size);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

/**
 * The size the request will ask for, as generate.js sends it: the exact size when both edges are
 * set, else the model's one size, else the ratio (the prompt's own first) at the model's size for
 * it; with none, the model's square (an edit takes image 0's shape: counted as that square).
 * @param {import("./models.js").Capabilities["sizes"]} sizes the model's
 * @returns {{ width: number, height: number, shape: string }} shape: how the line names it
 */
function plannedSize(sizes) {
  if ("fixed" in sizes) {
    const fixed = parseSize(sizes.fixed) ?? { width: 1024, height: 1024 };
    return { ...fixed, shape: `of ${sizes.fixed.replace("x", "×")}` };
  }
  const exact = isSent(ui.width) ? parseSize(`${ui.width.value.trim()}x${ui.height.value.trim()}`) : undefined;
  const ratio = promptRatio(ui.prompt.value) ?? chosenRatio();
  const size = exact ?? (ratio === "" ? undefined : parseSize(ratioSize(ratio, sizes)));
  if (size) return { ...size, shape: `of ${size.width}×${size.height}` };
  const square = { width: sizes.longSide, height: sizes.longSide };
  const edge = `${sizes.longSide}×${sizes.longSide}`;
  return { ...square, shape: attachedCount > 0 ? `in image 0's shape (counted as ${edge})` : `of ${edge}` };
}

/**
 * @param {import("./models.js").ModelInfo} model
 * @returns {boolean} whether the form asks for other steps than the model's default
 */
function stepsChanged(model) {
  const steps = model.capabilities.steps;
  const value = ui.steps.value.trim();
  return steps !== null && value !== "" && Number(value) !== steps.default;
}

/** Shows the estimate for what the form asks now. */
export function showEstimate() {
  const model = findModel(ui.model.value);
  const price = model?.capabilities.price;
  if (!model) {
    // The server's default model is not named to the page: there is no price to go by.
    ui.estimate.hidden = ui.model.options.length <= 1; // no models listed yet: no key
    ui.estimate.textContent = "Estimate: pick a model to see what its pictures cost.";
    return;
  }
  ui.estimate.hidden = price === undefined; // an older service lists no prices
  if (price === undefined) return;
  if (price === null) {
    ui.estimate.textContent = `Estimate: no published price for ${model.short}; its cost is known once it is made.`;
    return;
  }
  const count = Number(ui.count.value) || 1;
  const { width, height, shape } = plannedSize(model.capabilities.sizes);
  const figure = estimate(price, width, height, count);
  if (!figure) return;
  const notes = [
    // Steps count in some models' prices; the price listed is at the default steps.
    ...(stepsChanged(model) ? [`at the default ${model.capabilities.steps?.default} steps`] : []),
    ...(attachedCount > 0 && model.capabilities.referenceImages > 0 ? ["plus the attached images"] : []),
  ];
  const pictures = `${count}${KEEP}picture${count === 1 ? "" : "s"} ${shape}`;
  ui.estimate.textContent = `Estimate: ${estimateText(figure)} for ${pictures}${notes.map((note) => `, ${note}`).join("")}`;
}

/** Follows what the estimate depends on. */
export function listenForEstimate() {
  for (const field of [ui.prompt, ui.width, ui.height, ui.steps]) field.addEventListener("input", showEstimate);
  ui.count.addEventListener("change", showEstimate); // a new model: main.js shows it again, after its fields
  ui.sizeField.addEventListener("change", showEstimate);
  watchAttachments((attachments) => {
    attachedCount = attachments.length;
    showEstimate();
  });
}

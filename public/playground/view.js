// @ts-check
/**
 * What the visitor sees: the page's elements, the key's status, the model
 * picker, and a run's state, progress, result and errors. Every text that
 * came from the API goes in with textContent, never as HTML.
 */
import { costText } from "./cost.js";
import { findModel, modelGroup } from "./models.js";

/** The model help when no model is picked. */
const SERVER_DEFAULT_HELP = "Sends no model: the service paints with its own default. Pick one to see what it takes.";
/** Below this width the result panel sits under the form (see playground.css). */
const ONE_COLUMN_QUERY = "(max-width: 879px)";

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  // The page and its scripts ship together: a missing element is a bug to see at once, not later.
  if (!(element instanceof type)) throw new Error(`The page has no ${type.name} #${id}.`);
  return element;
}

export const ui = {
  offlineNotice: byId("offline-notice", HTMLElement),
  baseUrl: byId("base-url", HTMLElement),
  form: byId("generate-form", HTMLFormElement),
  apiKey: byId("api-key", HTMLInputElement),
  toggleKey: byId("toggle-key", HTMLButtonElement),
  keyStatus: byId("key-status", HTMLElement),
  usage: byId("usage", HTMLElement),
  prompt: byId("prompt", HTMLTextAreaElement),
  promptField: byId("prompt-field", HTMLElement),
  attach: byId("attach", HTMLButtonElement),
  attachInput: byId("attach-input", HTMLInputElement),
  attachments: byId("attachments", HTMLOListElement),
  attachStatus: byId("attach-status", HTMLElement),
  sizeField: byId("size-field", HTMLFieldSetElement),
  sizeNote: byId("size-note", HTMLElement),
  model: byId("model", HTMLSelectElement),
  modelHelp: byId("model-help", HTMLElement),
  modelOptions: byId("model-options", HTMLFieldSetElement),
  negativeField: byId("negative-field", HTMLElement),
  negativePrompt: byId("negative-prompt", HTMLTextAreaElement),
  stepsField: byId("steps-field", HTMLElement),
  steps: byId("steps", HTMLInputElement),
  stepsRange: byId("steps-range", HTMLElement),
  guidanceField: byId("guidance-field", HTMLElement),
  guidance: byId("guidance", HTMLInputElement),
  guidanceRange: byId("guidance-range", HTMLElement),
  strengthField: byId("strength-field", HTMLElement),
  strength: byId("strength", HTMLInputElement),
  strengthRange: byId("strength-range", HTMLElement),
  maskField: byId("mask-field", HTMLFieldSetElement),
  maskEditor: byId("mask-editor", HTMLElement),
  maskImage: byId("mask-image", HTMLImageElement),
  maskCanvas: byId("mask-canvas", HTMLCanvasElement),
  brushSize: byId("brush-size", HTMLInputElement),
  clearMask: byId("clear-mask", HTMLButtonElement),
  maskStatus: byId("mask-status", HTMLElement),
  width: byId("width", HTMLInputElement),
  height: byId("height", HTMLInputElement),
  count: byId("count", HTMLSelectElement),
  seed: byId("seed", HTMLInputElement),
  modelLimits: byId("model-limits", HTMLElement),
  estimate: byId("estimate", HTMLElement),
  generate: byId("generate", HTMLButtonElement),
  state: byId("job-state", HTMLElement),
  error: byId("error", HTMLElement),
  progress: byId("progress", HTMLOListElement),
  stage: byId("stage", HTMLElement),
  result: byId("result", HTMLElement),
  resultImage: byId("result-image", HTMLImageElement),
  resultMore: byId("result-more", HTMLUListElement),
  reply: byId("reply", HTMLUListElement),
  download: byId("download", HTMLAnchorElement),
  editResult: byId("edit-result", HTMLButtonElement),
  gallery: byId("gallery", HTMLUListElement),
  galleryEmpty: byId("gallery-empty", HTMLElement),
  galleryMore: byId("gallery-more", HTMLButtonElement),
};

/**
 * @param {"" | "ok" | "bad"} kind
 * @param {string} text
 */
export function setKeyStatus(kind, text) {
  ui.keyStatus.className = kind === "" ? "hint" : `hint ${kind}`;
  ui.keyStatus.textContent = text;
  ui.apiKey.setAttribute("aria-invalid", kind === "bad" ? "true" : "false");
}

/**
 * Fills the model picker: "Server default" first (it sends no model, so the operator's FLUX_MODEL
 * applies), then every model under the kind of work it does, by its short name.
 * @param {import("./models.js").ModelInfo[]} models
 */
export function fillModels(models) {
  const chosen = ui.model.value;
  /** @type {Map<string, HTMLOptGroupElement>} */
  const groups = new Map();
  for (const model of models) {
    const label = modelGroup(model);
    let group = groups.get(label);
    if (!group) {
      group = document.createElement("optgroup");
      group.label = label;
      groups.set(label, group);
    }
    const option = new Option(model.short, model.id);
    option.title = model.name;
    group.append(option);
  }
  ui.model.replaceChildren(new Option("Server default", ""), ...groups.values());
  if (models.some((model) => model.id === chosen)) ui.model.value = chosen;
  showModelHelp();
}

/** Under the picker: what the chosen model is and what it is good for. */
export function showModelHelp() {
  const model = findModel(ui.model.value);
  if (!model) {
    ui.modelHelp.textContent = SERVER_DEFAULT_HELP;
    return;
  }
  const { capabilities } = model;
  const images = capabilities.inpainting
    ? " Attach the picture, then paint over what to repaint."
    : capabilities.imageToImage
      ? " Attach the picture to redraw."
      : "";
  const by = model.owner === "" ? "" : ` (${model.owner})`;
  const what = model.description === "" ? "" : `: ${model.description}`;
  ui.modelHelp.textContent = `${model.name}${by}${what}.${images}`;
}

/** @returns {string} the ratio picked in the size picker; "" for Auto (none sent) */
export function chosenRatio() {
  const checked = ui.form.querySelector("input[name=size]:checked");
  return checked instanceof HTMLInputElement ? checked.value : "";
}

/** @param {string} ratio */
export function chooseRatio(ratio) {
  for (const option of ui.form.querySelectorAll("input[name=size]")) {
    if (option instanceof HTMLInputElement) option.checked = option.value === ratio;
  }
}

/**
 * Says, under the size picker, when something else decides the size: an exact size set under
 * "Exact size, several pictures, seed", else a ratio the prompt ends in.
 * @param {string | undefined} ratio the ratio the prompt ends in, if any
 * @param {string} [exactSize] "WxH" when both width and height are set
 */
export function showPromptRatio(ratio, exactSize = "") {
  const text =
    exactSize !== ""
      ? `An exact size is set below (${exactSize.replace("x", "×")}): it is used, not the size picked here.`
      : ratio === undefined
        ? ""
        : `The prompt ends in ${ratio}: that ratio is used, not the size picked here.`;
  ui.sizeField.classList.toggle("overridden", text !== "");
  ui.sizeNote.hidden = text === "";
  ui.sizeNote.textContent = text;
}

/**
 * @param {"" | "working" | "done" | "failed"} kind
 * @param {string} text
 */
function setState(kind, text) {
  ui.state.className = kind === "" ? "badge" : `badge ${kind}`;
  ui.state.textContent = text;
}

/** @param {string} text */
export function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

/** @param {import("./storage.js").ProgressLine} line */
export function showProgressLine(line) {
  const item = document.createElement("li");
  const time = document.createElement("time");
  const when = new Date(line.at);
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const text = document.createElement("span");
  text.append(...withModelIds(line.text));
  item.append(time, text);
  ui.progress.append(item);
}

/**
 * A progress line as text, with each model id in an element of its own that the line wraps around
 * rather than through ("@cf/…/flux-2-klein-4b…" broke as "flux-2-klein-" / "4b" on a phone), and
 * the line's closing ellipsis outside it, so the id does not look cut short.
 * @param {string} text
 * @returns {(string | HTMLElement)[]}
 */
function withModelIds(text) {
  return text.split(/(@cf\/[^\s…]+)/).map((part, index) => {
    if (index % 2 === 0) return part;
    // Breakable after a slash only: each segment ("flux-2-klein-4b") stays whole on a narrow screen.
    const id = document.createElement("span");
    id.className = "id";
    for (const segment of part.split(/(?<=\/)/)) {
      const piece = document.createElement("span");
      piece.textContent = segment;
      id.append(piece, document.createElement("wbr"));
    }
    return id;
  });
}

/** @param {import("./storage.js").ProgressLine[]} lines shown again, e.g. after a reload */
export function showRunStarted(lines) {
  ui.error.hidden = true;
  ui.result.hidden = true;
  ui.stage.hidden = false;
  ui.stage.textContent = "Working on it…";
  ui.progress.replaceChildren();
  for (const line of lines) showProgressLine(line);
  ui.generate.disabled = true;
  ui.generate.textContent = "Generating…";
  // On a phone the result panel sits below the form: bring it into view.
  if (window.matchMedia(ONE_COLUMN_QUERY).matches) ui.state.closest("section")?.scrollIntoView({ block: "start" });
  setState("working", "Generating");
}

function showRunEnded() {
  ui.generate.disabled = false;
  ui.generate.textContent = "Generate";
}

/** @param {string} text why, in the visitor's terms */
export function showRunFailed(text) {
  ui.stage.textContent = "No image this time.";
  setState("failed", "Failed");
  showError(text);
  showRunEnded();
}

/**
 * A picture of the result, with what it cost.
 * @typedef {{ url: string, cost?: import("./cost.js").Cost }} ShownPicture
 */

/**
 * @param {string} prompt
 * @param {ShownPicture & { details: string[], seed?: import("./storage.js").Seed }} image details: the reply's
 *   lines (prompt used, size, model); the seed and the cost come from the job's result
 * @param {ShownPicture[]} [others] the request's other pictures, shown smaller below it, each with its cost
 * @param {import("./cost.js").Cost} [total] what the whole request cost, when it made several
 */
export function showRunSucceeded(prompt, image, others = [], total) {
  ui.resultMore.replaceChildren(
    ...others.map(({ url, cost }) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      const picture = document.createElement("img");
      picture.src = url;
      picture.alt = prompt;
      link.append(picture);
      item.append(link);
      if (cost !== undefined) {
        const line = document.createElement("span");
        line.className = "cost";
        line.textContent = costText(cost);
        item.append(line);
      }
      return item;
    }),
  );
  ui.resultMore.hidden = others.length === 0;
  ui.resultImage.src = image.url;
  ui.resultImage.alt = prompt;
  ui.download.href = image.url;
  ui.download.download = downloadName(prompt);
  const lines = image.details.map((text) => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  });
  const seed = seedText(image.seed);
  if (seed !== undefined) lines.push(seedLine(seed, image.seed));
  if (image.cost !== undefined) lines.push(costItem(`Cost: ${costText(image.cost)}`));
  if (total !== undefined) lines.push(costItem(`All ${others.length + 1} pictures: ${costText(total)}`));
  ui.reply.replaceChildren(...lines);
  ui.stage.hidden = true;
  ui.result.hidden = false;
  setState("done", "Done");
  showRunEnded();
}

/**
 * @param {string} text
 * @returns {HTMLLIElement}
 */
function costItem(text) {
  const item = document.createElement("li");
  item.className = "cost";
  item.textContent = text;
  return item;
}

/**
 * @param {import("./storage.js").Seed | undefined} seed
 * @returns {string | undefined} how the page states it; undefined when it is not known
 */
export function seedText(seed) {
  if (seed === undefined) return undefined;
  return seed === null ? "No seed: this model paints without one" : `Seed: ${seed}`;
}

/**
 * The result's seed line, with a button that copies the number (`--seed N` in a prompt repeats the picture).
 * @param {string} text
 * @param {import("./storage.js").Seed | undefined} seed
 * @returns {HTMLLIElement}
 */
function seedLine(text, seed) {
  const item = document.createElement("li");
  item.className = "seed";
  item.textContent = text;
  if (typeof seed !== "number") return item;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "link";
  copy.textContent = "Copy";
  copy.setAttribute("aria-label", "Copy the seed");
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(String(seed)).then(
      () => (copy.textContent = "Copied"),
      () => (copy.textContent = "Copy failed"),
    );
  });
  item.append(" ", copy);
  return item;
}

/**
 * Only http(s) links are shown: a `javascript:` or `data:` URL from a tampered answer is ignored.
 * @param {string} text
 * @returns {string | undefined}
 */
export function safeImageUrl(text) {
  try {
    const url = new URL(text, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} prompt
 * @returns {string} a file name a person recognises, e.g. "flux-a-lighthouse-at-dusk"
 */
export function downloadName(prompt) {
  const slug = prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return `flux-${slug || "image"}`;
}

// @ts-check
/**
 * The playground's start-up: asks the Worker what only it knows (offline
 * mode; once a key is typed, the models and what each takes and costs, the
 * key's day and its pictures), wires the form, and restores what this browser
 * kept: the key and a generation that a reload interrupted.
 */
import { fetchServiceInfo, fetchUsage, listModels } from "./api.js";
import { attachedImages, detach, editImage, listenForImages } from "./attachments.js";
import { listenForEstimate, showEstimate } from "./estimate.js";
import { forgetPictures, renderGallery, showPicturesOf } from "./gallery.js";
import { followJob, generate } from "./generate.js";
import { listenForMask, maskFor, offerMask } from "./mask.js";
import { isSent, readModelOptions, showModelOptions } from "./model-options.js";
import { findModel, rememberModels } from "./models.js";
import { promptRatio } from "./prompt-ratio.js";
import { loadApiKey, loadInFlight, saveApiKey } from "./storage.js";
import { hideUsage, showUsage, showUsageAnswer } from "./usage.js";
import {
  chooseRatio,
  chosenRatio,
  fillModels,
  safeImageUrl,
  setKeyStatus,
  showError,
  showModelHelp,
  showPromptRatio,
  ui,
} from "./view.js";

/** Typing pauses this long before the key is checked, so a pasted key is checked once. */
const KEY_CHECK_DELAY_MS = 400;
const KEY_HINT = "Kept in this browser only and sent only to this site.";
/** The key `npm start` sets when it runs offline and none is configured (scripts/start-config.ts). */
const LOCAL_API_KEY = "sk-flux-local";

let keyCheck = 0;
/** The key GET /v1/models last accepted, "" while none is: its day and its pictures are shown. */
let acceptedKey = "";

/**
 * Saves the key and asks GET /v1/models with it, which both checks it and fills the model picker;
 * an accepted key's day and pictures are shown, and nothing of the one before.
 * @returns {Promise<boolean>} whether this check gave the verdict and accepted the key (false when a
 *   later check, e.g. the visitor typing, overtook it)
 */
async function checkKey() {
  const key = ui.apiKey.value.trim();
  saveApiKey(key);
  const ticket = ++keyCheck;
  if (key !== acceptedKey) forgetAccount();
  if (key === "") {
    setKeyStatus("", KEY_HINT);
    return false;
  }
  setKeyStatus("", "Checking the key…");
  /** @type {Awaited<ReturnType<typeof listModels>>} */
  let answer;
  // The key's day is asked beside, and shown with the verdict: the form moves once, not again after.
  const usage = fetchUsage(key);
  try {
    answer = await listModels(key);
  } catch {
    if (ticket === keyCheck) setKeyStatus("bad", "Could not reach the service to check the key.");
    return false;
  }
  if (ticket !== keyCheck) return false; // the key changed meanwhile
  if ("failure" in answer) {
    forgetAccount();
    const { status, message } = answer.failure;
    setKeyStatus("bad", status === 401 ? `This key was refused: ${message}` : `Could not list the models: ${message}`);
    return false;
  }
  if (answer.models.length > 0) {
    rememberModels(answer.models);
    fillModels(answer.models);
    showChosenModel();
  }
  const day = await usage;
  if (ticket !== keyCheck) return false;
  showUsageAnswer(day);
  setKeyStatus("ok", `Key accepted · ${answer.models.length} models available.`);
  acceptedKey = key;
  void showPicturesOf(key);
  return true;
}

function forgetAccount() {
  acceptedKey = "";
  hideUsage();
  forgetPictures();
}

/**
 * After a generation, whichever way it ended: the key's day once its job has settled, then its
 * pictures with the new one listed.
 * @param {string} apiKey the key it was made with
 */
async function afterRun(apiKey) {
  if (apiKey === "" || apiKey !== acceptedKey) return;
  await showUsage(apiKey, { settle: true });
  if (apiKey === acceptedKey) await showPicturesOf(apiKey);
}

/** What the picked model takes: its description, its settings, and for inpainting the mask brush. */
function showChosenModel() {
  const model = findModel(ui.model.value);
  showModelHelp();
  showModelOptions(model);
  offerMask(model?.capabilities.inpainting === true);
  refreshSizeNote(); // an exact size is not used by a model of one size
  showEstimate();
}

async function submit() {
  const apiKey = ui.apiKey.value.trim();
  const prompt = ui.prompt.value.trim();
  if (apiKey === "") {
    showError("Enter your API key first.");
    ui.apiKey.focus();
    return;
  }
  if (prompt === "") {
    showError("Describe the image you want first.");
    ui.prompt.focus();
    return;
  }
  const model = findModel(ui.model.value);
  const extras = readExtras();
  if (typeof extras === "string") {
    showError(extras);
    return;
  }
  const options = readModelOptions(model);
  if (typeof options === "string") {
    showError(options);
    return;
  }
  ui.generate.disabled = true; // while the last attached files are still being read
  const images = await attachedImages();
  /** @type {Blob | undefined} */
  let mask;
  if (model?.capabilities.inpainting === true) {
    const made = await maskFor(images.ids[0]);
    if ("problem" in made) {
      ui.generate.disabled = false;
      showError(made.problem);
      return;
    }
    mask = made.mask;
  }
  // A prompt that ends in a ratio keeps it: the Worker reads only the last one, so none is added after it.
  const ratio = promptRatio(prompt) === undefined ? chosenRatio() : "";
  const request = { prompt, ratio, model: ui.model.value };
  const succeeded = await generate(apiKey, request, images.urls, { ...extras, options, mask });
  if (succeeded) detach(images.ids); // see attachments.js for why
  void afterRun(apiKey);
}

/**
 * The exact size, number of pictures and seed the form asks for, or what is wrong with them; a
 * field the chosen model does not take is hidden, and neither read nor sent.
 * @returns {Omit<import("./generate.js").Extras, "options" | "mask"> | string}
 */
function readExtras() {
  const sized = isSent(ui.width);
  const [width, height] = sized ? [ui.width.value.trim(), ui.height.value.trim()] : ["", ""];
  if ((width === "") !== (height === "")) return "Give both a width and a height for an exact size, or neither.";
  const whole = /^\d{1,10}$/;
  if (width !== "" && (!whole.test(width) || !whole.test(height)))
    return "Width and height are whole numbers of pixels.";
  const seedText = isSent(ui.seed) ? ui.seed.value.trim() : "";
  const seed = seedText === "" ? undefined : Number(seedText);
  if (seed !== undefined && (!whole.test(seedText) || seed > 4_294_967_295))
    return "The seed is a whole number from 0 to 4294967295.";
  return { size: width === "" ? "" : `${width}x${height}`, count: Number(ui.count.value) || 1, seed };
}

let keyTimer = 0;
ui.apiKey.addEventListener("input", () => {
  clearTimeout(keyTimer);
  keyTimer = setTimeout(() => void checkKey(), KEY_CHECK_DELAY_MS);
});
ui.apiKey.addEventListener("change", () => {
  clearTimeout(keyTimer);
  void checkKey();
});
ui.toggleKey.addEventListener("click", () => {
  const show = ui.apiKey.type === "password";
  ui.apiKey.type = show ? "text" : "password";
  ui.toggleKey.textContent = show ? "Hide" : "Show";
  ui.toggleKey.setAttribute("aria-pressed", String(show));
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!ui.generate.disabled) void submit();
});
/** The size note follows the prompt's own ratio and the exact size, whichever the visitor changes. */
function refreshSizeNote() {
  const [width, height] = isSent(ui.width) ? [ui.width.value.trim(), ui.height.value.trim()] : ["", ""];
  showPromptRatio(promptRatio(ui.prompt.value), width !== "" && height !== "" ? `${width}x${height}` : "");
}
for (const field of [ui.prompt, ui.width, ui.height]) field.addEventListener("input", refreshSizeNote);
ui.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) ui.form.requestSubmit();
});
ui.model.addEventListener("change", showChosenModel);
listenForImages();
listenForMask();
listenForEstimate();
showChosenModel();
ui.editResult.addEventListener("click", () => {
  const url = safeImageUrl(ui.resultImage.src);
  if (url !== undefined) editImage(url);
});

// The address the visitor reached the page by is the one OpenAI clients should use too.
ui.baseUrl.textContent = `${location.origin}/v1`;
void fetchServiceInfo().then((info) => {
  ui.offlineNotice.hidden = info?.offline !== true;
  // Offline, `npm start` gives the service a key of its own unless one was configured: offer it.
  if (info?.offline === true && ui.apiKey.value.trim() === "") {
    ui.apiKey.value = LOCAL_API_KEY;
    void checkKey().then((accepted) => {
      // Only this check's own verdict is relabelled: one the visitor's typing started since says "Key accepted".
      const stillOurs = ui.apiKey.value.trim() === LOCAL_API_KEY; // not replaced by the visitor meanwhile
      if (accepted && stillOurs)
        setKeyStatus("ok", `Filled in ${LOCAL_API_KEY}, the offline service's own key: accepted.`);
    });
  }
});

ui.apiKey.value = loadApiKey();
if (ui.apiKey.value !== "") void checkKey();
renderGallery();
const interrupted = loadInFlight();
if (interrupted) {
  ui.prompt.value = interrupted.prompt;
  showPromptRatio(promptRatio(interrupted.prompt));
  chooseRatio(interrupted.ratio);
  const apiKey = ui.apiKey.value.trim();
  void followJob(apiKey, interrupted).then(() => afterRun(apiKey));
}

// @ts-check
/**
 * Generating: a streamed chat completion, as chat apps use the service; and,
 * after a reload or a dropped stream, the job's own event stream, resumed
 * after the last event seen (the job runs on in its Durable Object whatever
 * the page does, so nothing is generated twice).
 */
import {
  explainApiError,
  fetchJob,
  ImageReadError,
  openJobEvents,
  readApiError,
  readSse,
  requestImages,
  startChatStream,
} from "./api.js";
import { readCost } from "./cost.js";
import { addToGallery } from "./gallery.js";
import { asArray, isRecord, numberAt, parseJson, stringAt } from "./json.js";
import { hasModelOptions } from "./model-options.js";
import { DEFAULT_SIZES, findModel, modelLabel } from "./models.js";
import { promptRatio, ratioSize, withoutRatio } from "./prompt-ratio.js";
import { clearInFlight, saveInFlight } from "./storage.js";
import { safeImageUrl, showProgressLine, showRunFailed, showRunStarted, showRunSucceeded } from "./view.js";

/** A dropped event stream is reopened from the last event seen, this many times at most. */
const MAX_RESUME_ATTEMPTS = 3;
/** The chat completion's id is this prefix and the job's id. */
const CHAT_ID_PREFIX = "chatcmpl-";

/** @typedef {import("./storage.js").Run} Run */
/** @typedef {import("./storage.js").Seed} Seed */
/** @typedef {import("./cost.js").Cost} Cost */
/**
 * A picture made, with the lines said about it; no seed: not known; model: the short name of the
 * one that painted it, when known; size "WxH" and cost, when known; costWords: the chat reply's own
 * line about the cost, without its emoji.
 * @typedef {object} FoundImage
 * @property {string} url
 * @property {string[]} details
 * @property {Seed} [seed]
 * @property {string} [model]
 * @property {string} [size]
 * @property {Cost} [cost]
 * @property {string} [costWords]
 */

/**
 * @param {Run} run
 * @param {string} text
 * @param {number} [at] when the service said it (job events carry their time)
 */
function addProgressLine(run, text, at = Date.now()) {
  const line = { text: text.trim(), at };
  if (line.text === "") return;
  run.lines.push(line);
  showProgressLine(line);
}

/**
 * @param {string} text why, in the visitor's terms
 * @returns {false}
 */
function fail(text) {
  clearInFlight();
  showRunFailed(text);
  return false;
}

/**
 * @param {Run} run
 * @param {FoundImage} image
 * @returns {true}
 */
function succeed(run, image) {
  clearInFlight();
  showRunSucceeded(run.prompt, image);
  const { url, seed, cost } = image;
  const model = image.model ?? (run.model === "" ? "" : modelLabel(run.model));
  const picture = { url, jobId: run.jobId, prompt: run.prompt, size: image.size ?? "", model };
  addToGallery([{ ...picture, ...(seed === undefined ? {} : { seed }), ...(cost === undefined ? {} : { cost }) }]);
  return true;
}

/**
 * @param {unknown} image one of a job result's images
 * @returns {Seed} its seed; null when it has none (its model takes none)
 */
function seedOf(image) {
  return numberAt(image, "seed") ?? null;
}

/**
 * The facts of a job's first picture, from its result (its record's, or its final event's).
 * @param {unknown} result
 * @returns {{ seed?: Seed, model?: string, size?: string, cost?: Cost }} each undefined when not known
 */
function factsOf(result) {
  if (!isRecord(result)) return {};
  const model = stringAt(result, "model");
  const first = asArray(result.images)[0];
  const [width, height] = [numberAt(first, "width"), numberAt(first, "height")];
  const cost = readCost(isRecord(first) ? first.cost : undefined) ?? readCost(result.cost);
  return {
    seed: seedOf(first),
    ...(model === undefined ? {} : { model: modelLabel(model) }),
    ...(width === undefined || height === undefined ? {} : { size: `${width}x${height}` }),
    ...(cost === undefined ? {} : { cost }),
  };
}

/**
 * The chat reply states the seed, the model and the cost in words of its language; the job's record
 * has them as data.
 * @param {string} apiKey
 * @param {string} jobId
 * @returns {Promise<{ seed?: Seed, model?: string, size?: string, cost?: Cost }>} each undefined when
 *   the record could not be read
 */
async function factsFromJob(apiKey, jobId) {
  if (jobId === "") return {};
  const job = await fetchJob(apiKey, jobId);
  return factsOf(isRecord(job) ? job.result : undefined);
}

/**
 * @param {string} markdown the chat reply
 * @returns {FoundImage | undefined} its first markdown image, and its other lines as details
 */
function imageInReply(markdown) {
  // No bracket in the alt text and no parenthesis in the link, as in the Worker's replies: a pattern
  // that allowed them would rescan the rest of the text from every `![` it found.
  const match = /!\[[^[\]]*\]\(([^()\s]+)\)/.exec(markdown);
  const url = match?.[1] === undefined ? undefined : safeImageUrl(match[1]);
  if (!match || url === undefined) return undefined;
  // The reply's lines start with emoji for chat apps; the page shows the words alone. The seed
  // line (🎲) and the cost line (💰) are left out: the page states both itself, from the job's record.
  const lines = markdown.replace(match[0], "").split("\n");
  const words = (/** @type {string} */ line) => line.replace(/^[^\p{L}\p{N}]+/u, "").trim();
  const details = lines
    .filter((line) => !line.startsWith("🎲") && !line.startsWith("💰"))
    .map(words)
    .filter((line) => line !== "");
  const costLine = lines.find((line) => line.startsWith("💰"));
  return costLine === undefined ? { url, details } : { url, details, costWords: words(costLine) };
}

/**
 * What the form asks beyond a prompt, a ratio and a model: an exact size ("" for none), how many
 * pictures, a seed, the model's settings (only those it takes), and an inpainting mask for image 0.
 * @typedef {object} Extras
 * @property {string} size
 * @property {number} count
 * @property {number | undefined} seed
 * @property {import("./model-options.js").ModelOptions} options
 * @property {Blob | undefined} mask
 */

/** @type {Extras} */
const NO_EXTRAS = { size: "", count: 1, seed: undefined, options: {}, mask: undefined };

/**
 * @param {string} apiKey
 * @param {{ prompt: string, ratio: string, model: string }} request
 * @param {string[]} images attached images (data: URLs or this service's links), image 0 first
 * @param {Extras} extras
 * @returns {Promise<boolean>} whether it ended with a picture
 */
export async function generate(apiKey, request, images, extras = NO_EXTRAS) {
  // Chat, with its live progress, takes a ratio and --seed; the Images API takes the rest, each
  // setting as a field of its own (as chat flags, a negative prompt's words could read as a flag).
  const imagesApi =
    extras.size !== "" || extras.count > 1 || hasModelOptions(extras.options) || extras.mask !== undefined;
  if (imagesApi) return generateWithImagesApi(apiKey, request, images, extras);
  if (extras.seed !== undefined) request = { ...request, prompt: `${request.prompt} --seed ${extras.seed}` };
  /** @type {Run} */
  const run = { jobId: "", ...request, lastEventId: 0, lines: [] };
  showRunStarted(run.lines);
  /** @type {Response} */
  let response;
  try {
    response = await startChatStream(apiKey, run, images);
  } catch (error) {
    return fail(`Could not reach the service: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) return fail(explainApiError(await readApiError(response)));
  run.jobId = response.headers.get("x-job-id") ?? "";
  saveInFlight(run);
  const outcome = await readChatStream(run, response);
  if (outcome.failure !== undefined) return fail(`Generation failed: ${outcome.failure}`);
  if (outcome.image) {
    const { costWords, ...image } = outcome.image;
    const facts = await factsFromJob(apiKey, run.jobId);
    // The reply's own words for the cost, when the job's record could not be read.
    const details = facts.cost === undefined && costWords ? [...image.details, `Cost: ${costWords}`] : image.details;
    return succeed(run, { ...image, details, ...facts });
  }
  if (run.jobId !== "") return followJob(apiKey, run);
  return fail("The generation ended without an image.");
}

/**
 * The prompt and size an Images API request sends. That API takes a size, not a ratio: the ratio
 * the prompt ends in (taken out of its words) or the one picked becomes the size chat would have
 * painted it at with this model. An exact size wins over both; no ratio leaves the size to the
 * service (its model's square, or an edit's first image's shape).
 * @param {{ prompt: string, ratio: string, model: string }} request
 * @param {Extras} extras
 * @returns {{ prompt: string, size: string }}
 */
function imagesApiSize(request, extras) {
  if (extras.size !== "") return { prompt: request.prompt, size: extras.size };
  const own = promptRatio(request.prompt);
  const ratio = own ?? request.ratio;
  const sizes = findModel(request.model)?.capabilities.sizes ?? DEFAULT_SIZES;
  return {
    prompt: own === undefined ? request.prompt : withoutRatio(request.prompt),
    size: ratio === "" ? "" : ratioSize(ratio, sizes),
  };
}

/**
 * @param {import("./model-options.js").ModelOptions} options
 * @returns {string[]} the settings given, as the result states them ("Steps: 12")
 */
function settingLines(options) {
  return [
    ...(options.negativePrompt === undefined ? [] : [`Negative prompt: ${options.negativePrompt}`]),
    ...(options.steps === undefined ? [] : [`Steps: ${options.steps}`]),
    ...(options.guidance === undefined ? [] : [`Guidance: ${options.guidance}`]),
    ...(options.strength === undefined ? [] : [`Strength: ${options.strength}`]),
  ];
}

/**
 * One request to the Images API: no stream to follow, so the page says what it asked for and waits.
 * @param {string} apiKey
 * @param {{ prompt: string, ratio: string, model: string }} request
 * @param {string[]} images
 * @param {Extras} extras
 * @returns {Promise<boolean>} whether it ended with pictures
 */
async function generateWithImagesApi(apiKey, request, images, extras) {
  /** @type {Run} */
  const run = { jobId: "", ...request, lastEventId: 0, lines: [] };
  showRunStarted(run.lines);
  const { prompt, size } = imagesApiSize(request, extras);
  const what = `${extras.count} picture${extras.count === 1 ? "" : "s"}${size === "" ? "" : ` of ${size.replace("x", "×")}`}`;
  const masked = extras.mask === undefined ? "" : ", repainting what the mask covers";
  addProgressLine(run, `Asked the Images API for ${what}${masked}; it answers when they are all made…`);
  /** @type {Response} */
  let response;
  try {
    const { count, seed, options } = extras;
    response = await requestImages(
      apiKey,
      { prompt, model: request.model, size, count, seed, options },
      images,
      extras.mask,
    );
  } catch (error) {
    if (error instanceof ImageReadError) return fail(error.message);
    return fail(`Could not reach the service: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) return fail(explainApiError(await readApiError(response)));
  const jobId = response.headers.get("x-job-id") ?? "";
  const body = /** @type {unknown} */ (await response.json().catch(() => undefined));
  const data = asArray(isRecord(body) ? body.data : undefined);
  // Each picture's cost is its own when there are several; one picture's is the answer's.
  const total = readCost(isRecord(body) ? body.cost : undefined);
  const pictures = data.flatMap((item) => {
    const url = safeImageUrl(stringAt(item, "url") ?? "");
    const cost = readCost(isRecord(item) ? item.cost : undefined) ?? (data.length === 1 ? total : undefined);
    return url === undefined ? [] : [{ url, seed: seedOf(item), ...(cost === undefined ? {} : { cost }) }];
  });
  const [first, ...others] = pictures;
  if (!first) return fail("The service answered without a picture.");
  const made = stringAt(body, "size") ?? "";
  // Which model painted, as the answer names it (its short name).
  const painter = stringAt(body, "model") ?? (request.model === "" ? "" : modelLabel(request.model));
  const details = [
    `Prompt used: ${stringAt(data[0], "revised_prompt") ?? prompt}`,
    `Model: ${painter === "" ? "?" : painter}`,
    `Size: ${made === "" ? "?" : made.replace("x", "×")}`,
    ...settingLines(extras.options),
  ];
  const scaled = extras.size !== "" && made !== extras.size;
  const count = `${pictures.length} picture${pictures.length === 1 ? "" : "s"}`;
  const nearest = ` of ${made.replace("x", "×")}, the nearest this model makes to ${extras.size.replace("x", "×")}`;
  addProgressLine(run, `Made ${count}${scaled ? nearest : ""}.`);
  clearInFlight();
  showRunSucceeded(run.prompt, { ...first, details }, others, others.length > 0 ? total : undefined);
  addToGallery(pictures.map((picture) => ({ ...picture, jobId, prompt: run.prompt, size: made, model: painter })));
  return true;
}

/**
 * Reads the chat stream into the run's progress.
 * @param {Run} run
 * @param {Response} response
 * @returns {Promise<{ image?: FoundImage, failure?: string }>} neither when the stream broke off first
 */
async function readChatStream(run, response) {
  /** @type {{ image?: FoundImage, failure?: string }} */
  const outcome = {};
  // Content without an image is a progress line (PROGRESS_MODE=content) or, just before an error,
  // the reply's failure sentence; it is held until the next text shows which, so a failure is said once.
  let heldContent = "";
  /**
   * @param {string} text
   * @param {boolean} asContent
   */
  const showText = (text, asContent) => {
    if (heldContent !== "") addProgressLine(run, heldContent);
    heldContent = "";
    const found = asContent ? imageInReply(text) : undefined;
    if (!asContent) addProgressLine(run, text);
    else if (found) outcome.image = found;
    else heldContent = text;
  };
  try {
    await readSse(response, (event) => {
      if (event.data === "[DONE]") return false;
      const chunk = parseJson(event.data);
      if (isRecord(chunk) && chunk.error !== undefined) {
        outcome.failure = stringAt(chunk.error, "message") ?? "the service gave no reason.";
        return true;
      }
      const id = stringAt(chunk, "id");
      if (run.jobId === "" && id?.startsWith(CHAT_ID_PREFIX)) run.jobId = id.slice(CHAT_ID_PREFIX.length);
      const choice = asArray(isRecord(chunk) ? chunk.choices : undefined)[0];
      if (choice === undefined) return true;
      const { reasoning, content } = deltaTexts(choice);
      if (reasoning !== "") showText(reasoning, false);
      if (content !== "") showText(content, true);
      saveInFlight(run);
      return true;
    });
  } catch {
    // The stream broke off; the job runs on, and the caller follows its events.
  }
  return outcome;
}

/**
 * @param {unknown} choice one of a chat chunk's choices
 * @returns {{ reasoning: string, content: string }} its delta's texts ("" when absent)
 */
function deltaTexts(choice) {
  const delta = isRecord(choice) ? choice.delta : undefined;
  return { reasoning: stringAt(delta, "reasoning_content") ?? "", content: stringAt(delta, "content") ?? "" };
}

/**
 * Follows a job's events (GET /v1/jobs/:id/events) to its end, resuming after the last one seen.
 * @param {string} apiKey
 * @param {Run} run
 * @returns {Promise<boolean>} whether it ended with a picture
 */
export async function followJob(apiKey, run) {
  // Events before the first one seen by id are replayed, so the list starts afresh.
  if (run.lastEventId === 0) run.lines = [];
  showRunStarted(run.lines);
  for (let attempt = 1; attempt <= MAX_RESUME_ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt)); // let a blip pass
    /** @type {Response} */
    let response;
    try {
      response = await openJobEvents(apiKey, run.jobId, run.lastEventId);
    } catch {
      continue;
    }
    if (!response.ok) {
      const failure = await readApiError(response);
      if (failure.status === 404) return fail(`That generation is no longer available: ${failure.message}`);
      return fail(explainApiError(failure));
    }
    const end = await readJobEvents(run, response);
    if (end !== undefined) return finishJob(run, end);
  }
  fail("Lost the connection to the generation. Reload the page to try following it again.");
  saveInFlight(run); // kept, so a reload can still pick it up
  return false;
}

/**
 * Reads job events into the run's progress.
 * @param {Run} run
 * @param {Response} response
 * @returns {Promise<Record<string, unknown> | undefined>} the final event (result or failure), or undefined when the stream dropped first
 */
async function readJobEvents(run, response) {
  /** @type {Record<string, unknown> | undefined} */
  let end;
  try {
    await readSse(response, (event) => {
      const jobEvent = parseJson(event.data);
      if (!isRecord(jobEvent)) return true;
      run.lastEventId = numberAt(jobEvent, "id") ?? run.lastEventId;
      if (jobEvent.result !== undefined || jobEvent.failure !== undefined) {
        end = jobEvent;
        return false;
      }
      const message = stringAt(jobEvent, "message");
      const at = numberAt(jobEvent, "at"); // Unix seconds; the page keeps milliseconds, as Date does
      if (message !== undefined) addProgressLine(run, message, at === undefined ? undefined : at * 1000);
      saveInFlight(run);
      return true;
    });
  } catch {
    // dropped: the caller reopens it after the last event seen
  }
  return end;
}

/**
 * @param {Run} run
 * @param {Record<string, unknown>} end a job's final event: `{ result }` or `{ failure: { error } }`
 * @returns {boolean} whether it ended with a picture
 */
function finishJob(run, end) {
  if (end.failure !== undefined) {
    const error = isRecord(end.failure) ? end.failure.error : undefined;
    return fail(`Generation failed: ${stringAt(error, "message") ?? "the service gave no reason."}`);
  }
  const result = end.result;
  const first = isRecord(result) ? asArray(result.images)[0] : undefined;
  const url = safeImageUrl(stringAt(first, "url") ?? "");
  if (url === undefined) return fail("The generation finished without an image link.");
  const details = [
    `Prompt used: ${stringAt(result, "promptUsed") ?? run.prompt}`,
    `Size: ${numberAt(first, "width") ?? "?"}×${numberAt(first, "height") ?? "?"}`,
    `Model: ${modelLabel(stringAt(result, "model") ?? "")}`,
  ];
  return succeed(run, { url, details, ...factsOf(result) });
}

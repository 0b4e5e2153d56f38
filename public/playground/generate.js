// @ts-check
/**
 * Generating: a streamed chat completion, as chat apps use the service; and,
 * after a reload or a dropped stream, the job's own event stream, resumed
 * after the last event seen (the job runs on in its Durable Object whatever
 * the page does, so nothing is generated twice).
 */
import { explainApiError, openJobEvents, readApiError, readSse, startChatStream } from "./api.js";
import { addToGallery } from "./gallery.js";
import { asArray, isRecord, numberAt, parseJson, stringAt } from "./json.js";
import { clearInFlight, saveInFlight } from "./storage.js";
import { modelLabel, safeImageUrl, showProgressLine, showRunFailed, showRunStarted, showRunSucceeded } from "./view.js";

/** A dropped event stream is reopened from the last event seen, this many times at most. */
const MAX_RESUME_ATTEMPTS = 3;
/** The chat completion's id is this prefix and the job's id. */
const CHAT_ID_PREFIX = "chatcmpl-";

/** @typedef {import("./storage.js").Run} Run */
/** @typedef {{ url: string, details: string[] }} FoundImage */

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

/** @param {string} text why, in the visitor's terms */
function fail(text) {
  clearInFlight();
  showRunFailed(text);
}

/**
 * @param {Run} run
 * @param {FoundImage} image
 */
function succeed(run, image) {
  clearInFlight();
  showRunSucceeded(run.prompt, image);
  addToGallery({ url: image.url, prompt: run.prompt, ratio: run.ratio, model: run.model, at: Date.now() });
}

/**
 * @param {string} markdown the chat reply
 * @returns {FoundImage | undefined} its first markdown image, and its other lines as details
 */
function imageInReply(markdown) {
  const match = /!\[[^\]]*\]\(([^)\s]+)\)/.exec(markdown);
  const url = match?.[1] === undefined ? undefined : safeImageUrl(match[1]);
  if (!match || url === undefined) return undefined;
  // The reply's lines start with emoji for chat apps; the page shows the words alone.
  const details = markdown
    .replace(match[0], "")
    .split("\n")
    .map((line) => line.replace(/^[^\p{L}\p{N}]+/u, "").trim())
    .filter((line) => line !== "");
  return { url, details };
}

/**
 * @param {string} apiKey
 * @param {{ prompt: string, ratio: string, model: string }} request
 */
export async function generate(apiKey, request) {
  /** @type {Run} */
  const run = { jobId: "", ...request, lastEventId: 0, lines: [] };
  showRunStarted(run.lines);
  /** @type {Response} */
  let response;
  try {
    response = await startChatStream(apiKey, run);
  } catch (error) {
    fail(`Could not reach the service: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (!response.ok) {
    fail(explainApiError(await readApiError(response)));
    return;
  }
  run.jobId = response.headers.get("x-job-id") ?? "";
  saveInFlight(run);
  const outcome = await readChatStream(run, response);
  if (outcome.failure !== undefined) fail(`Generation failed: ${outcome.failure}`);
  else if (outcome.image) succeed(run, outcome.image);
  else if (run.jobId !== "") await followJob(apiKey, run);
  else fail("The generation ended without an image.");
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
      if (failure.status === 404) fail(`That generation is no longer available: ${failure.message}`);
      else fail(explainApiError(failure));
      return;
    }
    const end = await readJobEvents(run, response);
    if (end !== undefined) {
      finishJob(run, end);
      return;
    }
  }
  fail("Lost the connection to the generation. Reload the page to try following it again.");
  saveInFlight(run); // kept, so a reload can still pick it up
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
      if (message !== undefined) addProgressLine(run, message, numberAt(jobEvent, "at"));
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
 */
function finishJob(run, end) {
  if (end.failure !== undefined) {
    const error = isRecord(end.failure) ? end.failure.error : undefined;
    fail(`Generation failed: ${stringAt(error, "message") ?? "the service gave no reason."}`);
    return;
  }
  const result = end.result;
  const first = isRecord(result) ? asArray(result.images)[0] : undefined;
  const url = safeImageUrl(stringAt(first, "url") ?? "");
  if (url === undefined) {
    fail("The generation finished without an image link.");
    return;
  }
  const details = [
    `Prompt used: ${stringAt(result, "promptUsed") ?? run.prompt}`,
    `Size: ${numberAt(first, "width") ?? "?"}×${numberAt(first, "height") ?? "?"}`,
    `Model: ${modelLabel(stringAt(result, "model") ?? "")}`,
  ];
  succeed(run, { url, details });
}

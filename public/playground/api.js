// @ts-check
/**
 * Talking to this service's API. Every URL here is a path, or one of this
 * service's own image links: the page talks to its own origin only (its CSP
 * allows nothing else). Network failures reject;
 * HTTP errors come back as an ApiFailure with the API's own message.
 */
import { isRecord, parseJson, stringAt } from "./json.js";
import { readModelList } from "./models.js";

/** @typedef {{ status: number, message: string, code?: string }} ApiFailure `code`: the API's own (`daily_budget_exceeded`) */

/**
 * One server-sent event.
 * @typedef {{ id: string, event: string, data: string }} SseEvent
 */

/**
 * @param {string} apiKey
 * @returns {Record<string, string>}
 */
export function authHeaders(apiKey) {
  return { authorization: `Bearer ${apiKey}` };
}

/**
 * @param {Response} response a non-OK answer
 * @returns {Promise<ApiFailure>} the API's own message and code ({ error: { message, code } }), or the HTTP
 *   status when there is none
 */
export async function readApiError(response) {
  const body = parseJson(await response.text().catch(() => ""));
  const error = isRecord(body) ? body.error : undefined;
  const message = stringAt(error, "message") ?? `The service answered HTTP ${response.status}.`;
  const code = stringAt(error, "code");
  return code === undefined ? { status: response.status, message } : { status: response.status, message, code };
}

/** The refusals of a day's spending: a key's or the service's budget, or the account's free allowance. */
const SPENT_FOR_TODAY = new Set(["daily_budget_exceeded", "daily_quota_exceeded"]);

/**
 * @param {ApiFailure} failure
 * @returns {string} a sentence for the visitor that says which kind of failure it was
 */
export function explainApiError(failure) {
  if (failure.status === 401) return `The API key was refused: ${failure.message}`;
  // Not a rate limit: the message says what was spent, and when the day starts again.
  if (failure.code !== undefined && SPENT_FOR_TODAY.has(failure.code)) return `Not generated: ${failure.message}`;
  if (failure.status === 429) return `Too many requests: ${failure.message}`;
  return `Generation failed: ${failure.message}`;
}

/**
 * GET /v1/service: what only the Worker knows about itself. Public, so it is asked before any key is typed.
 * @returns {Promise<{ offline: boolean } | undefined>} undefined when the service could not say
 */
export async function fetchServiceInfo() {
  try {
    const response = await fetch("/v1/service");
    if (!response.ok) return undefined;
    const body = /** @type {unknown} */ (await response.json());
    return isRecord(body) && typeof body.offline === "boolean" ? { offline: body.offline } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /v1/models with the key: it both checks the key and lists the models, with what each takes.
 * @param {string} apiKey
 * @returns {Promise<{ models: import("./models.js").ModelInfo[] } | { failure: ApiFailure }>}
 */
export async function listModels(apiKey) {
  // Bounded: the key's verdict waits for it, and a stalled request would leave "Checking the key…" for good.
  const response = await fetch("/v1/models", { headers: authHeaders(apiKey), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) return { failure: await readApiError(response) };
  // A body that is not JSON lists no models; one cut short by the timeout is no answer at all.
  const body = /** @type {unknown} */ (
    await response.json().catch((/** @type {unknown} */ error) => {
      if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) throw error;
      return undefined;
    })
  );
  return { models: readModelList(body) };
}

/**
 * POST /v1/chat/completions, streamed. The chat endpoint takes the size as a ratio after the prompt,
 * and images as `image_url` content parts beside the text (they become the edit's reference images).
 * @param {string} apiKey
 * @param {{ prompt: string, ratio: string, model: string }} request model "" leaves the choice to the
 *   server; ratio "" sends none (the prompt's own ratio, else 1:1, or for an edit its first image's shape)
 * @param {string[]} images data: URLs or this service's image links, in order (image 0 first)
 * @returns {Promise<Response>}
 */
export function startChatStream(apiKey, request, images) {
  const text = request.ratio === "" ? request.prompt : `${request.prompt} ${request.ratio}`;
  const content =
    images.length === 0
      ? text
      : [{ type: "text", text }, ...images.map((url) => ({ type: "image_url", image_url: { url } }))];
  return fetch("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(apiKey) },
    body: JSON.stringify({
      model: request.model === "" ? undefined : request.model,
      stream: true,
      messages: [{ role: "user", content }],
    }),
  });
}

/**
 * What the form asks of the Images API.
 * @typedef {object} ImagesRequest
 * @property {string} prompt
 * @property {string} model "" leaves the choice to the server
 * @property {string} size "WxH"; "" leaves it to the service (its model's square, or an edit's first image's shape)
 * @property {number} count
 * @property {number | undefined} seed
 * @property {import("./model-options.js").ModelOptions} options only the settings the model takes
 */

/**
 * POST /v1/images/generations, or /v1/images/edits with attached images: for what chat cannot ask
 * (several pictures), or asks less exactly (a size, a model's settings), and for an inpainting
 * mask. An edit goes as JSON (its `image_url` takes data: URLs and this service's links), or with
 * a mask as multipart, OpenAI's form: the images as `image` (several: `image[]`) and the mask as
 * `mask`, files all. It answers once every picture is made, with links.
 * @param {string} apiKey
 * @param {ImagesRequest} request
 * @param {string[]} images as for startChatStream
 * @param {Blob} [mask] a PNG the size of image 0, fully transparent where it is to be repainted
 * @returns {Promise<Response>}
 */
export async function requestImages(apiKey, request, images, mask) {
  const { options } = request;
  const fields = {
    prompt: request.prompt,
    model: request.model === "" ? undefined : request.model,
    n: request.count,
    size: request.size === "" ? undefined : request.size,
    seed: request.seed,
    negative_prompt: options.negativePrompt,
    steps: options.steps,
    guidance: options.guidance,
    strength: options.strength,
    response_format: "url",
  };
  if (mask !== undefined) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value));
    const files = await Promise.all(images.map((url, index) => imageFile(url, index)));
    for (const file of files) form.append(files.length === 1 ? "image" : "image[]", file);
    form.append("mask", mask, "mask.png");
    // No content-type of our own: the browser writes it, with the form's boundary.
    return fetch("/v1/images/edits", { method: "POST", headers: authHeaders(apiKey), body: form });
  }
  const body = { ...fields, ...(images.length > 0 ? { images: images.map((url) => ({ image_url: url })) } : {}) };
  return fetch(images.length > 0 ? "/v1/images/edits" : "/v1/images/generations", {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(apiKey) },
    body: JSON.stringify(body),
  });
}

/** An attached picture that could not be read to be sent (an expired link): its message says so. */
export class ImageReadError extends Error {}

/**
 * An attached image as a file for a multipart body: a data: URL is decoded here (the page's CSP
 * lets it fetch nothing but its own origin), one of this service's links is read again.
 * @param {string} url
 * @param {number} index its place, for its file name and for an error
 * @returns {Promise<File>} rejects with an ImageReadError when the picture cannot be read
 */
async function imageFile(url, index) {
  const inline = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url);
  if (inline) {
    const [, type = "", base64, data = ""] = inline;
    const text = base64 ? atob(data) : decodeURIComponent(data);
    const bytes = Uint8Array.from(text, (char) => char.charCodeAt(0));
    return new File([bytes], `image-${index}.${type.split("/")[1] ?? "img"}`, { type });
  }
  const unreadable = (/** @type {string} */ why) =>
    new ImageReadError(`Image ${index} could not be read again to send it (${why}): attach it again.`);
  const response = await fetch(url).catch(() => {
    throw unreadable("no answer");
  });
  if (!response.ok) throw unreadable(`HTTP ${response.status}`);
  const blob = await response.blob();
  return new File([blob], `image-${index}.${blob.type.split("/")[1] ?? "img"}`, { type: blob.type });
}

/**
 * GET /v1/jobs/:id: the job's record, with its result once it has one.
 * @param {string} apiKey
 * @param {string} jobId
 * @returns {Promise<unknown>} the record, or undefined when it could not be read
 */
export async function fetchJob(apiKey, jobId) {
  try {
    const response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}`, { headers: authHeaders(apiKey) });
    return response.ok ? /** @type {unknown} */ (await response.json()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /v1/usage: what the key spent today, and what its budget and the service's leave.
 * @param {string} apiKey
 * @returns {Promise<unknown>} the answer, or undefined when it could not be read
 */
export async function fetchUsage(apiKey) {
  try {
    // Never long: the key's verdict waits for it, and the figures are only a courtesy.
    const response = await fetch("/v1/usage", { headers: authHeaders(apiKey), signal: AbortSignal.timeout(5000) });
    return response.ok ? /** @type {unknown} */ (await response.json()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /v1/jobs: one page of the key's own jobs, newest first (each listed once it has ended).
 * @param {string} apiKey
 * @param {string} after "" for the first page, else the last job id of the page before
 * @param {number} limit jobs per page
 * @returns {Promise<unknown>} the page (`{ data, last_id, has_more }`), or undefined when it could not be read
 */
export async function fetchJobList(apiKey, after, limit) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (after !== "") query.set("after", after);
  try {
    const response = await fetch(`/v1/jobs?${query}`, { headers: authHeaders(apiKey) });
    return response.ok ? /** @type {unknown} */ (await response.json()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /v1/jobs/:id/events, resuming after the last event seen.
 * @param {string} apiKey
 * @param {string} jobId
 * @param {number} lastEventId 0 replays every event
 * @returns {Promise<Response>}
 */
export function openJobEvents(apiKey, jobId, lastEventId) {
  /** @type {Record<string, string>} */
  const headers = authHeaders(apiKey);
  if (lastEventId > 0) headers["last-event-id"] = String(lastEventId);
  return fetch(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { headers });
}

/**
 * Reads a server-sent events body event by event (the browser's EventSource cannot send an
 * Authorization header). Resolves when the body ends or `onEvent` returns false.
 * @param {Response} response
 * @param {(event: SseEvent) => boolean} onEvent false stops reading
 * @returns {Promise<void>}
 */
export async function readSse(response, onEvent) {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  /** @type {{ id: string, event: string, data: string[] }} */
  let current = { id: "", event: "", data: [] };
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    buffered += decoder.decode(chunk.value, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (line === "") {
        const event = { id: current.id, event: current.event, data: current.data.join("\n") };
        if (current.data.length > 0 && !onEvent(event)) {
          await reader.cancel().catch(() => undefined);
          return;
        }
        current = { id: current.id, event: "", data: [] }; // the id carries over, as in EventSource
        continue;
      }
      if (line.startsWith(":")) continue; // a keepalive comment
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") current.data.push(value);
      else if (field === "id") current.id = value;
      else if (field === "event") current.event = value;
    }
  }
}

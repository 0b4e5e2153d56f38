// @ts-check
/**
 * Talking to this service's API. Every URL here is a path: the page talks to
 * its own origin only (its CSP allows nothing else). Network failures reject;
 * HTTP errors come back as an ApiFailure with the API's own message.
 */
import { isRecord, parseJson, stringAt } from "./json.js";

/** @typedef {{ status: number, message: string }} ApiFailure */

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
 * @returns {Promise<ApiFailure>} the API's own message ({ error: { message } }), or the HTTP status when there is none
 */
export async function readApiError(response) {
  const body = parseJson(await response.text().catch(() => ""));
  const message = isRecord(body) ? stringAt(body.error, "message") : undefined;
  return { status: response.status, message: message ?? `The service answered HTTP ${response.status}.` };
}

/**
 * @param {ApiFailure} failure
 * @returns {string} a sentence for the visitor that says which kind of failure it was
 */
export function explainApiError(failure) {
  if (failure.status === 401) return `The API key was refused: ${failure.message}`;
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
 * GET /v1/models with the key: it both checks the key and lists the models.
 * @param {string} apiKey
 * @returns {Promise<{ ids: string[] } | { failure: ApiFailure }>}
 */
export async function listModels(apiKey) {
  const response = await fetch("/v1/models", { headers: authHeaders(apiKey) });
  if (!response.ok) return { failure: await readApiError(response) };
  const body = /** @type {unknown} */ (await response.json().catch(() => undefined));
  const data = isRecord(body) && Array.isArray(body.data) ? body.data : [];
  // Each model is listed twice, for chat and for image pages; the playground chats, so it offers the chat entries.
  const chatModels = data.filter((model) => stringAt(model, "type") !== "image");
  return { ids: chatModels.flatMap((model) => stringAt(model, "id") ?? []) };
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
 * POST /v1/images/generations, or /v1/images/edits with attached images (the JSON form, whose
 * `image_url` takes data: URLs and this service's links): for what chat cannot ask, an exact size
 * and several pictures. It answers once every picture is made, with links.
 * @param {string} apiKey
 * @param {{ prompt: string, model: string, size: string, count: number, seed: number | undefined }} request
 *   size "" leaves it to the service (1024×1024, or an edit's first image's shape)
 * @param {string[]} images as for startChatStream
 * @returns {Promise<Response>}
 */
export function requestImages(apiKey, request, images) {
  const body = {
    prompt: request.prompt,
    model: request.model === "" ? undefined : request.model,
    n: request.count,
    size: request.size === "" ? undefined : request.size,
    seed: request.seed,
    response_format: "url",
    ...(images.length > 0 ? { images: images.map((url) => ({ image_url: url })) } : {}),
  };
  return fetch(images.length > 0 ? "/v1/images/edits" : "/v1/images/generations", {
    method: "POST",
    headers: { "content-type": "application/json", ...authHeaders(apiKey) },
    body: JSON.stringify(body),
  });
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

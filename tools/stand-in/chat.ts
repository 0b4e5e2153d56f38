// An OpenAI-compatible chat-completions endpoint standing in for the prompt optimiser (OpenAI
// itself, or Workers AI's /ai/v1/chat/completions). Its answer is a deterministic rewrite of
// the last user message, so tests can predict the optimised prompt.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { ANY_DIRECTIVE, IMAGE_DIRECTIVE, readDirectives } from "./faults.ts";
import { hasBearerToken, sendJson, sendRaw, sleep } from "./http.ts";
import type { Exchange } from "./types.ts";

export const CHAT_MODELS = [
  "@cf/zai-org/glm-4.7-flash",
  "@cf/google/gemma-4-26b-a4b-it",
  "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
  "gpt-4o-mini",
];

export async function handleChatCompletion(ex: Exchange): Promise<void> {
  const { res } = ex;
  if (!hasBearerToken(ex.req)) return sendInvalidKey(res);
  let body: unknown;
  try {
    body = JSON.parse(ex.body.bytes.toString("utf8"));
  } catch {
    return sendOpenAiError(res, 400, "We could not parse the JSON body of your request.", null, null);
  }
  ex.record.json = body;
  const request = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof request.model !== "string" || request.model === "") {
    return sendOpenAiError(res, 400, "you must provide a model parameter", null, null);
  }
  if (!Array.isArray(request.messages)) {
    return sendOpenAiError(
      res,
      400,
      "Missing required parameter: 'messages'.",
      "messages",
      "missing_required_parameter",
    );
  }
  if (request.messages.length === 0) return sendOpenAiError(res, 400, "[] is too short - 'messages'", "messages", null);

  const userText = lastUserText(request.messages);
  ex.record.prompt = userText;
  const directives = readDirectives(userText, "optimiser");
  await sleep(directives.delayMs ?? 0);
  switch (ex.faultFor("optimiser", userText, directives)) {
    case undefined:
      break;
    case "auth":
      return sendInvalidKey(res);
    case "hang":
      return;
    case "bad-json":
      return sendRaw(res, 200, '{"id":"chatcmpl-', "application/json");
    case "empty":
      return sendJson(res, 200, completion(request.model, "", []));
    default:
      return sendOpenAiError(
        res,
        500,
        "The server had an error while processing your request. Sorry about that!",
        null,
        null,
        "server_error",
      );
  }

  // `#optverdict=none` plays a model that answers a follow-up in prose instead of the JSON asked for.
  const judging = isFollowUpJudgement(request.messages) && !/#optverdict=none/i.test(userText);
  const content = judging ? followUpVerdict(userText) : optimisedPrompt(userText);
  if (request.stream === true) return streamCompletion(res, request, content, userText);
  sendJson(
    res,
    200,
    completion(
      request.model,
      content,
      [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      userText,
    ),
  );
}

/** A follow-up in a chat: the optimiser is asked, in its system message, for a JSON verdict. */
function isFollowUpJudgement(messages: unknown[]): boolean {
  const system = messages.find(
    (m): m is { role: string; content: string } =>
      typeof m === "object" && m !== null && (m as { role?: unknown }).role === "system",
  );
  return typeof system?.content === "string" && system.content.includes("Answer with JSON only");
}

// The stand-in's judgement, predictable for tests: a message with one of these words changes the picture.
const EDIT_WORDS = /\b(?:make|change|turn|add|remove|replace|instead|now|more|less|edit)\b/i;

/** `{"action": "edit" | "new", "prompt": …}`, as the optimiser is asked to answer a follow-up. */
export function followUpVerdict(userText: string): string {
  const action = EDIT_WORDS.test(userText) ? "edit" : "new";
  const prompt = action === "edit" ? `Edit the picture: ${optimisedPrompt(userText)}` : optimisedPrompt(userText);
  return JSON.stringify({ action, prompt });
}

export function handleModelList(ex: Exchange): void {
  if (!hasBearerToken(ex.req)) return sendInvalidKey(ex.res);
  const created = 1_700_000_000;
  sendJson(ex.res, 200, {
    object: "list",
    data: CHAT_MODELS.map((id) => ({ id, object: "model", created, owned_by: "stand-in" })),
  });
}

/** `A highly detailed illustration of <text>, …`, keeping image-call fault directives. */
export function optimisedPrompt(userText: string): string {
  const imageDirectives = userText.match(IMAGE_DIRECTIVE) ?? [];
  let text = userText
    .replace(ANY_DIRECTIVE, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s.!?,;:]+$/, "");
  if (/^[A-Z](?![A-Z])/.test(text)) text = text.charAt(0).toLowerCase() + text.slice(1);
  const subject =
    text === "" ? "an imaginary landscape" : isMostlyLatin(text) ? text : `the scene described as "${text}"`;
  return [`A highly detailed illustration of ${subject}, soft natural light, sharp focus`, ...imageDirectives].join(
    " ",
  );
}

function isMostlyLatin(text: string): boolean {
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  return letters === 0 || latin / letters >= 0.5;
}

function lastUserText(messages: unknown[]): string {
  const userMessages = messages.filter(
    (m): m is { role: string; content: unknown } =>
      typeof m === "object" && m !== null && (m as { role?: unknown }).role === "user",
  );
  const content = userMessages.at(-1)?.content;
  if (typeof content === "string") return content;
  // Content parts: [{ type: 'text', text }, { type: 'image_url', … }]
  if (Array.isArray(content)) {
    const parts: unknown[] = content;
    return parts
      .map((part) => (isTextPart(part) ? part.text : ""))
      .join(" ")
      .trim();
  }
  return "";
}

function isTextPart(part: unknown): part is { text: string } {
  return typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string";
}

interface Choice {
  index: number;
  message: { role: "assistant"; content: string };
  finish_reason: "stop";
}

function completion(model: string, content: string, choices: Choice[], userText = "") {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices,
    usage: usage(userText, content),
  };
}

function usage(userText: string, content: string) {
  // About four characters per token: good enough for a stand-in.
  const prompt_tokens = Math.ceil(userText.length / 4);
  const completion_tokens = Math.ceil(content.length / 4);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function streamCompletion(
  res: ServerResponse,
  request: Record<string, unknown>,
  content: string,
  userText: string,
): void {
  const base = {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  const chunks: unknown[] = [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  const options = request.stream_options as { include_usage?: unknown } | undefined;
  if (options?.include_usage === true) chunks.push({ ...base, choices: [], usage: usage(userText, content) });
  const events = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("") + "data: [DONE]\n\n";
  sendRaw(res, 200, events, "text/event-stream", { "cache-control": "no-cache" });
}

function sendInvalidKey(res: ServerResponse): void {
  sendOpenAiError(
    res,
    401,
    'Incorrect or missing API key: send "Authorization: Bearer <key>".',
    null,
    "invalid_api_key",
    "invalid_request_error",
  );
}

function sendOpenAiError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  type = "invalid_request_error",
): void {
  sendJson(res, status, { error: { message, type, param, code } });
}

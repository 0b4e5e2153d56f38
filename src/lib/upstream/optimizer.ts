/**
 * Prompt optimisation: asks a chat model to rewrite the user's words as an
 * English Flux prompt. EXTERNAL_API_BASE names any OpenAI-compatible service;
 * without it, Workers AI's own chat model answers, through the AI binding or,
 * with the CF_* credentials, its OpenAI-compatible REST endpoint. It never
 * fails a job: on any fault the caller keeps the original prompt and says why.
 */
import { cleanPrompt, cutPrompt, MAX_RAW_PROMPT_CHARS } from "../generation/prompt.ts";
import type { OptimizerSettings, UpstreamSettings } from "../settings.ts";
import { notConfigured, type AiBinding } from "./transport.ts";

export type OptimizeOutcome = { ok: true; prompt: string; model: string } | { ok: false; reason: string };

/** The chat-completions URL: EXTERNAL_API_BASE with or without its `/v1`, or Workers AI's endpoint. */
export function optimizerUrl(optimizer: OptimizerSettings, upstream: UpstreamSettings): string {
  if (optimizer.externalApiBase === undefined) {
    return `${upstream.cfApiBase}/accounts/${encodeURIComponent(upstream.cfAccountId)}/ai/v1/chat/completions`;
  }
  const base = optimizer.externalApiBase.replace(/\/v1$/, "");
  return `${base}/v1/chat/completions`;
}

/** Rewrites `prompt`; resolves to `{ok: false, reason}` instead of throwing. */
export async function optimizePrompt(
  prompt: string,
  optimizer: OptimizerSettings,
  upstream: UpstreamSettings,
  binding: AiBinding | undefined,
  context: { referenceCount?: number } = {},
  doFetch: typeof fetch = fetch,
): Promise<OptimizeOutcome> {
  const system = systemMessage(optimizer.systemMessage, context.referenceCount ?? 0);
  const answer = await askChatModel(system, prompt, { optimizer, upstream, binding, doFetch });
  if (!answer.ok) return answer;
  const rewritten = cleanRewrite(answer.content);
  if (rewritten === undefined) return { ok: false, reason: "the answer had no prompt in it" };
  return { ok: true, prompt: rewritten, model: optimizer.model };
}

export type JudgeOutcome =
  | { ok: true; action: "edit" | "new"; prompt: string; model: string }
  /** `answered`: the model replied, but not in the expected form (worth asking it the usual way). */
  | { ok: false; reason: string; answered: boolean };

/**
 * For a chat follow-up to a picture made from `previousPrompt`: does `message` ask to change that
 * picture or for a new one? The model answers in JSON; anything else is `{ok: false}`, and the
 * caller then makes a new picture.
 */
export async function judgeFollowUp(
  message: string,
  previousPrompt: string,
  optimizer: OptimizerSettings,
  upstream: UpstreamSettings,
  binding: AiBinding | undefined,
  doFetch: typeof fetch = fetch,
): Promise<JudgeOutcome> {
  const system =
    `${optimizer.systemMessage} ${FOLLOW_UP_INSTRUCTIONS} The previous picture was made from this prompt: ` +
    JSON.stringify(previousPrompt);
  const answer = await askChatModel(system, message, { optimizer, upstream, binding, doFetch });
  if (!answer.ok) return { ...answer, answered: false };
  const verdict = parseVerdict(answer.content);
  if (!verdict) return { ok: false, reason: "the answer was not the expected JSON", answered: true };
  return { ok: true, ...verdict, model: optimizer.model };
}

/** What the optimiser must answer for a follow-up; the stand-in recognises this text too. */
export const FOLLOW_UP_INSTRUCTIONS =
  "This message follows an earlier picture in a conversation. Decide whether it asks to change that " +
  'picture ("edit") or for a different, new picture ("new"). Answer with JSON only: ' +
  '{"action": "edit" or "new", "prompt": "…"}, where prompt is, for an edit, the change to make in ' +
  "English, and for a new picture, the full English prompt.";

function parseVerdict(content: string): { action: "edit" | "new"; prompt: string } | undefined {
  const value = parseJson(outermostBraces(withoutThinking(content)));
  if (typeof value !== "object" || value === null) return undefined;
  const action = "action" in value ? value.action : undefined;
  const prompt = "prompt" in value && typeof value.prompt === "string" ? cleanRewrite(value.prompt) : undefined;
  if ((action !== "edit" && action !== "new") || prompt === undefined) return undefined;
  return { action, prompt };
}

interface ChatCall {
  optimizer: OptimizerSettings;
  upstream: UpstreamSettings;
  binding: AiBinding | undefined;
  doFetch: typeof fetch;
}

type ChatAnswer = { ok: true; content: string } | { ok: false; reason: string };

/** One system + user exchange with the optimiser's chat model, however it is reached. */
async function askChatModel(system: string, user: string, call: ChatCall): Promise<ChatAnswer> {
  const { optimizer, upstream, binding, doFetch } = call;
  const onWorkersAi = optimizer.externalApiBase === undefined;
  const request = {
    model: optimizer.model,
    messages: [
      { role: "system", content: system },
      { role: "user", content: user },
    ],
    temperature: 0.7,
    max_tokens: 400,
    stream: false,
    // Workers AI's current chat models think before answering unless told not to, and the
    // thinking would eat the token budget of a one-line rewrite. OpenAI rejects unknown
    // fields, so this goes to Workers AI only.
    ...(onWorkersAi ? { chat_template_kwargs: { enable_thinking: false } } : {}),
  };
  const signal = AbortSignal.timeout(optimizer.timeoutMs);
  try {
    let answer: unknown;
    if (onWorkersAi && upstream.via === "binding") {
      if (!binding) return { ok: false, reason: notConfigured().message };
      const { model, ...inputs } = request;
      answer = await binding.run(model, inputs, { signal });
    } else {
      const apiKey = onWorkersAi ? upstream.cfApiToken : (optimizer.externalApiKey ?? "");
      const response = await doFetch(optimizerUrl(optimizer, upstream), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify(request),
        signal,
      });
      if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
      answer = parseJson(await response.text());
    }
    const content = contentOf(answer);
    return content === undefined ? { ok: false, reason: "the answer had no prompt in it" } : { ok: true, content };
  } catch (error) {
    const timedOut = signal.aborted || (error instanceof DOMException && error.name === "TimeoutError");
    if (timedOut) return { ok: false, reason: `no answer within ${optimizer.timeoutMs / 1000} s` };
    // The binding throws Workers AI's own "<code>: <message>"; a fetch that failed says nothing useful.
    const coded = error instanceof Error ? /^(\d{3,5}): /.exec(error.message) : null;
    return { ok: false, reason: coded ? `Workers AI error ${coded[1]}` : "the service could not be reached" };
  }
}

/** For an edit, the model must know that the words describe a change to pictures it cannot see. */
function systemMessage(base: string, referenceCount: number): string {
  if (referenceCount === 0) return base;
  return (
    `${base} The user attached ${referenceCount} reference image(s), numbered from 0: the request says how to ` +
    "change or combine them. Write it as an edit instruction in English: keep what the user said about " +
    "the images (for example 'the cat from image 0'), and describe only what should change."
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A chat completion's first choice, or `{ response }`, the shape of Workers AI's older text models. */
function contentOf(answer: unknown): string | undefined {
  if (typeof answer !== "object" || answer === null) return undefined;
  const choices = "choices" in answer ? answer.choices : undefined;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const message = typeof first === "object" && first !== null && "message" in first ? first.message : undefined;
  const content =
    typeof message === "object" && message !== null && "content" in message
      ? message.content
      : "response" in answer
        ? answer.response
        : undefined;
  return typeof content === "string" ? content : undefined;
}

/**
 * The rewritten prompt, cleaned like a user's (a model may answer with bidi controls or an emoji cut
 * in two) and of the quotes and labels models like to add, then cut to what Flux takes; undefined
 * when empty.
 */
function cleanRewrite(content: string): string | undefined {
  // Cut before cleaning: however long the answer (an external API may ignore max_tokens), only the
  // first MAX_PROMPT_CHARS are kept, and cleaning a megabyte would cost the job its CPU.
  const answer = withoutThinking(content).slice(0, MAX_RAW_PROMPT_CHARS);
  const cleaned = trimQuotes(cleanPrompt(answer).replace(/^(?:prompt|optimi[sz]ed prompt)\s*:\s*/i, "")).trim();
  return cleaned === "" ? undefined : cutPrompt(cleaned);
}

/**
 * The answer without the `<think>…</think>` blocks reasoning models write inline (an unclosed one is
 * left, as it is not a block). Searched for, not matched with `<think>[\s\S]*?<\/think>`, which
 * restarts at every `<think>` of an answer that never closes one and reads the rest again each time.
 */
export function withoutThinking(text: string): string {
  let kept = "";
  let from = 0;
  for (;;) {
    const open = text.indexOf(THINK_OPEN, from);
    const close = open < 0 ? -1 : text.indexOf(THINK_CLOSE, open + THINK_OPEN.length);
    // No block opens, or none that opens is closed (a later opening has no closing after it either).
    if (close < 0) return kept + text.slice(from);
    kept += text.slice(from, open);
    from = close + THINK_CLOSE.length;
  }
}

const THINK_OPEN = "<think>";
const THINK_CLOSE = "</think>";

/**
 * From the first `{` to the last `}`, where a model's JSON answer sits among its words; "" when
 * there is none. What `/\{[\s\S]*\}/` matched, found in one pass instead of one per `{`.
 */
function outermostBraces(text: string): string {
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  return first >= 0 && last > first ? text.slice(first, last + 1) : "";
}

const QUOTES = new Set(['"', "'", "“", "”", "`"]);

/** The text without the quotes a model put around it (a pattern anchored at the end retries at every quote). */
function trimQuotes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && QUOTES.has(text.charAt(start))) start++;
  while (end > start && QUOTES.has(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

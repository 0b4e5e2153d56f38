/**
 * Prompt optimisation: asks a chat model to rewrite the user's words as an
 * English Flux prompt. EXTERNAL_API_BASE names any OpenAI-compatible service;
 * without it, Workers AI's own chat model answers, through the AI binding or,
 * with the CF_* credentials, its OpenAI-compatible REST endpoint. It never
 * fails a job: on any fault the caller keeps the original prompt and says why.
 */
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
  doFetch: typeof fetch = fetch,
): Promise<OptimizeOutcome> {
  const onWorkersAi = optimizer.externalApiBase === undefined;
  const request = {
    model: optimizer.model,
    messages: [
      { role: "system", content: optimizer.systemMessage },
      { role: "user", content: prompt },
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
    const rewritten = extractContent(answer);
    if (rewritten === undefined) return { ok: false, reason: "the answer had no prompt in it" };
    return { ok: true, prompt: rewritten, model: optimizer.model };
  } catch (error) {
    const timedOut = signal.aborted || (error instanceof DOMException && error.name === "TimeoutError");
    if (timedOut) return { ok: false, reason: `no answer within ${optimizer.timeoutMs / 1000} s` };
    // The binding throws Workers AI's own "<code>: <message>"; a fetch that failed says nothing useful.
    const coded = error instanceof Error ? /^(\d{3,5}): /.exec(error.message) : null;
    return { ok: false, reason: coded ? `Workers AI error ${coded[1]}` : "the service could not be reached" };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The answer's text, cleaned of quotes and labels models like to add; undefined when missing. A chat
 * completion's first choice, or `{ response }`, the shape of Workers AI's older text models.
 */
function extractContent(answer: unknown): string | undefined {
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
  if (typeof content !== "string") return undefined;
  const cleaned = content
    .replace(/<think>[\s\S]*?<\/think>/g, "") // reasoning models put their thoughts inline
    .replace(/^\s*(?:prompt|optimi[sz]ed prompt)\s*:\s*/i, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^["'“”`]+|["'“”`]+$/g, "")
    .trim();
  return cleaned === "" ? undefined : cleaned.slice(0, 2048);
}

/**
 * Prompt optimisation: asks an OpenAI-compatible chat model to rewrite the
 * user's words as an English Flux prompt. Either EXTERNAL_API_BASE, or, when
 * that is unset, Workers AI's own OpenAI-compatible endpoint with the CF_*
 * credentials. It never fails a job: on any fault the caller keeps the
 * original prompt and says why.
 */
import type { OptimizerSettings, UpstreamSettings } from "../settings.ts";

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
  doFetch: typeof fetch = fetch,
): Promise<OptimizeOutcome> {
  const apiKey = optimizer.externalApiBase === undefined ? upstream.cfApiToken : (optimizer.externalApiKey ?? "");
  try {
    const response = await doFetch(optimizerUrl(optimizer, upstream), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
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
        ...(optimizer.externalApiBase === undefined ? { chat_template_kwargs: { enable_thinking: false } } : {}),
      }),
      signal: AbortSignal.timeout(optimizer.timeoutMs),
    });
    if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
    const rewritten = extractContent(await response.text());
    if (rewritten === undefined) return { ok: false, reason: "the answer had no prompt in it" };
    return { ok: true, prompt: rewritten, model: optimizer.model };
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      ok: false,
      reason: timedOut ? `no answer within ${optimizer.timeoutMs / 1000} s` : "the service could not be reached",
    };
  }
}

/** The first choice's text, cleaned of quotes and labels models like to add; undefined when missing. */
function extractContent(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const choices = typeof parsed === "object" && parsed !== null && "choices" in parsed ? parsed.choices : undefined;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const message = typeof first === "object" && first !== null && "message" in first ? first.message : undefined;
  const content = typeof message === "object" && message !== null && "content" in message ? message.content : undefined;
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

/**
 * The baseline of `npm run bench`: the original Flux-API-Worker's
 * design, with no Durable Object. A chat completion optimises the prompt,
 * generates, writes the image to KV once and replies, all inside the one
 * request. It makes the very upstream calls our Worker makes (same URLs, same
 * bodies: the bench checks this at the stand-in), so that the difference in a
 * side-by-side run is the design, not the work. Not deployed; no rate limit,
 * no settings validation, no retries.
 */
import { DEFAULT_WORKERS_AI_CHAT_MODEL } from "../../src/lib/settings.ts";
import { optimiserBody } from "../optimiser-request.ts";
// The same decoder and image sniffing as the project's: a job's largest CPU cost must weigh the same on both sides.
import { decodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";

interface BaselineEnv {
  FLUX_CF_KV: KVNamespace;
  /** One key or several separated by commas, as the project reads it. */
  API_KEY?: string;
  CF_API_BASE?: string;
  CF_ACCOUNT_ID?: string;
  CF_API_TOKEN?: string;
  FLUX_MODEL?: string;
  FLUX_NUM_STEPS?: string;
  PROMPT_OPTIMIZATION?: string;
  IMAGE_EXPIRATION?: string;
}

interface ChatBody {
  stream?: unknown;
  messages?: unknown;
}

/** What the project's ImageStore writes as KV metadata. */
interface ImageMeta {
  contentType: string;
  width: number;
  height: number;
  expiresAt: number;
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/v1/chat/completions") return chatCompletion(request, env, url);
    if (request.method === "GET" && url.pathname.startsWith("/image/"))
      return serveImage(env, url.pathname.slice("/image/".length));
    // `GET /` (the bench's readiness check) and `GET /v1/service` (its proxy floor): the smallest answer.
    if (request.method === "GET" && (url.pathname === "/" || url.pathname === "/v1/service"))
      return Response.json({ service: "flux-bench-baseline" });
    return error(404, "not found");
  },
} satisfies ExportedHandler<BaselineEnv>;

async function chatCompletion(request: Request, env: BaselineEnv, url: URL): Promise<Response> {
  if (!authorized(request, env)) return error(401, "Incorrect API key provided.");
  const body = await request.json<ChatBody>().catch(() => undefined);
  const prompt = lastUserText(body?.messages);
  if (prompt === undefined) return error(400, "No user message with text was found in 'messages'.");
  const api = `${env.CF_API_BASE ?? "https://api.cloudflare.com/client/v4"}/accounts/${env.CF_ACCOUNT_ID ?? ""}`;
  const headers = { "content-type": "application/json", authorization: `Bearer ${env.CF_API_TOKEN ?? ""}` };

  const optimized = env.PROMPT_OPTIMIZATION === "true" ? await optimize(api, headers, prompt) : undefined;
  const promptUsed = optimized ?? prompt;
  const model = env.FLUX_MODEL ?? "@cf/black-forest-labs/flux-1-schnell";
  // flux-1-schnell's input, as the project builds it: JSON, steps capped at the model's 8; it always paints 1024×1024.
  const steps = Math.min(Number(env.FLUX_NUM_STEPS ?? "4"), 8);
  const generated = await fetch(`${api}/ai/run/${model}`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt: promptUsed, steps }),
  });
  const envelope = await generated.json<{ result?: { image?: unknown } }>().catch(() => undefined);
  const base64 = envelope?.result?.image;
  const bytes = generated.ok && typeof base64 === "string" ? decodeBase64(base64) : undefined;
  const info = bytes && inspectImage(bytes);
  if (!bytes || !info) return error(502, `Workers AI failed (HTTP ${generated.status}).`);

  const ttlSeconds = Number(env.IMAGE_EXPIRATION ?? "1800");
  const key = imageKey();
  const meta: ImageMeta = { ...info, expiresAt: Date.now() + ttlSeconds * 1000 };
  await env.FLUX_CF_KV.put(key, bytes, { expirationTtl: ttlSeconds, metadata: meta });

  const content = [
    `🎨 Original prompt: ${prompt}`,
    `💬 Prompt model: ${optimized === undefined ? "original prompt" : DEFAULT_WORKERS_AI_CHAT_MODEL}`,
    `🌐 Prompt used: ${promptUsed}`,
    `📐 Size: ${info.width}×${info.height}`,
    "🌟 Image generated successfully!",
    "",
    `![Generated image](${url.origin}/image/${key})`,
  ].join("\n");
  const id = `chatcmpl-${key.slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  if (body?.stream === true) return streamed(id, created, model, content);
  return Response.json({
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: estimatedUsage(prompt, content),
  });
}

/** The optimiser call our Worker makes without EXTERNAL_API_BASE; undefined (keep the user's words) on any fault. */
async function optimize(api: string, headers: Record<string, string>, prompt: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${api}/ai/v1/chat/completions`, {
      method: "POST",
      headers,
      body: optimiserBody(prompt),
    });
    if (!response.ok) return undefined;
    const answer = await response.json<{ choices?: { message?: { content?: unknown } }[] }>();
    const content = answer.choices?.[0]?.message?.content;
    return typeof content === "string" && content.trim() !== "" ? content.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The original answered a streamed request with the whole reply at the end, as SSE. */
function streamed(id: string, created: number, model: string, content: string): Response {
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const text = chunk({ role: "assistant", content }, null) + chunk({}, "stop") + "data: [DONE]\n\n";
  return new Response(text, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

async function serveImage(env: BaselineEnv, key: string): Promise<Response> {
  const { value, metadata } = await env.FLUX_CF_KV.getWithMetadata<ImageMeta>(key, "arrayBuffer");
  if (value === null || metadata === null) return error(404, "Image not found.");
  return new Response(value, { headers: { "content-type": metadata.contentType } });
}

/** A plain comparison against each configured key: the original's check, without the project's digests. */
function authorized(request: Request, env: BaselineEnv): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1]?.trim();
  if (!presented) return false;
  return (env.API_KEY ?? "").split(",").some((key) => key.trim() === presented);
}

function lastUserText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const users = messages.filter(
    (message): message is { role: string; content?: unknown } =>
      typeof message === "object" && message !== null && (message as { role?: unknown }).role === "user",
  );
  const content = users.at(-1)?.content;
  if (typeof content === "string") return content.trim() || undefined;
  if (!Array.isArray(content)) return undefined;
  const texts = content.flatMap((part: unknown) =>
    typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string"
      ? [(part as { text: string }).text]
      : [],
  );
  return texts.join("\n").trim() || undefined;
}

/** The project's key shape (64 hex, a dot, 32 hex), so both sides write keys of the same length. */
function imageKey(): string {
  const hex = (length: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex(32)}.${hex(16)}`;
}

/** About four characters a token, as the project estimates: no tokenizer runs on either side. */
function estimatedUsage(prompt: string, content: string) {
  const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
  return {
    prompt_tokens: tokens(prompt),
    completion_tokens: tokens(content),
    total_tokens: tokens(prompt) + tokens(content),
  };
}

function error(status: number, message: string): Response {
  return Response.json({ error: { message, type: "invalid_request_error", code: null } }, { status });
}

/**
 * The requests the bench times: chat completions through the Worker (streamed
 * or not) and the very upstream call the Worker makes, sent straight to the
 * stand-in. Every function reads the whole answer and says whether it was a
 * success, so a failing service cannot pass for a fast one.
 */
import type { RunningService } from "../test/e2e/service.ts";

/** The default model and the 1:1 size: what a chat completion with no size suffix asks the upstream for. */
export const BENCH_MODEL = "@cf/black-forest-labs/flux-2-klein-4b";
const BENCH_SIZE = { width: 1024, height: 1024 };

export interface Timed {
  ok: boolean;
  /** HTTP status, or 0 when the request failed before one arrived. */
  status: number;
  totalMs: number;
  /** Streamed requests only: from sending to the first body bytes. */
  firstByteMs?: number;
  /** The response's `x-job-id`, to match it with the job's log line. */
  jobId?: string;
}

function chatInit(service: RunningService, prompt: string, stream: boolean): RequestInit {
  return {
    method: "POST",
    headers: { authorization: `Bearer ${service.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", stream, messages: [{ role: "user", content: prompt }] }),
  };
}

/** A streamed chat completion: time to its first bytes and to its end. */
export async function streamedChat(service: RunningService, prompt: string): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await fetch(`${service.baseUrl}/v1/chat/completions`, chatInit(service, prompt, true));
    const jobId = response.headers.get("x-job-id") ?? undefined;
    if (!response.body) return { ok: false, status: response.status, totalMs: performance.now() - started, jobId };
    const decoder = new TextDecoder();
    let firstByteMs: number | undefined;
    let text = "";
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      firstByteMs ??= performance.now() - started;
      text += decoder.decode(chunk.value, { stream: true });
    }
    const ok = response.status === 200 && text.includes("/image/") && text.trimEnd().endsWith("data: [DONE]") && !text.includes('"error"');
    return { ok, status: response.status, totalMs: performance.now() - started, firstByteMs, jobId };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** A chat completion with `stream: false`: the time to the whole reply. */
export async function plainChat(service: RunningService, prompt: string): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await fetch(`${service.baseUrl}/v1/chat/completions`, chatInit(service, prompt, false));
    const text = await response.text();
    const ok = response.status === 200 && text.includes('"chat.completion"') && text.includes("/image/");
    return { ok, status: response.status, totalMs: performance.now() - started, jobId: response.headers.get("x-job-id") ?? undefined };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** The Worker's upstream call (multipart ai/run for FLUX.2 klein), made directly to the stand-in. */
export async function directUpstreamCall(service: RunningService, prompt: string): Promise<Timed> {
  const form = new FormData();
  form.set("prompt", prompt);
  form.set("width", String(BENCH_SIZE.width));
  form.set("height", String(BENCH_SIZE.height));
  const started = performance.now();
  try {
    const response = await fetch(`${service.standInUrl}/client/v4/accounts/stand-in-account/ai/run/${BENCH_MODEL}`, {
      method: "POST",
      headers: { authorization: "Bearer stand-in-token" },
      body: form,
    });
    const text = await response.text();
    return { ok: response.status === 200 && text.includes('"image"'), status: response.status, totalMs: performance.now() - started };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** `GET /`: the smallest round trip through wrangler dev, i.e. the local proxy's floor. */
export async function homePage(service: RunningService): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await fetch(`${service.baseUrl}/`);
    await response.arrayBuffer();
    return { ok: response.status === 200, status: response.status, totalMs: performance.now() - started };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** Changes the stand-in's upstream latency while the service runs. */
export async function setUpstreamLatency(service: RunningService, latencyMs: number): Promise<void> {
  const response = await fetch(`${service.standInUrl}/__stand-in/options`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ latencyMs }),
  });
  if (!response.ok) throw new Error(`the stand-in refused latencyMs=${latencyMs}: HTTP ${response.status}`);
  await response.arrayBuffer();
}

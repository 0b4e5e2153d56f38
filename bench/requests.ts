/**
 * The requests the bench times: chat completions through the Worker (streamed
 * or not) and the very upstream call the Worker makes, sent straight to the
 * stand-in. Every function reads the whole answer and says whether it was a
 * success, so a failing service cannot pass for a fast one.
 */
import { Agent, request as httpRequest } from "node:http";
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

/**
 * The bench's HTTP client: node:http over kept-alive connections rather than
 * fetch. The client shares the machine's two cores with the service, and
 * fetch spent about 1.6 ms of CPU per job against 0.7 ms here, time the
 * service then did not get. Every request the bench times goes through it,
 * so both sides of a comparison pay the same client cost.
 */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** From sending to the first body bytes. */
  firstByteMs: number | undefined;
}

function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Uint8Array | string,
): Promise<Exchange> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method,
        agent,
        headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let firstByteMs: number | undefined;
        response.on("data", (chunk: Buffer) => {
          firstByteMs ??= performance.now() - started;
          chunks.push(chunk);
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString("utf8"),
            firstByteMs,
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function jobIdOf(response: Exchange): string | undefined {
  const jobId = response.headers["x-job-id"];
  return typeof jobId === "string" ? jobId : undefined;
}

function chatRequest(
  service: RunningService,
  prompt: string,
  stream: boolean,
): [string, string, Record<string, string>, string] {
  return [
    `${service.baseUrl}/v1/chat/completions`,
    "POST",
    { authorization: `Bearer ${service.apiKey}`, "content-type": "application/json" },
    JSON.stringify({ model: "gpt-4o", stream, messages: [{ role: "user", content: prompt }] }),
  ];
}

/** A streamed chat completion: time to its first bytes and to its end. */
export async function streamedChat(service: RunningService, prompt: string): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await exchange(...chatRequest(service, prompt, true));
    const { text } = response;
    const ok =
      response.status === 200 &&
      text.includes("/image/") &&
      text.trimEnd().endsWith("data: [DONE]") &&
      !text.includes('"error"');
    return {
      ok,
      status: response.status,
      totalMs: performance.now() - started,
      firstByteMs: response.firstByteMs,
      jobId: jobIdOf(response),
    };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** A chat completion with `stream: false`: the time to the whole reply. */
export async function plainChat(service: RunningService, prompt: string): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await exchange(...chatRequest(service, prompt, false));
    const ok =
      response.status === 200 && response.text.includes('"chat.completion"') && response.text.includes("/image/");
    return { ok, status: response.status, totalMs: performance.now() - started, jobId: jobIdOf(response) };
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
  // Encoded before the clock starts, as the Worker's own form is built before its call.
  const encoded = new Request("http://stand-in/", { method: "POST", body: form });
  const body = new Uint8Array(await encoded.arrayBuffer());
  const headers = { authorization: "Bearer stand-in-token", "content-type": encoded.headers.get("content-type") ?? "" };
  const started = performance.now();
  try {
    const response = await exchange(
      `${service.standInUrl}/client/v4/accounts/stand-in-account/ai/run/${BENCH_MODEL}`,
      "POST",
      headers,
      body,
    );
    return {
      ok: response.status === 200 && response.text.includes('"image"'),
      status: response.status,
      totalMs: performance.now() - started,
    };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/**
 * `GET /v1/service`: the smallest round trip through wrangler dev to the Worker, i.e. the local
 * proxy's floor. (`GET /` no longer counts: it is a static file, served without the Worker.)
 */
export async function serviceInfo(service: RunningService): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await exchange(`${service.baseUrl}/v1/service`, "GET", {});
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
    // quiet: a real upstream does not print a line on our terminal for every call.
    body: JSON.stringify({ latencyMs, quiet: true }),
  });
  if (!response.ok) throw new Error(`the stand-in refused latencyMs=${latencyMs}: HTTP ${response.status}`);
  await response.arrayBuffer();
}

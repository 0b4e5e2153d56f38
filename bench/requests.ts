/**
 * The requests the bench times: chat completions through a Worker (streamed
 * or not) and the very upstream calls the Worker makes, sent straight to the
 * stand-in. Every function reads the whole answer and says whether it was a
 * success, so a failing service cannot pass for a fast one.
 */
import { Agent, request as httpRequest } from "node:http";
import type { RunningService } from "../test/e2e/service.ts";
import type { RecordedRequest } from "../tools/stand-in/types.ts";
import { optimiserBody } from "./optimiser-request.ts";

/**
 * The original Flux-API-Worker's model, set as FLUX_MODEL on every side. It takes JSON and always
 * paints 1024×1024, so a prompt without a ratio asks every side for the same picture.
 */
export const BENCH_MODEL = "@cf/black-forest-labs/flux-1-schnell";
/** FLUX_NUM_STEPS's default (4), which both Workers send to schnell. */
const BENCH_STEPS = 4;
const STAND_IN_ACCOUNT = "/client/v4/accounts/stand-in-account";
const STAND_IN_AUTHORIZATION = "Bearer stand-in-token";

export interface Timed {
  ok: boolean;
  /** HTTP status, or 0 when the request failed before one arrived. */
  status: number;
  totalMs: number;
  /** Streamed requests only: from sending to the first body bytes. */
  firstByteMs?: number;
  /** The response's `x-job-id`, to match it with the job's log line. */
  jobId?: string;
  /** Why a failed request failed: the API error's `code`, else `HTTP <status>`, or the network error. */
  failure?: string;
}

/** What a failed exchange says about itself, for the report's failure counts. */
function failureOf(status: number, text: string): string {
  const code = /"code"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  return code === undefined ? `HTTP ${status}` : `HTTP ${status} ${code}`;
}

function networkFailure(error: unknown): string {
  return `no answer: ${error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)}`;
}

/** How many requests failed for each reason. */
export function countFailures(results: readonly Timed[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results)
    if (!result.ok) counts[result.failure ?? "unknown"] = (counts[result.failure ?? "unknown"] ?? 0) + 1;
  return counts;
}

/**
 * The bench's HTTP client: node:http over kept-alive connections rather than
 * fetch. The client shares the machine's two cores with the service, and
 * fetch spent about 1.6 ms of CPU per job against 0.7 ms here, time the
 * service then did not get. Every request the bench times goes through it,
 * so both sides of a comparison pay the same client cost.
 */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * Closes the kept-alive connections no request is using. After a pause, a reused
 * connection can be one the server is closing at that very moment, and the request
 * sent on it fails with ECONNRESET (the memory rounds lost a few jobs a round that
 * way after their 15 s pauses): a failure of the client's connection reuse, not of
 * the service, so phases that pause start on fresh connections.
 */
export function closeIdleConnections(): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

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
  apiKey: string,
): [string, string, Record<string, string>, string] {
  return [
    `${service.baseUrl}/v1/chat/completions`,
    "POST",
    { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    JSON.stringify({ model: "gpt-4o", stream, messages: [{ role: "user", content: prompt }] }),
  ];
}

/** A streamed chat completion: time to its first bytes and to its end. */
export async function streamedChat(service: RunningService, prompt: string, apiKey = service.apiKey): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await exchange(...chatRequest(service, prompt, true, apiKey));
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
      ...(ok ? {} : { failure: failureOf(response.status, text) }),
    };
  } catch (error) {
    return { ok: false, status: 0, totalMs: performance.now() - started, failure: networkFailure(error) };
  }
}

/** A chat completion with `stream: false`: the time to the whole reply (kept in `text` when asked). */
export async function plainChat(
  service: RunningService,
  prompt: string,
  apiKey = service.apiKey,
  keepText = false,
): Promise<Timed & { text?: string }> {
  const started = performance.now();
  try {
    const response = await exchange(...chatRequest(service, prompt, false, apiKey));
    const ok =
      response.status === 200 && response.text.includes('"chat.completion"') && response.text.includes("/image/");
    return {
      ok,
      status: response.status,
      totalMs: performance.now() - started,
      jobId: jobIdOf(response),
      ...(ok ? {} : { failure: failureOf(response.status, response.text) }),
      ...(keepText ? { text: response.text } : {}),
    };
  } catch (error) {
    return { ok: false, status: 0, totalMs: performance.now() - started, failure: networkFailure(error) };
  }
}

/** The rewritten prompt in an optimiser's answer, or undefined. */
function rewrittenPrompt(text: string): string | undefined {
  try {
    const answer = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
    const content = answer.choices?.[0]?.message?.content;
    return typeof content === "string" && content.trim() !== "" ? content.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A job's upstream calls made directly to the stand-in, in the Worker's order: the optimiser's
 * chat call, then flux-1-schnell with the rewritten prompt (JSON). bench/upstream-calls.ts checks
 * at the stand-in that these are the very calls both Workers make.
 */
export async function directUpstreamCalls(service: RunningService, prompt: string): Promise<Timed> {
  const headers = { authorization: STAND_IN_AUTHORIZATION, "content-type": "application/json" };
  // Encoded before the clock starts, as the Worker's first body is built before its first call.
  const chatBody = optimiserBody(prompt);
  const started = performance.now();
  try {
    const chat = await exchange(
      `${service.standInUrl}${STAND_IN_ACCOUNT}/ai/v1/chat/completions`,
      "POST",
      headers,
      chatBody,
    );
    const rewritten = chat.status === 200 ? rewrittenPrompt(chat.text) : undefined;
    if (rewritten === undefined) return { ok: false, status: chat.status, totalMs: performance.now() - started };
    const image = await exchange(
      `${service.standInUrl}${STAND_IN_ACCOUNT}/ai/run/${BENCH_MODEL}`,
      "POST",
      headers,
      JSON.stringify({ prompt: rewritten, steps: BENCH_STEPS }),
    );
    return {
      ok: image.status === 200 && image.text.includes('"image"'),
      status: image.status,
      totalMs: performance.now() - started,
    };
  } catch {
    return { ok: false, status: 0, totalMs: performance.now() - started };
  }
}

/** The calls the stand-in recorded whose prompt contains `marker` (it keeps the last 2000). */
export async function recordedCalls(service: RunningService, marker: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(marker)}`);
  if (!response.ok) throw new Error(`the stand-in's call log answered HTTP ${response.status}`);
  return (await response.json()) as RecordedRequest[];
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

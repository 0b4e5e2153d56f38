/**
 * Under load, with faults: 200 requests from 32 concurrent clients against
 * `npm start` (offline), half of them streaming, while 5 % of upstream calls
 * fail with HTTP 500 and some prompts ask for a persistent upstream fault.
 *
 * What the user must see: every request whose upstream call succeeded gets
 * an image whose bytes are exactly the upstream's; every other gets a clear
 * OpenAI-shaped error; the Worker itself never answers 500; no two requests
 * share an image URL. The run is bounded in time and stops by itself.
 */
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "./service.ts";

const REQUESTS = 200;
const CLIENTS = 32;
/** Share of upstream image calls the stand-in fails at random (the Worker retries 5xx up to twice). */
const RANDOM_FAILURE_RATE = 0.05;
/** Every tenth group of four requests (one of each kind) asks for a fault that persists through retries. */
const isPersistentFault = (index: number) => Math.floor(index / 4) % 10 === 2;
/** The whole run, replies and image downloads, must end within this; every fetch is aborted after it. */
const RUN_BUDGET_MS = 150_000;
/** Statuses the Worker may answer a generation with: success, or an upstream fault mapped to 502/503. */
const ALLOWED_STATUSES = new Set([200, 502, 503]);

type RequestKind = "chat-stream" | "chat" | "images";
const KINDS: readonly RequestKind[] = ["chat-stream", "chat", "chat-stream", "images"];

interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

interface PlannedRequest {
  index: number;
  kind: RequestKind;
  tag: string;
  prompt: string;
}

type Reply =
  | { outcome: "image"; status: number; url: string }
  | { outcome: "error"; status: number; error: ErrorBody }
  | { outcome: "broken"; status: number; detail: string };

interface Result {
  request: PlannedRequest;
  reply: Reply;
  /** Set when the reply held an image URL: what fetching it gave. */
  image?: { status: number; sha256: string };
}

interface UpstreamRecord {
  prompt?: string;
  status: number;
  imageSha256?: string;
}

let service: RunningService;

beforeAll(async () => {
  service = await startService({ vars: { RATE_LIMIT_PER_MINUTE: "0" } });
  const response = await fetch(`${service.standInUrl}/__stand-in/options`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ failureRate: RANDOM_FAILURE_RATE }),
  });
  expect(await response.json()).toMatchObject({ failureRate: RANDOM_FAILURE_RATE });
});

afterAll(async () => {
  await service?.stop();
});

/** The service's own messages (not the per-request lines), to tell a crash or reload from a wrong answer. */
function serviceLog(): string {
  const lines = service
    .output()
    .split("\n")
    .filter((line) => !/\[stand-in\]|\[wrangler:info\] (GET|POST|HEAD)|"event":"job"/.test(line));
  return lines.slice(-40).join("\n");
}

function plan(): PlannedRequest[] {
  return Array.from({ length: REQUESTS }, (_, index) => {
    const tag = `load${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const fault = isPersistentFault(index) ? " #fault=server" : "";
    return { index, kind: KINDS[index % KINDS.length] ?? "chat", tag, prompt: `a lighthouse at dusk ${tag}${fault}` };
  });
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null) return false;
  const error = value as Record<string, unknown>;
  return (
    typeof error.message === "string" &&
    error.message !== "" &&
    typeof error.type === "string" &&
    "param" in error &&
    "code" in error
  );
}

function imageUrlIn(content: string): string | undefined {
  return /!\[[^\]]*\]\((https?:\/\/[^)\s]+)\)/.exec(content)?.[1];
}

/** The JSON (or "[DONE]") of every `data:` line of an SSE body. */
function sseData(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice("data:".length).trim())
    .map((payload) => {
      try {
        return JSON.parse(payload) as unknown;
      } catch {
        return payload;
      }
    });
}

function deltaContent(payload: unknown): string {
  const choices = (payload as { choices?: { delta?: { content?: string } }[] } | null)?.choices;
  return choices?.[0]?.delta?.content ?? "";
}

/** A streamed reply ends with the image link and [DONE], or with an error event and then [DONE]. */
function readStreamReply(status: number, text: string): Reply {
  const payloads = sseData(text);
  if (payloads.at(-1) !== "[DONE]")
    return { outcome: "broken", status, detail: `stream did not end with [DONE]: ${text.slice(-300)}` };
  const errorIndex = payloads.findIndex(
    (payload) => typeof payload === "object" && payload !== null && "error" in payload,
  );
  const content = payloads.map(deltaContent).join("");
  const url = imageUrlIn(content);
  if (errorIndex >= 0) {
    const error = (payloads[errorIndex] as { error: unknown }).error;
    if (!isErrorBody(error))
      return { outcome: "broken", status, detail: `malformed error event: ${JSON.stringify(error)}` };
    if (errorIndex !== payloads.length - 2)
      return { outcome: "broken", status, detail: "the error event is not followed directly by [DONE]" };
    if (url !== undefined) return { outcome: "broken", status, detail: "an error stream also carried an image link" };
    return { outcome: "error", status, error };
  }
  return url
    ? { outcome: "image", status, url }
    : { outcome: "broken", status, detail: `no image link in: ${content.slice(0, 300)}` };
}

async function readJsonReply(kind: RequestKind, response: Response): Promise<Reply> {
  const { status } = response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { outcome: "broken", status, detail: `not JSON: ${text.slice(0, 300)}` };
  }
  if (status !== 200) {
    const error = (body as { error?: unknown }).error;
    return isErrorBody(error)
      ? { outcome: "error", status, error }
      : { outcome: "broken", status, detail: text.slice(0, 300) };
  }
  const url =
    kind === "images"
      ? (body as { data?: { url?: string }[] }).data?.[0]?.url
      : imageUrlIn((body as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? "");
  return url ? { outcome: "image", status, url } : { outcome: "broken", status, detail: text.slice(0, 300) };
}

/** One client's request, then the image download a chat app would do right after. */
async function send(request: PlannedRequest, signal: AbortSignal): Promise<Result> {
  const path = request.kind === "images" ? "/v1/images/generations" : "/v1/chat/completions";
  const body =
    request.kind === "images"
      ? { prompt: request.prompt, response_format: "url" }
      : {
          model: "gpt-4o",
          stream: request.kind === "chat-stream",
          messages: [{ role: "user", content: request.prompt }],
        };
  let reply: Reply;
  try {
    const response = await fetch(`${service.baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    reply =
      request.kind === "chat-stream" && response.status === 200
        ? readStreamReply(response.status, await response.text())
        : await readJsonReply(request.kind, response);
  } catch (error) {
    return { request, reply: { outcome: "broken", status: 0, detail: String(error) } };
  }
  if (reply.outcome !== "image") return { request, reply };
  try {
    const image = await fetch(reply.url, { signal });
    const bytes = Buffer.from(await image.arrayBuffer());
    return {
      request,
      reply,
      image: { status: image.status, sha256: createHash("sha256").update(bytes).digest("hex") },
    };
  } catch (error) {
    return { request, reply, image: { status: 0, sha256: String(error) } };
  }
}

/** Runs `requests` through `clients` concurrent workers, each taking the next request when done. */
async function runConcurrently(requests: PlannedRequest[], clients: number, signal: AbortSignal): Promise<Result[]> {
  const results: Result[] = [];
  let next = 0;
  const client = async () => {
    for (let request = requests[next++]; request !== undefined; request = requests[next++])
      results.push(await send(request, signal));
  };
  await Promise.all(Array.from({ length: clients }, client));
  return results.sort((a, b) => a.request.index - b.request.index);
}

describe(`${REQUESTS} requests from ${CLIENTS} concurrent clients, half streaming, with ${RANDOM_FAILURE_RATE * 100} % of upstream calls failing`, () => {
  it(
    "gives every request whose upstream call succeeded the upstream's exact image, every other a clear error, never a 500, and distinct URLs",
    async () => {
      const requests = plan();
      const results = await runConcurrently(requests, CLIENTS, AbortSignal.timeout(RUN_BUDGET_MS));
      const upstream = (await (await fetch(`${service.standInUrl}/__stand-in/requests`)).json()) as UpstreamRecord[];
      const callsFor = (tag: string) => upstream.filter((record) => record.prompt?.includes(tag));

      expect(results).toHaveLength(REQUESTS);
      const problems: string[] = [];
      for (const { request, reply, image } of results) {
        const label = `#${request.index} ${request.kind}${isPersistentFault(request.index) ? " (persistent fault)" : ""}`;
        const calls = callsFor(request.tag);
        const delivered = calls.filter((call) => call.status === 200 && call.imageSha256 !== undefined);
        if (reply.outcome === "broken") problems.push(`${label}: ${reply.status} ${reply.detail}`);
        else if (!ALLOWED_STATUSES.has(reply.status)) problems.push(`${label}: the Worker answered ${reply.status}`);
        else if (delivered.length > 1) problems.push(`${label}: ${delivered.length} upstream images for one request`);
        else if (delivered[0] !== undefined) {
          if (reply.outcome !== "image")
            problems.push(
              `${label}: the upstream delivered an image but the client got ${reply.status} ${reply.error.code}: ${reply.error.message}`,
            );
          else if (image?.status !== 200) problems.push(`${label}: its image URL answered ${image?.status}`);
          else if (image.sha256 !== delivered[0].imageSha256)
            problems.push(`${label}: the served bytes differ from the upstream's`);
        } else if (reply.outcome !== "error")
          problems.push(`${label}: no upstream image was made, yet the reply carried one`);
      }
      expect(problems, serviceLog()).toEqual([]);

      const urls = results.flatMap(({ reply }) => (reply.outcome === "image" ? [reply.url] : []));
      expect(new Set(urls).size).toBe(urls.length);

      // The faults really happened: persistent ones failed every try, and random ones were retried away.
      const persistent = results.filter(({ request }) => isPersistentFault(request.index));
      expect(persistent.length).toBeGreaterThan(0);
      for (const { request, reply } of persistent) {
        expect(reply.outcome, `#${request.index}`).toBe("error");
        if (reply.outcome === "error") expect(reply.error.code).toBe("upstream_error");
      }
      const recovered = results.filter(({ request }) => {
        const statuses = callsFor(request.tag).map((call) => call.status);
        return statuses.includes(500) && statuses.includes(200);
      });
      expect(recovered.length).toBeGreaterThan(0);
      expect(urls.length).toBeGreaterThan(REQUESTS * 0.8);
      // The planned failures (about 5 % of upstream calls, 20 persistent) are clear errors, not missing replies.
      const errors = results.filter(({ reply }) => reply.outcome === "error").length;
      expect(urls.length + errors).toBe(REQUESTS);
    },
    RUN_BUDGET_MS + 30_000,
  );
});

/** Shared helpers for the workerd tests: calling the Worker, reading SSE, asking the stand-in what it received. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { splitStream, toHex } from "../../src/lib/bytes.ts";
import { ApiError } from "../../src/lib/http/errors.ts";
import worker from "../../src/worker.ts";

export const API_KEY = "sk-test-key";
export const ORIGIN = "https://flux.example";

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...extra };
}

/** Calls the Worker through its real entry point, as a client would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** Calls the Worker with some settings overridden (the job receives them from the Worker). */
export async function callWith(
  settings: Record<string, string>,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...settings }, ctx);
  void waitOnExecutionContext(ctx);
  return response;
}

export function chatBody(prompt: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: prompt }], ...extra });
}

export function postChat(
  prompt: string,
  extra: Record<string, unknown> = {},
  settings?: Record<string, string>,
): Promise<Response> {
  const init = { method: "POST", headers: authHeaders(), body: chatBody(prompt, extra) };
  return settings ? callWith(settings, "/v1/chat/completions", init) : call("/v1/chat/completions", init);
}

/** A unique marker so a test can find its own requests at the shared stand-in. */
export function marker(): string {
  return `m${crypto.randomUUID().slice(0, 8)}`;
}

export interface SseFrame {
  /** The `data:` payload, parsed when it is JSON, or the raw text ("[DONE]"). */
  data?: unknown;
  comment?: string;
  id?: string;
  event?: string;
  /** Milliseconds since reading began. */
  at: number;
}

/** Reads an SSE body frame by frame, as chunks arrive. */
export async function* readSse(response: Response): AsyncGenerator<SseFrame, void> {
  const body = response.body;
  if (!body) return;
  const started = Date.now();
  for await (const block of splitStream(body as ReadableStream<Uint8Array>, "\n\n"))
    yield parseFrame(block, Date.now() - started);
}

function parseFrame(block: string, at: number): SseFrame {
  const frame: SseFrame = { at };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) frame.comment = line.slice(1).trim();
    else if (line.startsWith("data: ")) {
      const text = line.slice(6);
      try {
        frame.data = JSON.parse(text);
      } catch {
        frame.data = text;
      }
    } else if (line.startsWith("id: ")) frame.id = line.slice(4);
    else if (line.startsWith("event: ")) frame.event = line.slice(7);
  }
  return frame;
}

export async function collectSse(response: Response): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for await (const frame of readSse(response)) frames.push(frame);
  return frames;
}

export interface RecordedUpstreamRequest {
  path: string;
  model?: string;
  contentType: string;
  authorization: string;
  /** The image prompt, or the last user message of an optimiser call. */
  prompt?: string;
  json?: Record<string, unknown>;
  form?: Record<string, unknown>;
  status: number;
  imageSha256?: string;
  /** The reference images (input_image_N) of a FLUX.2 call, as received. */
  references?: { name: string; contentType: string; width: number; height: number; bytes: number; sha256: string }[];
  rawBody?: string;
}

/** The stand-in's root URL (CF_API_BASE without /client/v4; EXTERNAL_API_BASE without /v1). */
export function standInUrl(): string {
  return String((env as unknown as Record<string, unknown>).CF_API_BASE).replace(/\/client\/v4$/, "");
}

/** What the stand-in received whose prompt contains `text`. */
export async function upstreamRequests(text: string): Promise<RecordedUpstreamRequest[]> {
  const response = await fetch(`${standInUrl()}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  return response.json<RecordedUpstreamRequest[]>();
}

/** The markdown image URL in a reply. */
export function imageUrlIn(content: string): string | undefined {
  return /!\[[^\]]*\]\(([^)\s]+)\)/.exec(content)?.[1];
}

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** The ApiError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => new Error("it succeeded"),
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

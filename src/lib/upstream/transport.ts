/**
 * The two ways to reach Workers AI, answering in one shape so that retries,
 * deadlines and error mapping (workers-ai.ts) are written once:
 * - the AI binding (`env.AI.run`), the default on Cloudflare: no API token at all;
 * - the REST API (`POST {base}/accounts/{id}/ai/run/{model}` with a Bearer token), chosen by
 *   setting CF_ACCOUNT_ID and CF_API_TOKEN: another account, AI Gateway, the offline stand-in.
 */
import { ApiError } from "../http/errors.ts";
import type { UpstreamSettings } from "../settings.ts";
import { parseNeurons } from "../generation/cost.ts";
import { parseRetryAfter } from "./retry.ts";

/** What one model call sends: a JSON object, or a multipart form (the FLUX.2 models accept only that). */
export type ModelInput = { json: Record<string, unknown> } | { form: FormData };

/** What one call answered, however it travelled. */
export type ModelAnswer =
  /** The model's output: `{ image }` for Flux, a chat completion for a chat model. */
  | { kind: "result"; result: unknown; neurons?: number }
  /** A success whose body is not JSON: the image itself (Stable Diffusion's PNG, phoenix's JPEG). */
  | { kind: "bytes"; bytes: Uint8Array; neurons?: number }
  /** Workers AI said no: its error code and message, the HTTP status when known. */
  | { kind: "error"; status?: number; code?: number; message?: string; retryAfter?: number; neurons?: number }
  /** A success whose body is not JSON. */
  | { kind: "unreadable" };

/** One call to a Workers AI model. Throws only when the service could not be reached, or `signal` fired. */
export type WorkersAi = (model: string, input: ModelInput, signal: AbortSignal) => Promise<ModelAnswer>;

/** The part of the Workers AI binding this Worker uses: the real `env.AI`, or a test's fake. */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown>;
  /** Set by the real binding after each call. Concurrent calls share it, so it is only a hint. */
  readonly lastRequestHttpStatusCode?: number | null;
}

/** The call this deployment makes: REST when CF_ACCOUNT_ID and CF_API_TOKEN are set, the binding otherwise. */
export function workersAi(
  upstream: UpstreamSettings,
  binding: AiBinding | undefined,
  doFetch: typeof fetch = fetch,
): WorkersAi {
  if (upstream.via === "rest") return (model, input, signal) => callRest(upstream, doFetch, model, input, signal);
  if (!binding) throw notConfigured();
  return (model, input, signal) => callBinding(binding, model, input, signal);
}

/** The error for a deployment with neither the binding nor REST credentials. */
export function notConfigured(): ApiError {
  return new ApiError(
    500,
    'Workers AI is not configured: add the AI binding ("ai": { "binding": "AI" } in wrangler.jsonc) or set CF_ACCOUNT_ID and CF_API_TOKEN.',
    { code: "invalid_setting", param: "AI" },
  );
}

/** `wrangler dev --local` and the tests have an AI binding that only refuses: no model runs locally. */
function localBinding(): ApiError {
  return new ApiError(
    502,
    "The AI binding does not run locally (wrangler dev --local). Use `npm start` for the offline stand-in, `npx wrangler dev` for the real models, or set CF_ACCOUNT_ID and CF_API_TOKEN.",
    { code: "upstream_unreachable" },
  );
}

interface Envelope {
  success?: boolean;
  result?: unknown;
  errors?: { code?: number; message?: string }[];
}

async function callRest(
  upstream: UpstreamSettings,
  doFetch: typeof fetch,
  model: string,
  input: ModelInput,
  signal: AbortSignal,
): Promise<ModelAnswer> {
  const url = `${upstream.cfApiBase}/accounts/${encodeURIComponent(upstream.cfAccountId)}/ai/run/${model}`;
  const headers: Record<string, string> = { authorization: `Bearer ${upstream.cfApiToken}` };
  // A form gets no content type of ours: fetch writes it with the multipart boundary.
  if ("json" in input) headers["content-type"] = "application/json";
  const body = "json" in input ? JSON.stringify(input.json) : input.form;
  const response = await doFetch(url, { method: "POST", headers, body, signal });
  // What the call cost, as Workers AI counts it (the binding has no such figure).
  const neurons = parseNeurons(response.headers.get("cf-ai-neurons"));
  // Models that answer with a picture send its bytes (under its type, or a generic one); errors are always an envelope.
  if (response.ok && !/json/i.test(response.headers.get("content-type") ?? "json"))
    return { kind: "bytes", bytes: new Uint8Array(await response.arrayBuffer()), neurons };
  const envelope = parseJson(await response.text()) as Envelope | undefined;
  if (!response.ok || envelope?.success === false) {
    const first = envelope?.errors?.[0];
    return {
      kind: "error",
      status: response.status,
      code: first?.code,
      message: first?.message,
      retryAfter: parseRetryAfter(response.headers.get("retry-after")),
      neurons,
    };
  }
  return envelope === undefined ? { kind: "unreadable" } : { kind: "result", result: envelope.result, neurons };
}

async function callBinding(
  binding: AiBinding,
  model: string,
  input: ModelInput,
  signal: AbortSignal,
): Promise<ModelAnswer> {
  let inputs: Record<string, unknown>;
  if ("json" in input) {
    inputs = input.json;
  } else {
    // The binding takes multipart as a stream plus its content type, boundary included.
    const encoded = new Response(input.form);
    inputs = { multipart: { body: encoded.body, contentType: encoded.headers.get("content-type") } };
  }
  let output: unknown;
  try {
    output = await binding.run(model, inputs, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof Error && /needs to be run remotely/.test(error.message)) throw localBinding();
    const answer = bindingError(error, binding.lastRequestHttpStatusCode);
    if (answer) return answer;
    throw error; // not an answer from Workers AI: treated as "could not reach it"
  }
  // The binding returns JSON parsed when the answer says `application/json`, and the raw body
  // otherwise: the picture of a model that answers with its bytes.
  if (output instanceof ReadableStream) {
    const bytes = new Uint8Array(await new Response(output).arrayBuffer());
    if (bytes[0] !== 0x7b) return { kind: "bytes", bytes }; // not "{"
    const parsed = parseJson(new TextDecoder().decode(bytes));
    return parsed === undefined ? { kind: "unreadable" } : { kind: "result", result: parsed };
  }
  if (output instanceof Uint8Array) return { kind: "bytes", bytes: output };
  return { kind: "result", result: output };
}

/**
 * The binding throws `InferenceUpstreamError("<code>: <message>")` for an error answer (workerd's
 * ai-api.ts), and records the HTTP status on itself. A thrown error with neither is not an answer.
 */
function bindingError(error: unknown, status: number | null | undefined): ModelAnswer | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const coded = /^(\d{3,5}): ([\s\S]*)$/.exec(text);
  if (coded) return { kind: "error", code: Number(coded[1]), message: coded[2], status: status ?? undefined };
  if (typeof status === "number" && status >= 400) return { kind: "error", status, message: text };
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

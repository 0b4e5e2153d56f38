/**
 * Client for Workers AI's REST API (`POST {base}/accounts/{id}/ai/run/{model}`):
 * builds each model's body, retries transient faults inside one deadline, and
 * maps every failure to an ApiError a person can act on.
 */
import { ApiError } from "../http/errors.ts";
import { decodeBase64, inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import type { FluxModel } from "../generation/models.ts";
import { backoffDelayMs, MAX_RETRIES, parseRetryAfter, sleep } from "./retry.ts";
import type { UpstreamSettings } from "../settings.ts";

export interface ImageRequest {
  model: FluxModel;
  prompt: string;
  width: number;
  height: number;
}

export interface GeneratedImage extends ImageInfo {
  bytes: Uint8Array;
  /** The upstream's base64, kept so a `b64_json` reply needs no re-encoding. */
  base64: string;
}

export interface GenerateHooks {
  /** Called before each retry, e.g. to tell the user why it is taking longer. */
  onRetry?: (retry: number, maxRetries: number) => void;
  fetch?: typeof fetch;
}

/** The request as Workers AI wants it for this model: JSON for schnell, multipart for FLUX.2. */
export function buildImageBody(
  request: ImageRequest,
  steps: number,
): { body: string | FormData; contentType?: string } {
  const { model } = request;
  if (model.input === "json") {
    return {
      body: JSON.stringify({ prompt: request.prompt, steps: Math.min(steps, model.maxSteps) }),
      contentType: "application/json",
    };
  }
  const form = new FormData();
  form.set("prompt", request.prompt);
  form.set("width", String(request.width));
  form.set("height", String(request.height));
  if (model.maxSteps > 0) form.set("steps", String(Math.min(steps, model.maxSteps)));
  return { body: form }; // fetch sets the multipart boundary itself
}

/** Generates one image; throws ApiError on any failure. */
export async function generateImage(
  request: ImageRequest,
  upstream: UpstreamSettings,
  hooks: GenerateHooks = {},
): Promise<GeneratedImage> {
  const doFetch = hooks.fetch ?? fetch;
  const url = `${upstream.cfApiBase}/accounts/${encodeURIComponent(upstream.cfAccountId)}/ai/run/${request.model.id}`;
  const deadline = AbortSignal.timeout(upstream.imageTimeoutMs);
  const deadlineAt = Date.now() + upstream.imageTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    const { body, contentType } = buildImageBody(request, upstream.fluxNumSteps);
    const headers: Record<string, string> = { authorization: `Bearer ${upstream.cfApiToken}` };
    if (contentType) headers["content-type"] = contentType;
    let outcome: Attempt;
    try {
      const response = await doFetch(url, { method: "POST", headers, body, signal: deadline });
      outcome = await readAttempt(response, request.model);
    } catch (error) {
      if (deadline.aborted) throw timeoutError(upstream.imageTimeoutMs);
      outcome = {
        kind: "retryable",
        error: new ApiError(502, `Could not reach Workers AI: ${String(error)}.`, { code: "upstream_unreachable" }),
      };
    }
    if (outcome.kind === "image") return outcome.image;
    if (outcome.kind === "fatal" || attempt >= MAX_RETRIES) throw outcome.error;
    const waitMs = backoffDelayMs(attempt + 1, outcome.retryAfter);
    // A wait that outlasts the deadline cannot end in an image: answer with the real cause (e.g. 503 capacity) now, not a 504 later.
    if (Date.now() + waitMs >= deadlineAt) throw outcome.error;
    hooks.onRetry?.(attempt + 1, MAX_RETRIES);
    try {
      await sleep(waitMs, deadline);
    } catch {
      throw timeoutError(upstream.imageTimeoutMs);
    }
  }
}

type Attempt =
  | { kind: "image"; image: GeneratedImage }
  | { kind: "retryable"; error: ApiError; retryAfter?: number }
  | { kind: "fatal"; error: ApiError };

interface Envelope {
  success?: boolean;
  result?: { image?: unknown } | null;
  errors?: { code?: number; message?: string }[];
}

async function readAttempt(response: Response, model: FluxModel): Promise<Attempt> {
  const text = await response.text();
  const envelope = parseEnvelope(text);
  if (!response.ok || envelope?.success === false) return classifyFailure(response, envelope, model);
  if (!envelope) return fatal(502, "Workers AI answered with something that is not JSON.", "upstream_bad_response");
  const base64 = envelope.result?.image;
  if (typeof base64 !== "string" || base64 === "")
    return fatal(502, "Workers AI's answer has no image.", "upstream_bad_response");
  const bytes = decodeBase64(base64);
  if (!bytes) return fatal(502, "Workers AI's image is not valid base64.", "upstream_bad_response");
  const info = inspectImage(bytes);
  if (!info)
    return fatal(502, "Workers AI returned bytes that are not a JPEG, PNG or WebP image.", "upstream_bad_response");
  return { kind: "image", image: { ...info, bytes, base64 } };
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Maps a Workers AI error (HTTP status + envelope code) to what we answer. */
function classifyFailure(response: Response, envelope: Envelope | undefined, model: FluxModel): Attempt {
  const first = envelope?.errors?.[0];
  const code = first?.code;
  const detail = first?.message
    ? ` (Workers AI ${code ?? response.status}: ${first.message})`
    : ` (HTTP ${response.status})`;
  const status = response.status;
  if (code === 3030 || /nsfw/i.test(first?.message ?? "")) {
    return fatal(
      400,
      "The prompt was flagged by Workers AI's safety filter. Rephrase it and try again.",
      "content_filter",
    );
  }
  if (code === 3036) {
    return fatal(
      429,
      `The Workers AI daily free allocation is used up${detail}. It resets at 00:00 UTC; upgrade to Workers Paid to continue now.`,
      "daily_limit_reached",
      "insufficient_quota",
    );
  }
  if (code === 3040) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    const error = new ApiError(503, `Workers AI is out of capacity for ${model.id}${detail}. Try again in a minute.`, {
      code: "upstream_capacity",
      retryAfter: retryAfter ?? 30,
    });
    return { kind: "retryable", error, retryAfter };
  }
  if (status === 401 || code === 10000) {
    return fatal(
      502,
      `Workers AI refused the credentials${detail}. Check CF_API_TOKEN (a token with Workers AI permission) and CF_ACCOUNT_ID.`,
      "upstream_auth",
    );
  }
  if (status === 403 || code === 5035) {
    return fatal(
      502,
      `Workers AI refused access to ${model.id}${detail}. Check that CF_ACCOUNT_ID is right and CF_API_TOKEN may use Workers AI; the model may need the Workers Paid plan (or choose another FLUX_MODEL).`,
      "upstream_auth",
    );
  }
  if (status === 413 || code === 3006)
    return fatal(400, `The request is too large for ${model.id}${detail}. Shorten the prompt.`, "request_too_large");
  if (status === 408 || code === 3007)
    return fatal(504, `Workers AI timed out generating the image${detail}. Try again.`, "upstream_timeout");
  if (status === 429) {
    const error = new ApiError(429, `Workers AI rate limit reached${detail}. Slow down and try again.`, {
      code: "upstream_rate_limited",
      retryAfter: 60,
    });
    return { kind: "fatal", error };
  }
  if (status >= 500)
    return {
      kind: "retryable",
      error: new ApiError(502, `Workers AI failed${detail}.`, { code: "upstream_error" }),
      retryAfter: parseRetryAfter(response.headers.get("retry-after")),
    };
  if (code === 5007)
    return fatal(
      502,
      `Workers AI does not offer ${model.id} on this account${detail}. Check FLUX_MODEL.`,
      "model_not_found",
    );
  return fatal(502, `Workers AI rejected the request${detail}.`, "upstream_error");
}

function fatal(status: number, message: string, code: string, type?: ApiError["type"]): Attempt {
  return { kind: "fatal", error: new ApiError(status, message, { code, type }) };
}

function timeoutError(timeoutMs: number): ApiError {
  return new ApiError(504, `Workers AI did not answer within ${timeoutMs / 1000} s (IMAGE_TIMEOUT). Try again.`, {
    code: "upstream_timeout",
  });
}

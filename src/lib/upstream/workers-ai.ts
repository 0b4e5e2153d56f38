/**
 * Image generation on Workers AI: builds each model's input, retries transient
 * faults inside one deadline, and maps every failure to an ApiError a person
 * can act on. The same for the AI binding and the REST API (transport.ts).
 */
import { ApiError } from "../http/errors.ts";
import { decodeBase64, encodeBase64, inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import { estimatedCost, reportedCost, totalCost, type Cost } from "../generation/cost.ts";
import { takesSize, type ImageModel } from "../generation/models.ts";
import { resolvedOptions, type GenerationOptions } from "../generation/options.ts";
import { secondsUntilUtcMidnight } from "../generation/utc-day.ts";
import { backoffDelayMs, MAX_RETRIES, sleep } from "./retry.ts";
import type { UpstreamSettings } from "../settings.ts";
import type { ModelAnswer, ModelInput, WorkersAi } from "./transport.ts";

export interface ImageRequest {
  model: ImageModel;
  prompt: string;
  width: number;
  height: number;
  /** Only for a model that takes one. */
  seed?: number;
  /** The caller's parameters; the model's defaults are added for the ones not given. */
  options?: GenerationOptions;
  /** Reference images below 512×512 (FLUX.2 only), sent as `input_image_0`…`input_image_3`; their size prices them. */
  references?: readonly { bytes: Uint8Array; contentType: string; width: number; height: number }[];
  /** The picture img2img or inpainting changes, shrunk to the painted size. */
  source?: Uint8Array;
  /** Inpainting's mask, the model's kind (white repainted), the source's size. */
  mask?: Uint8Array;
}

export interface GeneratedImage extends ImageInfo {
  bytes: Uint8Array;
  /** The upstream's base64, kept so a `b64_json` reply needs no re-encoding. */
  base64: string;
  /** What it cost, every try included. */
  cost: Cost;
}

export interface GenerateHooks {
  /** Called before each retry with the error that caused it, e.g. to tell the user why it is taking longer. */
  onRetry?: (retry: number, maxRetries: number, cause: ApiError) => void;
  /**
   * Called with what each try cost as soon as it is known, failed tries included, so a job that
   * fails after paying for pictures still counts them (a try cut off by the deadline counts its
   * estimate: Workers AI may bill it).
   */
  onSpent?: (neurons: number) => void;
}

/**
 * The input as Workers AI wants it for this model, every field from its table entry: the fields it
 * takes, under its names, in its body (multipart for FLUX.2, JSON for the others). `defaultSteps` is
 * FLUX_NUM_STEPS, the default of the FLUX models that take steps.
 */
export function buildImageInput(request: ImageRequest, defaultSteps: number): ModelInput {
  const { model } = request;
  const options = resolvedOptions(model, request.options ?? {}, defaultSteps);
  const fields: Record<string, string | number | number[]> = { prompt: request.prompt };
  if (takesSize(model)) Object.assign(fields, { width: request.width, height: request.height });
  if (model.seed && request.seed !== undefined) fields.seed = request.seed;
  if (model.negativePrompt && options.negativePrompt !== undefined) fields.negative_prompt = options.negativePrompt;
  if (model.guidance && options.guidance !== undefined) fields.guidance = options.guidance;
  if (model.steps && options.steps !== undefined) fields[model.steps.field] = options.steps;
  if (model.source && request.source) {
    // The encoded picture as an array of its bytes, as the Stable Diffusion schemas take it.
    fields.image = Array.from(request.source);
    if (options.strength !== undefined) fields.strength = options.strength;
    if (request.mask) fields.mask = Array.from(request.mask);
  }
  if (model.body === "json") return { json: fields };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, String(value));
  // Binary parts, as Workers AI reads them; the name's extension is only a courtesy.
  request.references?.forEach(({ bytes, contentType }, index) => {
    const extension = contentType === "image/png" ? "png" : "jpg";
    form.set(`input_image_${index}`, new Blob([bytes], { type: contentType }), `input_image_${index}.${extension}`);
  });
  return { form };
}

/** Generates one image through `ai`; throws ApiError on any failure. */
export async function generateImage(
  request: ImageRequest,
  ai: WorkersAi,
  upstream: UpstreamSettings,
  hooks: GenerateHooks = {},
): Promise<GeneratedImage> {
  const deadline = AbortSignal.timeout(upstream.imageTimeoutMs);
  const deadlineAt = Date.now() + upstream.imageTimeoutMs;
  // What the tries before the last cost, where Workers AI said.
  let spentBefore = 0;
  for (let attempt = 0; ; attempt++) {
    let outcome: Attempt;
    try {
      // A fresh input each time: a multipart body is a stream, used up by the attempt before.
      const answer = await ai(request.model.id, buildImageInput(request, upstream.fluxNumSteps), deadline);
      outcome = readAnswer(answer, request.model);
      const neurons = answer.kind === "unreadable" ? undefined : answer.neurons;
      if (outcome.kind === "image") {
        const cost = costOf(request, upstream, neurons, spentBefore);
        hooks.onSpent?.((cost.neurons ?? 0) - spentBefore);
        return { ...outcome.image, cost };
      }
      spentBefore += neurons ?? 0;
      if (neurons) hooks.onSpent?.(neurons);
    } catch (error) {
      if (deadline.aborted) {
        hooks.onSpent?.(costOf(request, upstream, undefined, 0).neurons ?? 0);
        throw timeoutError(upstream.imageTimeoutMs);
      }
      if (error instanceof ApiError) throw error; // the transport already knows it is final
      // The runtime's words ("Network connection lost.") go to the log, not to the client.
      console.error(JSON.stringify({ event: "upstream_unreachable", attempt, error: String(error) }));
      outcome = {
        kind: "retryable",
        error: new ApiError(502, "Could not reach Workers AI: the connection failed.", {
          code: "upstream_unreachable",
        }),
      };
    }
    if (outcome.kind === "fatal" || attempt >= MAX_RETRIES) throw outcome.error;
    const waitMs = backoffDelayMs(attempt + 1, outcome.retryAfter);
    // A wait that outlasts the deadline cannot end in an image: answer with the real cause (e.g. 503 capacity) now, not a 504 later.
    if (Date.now() + waitMs >= deadlineAt) throw outcome.error;
    hooks.onRetry?.(attempt + 1, MAX_RETRIES, outcome.error);
    try {
      await sleep(waitMs, deadline);
    } catch {
      throw timeoutError(upstream.imageTimeoutMs);
    }
  }
}

/** The cost of a picture: what Workers AI reported for it, or the price formula's figure, plus what earlier tries reported. */
function costOf(
  request: ImageRequest,
  upstream: UpstreamSettings,
  reported: number | undefined,
  spentBefore: number,
): Cost {
  if (reported !== undefined) return reportedCost(spentBefore + reported);
  const { model } = request;
  const steps = resolvedOptions(model, request.options ?? {}, upstream.fluxNumSteps).steps ?? model.fixedSteps ?? 0;
  const inputs = (request.references ?? []).map(({ width, height }) => ({ width, height }));
  const estimate = estimatedCost(model, { width: request.width, height: request.height, steps, inputs });
  return spentBefore > 0 ? totalCost([reportedCost(spentBefore), estimate]) : estimate;
}

type Attempt =
  | { kind: "image"; image: Omit<GeneratedImage, "cost"> }
  | { kind: "retryable"; error: ApiError; retryAfter?: number }
  | { kind: "fatal"; error: ApiError };

type Failure = Extract<ModelAnswer, { kind: "error" }>;

/** The picture in an answer, however it came: base64 in `{ image }`, or the image bytes themselves (the Stable Diffusion models, phoenix). */
function readAnswer(answer: ModelAnswer, model: ImageModel): Attempt {
  if (answer.kind === "error") return classifyFailure(answer, model);
  if (answer.kind === "unreadable")
    return fatal(502, "Workers AI answered with something that is not JSON.", "upstream_bad_response");
  let bytes: Uint8Array | undefined;
  let base64: string;
  if (answer.kind === "bytes") {
    bytes = answer.bytes;
    base64 = encodeBase64(bytes);
  } else {
    const result = answer.result;
    const image = typeof result === "object" && result !== null && "image" in result ? result.image : undefined;
    if (typeof image !== "string" || image === "")
      return fatal(502, "Workers AI's answer has no image.", "upstream_bad_response");
    base64 = image;
    bytes = decodeBase64(base64);
    if (!bytes) return fatal(502, "Workers AI's image is not valid base64.", "upstream_bad_response");
  }
  const info = inspectImage(bytes);
  if (!info)
    return fatal(502, "Workers AI returned bytes that are not a JPEG, PNG or WebP image.", "upstream_bad_response");
  return { kind: "image", image: { ...info, bytes, base64 } };
}

/**
 * Maps a Workers AI error to what we answer: by its code first (the binding's errors carry only
 * the code reliably), then by HTTP status.
 */
function classifyFailure(failure: Failure, model: ImageModel): Attempt {
  const { code, status, message } = failure;
  const detail = message ? ` (Workers AI ${code ?? status ?? "error"}: ${message})` : ` (HTTP ${status ?? "error"})`;
  if (code === 3030 || /nsfw/i.test(message ?? "")) {
    return fatal(
      400,
      "The prompt was flagged by Workers AI's safety filter. Rephrase it and try again.",
      "content_filter",
    );
  }
  // The account's own daily allowance: documented as 3036, also seen as 4006. Retrying before 00:00 UTC is useless.
  if (code === 3036 || code === 4006 || /daily free allocation/i.test(message ?? "")) {
    const error = new ApiError(
      429,
      `The Cloudflare account's daily Workers AI allowance (10,000 free neurons) is used up${detail}. It resets at 00:00 UTC; until then, upgrade to Workers Paid or choose a cheaper model (GET /v1/models lists each one's price).`,
      { code: "daily_quota_exceeded", type: "insufficient_quota", retryAfter: secondsUntilUtcMidnight() },
    );
    return { kind: "fatal", error };
  }
  if (code === 3040) {
    const error = new ApiError(503, `Workers AI is out of capacity for ${model.id}${detail}. Try again in a minute.`, {
      code: "upstream_capacity",
      retryAfter: failure.retryAfter ?? 30,
    });
    return { kind: "retryable", error, retryAfter: failure.retryAfter };
  }
  if (code === 10000 || (code === undefined && status === 401)) {
    return fatal(
      502,
      `Workers AI refused the credentials${detail}. Check CF_API_TOKEN (a token with Workers AI permission) and CF_ACCOUNT_ID.`,
      "upstream_auth",
    );
  }
  if (code === 5035 || (code === undefined && status === 403)) {
    return fatal(
      502,
      `Workers AI refused access to ${model.id}${detail}. Check that CF_ACCOUNT_ID is right and CF_API_TOKEN may use Workers AI; the model may need the Workers Paid plan (or choose another FLUX_MODEL).`,
      "upstream_auth",
    );
  }
  if (code === 5007)
    return fatal(
      502,
      `Workers AI does not offer ${model.id} on this account${detail}. Check FLUX_MODEL.`,
      "model_not_found",
    );
  if (code === 3006 || status === 413)
    return fatal(
      400,
      `The request is too large for ${model.id}${detail}. Shorten the prompt, or send smaller or fewer images.`,
      "request_too_large",
    );
  if (code === 3007 || status === 408)
    return fatal(504, `Workers AI timed out generating the image${detail}. Try again.`, "upstream_timeout");
  if (status === 429) {
    const error = new ApiError(429, `Workers AI rate limit reached${detail}. Slow down and try again.`, {
      code: "upstream_rate_limited",
      retryAfter: 60,
    });
    return { kind: "fatal", error };
  }
  if (status !== undefined && status >= 500)
    return {
      kind: "retryable",
      error: new ApiError(502, `Workers AI failed${detail}.`, { code: "upstream_error" }),
      retryAfter: failure.retryAfter,
    };
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

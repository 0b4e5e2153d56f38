/**
 * The OpenAI Images API: POST /v1/images/generations, and POST /v1/images/edits
 * for editing and combining images, for tools that do not generate through chat
 * (Open WebUI, LibreChat, Dify, the AI SDK, NextChat's dall-e-3). `b64_json` is
 * the default because several clients send no `response_format` and need base64.
 */
import { ApiError } from "../lib/http/errors.ts";
import { jobEstimate } from "../lib/generation/cost.ts";
import { effectiveSize, findModel, INPAINTING_MODEL, resolveModel, sizeForRatio } from "../lib/generation/models.ts";
import {
  checkOptions,
  cleanNegativePrompt,
  OPTIONS,
  refuseUnusedOptions,
  withoutUnused,
  type GenerationOptions,
} from "../lib/generation/options.ts";
import { checkPromptLength, cleanPrompt, refuseFarTooLong } from "../lib/generation/prompt.ts";
import { checkSeed, refuseUnusedSeed, seedsFor } from "../lib/generation/seeds.ts";
import { parseSizeParameter } from "../lib/generation/sizes.ts";
import { checkImagesFor, noReferences, uploadedBytes, type References } from "../lib/images/intake.ts";
import { readEditsBody } from "../lib/openai/edits-body.ts";
import { imageStreamFrames } from "../lib/openai/image-stream.ts";
import type { JobSpec } from "../lib/jobs.ts";
import { imagesRequestSchema, readJsonBody, validate } from "../lib/openai/request-body.ts";
import { linkOrigin, type RoutedRequest } from "./context.ts";
import { admitJob, completeJob, followJob, startJob, streamJob } from "./start-job.ts";

/** The fields both endpoints share, as their bodies give them. */
interface ImagesFields {
  prompt: string;
  model?: string | null;
  n?: number | null;
  size?: string | null;
  width?: number | null;
  height?: number | null;
  response_format?: "url" | "b64_json" | null;
  seed?: number | null;
  negative_prompt?: string | null;
  steps?: number | null;
  guidance?: number | null;
  strength?: number | null;
  stream?: boolean | null;
  quality?: string | null;
  output_format?: "png" | "jpeg" | "webp" | null;
  output_compression?: number | null;
  background?: "transparent" | "opaque" | "auto" | null;
}

export async function imageGenerations(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const body = validate(imagesRequestSchema, await readJsonBody(request));
  return runImagesJob(request, env, ctx, body, noReferences());
}

export async function imageEdits(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { fields, references } = await readEditsBody(request, linkOrigin(request));
  return runImagesJob(request, env, ctx, fields, references);
}

/**
 * A variation keeps the picture's subject and style in a new composition. FLUX.2 with the picture
 * as its reference does that from words; img2img would keep the composition and change the look.
 */
const VARIATION_PROMPT =
  "A new variation of image 0: the same subject, style, colours and mood, in a fresh composition and pose.";

/** POST /v1/images/variations: one picture, painted again as a variation (`images.createVariation`). */
export async function imageVariations(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { fields, references } = await readEditsBody(request, linkOrigin(request), VARIATION_PROMPT);
  if (references.sources.length > 1)
    throw new ApiError(400, "A variation is made of one picture: send one 'image'.", {
      param: "image[1]",
      code: "too_many_images",
    });
  if (references.mask)
    throw new ApiError(400, "A variation takes no mask: use /v1/images/edits to repaint part of a picture.", {
      param: "mask",
      code: "unsupported_parameter",
    });
  // The default model, when it takes references; FLUX.2 klein otherwise (other vendors' names too).
  const { defaultModel } = request.settings;
  const fallback = defaultModel.references > 0 ? defaultModel : (findModel("flux-2-klein-4b") ?? defaultModel);
  return runImagesJob(request, env, ctx, fields, references, fallback);
}

/** Checks the fields, runs the job and answers in the Images API's shape. */
async function runImagesJob(
  request: RoutedRequest,
  env: Env,
  ctx: ExecutionContext,
  body: ImagesFields,
  references: References,
  /** The model when the request names none of ours: FLUX_MODEL, unless the request says otherwise. */
  fallbackModel = request.settings.defaultModel,
): Promise<Response> {
  const { settings } = request;
  refuseFarTooLong(body.prompt, "prompt");
  const prompt = cleanPrompt(body.prompt);
  checkPromptLength(prompt, "prompt");
  const editing = references.sources.length > 0;
  const requested = requestedSize(body);
  // A mask is for the inpainting model: it paints one when the caller named none.
  const fallback = references.mask ? INPAINTING_MODEL : fallbackModel;
  const model = resolveModel(body.model, fallback);
  // "auto" (gpt-image clients send it) or no size: the model's default, or for an edit the image's shape.
  const followsReference = editing && requested === undefined;
  const wanted = requested ?? sizeForRatio(model, 1);
  const seed = body.seed == null ? undefined : checkSeed(body.seed, "seed");
  refuseUnusedSeed(model, seed, "seed");
  checkImagesFor(model, references, "image");
  const options: GenerationOptions = {
    negativePrompt: cleanNegativePrompt(body.negative_prompt),
    steps: body.steps ?? undefined,
    guidance: body.guidance ?? undefined,
    strength: body.strength ?? undefined,
  };
  refuseUnusedOptions(model, options);
  checkOptions(model, options, (name) => OPTIONS[name].field);
  if (body.background === "transparent")
    throw new ApiError(
      400,
      'No model of this service paints transparency: leave \'background\' out, or send "opaque" or "auto".',
      { param: "background", code: "unsupported_parameter" },
    );
  const delivery = body.response_format ?? "b64_json";
  const alsoBase64 = delivery === "url" && request.inlinePictures === true;
  const size = effectiveSize(model, wanted.width, wanted.height);
  const count = body.n ?? 1;
  const estimate = jobEstimate(
    model,
    { ...size, count, references: references.sources.length, options },
    settings.upstream.fluxNumSteps,
  );
  const account = await admitJob(request, env, { images: count, estimate, param: "n" });

  const spec: JobSpec = {
    kind: "images",
    prompt,
    model: model.id,
    ...size,
    count,
    seeds: seedsFor(model, count, seed),
    options: withoutUnused(model, options),
    ...(editing ? { references: references.sources } : {}),
    ...(references.mask ? { mask: references.mask } : {}),
    ...(body.output_format
      ? { output: { format: body.output_format, compression: body.output_compression ?? undefined } }
      : {}),
    ...(followsReference ? { sizeFromReference: "long-side" as const } : {}),
    delivery,
    ...(alsoBase64 ? { alsoBase64 } : {}),
    owner: request.keyDigest,
    account,
    origin: linkOrigin(request),
    settings: settings.job,
  };
  if (body.stream) {
    const context = {
      kind: editing ? ("edit" as const) : ("generation" as const),
      delivery,
      quality: body.quality ?? "auto",
      model: model.short,
    };
    // OpenAI's image events as the job ends (image-stream.ts).
    return streamJob(startJob(env, spec, uploadedBytes(references)), (event) => imageStreamFrames(event, context), ctx);
  }
  const uploads = uploadedBytes(references);
  const job = request.onJobEvent
    ? await followJob(env, spec, uploads, request.onJobEvent)
    : await completeJob(env, spec, uploads);
  const { result } = job;
  const first = result.images[0];
  return Response.json(
    {
      created: Math.floor(Date.now() / 1000),
      data: result.images.map((image) => ({
        ...(delivery === "url" ? { url: image.url } : {}),
        ...(delivery === "b64_json" || alsoBase64 ? { b64_json: image.b64_json } : {}),
        revised_prompt: result.promptUsed,
        seed: image.seed,
        // Each picture's own cost when there are several; the answer's `cost` is their sum.
        ...(result.images.length > 1 ? { cost: image.cost } : {}),
      })),
      // Which model painted is never silent; a client may have asked for another vendor's name.
      model: findModel(result.model)?.short ?? result.model,
      // As in OpenAI's newer image responses: what was really made.
      size: first ? `${first.width}x${first.height}` : undefined,
      output_format: first?.contentType.replace("image/", ""),
      // Not in `usage`: LobeChat prices a picture from `usage` and expects OpenAI's token shape there.
      cost: result.cost,
    },
    { headers: { "x-job-id": job.jobId } },
  );
}

/**
 * The size asked for: `size` ("1024x768"), or, without it, `width` and `height` as LobeChat's FLUX
 * cards and fal- and BFL-style clients send them (one alone keeps the square). Undefined: "auto", or
 * nothing asked.
 */
function requestedSize(body: ImagesFields): { width: number; height: number } | undefined {
  if (body.size && body.size !== "auto") {
    const parsed = parseSizeParameter(body.size);
    if (!parsed)
      throw new ApiError(
        400,
        `Invalid value for 'size': expected "WIDTHxHEIGHT" such as "1024x768", or "auto" (got "${shortened(body.size)}").`,
        { param: "size", code: "invalid_size" },
      );
    return parsed;
  }
  if (body.width == null && body.height == null) return undefined;
  const width = body.width ?? body.height ?? 1024;
  return { width, height: body.height ?? width };
}

/** What a client sent, echoed in an error no longer than it needs to be recognised. */
function shortened(text: string, limit = 40): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters)`;
}

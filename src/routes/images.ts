/**
 * The OpenAI Images API: POST /v1/images/generations, and POST /v1/images/edits
 * for editing and combining images, for tools that do not generate through chat
 * (Open WebUI, LibreChat, Dify, the AI SDK, NextChat's dall-e-3). `b64_json` is
 * the default because several clients send no `response_format` and need base64.
 */
import { ApiError } from "../lib/http/errors.ts";
import type { JobSpec } from "../lib/jobs.ts";
import { effectiveSize, resolveModel } from "../lib/generation/models.ts";
import { checkPromptLength, cleanPrompt, refuseFarTooLong } from "../lib/generation/prompt.ts";
import { checkSeed, refuseUnusedSeed, seedsFor } from "../lib/generation/seeds.ts";
import { DEFAULT_SIZE, parseSizeParameter } from "../lib/generation/sizes.ts";
import { noReferences, refuseUnusedReferences, type References } from "../lib/images/intake.ts";
import { readEditsBody } from "../lib/openai/edits-body.ts";
import { imagesRequestSchema, readJsonBody, validate } from "../lib/openai/request-body.ts";
import { linkOrigin, type RoutedRequest } from "./context.ts";
import { completeJob, enforceRateLimit } from "./start-job.ts";

/** The fields both endpoints share, as their bodies give them. */
interface ImagesFields {
  prompt: string;
  model?: string | null;
  n?: number | null;
  size?: string | null;
  response_format?: "url" | "b64_json" | null;
  seed?: number | null;
}

export async function imageGenerations(request: RoutedRequest, env: Env): Promise<Response> {
  const body = validate(imagesRequestSchema, await readJsonBody(request));
  return runImagesJob(request, env, body, noReferences());
}

export async function imageEdits(request: RoutedRequest, env: Env): Promise<Response> {
  const { fields, references } = await readEditsBody(request, linkOrigin(request));
  return runImagesJob(request, env, fields, references);
}

/** Checks the fields, runs the job and answers in the Images API's shape. */
async function runImagesJob(
  request: RoutedRequest,
  env: Env,
  body: ImagesFields,
  references: References,
): Promise<Response> {
  const { settings } = request;
  refuseFarTooLong(body.prompt, "prompt");
  const prompt = cleanPrompt(body.prompt);
  checkPromptLength(prompt, "prompt");
  const editing = references.sources.length > 0;
  // "auto" (gpt-image clients send it) or no size: the default, or for an edit the reference's shape.
  const followsReference = editing && (!body.size || body.size === "auto");
  const requested = !body.size || body.size === "auto" ? DEFAULT_SIZE : parseSizeParameter(body.size);
  if (!requested)
    throw new ApiError(
      400,
      `Invalid value for 'size': expected "WIDTHxHEIGHT" such as "1024x768", or "auto" (got "${shortened(body.size ?? "")}").`,
      { param: "size", code: "invalid_size" },
    );
  const model = resolveModel(body.model, settings.defaultModel);
  const seed = body.seed == null ? undefined : checkSeed(body.seed, "seed");
  refuseUnusedSeed(model, seed, "seed");
  refuseUnusedReferences(model, references, "image");
  const delivery = body.response_format ?? "b64_json";
  await enforceRateLimit(request, env, body.n ?? 1, "n");

  const spec: JobSpec = {
    kind: "images",
    prompt,
    model: model.id,
    ...effectiveSize(model, requested.width, requested.height),
    count: body.n ?? 1,
    seeds: seedsFor(model, body.n ?? 1, seed),
    ...(editing ? { references: references.sources } : {}),
    ...(followsReference ? { sizeFromReference: "long-side" as const } : {}),
    delivery,
    owner: request.keyDigest,
    origin: linkOrigin(request),
    settings,
  };
  const job = await completeJob(env, spec, references.uploads);
  const { result } = job;
  const first = result.images[0];
  return Response.json(
    {
      created: Math.floor(Date.now() / 1000),
      data: result.images.map((image) =>
        delivery === "url"
          ? { url: image.url, revised_prompt: result.promptUsed, seed: image.seed }
          : { b64_json: image.b64_json, revised_prompt: result.promptUsed, seed: image.seed },
      ),
      // As in OpenAI's newer image responses: what was really made.
      size: first ? `${first.width}x${first.height}` : undefined,
      output_format: first?.contentType.replace("image/", ""),
    },
    { headers: { "x-job-id": job.jobId } },
  );
}

/** What a client sent, echoed in an error no longer than it needs to be recognised. */
function shortened(text: string, limit = 40): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters)`;
}

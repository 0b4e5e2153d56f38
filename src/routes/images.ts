/**
 * POST /v1/images/generations: the OpenAI Images API, for tools that do not
 * generate through chat (Open WebUI, LibreChat, Dify, the AI SDK, NextChat's
 * dall-e-3). `b64_json` is the default because several clients send no
 * `response_format` and need base64.
 */
import { ApiError } from "../lib/http/errors.ts";
import type { JobSpec } from "../lib/jobs.ts";
import { effectiveSize, resolveModel } from "../lib/generation/models.ts";
import { checkPromptLength, cleanPrompt } from "../lib/generation/prompt.ts";
import { imagesRequestSchema, readJsonBody, validate } from "../lib/openai/request-body.ts";
import { checkSeed, refuseUnusedSeed, seedsFor } from "../lib/generation/seeds.ts";
import { DEFAULT_SIZE, parseSizeParameter } from "../lib/generation/sizes.ts";
import type { RoutedRequest } from "./context.ts";
import { completeJob, enforceRateLimit } from "./start-job.ts";

export async function imageGenerations(request: RoutedRequest, env: Env): Promise<Response> {
  const { settings } = request;
  const body = validate(imagesRequestSchema, await readJsonBody(request));
  const prompt = cleanPrompt(body.prompt);
  checkPromptLength(prompt, "prompt");
  const requested = body.size ? parseSizeParameter(body.size) : DEFAULT_SIZE;
  if (!requested)
    throw new ApiError(
      400,
      `Invalid value for 'size': expected "WIDTHxHEIGHT" such as "1024x768" (got "${body.size}").`,
      { param: "size", code: "invalid_size" },
    );
  const model = resolveModel(body.model, settings.defaultModel);
  const seed = body.seed == null ? undefined : checkSeed(body.seed, "seed");
  refuseUnusedSeed(model, seed, "seed");
  const delivery = body.response_format ?? "b64_json";
  await enforceRateLimit(request, env);

  const spec: JobSpec = {
    kind: "images",
    prompt,
    model: model.id,
    ...effectiveSize(model, requested.width, requested.height),
    count: body.n ?? 1,
    seeds: seedsFor(model, body.n ?? 1, seed),
    delivery,
    origin: new URL(request.url).origin,
    settings,
  };
  const job = await completeJob(env, spec);
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

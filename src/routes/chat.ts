/**
 * POST /v1/chat/completions: the last user message becomes a prompt (and its
 * attached images, references to edit), a GenerationJob makes the image, and
 * the reply is an OpenAI chat completion (streamed as SSE with live progress,
 * or one JSON object).
 */
import { eventFrames, openingFrame, replyContent, type ChatReplyContext } from "../lib/openai/chat-reply.ts";
import type { JobSpec } from "../lib/jobs.ts";
import { jobEstimate } from "../lib/generation/cost.ts";
import { effectiveSize, resolveModel } from "../lib/generation/models.ts";
import { chatCompletion, estimateUsage } from "../lib/openai/shapes.ts";
import { readChatAsk } from "../lib/openai/chat-request.ts";
import { chatRequestSchema, MAX_BODY_WITH_IMAGES_BYTES, readJsonBody, validate } from "../lib/openai/request-body.ts";
import { seedsFor } from "../lib/generation/seeds.ts";
import { uploadedBytes } from "../lib/images/intake.ts";
import { linkOrigin, type RoutedRequest } from "./context.ts";
import { admitJob, completeJob, startJob, streamJob } from "./start-job.ts";

export async function chatCompletions(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { settings } = request;
  const body = validate(chatRequestSchema, await readJsonBody(request, MAX_BODY_WITH_IMAGES_BYTES));
  const model = resolveModel(body.model, settings.defaultModel);
  const origin = linkOrigin(request);
  const ask = readChatAsk(body, {
    model,
    origin,
    chatEdits: settings.chatEdits,
    optimizerEnabled: settings.optimizer.enabled,
  });
  const size = effectiveSize(model, ask.wanted.width, ask.wanted.height);
  const mayEdit = ask.references.sources.length > 0 || ask.followUp !== undefined;
  const followsReference = mayEdit && !ask.ratioWritten;
  const estimate = jobEstimate(
    model,
    { ...size, count: 1, references: ask.references.sources.length + (ask.followUp ? 1 : 0), options: ask.options },
    settings.upstream.fluxNumSteps,
  );
  const account = await admitJob(request, env, { images: 1, estimate });

  const spec: JobSpec = {
    kind: "chat",
    prompt: ask.prompt,
    model: model.id,
    ...size,
    count: 1,
    seeds: seedsFor(model, 1, ask.seed),
    options: ask.options,
    ...(ask.references.sources.length > 0 ? { references: ask.references.sources } : {}),
    ...(ask.followUp ? { followUp: ask.followUp } : {}),
    ...(followsReference ? { sizeFromReference: "preset" as const } : {}),
    delivery: "url",
    owner: request.keyDigest,
    account,
    origin,
    settings: settings.job,
  };
  const contextFor = (jobId: string): ChatReplyContext => ({
    meta: { id: `chatcmpl-${jobId}`, created: Math.floor(Date.now() / 1000), model: model.id },
    language: settings.language,
    progressMode: settings.progressMode,
    includeUsage: body.stream_options?.include_usage === true,
    prompt: ask.prompt,
    requestedRatio: ask.requestedRatio,
    nearestRatio: ask.size.ratio,
    requestedSize: followsReference ? "reference" : ask.wanted,
    optimizationEnabled: settings.optimizer.enabled,
    seedGiven: ask.seed !== undefined,
    unusedOptions: ask.unused,
  });
  const uploads = uploadedBytes(ask.references);
  if (body.stream) {
    // The role chunk at once, then one or more chunks per job event.
    const started = startJob(env, spec, uploads);
    const context = contextFor(started.jobId);
    return streamJob(started, (event) => eventFrames(event, context), ctx, [openingFrame(context)]);
  }
  const { jobId, result } = await completeJob(env, spec, uploads);
  const context = contextFor(jobId);
  const content = replyContent(result, context);
  const imageUrls = result.images.flatMap((image) => (image.url ? [image.url] : []));
  return Response.json(chatCompletion(context.meta, content, estimateUsage(ask.prompt, content), imageUrls), {
    headers: { "x-job-id": jobId },
  });
}

/**
 * POST /v1/chat/completions: the last user message becomes a prompt, a
 * GenerationJob makes the image, and the reply is an OpenAI chat completion
 * (streamed as SSE with live progress, or one JSON object).
 */
import { ApiError } from "../lib/http/errors.ts";
import { eventFrames, openingFrame, replyContent, type ChatReplyContext } from "../lib/openai/chat-reply.ts";
import { isFinal, type JobEvent, type JobSpec } from "../lib/jobs.ts";
import { effectiveSize, resolveModel } from "../lib/generation/models.ts";
import { chatCompletion, estimateUsage } from "../lib/openai/shapes.ts";
import { checkPromptLength, cleanPrompt, lastUserText } from "../lib/generation/prompt.ts";
import { chatRequestSchema, readJsonBody, validate } from "../lib/openai/request-body.ts";
import { seedsFor, takeSeedFlag } from "../lib/generation/seeds.ts";
import { parseSizeSuffix } from "../lib/generation/sizes.ts";
import { sseResponse } from "../lib/openai/sse.ts";
import type { RoutedRequest } from "./context.ts";
import { completeJob, enforceRateLimit, jobLostError, startJob, type StartedJob } from "./start-job.ts";

export async function chatCompletions(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { settings } = request;
  const body = validate(chatRequestSchema, await readJsonBody(request));
  const text = lastUserText(body.messages);
  if (text === undefined)
    throw new ApiError(400, "No user message with text was found in 'messages'.", {
      param: "messages",
      code: "invalid_request",
    });
  const flagged = takeSeedFlag(cleanPrompt(text));
  const parsed = parseSizeSuffix(flagged.text);
  checkPromptLength(parsed.prompt, "messages");
  const model = resolveModel(body.model, settings.defaultModel);
  const size = effectiveSize(model, parsed.size.width, parsed.size.height);
  await enforceRateLimit(request, env);

  const spec: JobSpec = {
    kind: "chat",
    prompt: parsed.prompt,
    model: model.id,
    ...size,
    count: 1,
    seeds: seedsFor(model, 1, flagged.seed),
    delivery: "url",
    origin: new URL(request.url).origin,
    settings,
  };
  const contextFor = (jobId: string): ChatReplyContext => ({
    meta: { id: `chatcmpl-${jobId}`, created: Math.floor(Date.now() / 1000), model: model.id },
    language: settings.language,
    progressMode: settings.progressMode,
    includeUsage: body.stream_options?.include_usage === true,
    prompt: parsed.prompt,
    requestedRatio: parsed.requestedRatio,
    nearestRatio: parsed.size.ratio,
    requestedSize: { width: parsed.size.width, height: parsed.size.height },
    optimizationEnabled: settings.optimizer.enabled,
    seedGiven: flagged.seed !== undefined,
  });
  if (body.stream) return streamedReply(await startJob(env, spec), contextFor, ctx);
  const { jobId, result } = await completeJob(env, spec);
  const context = contextFor(jobId);
  const content = replyContent(result, context);
  return Response.json(chatCompletion(context.meta, content, estimateUsage(parsed.prompt, content)), {
    headers: { "x-job-id": jobId },
  });
}

/** The SSE reply: the role chunk at once, then one or more chunks per job event. */
function streamedReply(
  { jobId, events }: StartedJob,
  contextFor: (jobId: string) => ChatReplyContext,
  ctx: ExecutionContext,
): Response {
  const context = contextFor(jobId);
  return sseResponse(
    async (writer) => {
      await writer.write(openingFrame(context));
      let ended = false;
      try {
        for await (const event of events) {
          ended ||= isFinal(event);
          for (const frame of eventFrames(event, context)) await writer.write(frame);
        }
      } finally {
        // The job's stream broke off (e.g. the object was reset): end the reply with a clear error, not silence.
        if (!ended) for (const frame of eventFrames(lostJobEvent(), context)) await writer.write(frame);
      }
    },
    { headers: { "x-job-id": jobId }, waitUntil: (promise) => ctx.waitUntil(promise) },
  );
}

function lostJobEvent(): JobEvent {
  const error = jobLostError();
  return { id: 0, at: Date.now(), status: "failed", failure: { status: error.status, error: error.toBody() } };
}

/**
 * The Images API's streamed answer (`stream: true`), as OpenAI sends it: SSE whose events are
 * `image_generation.completed` (edits: `image_edit.completed`), one per picture, each `data` a JSON
 * object whose `type` repeats the event name; a failure is an `error` event whose data carries
 * `error`, which the openai SDKs raise. Our models paint no partial pictures, so no
 * `*.partial_image` event is sent (OpenAI allows a final image without partials). Keepalive
 * comments (sse.ts) fill the silence while a picture is painted.
 */
import type { ErrorBody } from "../http/errors.ts";
import type { JobEvent, JobResult } from "../jobs.ts";
import { sseData } from "./sse.ts";

export interface ImageStreamContext {
  kind: "generation" | "edit";
  delivery: "url" | "b64_json";
  /** Echoed as OpenAI does (`auto` when not asked). */
  quality: string;
  /** The model's short name. */
  model: string;
}

/** The frames for one job event: a completed event per picture, or the error; nothing for progress. */
export function imageStreamFrames(event: JobEvent, context: ImageStreamContext): string[] {
  if (event.failure) return [errorFrame(event.failure.error)];
  if (!event.result) return [];
  return completedFrames(event.result, context);
}

function completedFrames(result: JobResult, context: ImageStreamContext): string[] {
  const type = context.kind === "edit" ? "image_edit.completed" : "image_generation.completed";
  return result.images.map((image) => {
    const data = {
      type,
      ...(context.delivery === "url" ? { url: image.url } : { b64_json: image.b64_json }),
      created_at: Math.floor(Date.now() / 1000),
      size: `${image.width}x${image.height}`,
      quality: context.quality,
      background: "opaque",
      output_format: image.contentType.replace("image/", ""),
      revised_prompt: result.promptUsed,
      seed: image.seed,
      model: context.model,
      cost: image.cost,
    };
    return `event: ${type}\n${sseData(data)}`;
  });
}

function errorFrame(error: ErrorBody): string {
  return `event: error\n${sseData({ type: "error", error })}`;
}

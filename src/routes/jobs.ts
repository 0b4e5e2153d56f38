/**
 * GET /v1/jobs/:id and GET /v1/jobs/:id/events: a job's state, and its
 * progress as resumable SSE (past events replayed after `Last-Event-ID`, then
 * live ones, ending when the job ends).
 */
import { ApiError } from "../lib/http/errors.ts";
import { findJob, readEvents } from "../lib/jobs.ts";
import { sseEvent, sseResponse } from "../lib/openai/sse.ts";
import type { RoutedRequest } from "./context.ts";

const JOB_ID = /^[0-9a-f]{64}$/;

function jobStub(env: Env, jobId: string | undefined) {
  if (jobId === undefined || !JOB_ID.test(jobId)) throw notFound();
  const job = findJob(env.GENERATION_JOB, jobId);
  if (!job) throw notFound(); // a well-formed string that is not one of our ids
  return job;
}

/** Also what another key's job gets: every image link holds a job id, so an id proves nothing. */
function notFound(): ApiError {
  return new ApiError(404, "No such job. Jobs are removed when their images expire.", {
    code: "job_not_found",
    param: "id",
  });
}

export async function getJob(request: RoutedRequest, env: Env): Promise<Response> {
  const view = await jobStub(env, request.params.id).view(request.keyDigest);
  if (!view) throw notFound();
  return Response.json(view);
}

export async function getJobEvents(request: RoutedRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const lastEventId =
    request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("last_event_id") ?? "0";
  const after = Number.parseInt(lastEventId, 10);
  const stream = await jobStub(env, request.params.id).events(
    Number.isFinite(after) && after > 0 ? after : 0,
    request.keyDigest,
  );
  if (!stream) throw notFound();
  return sseResponse(
    async (writer) => {
      for await (const event of readEvents(stream)) await writer.write(sseEvent(event.id, event.status, event));
    },
    { waitUntil: (promise) => ctx.waitUntil(promise) },
  );
}

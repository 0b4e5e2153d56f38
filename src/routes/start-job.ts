/**
 * What chat completions and image generations share: the per-key rate limit
 * and handing the job to a fresh GenerationJob Durable Object.
 */
import { ApiError } from "../lib/errors.ts";
import { readEvents, type JobEvent, type JobResult, type JobSpec } from "../lib/jobs.ts";
import type { RoutedRequest } from "./context.ts";

/** Refuses with 429 and Retry-After when the caller's key is over RATE_LIMIT_PER_MINUTE. */
export async function enforceRateLimit(request: RoutedRequest, env: Env): Promise<void> {
  const limit = request.settings.rateLimitPerMinute;
  if (limit === 0 || request.apiKey === undefined) return;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(request.apiKey));
  const name = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
  const { allowed, retryAfterSeconds } = await limiter.take(limit);
  if (!allowed) {
    throw new ApiError(429, `Rate limit reached: at most ${limit} generations a minute per API key. Try again in ${retryAfterSeconds} s.`, {
      code: "rate_limit_exceeded",
      retryAfter: retryAfterSeconds,
    });
  }
}

export interface StartedJob {
  jobId: string;
  events: AsyncGenerator<JobEvent>;
}

/** Starts the job in its own Durable Object; its events begin at once. */
export async function startJob(env: Env, spec: JobSpec): Promise<StartedJob> {
  const id = env.GENERATION_JOB.newUniqueId();
  const stream = await env.GENERATION_JOB.get(id).start(spec);
  return { jobId: id.toString(), events: readEvents(stream) };
}

/** Waits for the job's end: its result, or its error thrown as the ApiError it was (with the job's id). */
export async function awaitResult({ jobId, events }: StartedJob): Promise<JobResult> {
  const headers = { "x-job-id": jobId };
  for await (const event of events) {
    if (event.result) return event.result;
    if (event.failure) throw ApiError.fromBody(event.failure.status, event.failure.error, { retryAfter: event.failure.retryAfter, headers });
  }
  throw new ApiError(502, "The generation was interrupted before it finished. Please try again.", { code: "job_lost", headers });
}

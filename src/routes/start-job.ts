/**
 * What chat completions and image generations share: the per-key rate limit
 * and handing the job to a fresh GenerationJob Durable Object.
 */
import { oneChunkStream } from "../lib/bytes.ts";
import { ApiError } from "../lib/http/errors.ts";
import { jobLostError, readEvents, type JobEvent, type JobResult, type JobSpec } from "../lib/jobs.ts";
import type { RoutedRequest } from "./context.ts";

/**
 * Refuses with 429 and Retry-After when `images` more would take the caller's key over
 * RATE_LIMIT_PER_MINUTE images a minute (`param` names the request's count, for a request that
 * could never fit).
 */
export async function enforceRateLimit(
  request: RoutedRequest,
  env: Env,
  images: number,
  param?: string,
): Promise<void> {
  const limit = request.settings.rateLimitPerMinute;
  if (limit === 0 || request.keyDigest === undefined) return;
  if (images > limit) {
    // Waiting would never make room for it: a 400 at once, without asking the limiter.
    throw new ApiError(
      400,
      `This request asks for ${images} images, more than the ${limit} a minute this API key may have (RATE_LIMIT_PER_MINUTE). Ask for at most ${limit}.`,
      { code: "n_over_rate_limit", param },
    );
  }
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(request.keyDigest));
  const decision = await limiter.take(limit, images);
  if (decision.allowed) return;
  const wait = decision.retryAfterSeconds;
  throw new ApiError(429, `Rate limit reached: at most ${limit} images a minute per API key. Try again in ${wait} s.`, {
    code: "rate_limit_exceeded",
    retryAfter: wait,
  });
}

export interface StartedJob {
  jobId: string;
  /** The job's events, from the first; reading them is what starts the job in its object. */
  events: AsyncGenerator<JobEvent>;
}

/**
 * A job in its own Durable Object, whose id is known at once: a streamed reply can send its
 * headers and first bytes before the object has made its first commit (the row and alarm that a
 * crash must not lose, which hold the object's answer until they are durable), and the object
 * starts the job when its events are first read.
 */
export function startJob(env: Env, spec: JobSpec, uploads: readonly Uint8Array[] = []): StartedJob {
  const id = env.GENERATION_JOB.newUniqueId();
  async function* events(): AsyncGenerator<JobEvent> {
    yield* readEvents(await env.GENERATION_JOB.get(id).start(spec, uploads.map(oneChunkStream)));
  }
  return { jobId: id.toString(), events: events() };
}

export interface CompletedJob {
  jobId: string;
  result: JobResult;
}

/**
 * Runs the job in its own Durable Object and waits for its end (no event
 * stream: a waiting caller needs only the outcome). Its error is thrown as
 * the ApiError it was, with the job's id.
 */
export async function completeJob(env: Env, spec: JobSpec, uploads: readonly Uint8Array[] = []): Promise<CompletedJob> {
  const id = env.GENERATION_JOB.newUniqueId();
  const jobId = id.toString();
  const headers = { "x-job-id": jobId };
  // An error thrown across the RPC boundary arrives as a plain Error: the object was reset mid-job.
  const final = await env.GENERATION_JOB.get(id)
    .complete(spec, uploads.map(oneChunkStream))
    .catch(() => undefined);
  if (final?.result) return { jobId, result: final.result };
  const failure = final?.failure;
  if (failure) throw ApiError.fromBody(failure.status, failure.error, { retryAfter: failure.retryAfter, headers });
  throw jobLostError(headers);
}

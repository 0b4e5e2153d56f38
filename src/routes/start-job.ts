/**
 * What chat completions and image generations share: admitting a job under its key's rate limit
 * and budgets, and handing it to a fresh GenerationJob Durable Object.
 */
import { oneChunkStream } from "../lib/bytes.ts";
import { ApiError } from "../lib/http/errors.ts";
import { secondsUntilUtcMidnight, utcDay } from "../lib/generation/utc-day.ts";
import {
  failedEvent,
  isFinal,
  jobLostError,
  readEvents,
  type JobAccount,
  type JobEvent,
  type JobResult,
  type JobSpec,
} from "../lib/jobs.ts";
import { sseResponse } from "../lib/openai/sse.ts";
import type { RoutedRequest } from "./context.ts";

/** What one job asks of its key before it starts: its pictures, and what they are estimated to cost. */
export interface JobAsk {
  images: number;
  /** Neurons, before the job (cost.ts jobEstimate). */
  estimate: number;
  /** The request's count field, for a request that could never fit. */
  param?: string;
}

/**
 * The one object call before a job, made only when a limit is on: the key's rate limit
 * (RATE_LIMIT_PER_MINUTE images a minute) and its daily budgets (the key's and the service's, in
 * neurons a UTC day), which reserve the job's estimate. Refuses with 429 and Retry-After; a request
 * that could never fit is a 400 at once. Returns what the job settles when it ends.
 */
export async function admitJob(request: RoutedRequest, env: Env, ask: JobAsk): Promise<JobAccount | undefined> {
  const caller = request.caller;
  if (!caller) return undefined;
  const { settings } = request;
  const rate = settings.rateLimitPerMinute;
  const keyLimit = caller.dailyNeuronLimit ?? settings.budget.perKey;
  const totalLimit = settings.budget.total;
  const account: JobAccount = {
    digest: caller.digest,
    name: caller.name,
    day: utcDay(),
    reservation: crypto.randomUUID(),
  };
  if (rate > 0 && ask.images > rate) {
    // Waiting would never make room for it: a 400 at once, without asking the limiter.
    throw new ApiError(
      400,
      `This request asks for ${ask.images} images, more than the ${rate} a minute this API key may have (RATE_LIMIT_PER_MINUTE). Ask for at most ${rate}.`,
      { code: "n_over_rate_limit", param: ask.param },
    );
  }
  for (const [limit, whose] of [
    [keyLimit, `key '${caller.name}'`],
    [totalLimit, "the service"],
  ] as const) {
    if (limit !== undefined && ask.estimate > limit)
      throw new ApiError(
        400,
        `This request is estimated at ${neurons(ask.estimate)} neurons, more than the whole daily budget of ${whose} (${neurons(limit)}). Ask for fewer or smaller pictures, or a cheaper model.`,
        { code: "over_daily_budget", param: ask.param },
      );
  }
  const budgeted = keyLimit !== undefined || totalLimit !== undefined;
  if (rate === 0 && !budgeted) return account;
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(caller.digest));
  const decision = await limiter.admit({
    ...(rate > 0 ? { rate: { limit: rate, images: ask.images } } : {}),
    ...(budgeted
      ? {
          budget: {
            reservation: { id: account.reservation, day: account.day, neurons: ask.estimate },
            keyLimit,
            totalLimit,
          },
        }
      : {}),
  });
  if (decision.allowed) return account;
  if (decision.reason === "rate") {
    const wait = decision.retryAfterSeconds;
    throw new ApiError(
      429,
      `Rate limit reached: at most ${rate} images a minute per API key. Try again in ${wait} s.`,
      {
        code: "rate_limit_exceeded",
        retryAfter: wait,
      },
    );
  }
  if (decision.reason === "unavailable")
    throw new ApiError(503, "The service's daily budget could not be checked just now. Try again in a few seconds.", {
      code: "budget_unavailable",
      retryAfter: 5,
    });
  const whose = decision.scope === "key" ? `key '${caller.name}'` : "the service";
  const figures = `${neurons(decision.spent)} of ${neurons(decision.limit)} neurons spent today${decision.reserved > 0 ? ` and ${neurons(decision.reserved)} reserved by pictures being painted` : ""}, and this request is estimated at ${neurons(decision.estimate)}`;
  // Only running jobs stand in the way: once they settle (often below their estimates) it may fit.
  if (decision.spent + decision.estimate <= decision.limit) {
    throw new ApiError(
      429,
      `Daily budget of ${whose} is held by pictures being painted: ${figures}. Try again when they are done.`,
      {
        code: "daily_budget_exceeded",
        type: "insufficient_quota",
        retryAfter: Math.ceil(request.settings.upstream.imageTimeoutMs / 1000),
      },
    );
  }
  throw new ApiError(429, `Daily budget reached for ${whose}: ${figures}. It resets at 00:00 UTC.`, {
    code: "daily_budget_exceeded",
    type: "insufficient_quota",
    retryAfter: secondsUntilUtcMidnight(),
  });
}

function neurons(value: number): string {
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(value);
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
    try {
      yield* readEvents(await env.GENERATION_JOB.get(id).start(spec, uploads.map(oneChunkStream)));
    } catch (error) {
      await releaseReservation(env, spec);
      throw error;
    }
  }
  return { jobId: id.toString(), events: events() };
}

/**
 * A started job as an SSE response: `opening` at once, then each event's frames as `framesOf` makes
 * them (a chat completion's chunks, the Images API's events), with keepalives meanwhile. A job that
 * could not start, or whose stream broke off (its object reset), ends with the frames of a job_lost
 * failure, never in silence; a client that goes away stops only the writes.
 */
export function streamJob(
  { jobId, events }: StartedJob,
  framesOf: (event: JobEvent) => string[],
  ctx: ExecutionContext,
  opening: string[] = [],
): Response {
  return sseResponse(
    async (writer) => {
      // One write per event, not per frame: each write is a chunk every hop relays on its own (the
      // final event's three or four frames were as many chunks), and SSE readers split frames anyway.
      const send = async (frames: string[]) => {
        if (frames.length > 0) await writer.write(frames.join(""));
      };
      await send(opening);
      let ended = false;
      try {
        for await (const event of events) {
          ended ||= isFinal(event);
          await send(framesOf(event));
        }
      } finally {
        if (!ended) await send(framesOf({ id: 0, at: Date.now() / 1000, ...failedEvent(jobLostError()) }));
      }
    },
    { headers: { "x-job-id": jobId }, waitUntil: (promise) => ctx.waitUntil(promise) },
  );
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
  // An error thrown across the RPC boundary arrives as a plain Error: the object was reset mid-job.
  const final = await env.GENERATION_JOB.get(id)
    .complete(spec, uploads.map(oneChunkStream))
    .catch(() => undefined);
  return outcome(env, spec, id.toString(), final);
}

/**
 * As completeJob, with each of the job's events handed to `onEvent` as it happens (an MCP tool
 * call's progress notifications).
 */
export async function followJob(
  env: Env,
  spec: JobSpec,
  uploads: readonly Uint8Array[],
  onEvent: (event: JobEvent) => Promise<void>,
): Promise<CompletedJob> {
  const { jobId, events } = startJob(env, spec, uploads);
  let final: JobEvent | undefined;
  try {
    for await (const event of events) {
      await onEvent(event);
      if (isFinal(event)) final = event;
    }
  } catch {
    // The object could not start the job or was reset mid-job: lost, as below.
  }
  return outcome(env, spec, jobId, final);
}

/** The result of a job's final event, or its failure thrown as the ApiError it was, with the job's id. */
async function outcome(env: Env, spec: JobSpec, jobId: string, final: JobEvent | undefined): Promise<CompletedJob> {
  const headers = { "x-job-id": jobId };
  if (final?.result) return { jobId, result: final.result };
  if (!final) await releaseReservation(env, spec);
  const failure = final?.failure;
  if (failure) throw ApiError.fromBody(failure.status, failure.error, { retryAfter: failure.retryAfter, headers });
  throw jobLostError(headers);
}

/**
 * A job whose object could not run it (or was lost) settles nothing: its reservation is let go, or
 * it would hold the key's budget until the day ends. Harmless if the job does settle later.
 */
async function releaseReservation(env: Env, spec: JobSpec): Promise<void> {
  const account = spec.account;
  if (!account) return;
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(account.digest));
  await limiter.releaseEverywhere(account.reservation).catch((error: unknown) => {
    console.error(JSON.stringify({ event: "release_failed", error: String(error) }));
  });
}

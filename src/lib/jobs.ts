/**
 * What a generation job is, as seen on both sides of the Durable Object
 * boundary, and the newline-delimited JSON its events travel in.
 */
import { splitStream } from "./bytes.ts";
import { ApiError, type ErrorBody } from "./http/errors.ts";
import type { PreviousImage } from "./generation/follow-up.ts";
import type { Cost } from "./generation/cost.ts";
import type { OutputRequest } from "./images/convert.ts";
import type { GenerationOptions } from "./generation/options.ts";
import type { ReferenceSource } from "./images/intake.ts";
import type { JobSettings } from "./settings.ts";

export type JobStatus = "queued" | "reading" | "optimizing" | "generating" | "storing" | "succeeded" | "failed";

/** Everything a job needs; built and validated by the Worker. */
export interface JobSpec {
  kind: "chat" | "images";
  /** The user's prompt, cleaned, ratio text removed. */
  prompt: string;
  model: string;
  /** The size the model will really make (unless `sizeFromReference` says to follow the first reference). */
  width: number;
  height: number;
  /** Reference images to edit or combine, in order (img2img and inpainting: the one picture to change); their uploaded bytes travel beside the spec. */
  references?: ReferenceSource[];
  /** An inpainting edit's mask (OpenAI's kind); its uploaded bytes travel after the images'. */
  mask?: ReferenceSource;
  /** The parameters the caller gave that the model takes; the job adds the model's defaults. */
  options?: GenerationOptions;
  /** A chat follow-up the optimiser judges: edit this earlier picture of the conversation, or draw anew. */
  followUp?: PreviousImage;
  /** No size was asked for an edit: take it from the first reference (chat: a preset; Images API: long side 1024). */
  sizeFromReference?: "preset" | "long-side";
  count: number;
  /** One seed per image for a model that takes seeds; undefined for one that does not (schnell). */
  seeds?: number[];
  /** The format to store and return the pictures in; absent: the model's own. */
  output?: OutputRequest;
  /** `url` stores images in KV; `b64_json` hands the bytes back and stores nothing. */
  delivery: "url" | "b64_json";
  /**
   * With `url` delivery, the job's own caller also gets each picture as base64 on the final event:
   * an in-process caller that shows the pictures inline (MCP) then needs no second read of them.
   */
  alsoBase64?: boolean;
  /** The digest of the API key that started the job: only that key may look it up. */
  owner?: string;
  /** The key's account: where the job settles what it spent and is listed (GET /v1/usage, /v1/jobs). */
  account?: JobAccount;
  /** Where image links point (`<origin>/image/<key>`). */
  origin: string;
  settings: JobSettings;
}

/** The key a job is counted to, and its reservation on the day it started. */
export interface JobAccount {
  digest: string;
  name: string;
  day: string;
  reservation: string;
}

export interface JobImage {
  width: number;
  height: number;
  contentType: string;
  /** The seed it was painted with: the same request with this seed paints it again. */
  seed?: number;
  /** What it cost, in neurons (as Workers AI reported, or estimated). */
  cost?: Cost;
  key?: string;
  url?: string;
  /** Only on the live event sent to the job's own caller; never stored. */
  b64_json?: string;
}

export interface JobResult {
  model: string;
  originalPrompt: string;
  promptUsed: string;
  /** The optimiser model when the prompt was rewritten. */
  promptModel?: string;
  /** Why optimisation failed, when it was on and the original prompt was used instead. */
  optimizationFailure?: string;
  /** How many reference images the picture was edited from (absent for a new picture). */
  referenceCount?: number;
  /** Whether a mask said where to repaint (inpainting). */
  masked?: boolean;
  /** The parameters sent to the model, its defaults included (steps, guidance, strength, negative prompt). */
  options?: GenerationOptions;
  images: JobImage[];
  /** When the images stop being served, in Unix seconds (like every time in a job's JSON). */
  expires_at: number;
  /** What all its pictures cost. */
  cost?: Cost;
}

export interface JobFailure {
  status: number;
  error: ErrorBody;
  retryAfter?: number;
}

export interface JobEvent {
  /** 1, 2, 3… within a job: the SSE event id that `Last-Event-ID` resumes from. */
  id: number;
  /** Unix seconds, to the millisecond (e.g. 1795000000.123): a job's progress is often sub-second. */
  at: number;
  status: JobStatus;
  /** A progress line in the reply language. */
  message?: string;
  /** Set on the optimiser's answer, so clients can show the prompt used. */
  optimizedPrompt?: string;
  result?: JobResult;
  failure?: JobFailure;
}

/** The public view of a job (`GET /v1/jobs/:id`). */
export interface JobView {
  id: string;
  object: "generation.job";
  status: JobStatus;
  /** Unix seconds, as OpenAI's `created_at`. */
  created_at: number;
  model: string;
  width: number;
  height: number;
  events: JobEvent[];
  result: JobResult | null;
  error: ErrorBody | null;
}

/** The GenerationJob of `jobId`, or undefined for hex that is not one of our object ids. */
export function findJob(
  jobs: Env["GENERATION_JOB"],
  jobId: string,
): ReturnType<Env["GENERATION_JOB"]["get"]> | undefined {
  try {
    return jobs.get(jobs.idFromString(jobId));
  } catch {
    return undefined;
  }
}

/** A job whose Durable Object stopped before its final event (e.g. reset during a deploy). */
export function jobLostError(headers?: Record<string, string>): ApiError {
  return new ApiError(502, "The generation was interrupted before it finished. Please try again.", {
    code: "job_lost",
    headers,
  });
}

/** What the final event of a job that failed with `error` says (its id and time come when it is recorded). */
export function failedEvent(error: ApiError, message?: string): Omit<JobEvent, "id" | "at"> {
  const failure: JobFailure = { status: error.status, error: error.toBody(), retryAfter: error.retryAfter };
  return { status: "failed", ...(message === undefined ? {} : { message }), failure };
}

export function isFinal(event: JobEvent): boolean {
  return event.status === "succeeded" || event.status === "failed";
}

const encoder = new TextEncoder();

export function encodeEvent(event: JobEvent): Uint8Array {
  return encoder.encode(`${JSON.stringify(event)}\n`);
}

/** Reads a stream of newline-delimited JSON events (a job's event stream). */
export async function* readEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<JobEvent> {
  for await (const line of splitStream(stream, "\n")) {
    if (line.trim() !== "") yield JSON.parse(line) as JobEvent;
  }
}

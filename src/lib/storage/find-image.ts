/**
 * Finding one of this Worker's images by key: in KV, or, while KV has not
 * caught up in this location, in the job that made it (its Durable Object
 * keeps the bytes until they expire). Both the image route and an edit of an
 * earlier picture read images this way.
 */
import { findJob } from "../jobs.ts";
import { ImageStore, imageMadeAt, jobIdOfImageKey, type StoredImage } from "./image-store.ts";

/**
 * How long after a picture is made KV may still miss it in some location ("60 s or more"): only then
 * is a miss asked of the job. Later misses (an old chat that shows its expired pictures again) are
 * answered without waking an object, a billed request each. The time is not signed: someone who
 * knows a job id (from any of its links) can still write a key that looks fresh and wake the job's
 * object with it, as often as they could call any other public route.
 */
export const KV_CATCH_UP_MS = 5 * 60_000;
/** A clock ahead of the Worker's by this much still makes fresh keys. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The image `key`, or undefined when it does not exist (expired, never made, or not a key at all).
 * The key's form is checked first: anything else is not one of ours, and KV refuses keys over 512
 * bytes with an error, so a long link would otherwise be a 500 instead of a 404.
 */
export async function findImage(
  env: Pick<Env, "FLUX_CF_KV" | "GENERATION_JOB">,
  key: string,
): Promise<StoredImage | undefined> {
  const jobId = jobIdOfImageKey(key);
  if (jobId === undefined) return undefined;
  const stored = await new ImageStore(env.FLUX_CF_KV).get(key);
  if (stored || !mayBeCatchingUp(key, Date.now())) return stored;
  return fromJob(env, jobId, key);
}

function mayBeCatchingUp(key: string, now: number): boolean {
  const madeAt = imageMadeAt(key) ?? 0;
  return madeAt > now - KV_CATCH_UP_MS && madeAt < now + CLOCK_SKEW_MS;
}

async function fromJob(env: Pick<Env, "GENERATION_JOB">, jobId: string, key: string): Promise<StoredImage | undefined> {
  return (await findJob(env.GENERATION_JOB, jobId)?.image(key)) ?? undefined;
}

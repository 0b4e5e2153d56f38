/**
 * Finding one of this Worker's images by key: in KV, or, while KV has not
 * caught up in this location, in the job that made it (its Durable Object
 * keeps the bytes until they expire). Both the image route and an edit of an
 * earlier picture read images this way.
 */
import { findJob } from "../jobs.ts";
import { ImageStore, jobIdOfImageKey, type StoredImage } from "./image-store.ts";

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
  return (await new ImageStore(env.FLUX_CF_KV).get(key)) ?? (await fromJob(env, jobId, key));
}

async function fromJob(env: Pick<Env, "GENERATION_JOB">, jobId: string, key: string): Promise<StoredImage | undefined> {
  return (await findJob(env.GENERATION_JOB, jobId)?.image(key)) ?? undefined;
}

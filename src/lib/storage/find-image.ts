/**
 * Finding one of this Worker's images by key: in KV, or, while KV has not
 * caught up in this location, in the job that made it (its Durable Object
 * keeps the bytes until they expire). Both the image route and an edit of an
 * earlier picture read images this way.
 */
import { findJob } from "../jobs.ts";
import { ImageStore, jobIdOfImageKey, type StoredImage } from "./image-store.ts";

/** The image `key`, or undefined when it does not exist (expired, or never made). */
export async function findImage(
  env: Pick<Env, "FLUX_CF_KV" | "GENERATION_JOB">,
  key: string,
): Promise<StoredImage | undefined> {
  return (await new ImageStore(env.FLUX_CF_KV).get(key)) ?? (await fromJob(env, key));
}

async function fromJob(env: Pick<Env, "GENERATION_JOB">, key: string): Promise<StoredImage | undefined> {
  const jobId = jobIdOfImageKey(key);
  const job = jobId === undefined ? undefined : findJob(env.GENERATION_JOB, jobId);
  return (await job?.image(key)) ?? undefined;
}

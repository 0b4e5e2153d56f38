/**
 * Image storage in Workers KV (`FLUX_CF_KV`) and the public image keys.
 *
 * A key is `<job id>.<8 hex: the second it was made><24 hex random>`: the
 * random part makes it unguessable (96 bits) on its own, and the job id lets a
 * KV miss of a fresh picture be answered by the job's Durable Object, which
 * keeps the bytes until they expire (KV can take 60 s or more to show a new
 * key in another location).
 */
import { toHex } from "../bytes.ts";

export interface StoredImageMeta {
  contentType: string;
  width: number;
  height: number;
  /** Epoch milliseconds when the image stops being served. */
  expiresAt: number;
}

export interface StoredImage {
  bytes: ArrayBuffer | Uint8Array;
  meta: StoredImageMeta;
}

const KEY_PATTERN = /^([0-9a-f]{64})\.([0-9a-f]{32})$/;
/** The length of every image key: 64 hex, a dot, 32 hex. */
export const IMAGE_KEY_LENGTH = 64 + 1 + 32;

/**
 * A new image key belonging to job `jobId`: the second part is the second it was made (8 hex), so
 * the Worker can tell a fresh picture that KV may not show yet from an old one without asking the
 * job, then 96 random bits, which make the key unguessable.
 */
export function newImageKey(jobId: string, now = Date.now()): string {
  // Unsigned 32 bits: in 2106 it wraps to small numbers, which read as old (the fallback then ends early).
  const madeAt = (Math.floor(now / 1000) >>> 0).toString(16).padStart(8, "0");
  const random = crypto.getRandomValues(new Uint8Array(12));
  return `${jobId}.${madeAt}${toHex(random)}`;
}

/** When the picture under a well-formed key was made, in epoch milliseconds. */
export function imageMadeAt(key: string): number | undefined {
  const second = KEY_PATTERN.exec(key)?.[2]?.slice(0, 8);
  return second === undefined ? undefined : Number.parseInt(second, 16) * 1000;
}

/** The job id inside a well-formed key; undefined for anything else. */
export function jobIdOfImageKey(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export class ImageStore {
  constructor(private readonly kv: KVNamespace) {}

  /** Writes an image with its TTL (KV's minimum TTL is 60 s, which IMAGE_EXPIRATION respects). */
  async put(key: string, bytes: Uint8Array, meta: StoredImageMeta, ttlSeconds: number): Promise<void> {
    await this.kv.put(key, bytes, { expirationTtl: ttlSeconds, metadata: meta });
  }

  async get(key: string): Promise<StoredImage | undefined> {
    const { value, metadata } = await this.kv.getWithMetadata<StoredImageMeta>(key, "arrayBuffer");
    if (value === null || metadata === null) return undefined;
    if (metadata.expiresAt <= Date.now()) return undefined;
    return { bytes: value, meta: metadata };
  }
}

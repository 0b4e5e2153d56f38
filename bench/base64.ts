/**
 * Decoding speed of the Worker's own `decodeBase64` (src/lib/storage/image-bytes.ts)
 * for an image of the given size, in this Node process. Node 22 has no
 * `Uint8Array.fromBase64`, so here the atob fallback runs; workerd-base64.ts
 * measures the same function in workerd, where the native path runs.
 */
import { randomBytes } from "node:crypto";
import { decodeBase64 } from "../src/lib/storage/image-bytes.ts";
import { percentile, round } from "./stats.ts";

export interface Base64Figure {
  runtime: string;
  /** Which branch of decodeBase64 ran: the native decoder or the atob loop. */
  path: "native Uint8Array.fromBase64" | "atob loop";
  imageBytes: number;
  /** Median time of one decode. */
  msPerDecode: number;
  /** Decoded image megabytes (10^6 bytes) per second, from the median. */
  mbPerSecond: number;
}

/** Bytes that start like a JPEG, then random (incompressible, like real image data). */
export function sampleImageBase64(imageBytes: number): { base64: string; bytes: Buffer } {
  const bytes = randomBytes(imageBytes);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return { base64: bytes.toString("base64"), bytes };
}

export function nativeBase64Available(): boolean {
  return typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === "function";
}

export function measureBase64InNode(imageBytes: number, rounds: number): Base64Figure {
  const { base64, bytes } = sampleImageBase64(imageBytes);
  const decoded = decodeBase64(base64);
  if (!decoded || !bytes.equals(decoded)) throw new Error("decodeBase64 returned different bytes than were encoded");
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    decodeBase64(base64);
    times.push(performance.now() - started);
  }
  const median = percentile(times, 50);
  return {
    runtime: `node ${process.version}`,
    path: nativeBase64Available() ? "native Uint8Array.fromBase64" : "atob loop",
    imageBytes,
    msPerDecode: round(median, 2),
    mbPerSecond: round(imageBytes / 1e6 / (median / 1000)),
  };
}

/**
 * GET|HEAD /image/:key: caching headers (ETag, 304, a max-age within the
 * image's lifetime), and read-after-write: an image whose KV entry is absent
 * (KV not caught up in this location) is served from its job's Durable Object,
 * large images included, until it expires.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KV_CATCH_UP_MS } from "../../src/lib/storage/find-image.ts";
import { ImageStore, newImageKey, type StoredImageMeta } from "../../src/lib/storage/image-store.ts";
import { JobRecord } from "../../src/objects/job-record.ts";
import { authHeaders, call, marker, sha256Hex, upstreamRequests } from "./helpers.ts";

interface MadeImage {
  url: string;
  path: string;
  key: string;
  jobId: string;
  /** sha256 of the bytes the upstream returned. */
  upstreamSha256: string;
}

/** Generates one image through the Images API (url delivery) and finds what the upstream sent for it. */
async function makeImage(): Promise<MadeImage> {
  const tag = marker();
  const response = await call("/v1/images/generations", {
    method: "POST",
    headers: authHeaders(),
    body: JSON.stringify({ prompt: `a lighthouse at dusk ${tag}`, response_format: "url", size: "512x512" }),
  });
  expect(response.status).toBe(200);
  const body = await response.json<{ data: { url: string }[] }>();
  // Links only: the bytes beside them are for MCP's in-process call (inlinePictures), which no HTTP request sets.
  expect(body.data[0]).not.toHaveProperty("b64_json");
  const url = body.data[0]?.url ?? "";
  const path = new URL(url).pathname;
  const [upstream] = (await upstreamRequests(tag)).filter((request) => request.imageSha256);
  expect(upstream?.imageSha256).toBeDefined();
  return {
    url,
    path,
    key: path.replace("/image/", ""),
    jobId: response.headers.get("x-job-id") ?? "",
    upstreamSha256: upstream?.imageSha256 ?? "",
  };
}

function jobStub(jobId: string) {
  return env.GENERATION_JOB.get(env.GENERATION_JOB.idFromString(jobId));
}

async function expiresAtOf(jobId: string): Promise<number> {
  const response = await call(`/v1/jobs/${jobId}`, { headers: authHeaders() });
  expect(response.status).toBe(200);
  const job = await response.json<{ result: { expires_at: number } | null }>();
  return (job.result?.expires_at ?? 0) * 1000;
}

function maxAgeOf(response: Response): number {
  const match = /max-age=(\d+)/.exec(response.headers.get("cache-control") ?? "");
  expect(match, response.headers.get("cache-control") ?? "no cache-control").not.toBeNull();
  return Number(match?.[1]);
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < length; offset += 65_536)
    crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  return bytes;
}

/** Stores extra bytes under a new key of a real job, in that job's own storage (not in KV). */
async function keepInJob(
  jobId: string,
  bytes: Uint8Array,
  meta: StoredImageMeta,
  madeAt = Date.now(),
): Promise<{ key: string; storedSha256: string }> {
  const key = newImageKey(jobId, madeAt);
  const storedSha256 = await runInDurableObject(jobStub(jobId), async (_instance, state) => {
    const record = new JobRecord(state.storage);
    record.saveImage(key, bytes, meta);
    const stored = record.image(key);
    return stored ? sha256Hex(stored.bytes) : "not stored";
  });
  return { key, storedSha256 };
}

describe("caching headers", () => {
  it("serves the upstream's bytes with a strong ETag and a max-age that ends before the image does", async () => {
    const image = await makeImage();
    const expiresAt = await expiresAtOf(image.jobId);
    const remainingBefore = (expiresAt - Date.now()) / 1000;
    const response = await call(image.path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    expect(await sha256Hex(await response.arrayBuffer())).toBe(image.upstreamSha256);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const maxAge = maxAgeOf(response);
    expect(maxAge).toBeGreaterThan(0);
    // expires_at is in whole seconds, rounded down: the image itself lives up to a second longer.
    expect(maxAge).toBeLessThanOrEqual(remainingBefore + 1);
    expect(maxAge).toBeLessThanOrEqual(120); // IMAGE_EXPIRATION in the tests
  });

  it("answers If-None-Match with the ETag with 304 and no body; another ETag gets the image", async () => {
    const image = await makeImage();
    const etag = (await call(image.path)).headers.get("etag") ?? "";
    for (const tag of [etag, `W/${etag}`, `"0123", ${etag}`]) {
      const revalidated = await call(image.path, { headers: { "if-none-match": tag } });
      expect(revalidated.status, tag).toBe(304);
      expect(revalidated.headers.get("etag")).toBe(etag);
      expect(await revalidated.text()).toBe("");
    }
    const changed = await call(image.path, { headers: { "if-none-match": '"00000000000000000000000000000000"' } });
    expect(changed.status).toBe(200);
    expect(await sha256Hex(await changed.arrayBuffer())).toBe(image.upstreamSha256);
  });

  it("a cache asking If-None-Match: * gets 304 for an image that exists, and the 404 for one that does not", async () => {
    const image = await makeImage();
    for (const method of ["GET", "HEAD"]) {
      const revalidated = await call(image.path, { method, headers: { "if-none-match": "*" } });
      expect(revalidated.status, method).toBe(304);
      expect(revalidated.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
      expect(await revalidated.text()).toBe("");
    }
    const missing = await call(`/image/${image.jobId}.${"0".repeat(32)}`, { headers: { "if-none-match": "*" } });
    expect(missing.status).toBe(404);
  });

  it("answers HEAD with the image's headers and no body", async () => {
    const image = await makeImage();
    const full = await call(image.path);
    const size = (await full.arrayBuffer()).byteLength;
    const head = await call(image.path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("image/jpeg");
    expect(head.headers.get("content-length")).toBe(String(size));
    expect(head.headers.get("etag")).toBe(full.headers.get("etag"));
    expect(maxAgeOf(head)).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
  });
});

describe("read-after-write: the job's Durable Object answers when KV misses", () => {
  it("serves the same bytes, ETag and HEAD after the image's KV entry is gone", async () => {
    const image = await makeImage();
    const fromKv = await call(image.path);
    const etag = fromKv.headers.get("etag");
    await fromKv.arrayBuffer();
    await env.FLUX_CF_KV.delete(image.key);
    expect(await env.FLUX_CF_KV.get(image.key)).toBeNull();

    const fromJob = await call(image.path);
    expect(fromJob.status).toBe(200);
    expect(await sha256Hex(await fromJob.arrayBuffer())).toBe(image.upstreamSha256);
    expect(fromJob.headers.get("etag")).toBe(etag);
    expect(maxAgeOf(fromJob)).toBeGreaterThan(0);
    expect((await call(image.path, { headers: { "if-none-match": etag ?? "" } })).status).toBe(304);
    expect((await call(image.path, { method: "HEAD" })).headers.get("content-length")).toBe(
      fromJob.headers.get("content-length"),
    );
  });

  it("keeps an image larger than the 2 MB row limit intact in the job and serves it whole", async () => {
    const { jobId } = await makeImage();
    const bytes = randomBytes(2_500_000);
    const meta: StoredImageMeta = {
      contentType: "image/jpeg",
      width: 1920,
      height: 1920,
      expiresAt: Date.now() + 60_000,
    };
    const { key, storedSha256 } = await keepInJob(jobId, bytes, meta);
    const expected = await sha256Hex(bytes);
    expect(storedSha256).toBe(expected);
    expect(await env.FLUX_CF_KV.get(key)).toBeNull();

    const response = await call(`/image/${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("2500000");
    expect(await sha256Hex(await response.arrayBuffer())).toBe(expected);
  });

  it("asks the job only in the first minutes: a miss of an older picture is a 404 that wakes no object", async () => {
    const { jobId } = await makeImage();
    const meta: StoredImageMeta = { contentType: "image/jpeg", width: 8, height: 8, expiresAt: Date.now() + 3_600_000 };
    const fresh = await keepInJob(jobId, randomBytes(100), meta);
    expect((await call(`/image/${fresh.key}`)).status).toBe(200);
    // Held by the job all the same, but KV has had over KV_CATCH_UP_MS to show it everywhere.
    const older = await keepInJob(jobId, randomBytes(100), meta, Date.now() - KV_CATCH_UP_MS - 1000);
    expect(older.storedSha256).not.toBe("not stored");
    expect((await call(`/image/${older.key}`)).status).toBe(404);
    // A key that claims to be made in the future is not fresh either.
    const future = await keepInJob(jobId, randomBytes(100), meta, Date.now() + 3_600_000);
    expect((await call(`/image/${future.key}`)).status).toBe(404);
  });
});

describe("expiry", () => {
  it("after the job's expiry alarm the job is gone and the image URL answers 404", async () => {
    const image = await makeImage();
    expect(await runDurableObjectAlarm(jobStub(image.jobId))).toBe(true);
    const job = await call(`/v1/jobs/${image.jobId}`, { headers: authHeaders() });
    expect(job.status).toBe(404);
    // KV drops the entry by its own TTL at about the same time; without it only the job could answer.
    await env.FLUX_CF_KV.delete(image.key);
    const response = await call(image.path);
    expect(response.status).toBe(404);
    const body = await response.json<{ error: { code: string } }>();
    expect(body.error.code).toBe("image_not_found");
  });

  it("never serves an image past its lifetime, from KV or from the job", async () => {
    const expired: StoredImageMeta = {
      contentType: "image/jpeg",
      width: 256,
      height: 256,
      expiresAt: Date.now() - 1000,
    };
    const { jobId } = await makeImage();
    const inKv = newImageKey(jobId);
    await new ImageStore(env.FLUX_CF_KV).put(inKv, randomBytes(1000), expired, 60);
    expect((await call(`/image/${inKv}`)).status).toBe(404);

    const inJob = await keepInJob(jobId, randomBytes(1000), expired);
    expect(inJob.storedSha256).toBe("not stored");
    expect((await call(`/image/${inJob.key}`)).status).toBe(404);
  });

  it("answers 404 for keys that are not image keys", async () => {
    for (const key of ["not-a-key", `${"f".repeat(64)}.${"0".repeat(32)}`, `${"0".repeat(64)}`]) {
      expect((await call(`/image/${key}`)).status, key).toBe(404);
    }
  });
});

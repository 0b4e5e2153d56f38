/**
 * What keeps a job whole when things around it go wrong: it finishes after
 * its streaming client leaves, a failed store leaves nothing behind, the
 * stream is never silent long enough for a proxy to drop it, and every job
 * leaves exactly one structured log line.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../src/lib/http/errors.ts";
import type { JobSpec, JobView } from "../../src/lib/jobs.ts";
import { readSettings } from "../../src/lib/settings.ts";
import { sseData, sseResponse } from "../../src/lib/openai/sse.ts";
import { runPipeline } from "../../src/objects/pipeline.ts";
import { authHeaders, call, collectSse, marker, ORIGIN, postChat, upstreamRequests } from "./helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function jobView(jobId: string): Promise<JobView> {
  const response = await call(`/v1/jobs/${jobId}`, { headers: authHeaders() });
  expect(response.status).toBe(200);
  return response.json<JobView>();
}

describe("a streaming client that disconnects", () => {
  it("does not stop the job: it finishes, stores its image and records its result", async () => {
    const m = marker();
    const response = await postChat(`${m} a quiet harbour #delay=1500`, { stream: true });
    const jobId = response.headers.get("x-job-id") ?? "";
    const reader = response.body?.getReader();
    if (!reader) throw new Error("the stream has no body");
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value as Uint8Array)).toContain('"role":"assistant"');
    await reader.cancel();
    // The upstream is still painting (#delay=1500) when the client goes.
    expect(["queued", "generating"]).toContain((await jobView(jobId)).status);

    const finished = await vi.waitFor(
      async () => {
        const view = await jobView(jobId);
        if (view.status !== "succeeded" && view.status !== "failed") throw new Error(`still ${view.status}`);
        return view;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(finished.status).toBe("succeeded");
    const key = finished.result?.images[0]?.key ?? "";
    expect(key.startsWith(`${jobId}.`)).toBe(true);
    expect(await env.FLUX_CF_KV.get(key)).not.toBeNull();
    expect((await call(`/image/${key}`)).status).toBe(200);
    expect((await upstreamRequests(m)).map((request) => request.status)).toEqual([200]);
  });
});

describe("a store that fails half-way", () => {
  it("removes the images already written, so nothing of the job is left in KV", async () => {
    const m = marker();
    const inKv = new Map<string, true>();
    const keptBytes = new Set<string>();
    const writes: Promise<void>[] = [];
    const kv = {
      put(key: string) {
        const write =
          writes.length === 1
            ? Promise.reject(new Error("KV write failed"))
            : sleep(50).then(() => void inKv.set(key, true)); // still in flight when the other write fails
        writes.push(write);
        return write;
      },
      delete(key: string) {
        inKv.delete(key);
        return Promise.resolve();
      },
    } as unknown as KVNamespace;
    const spec: JobSpec = {
      kind: "images",
      prompt: `${m} two kites`,
      model: "@cf/black-forest-labs/flux-2-klein-4b",
      width: 512,
      height: 512,
      count: 2,
      delivery: "url",
      origin: ORIGIN,
      settings: readSettings(env),
    };
    let nextKey = 0;
    const run = runPipeline(spec, {
      kv,
      ai: undefined,
      expiresAt: Date.now() + 60_000,
      newImageKey: () => `key-${nextKey++}`,
      progress: () => undefined,
      keepBytes: (key) => keptBytes.add(key),
      forgetBytes: (key) => keptBytes.delete(key),
    });
    await expect(run).rejects.toThrow(ApiError);
    await expect(run).rejects.toMatchObject({ status: 502, code: "storage_error" });
    await Promise.allSettled(writes); // a write that lands after the clean-up would be a leak
    expect([...inKv.keys()]).toEqual([]);
    expect([...keptBytes]).toEqual([]);
  });
});

describe("keepalives while waiting", () => {
  it("sends `: keepalive` comments while the producer is silent, then its data", async () => {
    const response = sseResponse(
      async (writer) => {
        await sleep(400);
        await writer.write(sseData({ done: true }));
      },
      { keepaliveMs: 50 },
    );
    const frames = await collectSse(response);
    expect(frames.at(-1)?.data).toEqual({ done: true });
    const waiting = frames.slice(0, -1);
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting.every((frame) => frame.comment === "keepalive" && frame.data === undefined)).toBe(true);
  });

  it("lets the producer run to its end when the client goes away", async () => {
    let finished = false;
    const response = sseResponse(
      async (writer) => {
        await writer.write(sseData({ step: 1 }));
        await sleep(100);
        await writer.write(sseData({ step: 2 }));
        finished = true;
      },
      { keepaliveMs: 50 },
    );
    await response.body?.cancel();
    await vi.waitFor(() => expect(finished).toBe(true), { timeout: 2000, interval: 20 });
  });
});

describe("the job log", () => {
  afterEach(() => vi.restoreAllMocks());

  type JobLogLine = {
    event: string;
    job: string;
    model: string;
    size: string;
    outcome: string;
    error?: string;
    ms: Record<string, number>;
  };

  async function logLineOf(
    spy: { mock: { calls: unknown[][] } },
    jobId: string,
  ): Promise<{ line: JobLogLine; text: string; count: number }> {
    return vi.waitFor(() => {
      const texts = spy.mock.calls.map((args) => String(args[0])).filter((text) => text.includes(`"job":"${jobId}"`));
      const text = texts[0];
      if (text === undefined) throw new Error(`no log line for job ${jobId} yet`);
      return { line: JSON.parse(text) as JobLogLine, text, count: texts.length };
    });
  }

  it("is one JSON line for a failed job: id, model, size, outcome, error and the time of each stage", async () => {
    const spy = vi.spyOn(console, "log");
    const m = marker();
    const response = await postChat(`${m} a lighthouse #fault=timeout`);
    expect(response.status).toBe(504);
    const jobId = response.headers.get("x-job-id") ?? "";
    const { line, text, count } = await logLineOf(spy, jobId);
    expect(count).toBe(1);
    expect(line).toMatchObject({
      event: "job",
      job: jobId,
      model: "@cf/black-forest-labs/flux-2-klein-4b",
      size: "1024x1024",
      outcome: "failed",
      error: "upstream_timeout",
    });
    expect(Object.keys(line.ms).sort()).toEqual(["generate", "total"]);
    expect(text).not.toContain(m);
  });

  it("is one JSON line for a job that succeeded, with optimise, generate and store times and no prompt or secret", async () => {
    const spy = vi.spyOn(console, "log");
    const m = marker();
    const response = await postChat(`${m} a lighthouse 16:9`, {}, { PROMPT_OPTIMIZATION: "true" });
    expect(response.status).toBe(200);
    const jobId = response.headers.get("x-job-id") ?? "";
    const { line, text, count } = await logLineOf(spy, jobId);
    expect(count).toBe(1);
    expect(line).toMatchObject({ event: "job", job: jobId, size: "1024x576", outcome: "succeeded" });
    expect(Object.keys(line.ms).sort()).toEqual(["generate", "optimize", "store", "total"]);
    for (const secret of [m, "lighthouse", "sk-test-key", "test-token", "test-external-key"])
      expect(text).not.toContain(secret);
  });
});

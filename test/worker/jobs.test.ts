import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobEvent, JobSpec, JobView } from "../../src/lib/jobs.ts";
import { readSettings } from "../../src/lib/settings.ts";
import { JobRecord } from "../../src/objects/job-record.ts";
import {
  API_KEY,
  authHeaders,
  call,
  collectSse,
  imageUrlIn,
  marker,
  ORIGIN,
  postChat,
  readSse,
  sha256Hex,
} from "./helpers.ts";

/** The other key the tests' Worker accepts (vitest.config.ts). */
const SECOND_KEY = "sk-second-key";

async function finishedJob(prompt: string): Promise<{ jobId: string; content: string }> {
  const response = await postChat(prompt);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  return { jobId: response.headers.get("x-job-id") ?? "", content: body.choices[0]?.message.content ?? "" };
}

function getJob(jobId: string): Promise<Response> {
  return call(`/v1/jobs/${jobId}`, { headers: authHeaders() });
}

function jobStub(jobId: string) {
  return env.GENERATION_JOB.get(env.GENERATION_JOB.idFromString(jobId));
}

/** The data frames of a job's event stream, failing rather than waiting if the stream does not end. */
async function eventFrames(jobId: string, headers: Record<string, string> = {}) {
  const response = await call(`/v1/jobs/${jobId}/events`, {
    headers: authHeaders(headers),
    signal: AbortSignal.timeout(5000),
  });
  expect(response.status).toBe(200);
  return (await collectSse(response)).filter((frame) => frame.data !== undefined);
}

describe("GET /v1/jobs/:id", () => {
  it("shows a finished job with its events in order and its result", async () => {
    const tag = marker();
    const { jobId, content } = await finishedJob(`a red fox ${tag} 3:2`);
    const response = await getJob(jobId);
    expect(response.status).toBe(200);
    const job = await response.json<JobView>();
    expect(job.id).toBe(jobId);
    expect(job.status).toBe("succeeded");
    expect(job.events.map((event) => event.status)).toEqual(["queued", "generating", "storing", "succeeded"]);
    expect(job.events.map((event) => event.id)).toEqual([1, 2, 3, 4]);
    for (const event of job.events) expect(event.at).toBeGreaterThan(0);
    expect(job.result?.images[0]).toMatchObject({ width: 768, height: 512, url: imageUrlIn(content) });
    expect(job.result).toMatchObject({
      model: "@cf/black-forest-labs/flux-2-klein-4b",
      originalPrompt: `a red fox ${tag}`,
      promptUsed: `a red fox ${tag}`,
    });
    expect(job.error).toBeNull();
  });

  it("shows a failed job with its error and no result", async () => {
    const response = await postChat(`a cat ${marker()} #fault=nsfw`);
    expect(response.status).toBe(400);
    const job = await (await getJob(response.headers.get("x-job-id") ?? "")).json<JobView>();
    expect(job.status).toBe("failed");
    expect(job.result).toBeNull();
    expect(job.error).toMatchObject({ code: "content_filter", type: "invalid_request_error" });
  });

  it("gives every time in Unix seconds, as OpenAI does: created_at, each event's at, the result's expires_at", async () => {
    const before = Date.now() / 1000;
    const { jobId } = await finishedJob(`a crane ${marker()}`);
    const after = Date.now() / 1000;
    const job = await (await getJob(jobId)).json<JobView>();
    expect(job.created_at).toBeGreaterThanOrEqual(Math.floor(before));
    expect(job.created_at).toBeLessThanOrEqual(after);
    for (const event of job.events) {
      expect(event.at).toBeGreaterThanOrEqual(before);
      expect(event.at).toBeLessThanOrEqual(after);
    }
    // IMAGE_EXPIRATION is 120 s in the tests.
    expect(job.result?.expires_at).toBeGreaterThanOrEqual(Math.floor(before + 120));
    expect(job.result?.expires_at).toBeLessThanOrEqual(after + 120);
  });

  it("is the same job as the chat completion id", async () => {
    const response = await postChat(`a dog ${marker()}`);
    const body = await response.json<{ id: string }>();
    expect(body.id).toBe(`chatcmpl-${response.headers.get("x-job-id")}`);
  });

  it("answers 404 for unknown or malformed ids, and 401 without a key", async () => {
    const unknown = env.GENERATION_JOB.newUniqueId().toString();
    expect((await getJob(unknown)).status).toBe(404);
    expect((await getJob("f".repeat(64))).status).toBe(404);
    expect((await getJob("not-a-job")).status).toBe(404);
    const { jobId } = await finishedJob(`a bird ${marker()}`);
    expect((await call(`/v1/jobs/${jobId}`)).status).toBe(401);
  });
});

describe("HEAD /v1/jobs/:id", () => {
  it("answers as GET does, without the body: 200 for a job, 404 for an unknown one, 401 without a key", async () => {
    const { jobId } = await finishedJob(`a heron ${marker()}`);
    const head = await call(`/v1/jobs/${jobId}`, { method: "HEAD", headers: authHeaders() });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^application\/json/);
    expect(head.headers.get("access-control-allow-origin")).toBe("*");
    expect(await head.text()).toBe("");
    const unknown = await call(`/v1/jobs/${"f".repeat(64)}`, { method: "HEAD", headers: authHeaders() });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("");
    expect((await call(`/v1/jobs/${jobId}`, { method: "HEAD" })).status).toBe(401);
  });
});

describe("GET /v1/jobs/:id/events", () => {
  it("replays a finished job's events as SSE with ids, then ends", async () => {
    const { jobId } = await finishedJob(`a whale ${marker()}`);
    const response = await call(`/v1/jobs/${jobId}/events`, { headers: authHeaders() });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const frames = (await collectSse(response)).filter((frame) => frame.data !== undefined);
    expect(frames.map((frame) => frame.event)).toEqual(["queued", "generating", "storing", "succeeded"]);
    expect(frames.map((frame) => frame.id)).toEqual(["1", "2", "3", "4"]);
    expect((frames.at(-1)?.data as JobEvent).result?.images[0]?.url).toContain(`/image/${jobId}.`);
  });

  it("ends at once for a reader that has already seen the final event (an EventSource reconnecting)", async () => {
    const { jobId } = await finishedJob(`a heron ${marker()}`);
    for (const lastEventId of ["4", "99999"]) {
      const started = Date.now();
      expect(await eventFrames(jobId, { "last-event-id": lastEventId })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it("sends a reader resuming a running job only the events after its Last-Event-ID, live ones too", async () => {
    const generation = await postChat(`a slow crab ${marker()} #delay=600`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    await new Promise((resolve) => setTimeout(resolve, 100)); // the job has started and is painting
    const [ahead, resumed] = await Promise.all([
      eventFrames(jobId, { "last-event-id": "99999" }),
      eventFrames(jobId, { "last-event-id": "3" }),
    ]);
    expect(ahead).toEqual([]);
    expect(resumed.map((frame) => frame.id)).toEqual(["4"]);
    await collectSse(generation);
  });

  it("resumes after Last-Event-ID", async () => {
    const { jobId } = await finishedJob(`an owl ${marker()}`);
    const response = await call(`/v1/jobs/${jobId}/events`, { headers: authHeaders({ "last-event-id": "2" }) });
    const frames = (await collectSse(response)).filter((frame) => frame.data !== undefined);
    expect(frames.map((frame) => frame.id)).toEqual(["3", "4"]);
  });

  it("streams a running job's live events until it ends", async () => {
    const generation = await postChat(`a slow painting ${marker()} #delay=800`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    const events = await call(`/v1/jobs/${jobId}/events`, { headers: authHeaders() });
    const statuses: string[] = [];
    for await (const frame of readSse(events)) if (frame.event) statuses.push(frame.event);
    expect(statuses).toEqual(["queued", "generating", "storing", "succeeded"]);
    await collectSse(generation);
  });
});

describe("job expiry", () => {
  it("removes the job and its image when the image expires (the alarm)", async () => {
    const { jobId, content } = await finishedJob(`a snail ${marker()}`);
    const imagePath = new URL(imageUrlIn(content) ?? "").pathname;
    const key = imagePath.replace("/image/", "");
    await env.FLUX_CF_KV.delete(key); // as KV's own TTL would
    expect((await call(imagePath)).status).toBe(200); // still served by the job
    const ran = await runDurableObjectAlarm(env.GENERATION_JOB.get(env.GENERATION_JOB.idFromString(jobId)));
    expect(ran).toBe(true);
    expect((await getJob(jobId)).status).toBe(404);
    expect((await call(imagePath)).status).toBe(404);
  });
});

describe("a job belongs to the API key that started it", () => {
  const withKey = (key: string) => ({ authorization: `Bearer ${key}` });

  it("is invisible to another valid key (the same 404 as an unknown job), while its image stays public", async () => {
    const { jobId, content } = await finishedJob(`a lynx ${marker()}`);
    const asOther = await call(`/v1/jobs/${jobId}`, { headers: withKey(SECOND_KEY) });
    const unknown = await call(`/v1/jobs/${env.GENERATION_JOB.newUniqueId().toString()}`, {
      headers: withKey(SECOND_KEY),
    });
    expect(asOther.status).toBe(404);
    expect(await asOther.json()).toEqual(await unknown.json());
    const events = await call(`/v1/jobs/${jobId}/events`, { headers: withKey(SECOND_KEY) });
    expect(events.status).toBe(404);
    await events.arrayBuffer();
    expect((await call(`/v1/jobs/${jobId}`, { headers: withKey(API_KEY) })).status).toBe(200);
    expect((await call(new URL(imageUrlIn(content) ?? "").pathname)).status).toBe(200);
  });

  it("hides a running job's live events from another key too", async () => {
    const generation = await postChat(`a slow otter ${marker()} #delay=500`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    const events = await call(`/v1/jobs/${jobId}/events`, { headers: withKey(SECOND_KEY) });
    expect(events.status).toBe(404);
    await events.arrayBuffer();
    await collectSse(generation);
  });
});

describe("a job's storage", () => {
  const spec = async (): Promise<JobSpec> => ({
    kind: "chat",
    prompt: "a lost kite",
    model: "@cf/black-forest-labs/flux-2-klein-4b",
    width: 1024,
    height: 1024,
    count: 1,
    delivery: "url",
    owner: await sha256Hex(new TextEncoder().encode(API_KEY)),
    origin: ORIGIN,
    settings: readSettings(env),
  });

  it("holds only the job's row while it runs; its events and image are stored together when it ends", async () => {
    const generation = await postChat(`a slow tortoise ${marker()} #delay=600`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    const stored = () =>
      runInDurableObject(jobStub(jobId), (_instance, state) => ({
        events: state.storage.sql.exec<{ events: string | null }>("SELECT events FROM job_record").one().events,
        imageParts: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM image_parts").one().n,
      }));
    expect(await stored()).toEqual({ events: null, imageParts: 0 });
    // Meanwhile the running job answers from memory.
    expect((await (await getJob(jobId)).json<JobView>()).status).toBe("generating");
    await collectSse(generation);
    const after = await stored();
    expect((JSON.parse(after.events ?? "[]") as JobEvent[]).map((event) => event.status)).toEqual([
      "queued",
      "generating",
      "storing",
      "succeeded",
    ]);
    expect(after.imageParts).toBe(1);
  });

  it("says a job whose object restarted mid-way was lost, and its event stream ends with that", async () => {
    // A job that made its first commit and then lost its object (a deploy, a crash): the row is
    // stored, and the object now running has no memory of the job.
    const id = env.GENERATION_JOB.newUniqueId();
    const jobSpec = await spec();
    await runInDurableObject(env.GENERATION_JOB.get(id), (_instance, state) => {
      new JobRecord(state.storage).create(jobSpec);
    });
    const job = await (await getJob(id.toString())).json<JobView>();
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "job_lost", type: "server_error" });
    const frames = await eventFrames(id.toString());
    expect(frames.map((frame) => frame.event)).toEqual(["failed"]);
    expect((frames[0]?.data as JobEvent).failure?.error.code).toBe("job_lost");
    // A reader that followed the job live before it was lost resumes to the same end, not to silence.
    const resumed = await eventFrames(id.toString(), { "last-event-id": "3" });
    expect(resumed.map((frame) => [frame.id, frame.event])).toEqual([["4", "failed"]]);
  });

  it("reads an object from before the two-commit record (another table shape) as an unknown job, not a 500", async () => {
    const id = env.GENERATION_JOB.newUniqueId();
    await runInDurableObject(env.GENERATION_JOB.get(id), (_instance, state) => {
      state.storage.sql.exec(
        "CREATE TABLE job (singleton INTEGER PRIMARY KEY, job_id TEXT, model TEXT, width INTEGER, height INTEGER, created_at INTEGER, expires_at INTEGER)",
      );
      state.storage.sql.exec("INSERT INTO job VALUES (1, ?, 'm', 1, 1, 0, 0)", id.toString());
    });
    expect((await getJob(id.toString())).status).toBe(404);
  });

  it("keeps a job that outlasts its images' expiry until it ends: the alarm looks again later", async () => {
    const generation = await postChat(`a slow snail ${marker()} #delay=600`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    expect(await runDurableObjectAlarm(jobStub(jobId))).toBe(true);
    const frames = await collectSse(generation);
    expect(frames.some((frame) => JSON.stringify(frame.data ?? "").includes("/image/"))).toBe(true);
    expect((await (await getJob(jobId)).json<JobView>()).status).toBe("succeeded");
    expect(await runInDurableObject(jobStub(jobId), (_instance, state) => state.storage.getAlarm())).not.toBeNull();
  });

  it("does not half keep a result it cannot store: its image leaves KV and the job fails with storage_error", async () => {
    const m = marker();
    const generation = await postChat(`a heavy anvil ${m} #delay=500`, { stream: true });
    const jobId = generation.headers.get("x-job-id") ?? "";
    await runInDurableObject(jobStub(jobId), (_instance, state) => {
      // Storage refuses the job's second commit (as a storage outage would).
      state.storage.transactionSync = () => {
        throw new Error("storage unavailable");
      };
    });
    const frames = await collectSse(generation);
    const text = frames.map((frame) => JSON.stringify(frame.data ?? "")).join("\n");
    expect(text).toContain("storage_error");
    expect(text).not.toContain("/image/");
    const keys = await env.FLUX_CF_KV.list({ prefix: `${jobId}.` });
    expect(keys.keys).toEqual([]);
    // Storage refused the failure's commit too: the object holds no end, so a lookup says the job was lost.
    expect((await (await getJob(jobId)).json<JobView>()).error).toMatchObject({ code: "job_lost" });
  });
});

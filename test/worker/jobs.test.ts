import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobEvent, JobView } from "../../src/lib/jobs.ts";
import { authHeaders, call, collectSse, imageUrlIn, marker, postChat, readSse } from "./helpers.ts";

async function finishedJob(prompt: string): Promise<{ jobId: string; content: string }> {
  const response = await postChat(prompt);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  return { jobId: response.headers.get("x-job-id") ?? "", content: body.choices[0]?.message.content ?? "" };
}

function getJob(jobId: string): Promise<Response> {
  return call(`/v1/jobs/${jobId}`, { headers: authHeaders() });
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

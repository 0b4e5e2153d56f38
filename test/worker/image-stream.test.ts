/**
 * The Images API streamed (`stream: true`): OpenAI's `image_generation.completed` /
 * `image_edit.completed` events with the picture, an `error` event for a failure, the job's id and
 * record as for a plain call, and a client that goes away leaving the job to finish.
 */
import { describe, expect, it } from "vitest";
import { decodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { authHeaders, call, collectSse, marker, readSse } from "./helpers.ts";
import { sampleJpeg } from "./sample-images.ts";

interface Completed {
  type: string;
  b64_json?: string;
  url?: string;
  created_at: number;
  size: string;
  quality: string;
  background: string;
  output_format: string;
  model: string;
  cost: { neurons: number };
}

function generate(body: Record<string, unknown>): Promise<Response> {
  return call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

describe("a streamed generation", () => {
  it("sends one image_generation.completed event per picture, with the picture, then ends", async () => {
    const response = await generate({
      prompt: `${marker()} a fox`,
      stream: true,
      partial_images: 2,
      n: 2,
      size: "768x512",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-job-id")).toMatch(/^[0-9a-f]{64}$/);
    const frames = (await collectSse(response)).filter((frame) => frame.data !== undefined);
    // No partial pictures: our models paint none, and OpenAI allows a final image without them.
    expect(frames.map((frame) => frame.event)).toEqual(["image_generation.completed", "image_generation.completed"]);
    for (const frame of frames) {
      const data = frame.data as Completed;
      expect(data).toMatchObject({
        type: "image_generation.completed",
        size: "768x512",
        quality: "auto",
        background: "opaque",
        output_format: "jpeg",
        model: "flux-2-klein-4b",
      });
      expect(data.cost.neurons).toBeGreaterThan(0);
      expect(inspectImage(decodeBase64(data.b64_json ?? "") ?? new Uint8Array())).toMatchObject({
        width: 768,
        height: 512,
      });
    }
  });

  it("ends with an error event whose data carries the error, as the SDKs raise it", async () => {
    const response = await generate({ prompt: `${marker()} a fox #fault=nsfw`, stream: true });
    const frames = (await collectSse(response)).filter((frame) => frame.data !== undefined);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.event).toBe("error");
    expect(frames[0]?.data).toMatchObject({
      type: "error",
      error: { code: "content_filter", type: "invalid_request_error" },
    });
  });

  it("refuses bad input before streaming, as a plain 400 (LibreChat falls back on it)", async () => {
    const response = await generate({ prompt: "a fox", stream: true, partial_images: 4 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: "partial_images" } });
  });

  it("finishes and records the job when the client goes away", async () => {
    const response = await generate({ prompt: `${marker()} a fox #delay=200`, stream: true });
    const jobId = response.headers.get("x-job-id");
    await response.body?.cancel();
    for (let tries = 0; ; tries++) {
      const job = await call(`/v1/jobs/${jobId}`, { headers: authHeaders() });
      const view = await job.json<{ status: string }>();
      if (view.status === "succeeded" || tries > 100) return expect(view.status).toBe("succeeded");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it("gives links with response_format url", async () => {
    const response = await generate({ prompt: `${marker()} a fox`, stream: true, response_format: "url" });
    for await (const frame of readSse(response)) {
      if (frame.data === undefined) continue;
      expect((frame.data as Completed).url).toMatch(/\/image\//);
      expect(frame.data).not.toHaveProperty("b64_json");
    }
  });
});

describe("a streamed edit", () => {
  it("sends image_edit.completed, from a multipart form whose stream field is text", async () => {
    const form = new FormData();
    form.append("prompt", `${marker()} make it blue`);
    form.append("stream", "true");
    form.append("partial_images", "1");
    form.append("image", new Blob([sampleJpeg(300, 200)]), "a.jpg");
    const response = await call("/v1/images/edits", {
      method: "POST",
      headers: { authorization: authHeaders().authorization ?? "" },
      body: form,
    });
    const frames = (await collectSse(response)).filter((frame) => frame.data !== undefined);
    expect(frames.map((frame) => frame.event)).toEqual(["image_edit.completed"]);
    expect(frames[0]?.data).toMatchObject({ type: "image_edit.completed", size: "1024x688" });
  });
});

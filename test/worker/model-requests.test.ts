/** What Workers AI receives for each Flux model, as the stand-in recorded it, and what the reply says about the size. */
import { describe, expect, it } from "vitest";
import {
  authHeaders,
  call,
  imageUrlIn,
  marker,
  postChat,
  upstreamRequests,
  type RecordedUpstreamRequest,
} from "./helpers.ts";
import { decodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";

const MODEL = {
  klein4b: "@cf/black-forest-labs/flux-2-klein-4b",
  klein9b: "@cf/black-forest-labs/flux-2-klein-9b",
  dev: "@cf/black-forest-labs/flux-2-dev",
  schnell: "@cf/black-forest-labs/flux-1-schnell",
};

interface Generated {
  upstream: RecordedUpstreamRequest;
  content: string;
  model: string;
}

/** Generates through chat completions and returns the one Workers AI request it made. */
async function generate(prompt: string, requestModel: string, settings?: Record<string, string>): Promise<Generated> {
  const m = marker();
  const response = await postChat(`${m} ${prompt}`, { model: requestModel }, settings);
  expect(response.status).toBe(200);
  const body = await response.json<{ model: string; choices: { message: { content: string } }[] }>();
  const calls = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  expect(calls).toHaveLength(1);
  const [upstream] = calls;
  if (!upstream) throw new Error("no upstream call");
  return { upstream, content: body.choices[0]?.message.content ?? "", model: body.model };
}

describe("FLUX.2 klein (4b and 9b)", () => {
  it.each([MODEL.klein4b, MODEL.klein9b])("%s gets multipart prompt, width and height, and no steps", async (model) => {
    const { upstream, content } = await generate("a harbour 16:9", model);
    expect(upstream.path).toBe(`/client/v4/accounts/test-account/ai/run/${model}`);
    expect(upstream.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(upstream.authorization).toBe("Bearer test-token");
    expect(upstream.status).toBe(200);
    expect(Object.keys(upstream.form ?? {}).sort()).toEqual(["height", "prompt", "seed", "width"]);
    expect(upstream.form).toMatchObject({ width: "1024", height: "576" });
    expect(String(upstream.form?.prompt)).toMatch(/ a harbour$/);
    expect(content).toContain("📐 Size: 1024×576");
  });
});

describe("FLUX.2 dev", () => {
  it("gets multipart with steps = FLUX_NUM_STEPS", async () => {
    const { upstream } = await generate("a harbour 3:4", MODEL.dev, { FLUX_NUM_STEPS: "12" });
    expect(upstream.model).toBe(MODEL.dev);
    expect(upstream.contentType).toMatch(/^multipart\/form-data/);
    expect(upstream.form).toMatchObject({ width: "768", height: "1024", steps: "12" });
    expect(Object.keys(upstream.form ?? {}).sort()).toEqual(["height", "prompt", "seed", "steps", "width"]);
  });
});

describe("FLUX.1 schnell", () => {
  it("gets JSON with only prompt and steps", async () => {
    const { upstream } = await generate("a harbour", MODEL.schnell, { FLUX_NUM_STEPS: "6" });
    expect(upstream.model).toBe(MODEL.schnell);
    expect(upstream.contentType).toMatch(/^application\/json/);
    expect(upstream.json).toEqual({ prompt: expect.stringMatching(/ a harbour$/), steps: 6 });
  });

  it("never gets more than its 8 steps", async () => {
    const { upstream } = await generate("a harbour", MODEL.schnell, { FLUX_NUM_STEPS: "30" });
    expect(upstream.json).toMatchObject({ steps: 8 });
    expect(upstream.status).toBe(200);
  });

  it("states the 1024×1024 it really made when asked for 16:9, and says why", async () => {
    const { content } = await generate("a harbour 16:9", MODEL.schnell);
    expect(content).toContain("📐 Size: 1024×1024");
    expect(content).toContain("always makes 1024×1024");
    expect(content).not.toContain("1024×576");
    const image = await call(new URL(imageUrlIn(content) ?? "").pathname);
    expect(inspectImage(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 1024, height: 1024 });
  });

  it("says nothing about the size when 1:1 was asked", async () => {
    const { content } = await generate("a harbour", MODEL.schnell);
    expect(content).toContain("📐 Size: 1024×1024\n");
  });
});

describe("choosing the model", () => {
  it("uses a supported model the request names, by full id or short name", async () => {
    expect((await generate("a cat", "flux-2-klein-9b")).upstream.model).toBe(MODEL.klein9b);
    const named = await generate("a cat", MODEL.dev);
    expect(named.upstream.model).toBe(MODEL.dev);
    expect(named.model).toBe(MODEL.dev);
  });

  it("falls back to FLUX_MODEL for any other name a chat client sends", async () => {
    const fallback = await generate("a cat", "gpt-4o", { FLUX_MODEL: MODEL.klein9b });
    expect(fallback.upstream.model).toBe(MODEL.klein9b);
    expect(fallback.model).toBe(MODEL.klein9b);
    expect((await generate("a cat", "dall-e-3", { FLUX_MODEL: MODEL.schnell })).upstream.model).toBe(MODEL.schnell);
  });

  it("uses klein-4b when FLUX_MODEL is not changed", async () => {
    expect((await generate("a cat", "gpt-4o")).upstream.model).toBe(MODEL.klein4b);
  });
});

describe("Images API sizes", () => {
  interface SizedReply {
    size: string;
    data: { b64_json: string }[];
  }

  /** One Images API generation; the reply's `size`, the size sent upstream and the size of the bytes. */
  async function generateSized(model: string, size: string) {
    const m = marker();
    const response = await call("/v1/images/generations", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ prompt: `${m} a harbour`, model, size }),
    });
    expect(response.status, size).toBe(200);
    const body = await response.json<SizedReply>();
    const [upstream] = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
    const painted = inspectImage(decodeBase64(body.data[0]?.b64_json ?? "") ?? new Uint8Array());
    return {
      replySize: body.size,
      sentSize: upstream?.form ? `${String(upstream.form.width)}x${String(upstream.form.height)}` : undefined,
      paintedSize: painted ? `${painted.width}x${painted.height}` : undefined,
    };
  }

  it.each([MODEL.klein4b, MODEL.klein9b, MODEL.dev])(
    "%s: a size out of range is scaled into 256–1920 keeping its ratio, and the reply says what was painted",
    async (model) => {
      for (const [asked, made] of [
        ["4000x2000", "1920x960"],
        ["100x50", "512x256"],
        ["4000x4000", "1920x1920"],
        ["100x100", "256x256"],
      ]) {
        const sized = await generateSized(model, asked ?? "");
        expect(sized, asked).toEqual({ replySize: made, sentSize: made, paintedSize: made });
      }
    },
  );

  it("flux-1-schnell paints 1024x1024 whatever the size, and the reply says so", async () => {
    for (const asked of ["4000x2000", "100x50", "4000x4000", "100x100"]) {
      const sized = await generateSized(MODEL.schnell, asked);
      expect(sized, asked).toEqual({ replySize: "1024x1024", sentSize: undefined, paintedSize: "1024x1024" });
    }
  });

  it('size: "auto", as gpt-image clients send it, is the default 1024x1024 for a generation', async () => {
    expect(await generateSized(MODEL.klein4b, "auto")).toEqual({
      replySize: "1024x1024",
      sentSize: "1024x1024",
      paintedSize: "1024x1024",
    });
  });
});

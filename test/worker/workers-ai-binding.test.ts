/**
 * Workers AI through the AI binding (the default when no CF_API_TOKEN is set),
 * against a fake binding that records what it was given and answers or throws
 * the way workerd's binding does: `InferenceUpstreamError("<code>: <message>")`.
 * The same faults sent through the REST transport must end in the same error.
 */
import { describe, expect, it } from "vitest";
import { findModel, type ImageModel } from "../../src/lib/generation/models.ts";
import type { JobSpec } from "../../src/lib/jobs.ts";
import { readSettings, type UpstreamSettings } from "../../src/lib/settings.ts";
import { optimizePrompt } from "../../src/lib/upstream/optimizer.ts";
import { workersAi } from "../../src/lib/upstream/transport.ts";
import { generateImage, type ImageRequest } from "../../src/lib/upstream/workers-ai.ts";
import { runPipeline } from "../../src/objects/pipeline.ts";
import { oneChunkStream } from "../../src/lib/bytes.ts";
import { decodeBase64 } from "../../src/lib/storage/image-bytes.ts";
import { FakeAi, PIXEL_PNG, type RecordedCall } from "./fake-ai.ts";
import { sampleJpeg, samplePng } from "./sample-images.ts";
import { apiErrorOf } from "./helpers.ts";

const bindingSettings: UpstreamSettings = { ...readSettings({}).upstream, imageTimeoutMs: 10_000 };

function request(modelId: string, width = 1024, height = 768): ImageRequest {
  const model = findModel(modelId);
  if (!model) throw new Error(`no model ${modelId}`);
  return { model, prompt: "a lighthouse at dusk", width, height };
}

/** The multipart fields the binding was handed, read back the way Workers AI reads them. */
function multipartFields(call: RecordedCall | undefined): Record<string, string> {
  expect(Object.keys(call?.inputs ?? {})).toEqual(["multipart"]);
  const { contentType } = call?.inputs.multipart as { contentType: unknown };
  expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
  return call?.fields ?? {};
}

describe("an image through the AI binding", () => {
  it("sends a FLUX.2 model its multipart form as a stream with its boundary, and returns the image", async () => {
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    const image = await generateImage(request("flux-2-klein-4b", 768, 1024), workersAi(bindingSettings, ai), {
      ...bindingSettings,
    });
    expect(ai.calls.map((call) => call.model)).toEqual(["@cf/black-forest-labs/flux-2-klein-4b"]);
    expect(multipartFields(ai.calls[0])).toEqual({
      prompt: "a lighthouse at dusk",
      width: "768",
      height: "1024",
    });
    expect(image).toMatchObject({ width: 1, height: 1, contentType: "image/png", base64: PIXEL_PNG });
  });

  it("sends flux-2-dev its steps, capped at 50", async () => {
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    await generateImage(request("flux-2-dev"), workersAi(bindingSettings, ai), {
      ...bindingSettings,
      fluxNumSteps: 80,
    });
    expect(multipartFields(ai.calls[0]).steps).toBe("50");
  });

  it("sends schnell plain JSON inputs: prompt and steps only", async () => {
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    await generateImage(request("flux-1-schnell"), workersAi(bindingSettings, ai), {
      ...bindingSettings,
      fluxNumSteps: 6,
    });
    expect(ai.calls[0]?.inputs).toEqual({ prompt: "a lighthouse at dusk", steps: 6 });
  });

  it("hands the binding the deadline as its signal, and answers 504 when the binding never answers", async () => {
    const ai = FakeAi.scripted(["hang"]);
    const error = await apiErrorOf(
      generateImage(request("flux-2-klein-4b"), workersAi(bindingSettings, ai), {
        ...bindingSettings,
        imageTimeoutMs: 300,
      }),
    );
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(ai.calls[0]?.signal.aborted).toBe(true);
  });

  it("retries out of capacity with a fresh multipart body each time, then succeeds", async () => {
    const ai = FakeAi.scripted([
      { fail: "3040: Capacity temporarily exceeded, please try again.", status: 429 },
      { fail: "3040: Capacity temporarily exceeded, please try again.", status: 429 },
      { image: PIXEL_PNG },
    ]);
    const retries: number[] = [];
    const image = await generateImage(request("flux-2-klein-4b"), workersAi(bindingSettings, ai), bindingSettings, {
      onRetry: (retry) => retries.push(retry),
    });
    expect(image.base64).toBe(PIXEL_PNG);
    expect(retries).toEqual([1, 2]);
    for (const call of ai.calls) expect(multipartFields(call).prompt).toBe("a lighthouse at dusk");
  });

  it("reads an answer the binding hands back as a raw stream (a content type other than application/json)", async () => {
    const stream = new Response(JSON.stringify({ image: PIXEL_PNG })).body;
    const ai = FakeAi.scripted([{ answer: stream }]);
    const image = await generateImage(request("flux-1-schnell"), workersAi(bindingSettings, ai), bindingSettings);
    expect(image.base64).toBe(PIXEL_PNG);
  });

  it("is refused with a clear 500 when the deployment has neither the binding nor REST credentials", () => {
    expect(() => workersAi(bindingSettings, undefined)).toThrow(
      /add the AI binding .* or set CF_ACCOUNT_ID and CF_API_TOKEN/,
    );
  });
});

describe("the models that answer with the picture's bytes, through the AI binding", () => {
  it("sends sdxl plain JSON inputs under its own names, and reads the PNG stream it answers as a PNG", async () => {
    const png = await samplePng(64, 48, [10, 120, 200]);
    const ai = FakeAi.scripted([{ answer: oneChunkStream(png) }]);
    const image = await generateImage(
      { ...request("sdxl", 64, 48), seed: 2, options: { negativePrompt: "fog", guidance: 6 } },
      workersAi(bindingSettings, ai),
      bindingSettings,
    );
    expect(ai.calls[0]?.inputs).toEqual({
      prompt: "a lighthouse at dusk",
      width: 64,
      height: 48,
      seed: 2,
      negative_prompt: "fog",
      guidance: 6,
      num_steps: 20,
    });
    expect(image).toMatchObject({ contentType: "image/png", width: 64, height: 48 });
    expect(decodeBase64(image.base64)).toEqual(png);
  });

  it("reads phoenix's JPEG bytes as a JPEG, and bytes that are no image as upstream_bad_response", async () => {
    const jpeg = sampleJpeg(40, 30);
    const ai = FakeAi.scripted([
      { answer: oneChunkStream(jpeg) },
      { answer: oneChunkStream(new TextEncoder().encode("nope")) },
    ]);
    const image = await generateImage(request("phoenix", 40, 30), workersAi(bindingSettings, ai), bindingSettings);
    expect(image).toMatchObject({ contentType: "image/jpeg", width: 40, height: 30 });
    const error = await apiErrorOf(generateImage(request("phoenix"), workersAi(bindingSettings, ai), bindingSettings));
    expect(error).toMatchObject({ status: 502, code: "upstream_bad_response" });
  });

  it("sends inpainting its picture and mask as arrays of byte numbers", async () => {
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    const source = sampleJpeg(16, 16);
    const mask = await samplePng(16, 16, [255, 255, 255]);
    await generateImage(
      { ...request("sd-inpainting", 16, 16), source, mask },
      workersAi(bindingSettings, ai),
      bindingSettings,
    );
    const inputs = ai.calls[0]?.inputs ?? {};
    expect(inputs.image).toEqual(Array.from(source));
    expect(inputs.mask).toEqual(Array.from(mask));
    expect(inputs.strength).toBe(1);
  });
});

/**
 * Each fault as the binding throws it and as the REST API answers it: `[error code, HTTP status,
 * Workers AI's message]`, then what the client must get and how many calls it takes.
 */
const FAULTS: [number | undefined, number, string, { status: number; code: string; type?: string }, number][] = [
  [3030, 400, "AiError: Input prompt contains NSFW content.", { status: 400, code: "content_filter" }, 1],
  [
    3036,
    429,
    "You have used up your daily free allocation of 10,000 neurons.",
    { status: 429, code: "daily_quota_exceeded", type: "insufficient_quota" },
    1,
  ],
  [3040, 429, "Capacity temporarily exceeded, please try again.", { status: 503, code: "upstream_capacity" }, 3],
  [
    5007,
    400,
    "No such model @cf/black-forest-labs/flux-2-klein-4b or task",
    { status: 502, code: "model_not_found" },
    1,
  ],
  [5035, 403, "This model requires the Workers Paid plan.", { status: 502, code: "upstream_auth" }, 1],
  [10000, 401, "Authentication error", { status: 502, code: "upstream_auth" }, 1],
  [3006, 413, "Request is too large", { status: 400, code: "request_too_large" }, 1],
  [3007, 408, "Request timeout", { status: 504, code: "upstream_timeout" }, 1],
  [3043, 500, "Internal server error", { status: 502, code: "upstream_error" }, 3],
  [undefined, 500, "Internal Server Error", { status: 502, code: "upstream_error" }, 3],
];

/** The REST API answering one fault: Workers AI's envelope with the code, at its HTTP status. */
function restAnswering(
  code: number | undefined,
  status: number,
  message: string,
): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fakeFetch: typeof fetch = (input, init) => {
    calls++;
    void input;
    void init;
    const errors = code === undefined ? [] : [{ code, message }];
    const body = code === undefined ? message : JSON.stringify({ success: false, errors, messages: [], result: null });
    return Promise.resolve(new Response(body, { status }));
  };
  return { fetch: fakeFetch, calls: () => calls };
}

describe("a Workers AI fault through the binding", () => {
  const model: ImageModel = request("flux-2-klein-4b").model;
  it.each(FAULTS)(
    "code %s (HTTP %s) is mapped exactly as the REST API's answer is",
    async (code, status, message, expected, calls) => {
      const thrown = code === undefined ? message : `${code}: ${message}`;
      const ai = FakeAi.scripted([{ fail: thrown, status }]);
      const viaBinding = await apiErrorOf(
        generateImage(
          { model, prompt: "x", width: 1024, height: 768 },
          workersAi(bindingSettings, ai),
          bindingSettings,
        ),
      );
      const restSettings: UpstreamSettings = {
        ...bindingSettings,
        via: "rest",
        cfAccountId: "acct",
        cfApiToken: "tok",
      };
      const rest = restAnswering(code, status, message);
      const viaRest = await apiErrorOf(
        generateImage(
          { model, prompt: "x", width: 1024, height: 768 },
          workersAi(restSettings, undefined, rest.fetch),
          restSettings,
        ),
      );

      expect(viaBinding).toMatchObject(expected);
      expect({ status: viaBinding.status, code: viaBinding.code, type: viaBinding.type }).toEqual({
        status: viaRest.status,
        code: viaRest.code,
        type: viaRest.type,
      });
      expect(ai.calls).toHaveLength(calls);
      expect(rest.calls()).toBe(calls);
      if (code !== undefined && code !== 3030) expect(viaBinding.message).toContain(`Workers AI ${code}: ${message}`);
    },
    15_000,
  );

  it("maps the code even when a concurrent call left another status on the binding", async () => {
    const ai = FakeAi.scripted([{ fail: "5007: No such model", status: 500 }]);
    const error = await apiErrorOf(
      generateImage(request("flux-2-klein-4b"), workersAi(bindingSettings, ai), bindingSettings),
    );
    expect(error).toMatchObject({ status: 502, code: "model_not_found" });
    expect(ai.calls).toHaveLength(1);
  });

  it("treats an error that is no answer at all (no code, no status) as unreachable, and retries it", async () => {
    const ai = FakeAi.scripted([{ fail: "Network connection lost." }]);
    const error = await apiErrorOf(
      generateImage(request("flux-2-klein-4b"), workersAi(bindingSettings, ai), bindingSettings),
    );
    expect(error).toMatchObject({ status: 502, code: "upstream_unreachable" });
    expect(ai.calls).toHaveLength(3);
  });
});

describe("prompt optimisation through the AI binding", () => {
  const settings = readSettings({ PROMPT_OPTIMIZATION: "true" });

  it("sends Workers AI's chat model the messages with thinking off, and reads the chat completion", async () => {
    const ai = FakeAi.scripted([
      { answer: { choices: [{ message: { role: "assistant", content: '"A lighthouse at dusk, oil painting"' } }] } },
    ]);
    const outcome = await optimizePrompt("灯塔", settings.optimizer, settings.upstream, ai);
    expect(outcome).toEqual({
      ok: true,
      prompt: "A lighthouse at dusk, oil painting",
      model: "@cf/zai-org/glm-4.7-flash",
    });
    expect(ai.calls[0]?.model).toBe("@cf/zai-org/glm-4.7-flash");
    expect(ai.calls[0]?.inputs).toMatchObject({
      messages: [
        { role: "system", content: settings.optimizer.systemMessage },
        { role: "user", content: "灯塔" },
      ],
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(ai.calls[0]?.inputs).not.toHaveProperty("model");
  });

  it("reads the `{ response }` answer of Workers AI's older text models", async () => {
    const ai = FakeAi.scripted([{ answer: { response: "A red fox in snow" } }]);
    const outcome = await optimizePrompt("fox", settings.optimizer, settings.upstream, ai);
    expect(outcome).toMatchObject({ ok: true, prompt: "A red fox in snow" });
  });

  it("falls back with Workers AI's error code as the reason when the binding throws", async () => {
    const ai = FakeAi.scripted([{ fail: "3040: Capacity temporarily exceeded, please try again.", status: 429 }]);
    expect(await optimizePrompt("fox", settings.optimizer, settings.upstream, ai)).toEqual({
      ok: false,
      reason: "Workers AI error 3040",
    });
  });

  it("falls back when no binding is configured", async () => {
    const outcome = await optimizePrompt("fox", settings.optimizer, settings.upstream, undefined);
    expect(outcome.ok).toBe(false);
  });
});

describe("a job whose settings choose the binding", () => {
  it("generates through the binding it is given and stores the image", async () => {
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    const stored = new Map<string, ArrayBuffer>();
    const kv = {
      put: (key: string, value: ArrayBuffer) => Promise.resolve(void stored.set(key, value)),
      delete: (key: string) => Promise.resolve(void stored.delete(key)),
    } as unknown as KVNamespace;
    const spec: JobSpec = {
      kind: "images",
      prompt: "two kites",
      model: "@cf/black-forest-labs/flux-2-klein-4b",
      width: 512,
      height: 768,
      count: 1,
      delivery: "url",
      origin: "https://flux.example",
      settings: readSettings({}),
    };
    const outcome = await runPipeline(spec, {
      kv,
      ai,
      expiresAt: Date.now() + 60_000,
      newImageKey: () => "the-key",
      progress: () => undefined,
      keepBytes: () => undefined,
      forgetBytes: () => undefined,
    });
    expect(multipartFields(ai.calls[0])).toMatchObject({ prompt: "two kites", width: "512" });
    expect(outcome.result.images).toMatchObject([{ key: "the-key", url: "https://flux.example/image/the-key" }]);
    expect([...stored.keys()]).toEqual(["the-key"]);
  });

  it("says how to run locally when the binding only refuses (wrangler dev --local), without retrying", async () => {
    const ai = FakeAi.scripted([{ fail: "Binding AI needs to be run remotely" }]);
    const error = await apiErrorOf(
      generateImage(request("flux-2-klein-4b"), workersAi(bindingSettings, ai), bindingSettings),
    );
    expect(error.message).toMatch(/does not run locally .*npm start/);
    expect(ai.calls).toHaveLength(1);
  });
});

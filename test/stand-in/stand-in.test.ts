// The stand-in must imitate Workers AI and an OpenAI chat API faithfully, or tests that use it
// would pass against behaviour the real upstreams never show.
import { createHash } from "node:crypto";
import jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIn } from "../../tools/stand-in/server.ts";
import type { RecordedRequest, StandIn } from "../../tools/stand-in/server.ts";
import { jpegDimensions } from "./jpeg-dimensions.ts";

const SCHNELL = "@cf/black-forest-labs/flux-1-schnell";
const KLEIN = "@cf/black-forest-labs/flux-2-klein-4b";
const DEV = "@cf/black-forest-labs/flux-2-dev";
const AUTH = { authorization: "Bearer test-token" };

interface ChatCompletion {
  object: string;
  model: string;
  choices: { message: { content: string } }[];
  usage: { total_tokens: number };
}
interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface Envelope {
  result: { image?: string } | null;
  success: boolean;
  errors: { code: number; message: string }[];
  messages: unknown[];
}

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ port: 0, quiet: true });
});
afterAll(async () => {
  await standIn.close();
});

function runUrl(model: string): string {
  return `${standIn.cfApiBase}/accounts/test-account/ai/run/${model}`;
}

function runJson(model: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(runUrl(model), {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

function runForm(model: string, fields: Record<string, string | Blob>): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return fetch(runUrl(model), { method: "POST", headers: AUTH, body: form });
}

async function expectError(response: Response, status: number, code: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = (await response.json()) as Envelope;
  expect(body).toMatchObject({ result: null, success: false, messages: [] });
  expect(body.errors[0]?.code).toBe(code);
  return body.errors[0]?.message ?? "";
}

async function imageOf(response: Response): Promise<Buffer> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as Envelope;
  expect(body).toMatchObject({ success: true, errors: [], messages: [] });
  return Buffer.from(body.result?.image ?? "", "base64");
}

describe("flux-1-schnell (JSON)", () => {
  it("answers a real 1024×1024 JPEG, unique per call, and records its hash", async () => {
    const first = await imageOf(await runJson(SCHNELL, { prompt: "a lighthouse at dusk", steps: 4 }));
    const second = await imageOf(await runJson(SCHNELL, { prompt: "a lighthouse at dusk" }));
    expect(jpegDimensions(first)).toEqual({ width: 1024, height: 1024 });
    expect(jpeg.decode(first, { useTArray: true }).width).toBe(1024);
    expect(first.equals(second)).toBe(false);
    const record = standIn.requests.findLast(
      (r) => r.json !== undefined && (r.json as { prompt?: string }).prompt === "a lighthouse at dusk",
    );
    expect(record).toMatchObject({ method: "POST", model: SCHNELL, status: 200, authorization: "Bearer test-token" });
    expect(record?.imageSha256).toBe(createHash("sha256").update(second).digest("hex"));
  });

  it.each([
    [{ prompt: "x", width: 512 }, "additional properties not allowed at '/': 'width'"],
    [{ prompt: "x", num_steps: 4 }, "additional properties not allowed at '/': 'num_steps'"],
    [{ prompt: "x", steps: 9 }, "'/steps'"],
    [{ prompt: "x", steps: "4" }, "Type mismatch of '/steps'"],
    [{ prompt: "" }, "'/prompt'"],
    [{ prompt: "x".repeat(2049) }, "'/prompt'"],
    [{ steps: 4 }, "required properties at '/' are 'prompt'"],
  ])("rejects %j with 400 code 5006", async (body, expected) => {
    const message = await expectError(await runJson(SCHNELL, body), 400, 5006);
    expect(message).toMatch(/^AiError: Bad input: Error: /);
    expect(message).toContain(expected);
  });

  it("rejects a multipart body", async () => {
    await expectError(await runForm(SCHNELL, { prompt: "a cat" }), 400, 5006);
  });
});

describe("flux-2 models (multipart only)", () => {
  it("klein rejects a JSON body", async () => {
    const message = await expectError(await runJson(KLEIN, { prompt: "a cat" }), 400, 5006);
    expect(message).toBe("AiError: Bad input: Error: required properties at '/' are 'multipart'");
  });

  it("klein rejects steps, and sizes out of range", async () => {
    expect(await expectError(await runForm(KLEIN, { prompt: "a cat", steps: "4" }), 400, 5006)).toContain("'steps'");
    await expectError(await runForm(KLEIN, { prompt: "a cat", width: "2048" }), 400, 5006);
    await expectError(await runForm(KLEIN, { prompt: "a cat", height: "tall" }), 400, 5006);
  });

  it("klein paints exactly width×height, defaulting to 1024×768, and accepts input images", async () => {
    const sized = await imageOf(
      await runForm(KLEIN, { prompt: "a wide fox", width: "1280", height: "320", seed: "7", guidance: "3.5" }),
    );
    expect(jpegDimensions(sized)).toEqual({ width: 1280, height: 320 });
    const referenceBytes = Uint8Array.from(jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(256) }, 90).data);
    const reference = new Blob([referenceBytes], { type: "image/jpeg" });
    const defaulted = await imageOf(
      await runForm("@cf/black-forest-labs/flux-2-klein-9b", { prompt: "a default fox", input_image_0: reference }),
    );
    expect(jpegDimensions(defaulted)).toEqual({ width: 1024, height: 768 });
    const record = standIn.requests.findLast((r) => r.prompt === "a default fox");
    expect(record?.form).toEqual({
      prompt: "a default fox",
      input_image_0: { file: true, size: referenceBytes.length },
    });
  });

  it("flux-2-dev accepts steps", async () => {
    const image = await imageOf(await runForm(DEV, { prompt: "a slow fox", steps: "28", width: "256", height: "512" }));
    expect(jpegDimensions(image)).toEqual({ width: 256, height: 512 });
    await expectError(await runForm(DEV, { prompt: "a slow fox", steps: "51" }), 400, 5006);
  });
});

describe("auth and routing", () => {
  it("answers 401 code 10000 without a Bearer token", async () => {
    await expectError(
      await runJson(SCHNELL, { prompt: "x" }, { headers: { "content-type": "application/json" } }),
      401,
      10000,
    );
    await expectError(await runJson(SCHNELL, { prompt: "x" }, { headers: { authorization: "Basic abc" } }), 401, 10000);
  });

  it("answers 400 code 5007 for an unknown model", async () => {
    const message = await expectError(await runJson("@cf/nobody/nothing", { prompt: "x" }), 400, 5007);
    expect(message).toBe("No such model @cf/nobody/nothing or task");
    // Names that exist on Object.prototype must not be mistaken for models or fields.
    await expectError(await runJson("constructor", { prompt: "x" }), 400, 5007);
    await expectError(await runForm(KLEIN, { prompt: "x", constructor: "1" }), 400, 5006);
  });

  it("answers 404 JSON for unknown paths and serves health outside the record", async () => {
    expect((await fetch(`${standIn.url}/nowhere`)).status).toBe(404);
    expect(await (await fetch(`${standIn.url}/__stand-in/health`)).json()).toEqual({ ok: true });
    expect(standIn.requests.some((r) => r.path.startsWith("/__stand-in"))).toBe(false);
  });
});

describe("fault directives in the prompt", () => {
  it.each([
    ["nsfw", 400, 3030],
    ["capacity", 429, 3040],
    ["quota", 429, 3036],
    ["timeout", 408, 3007],
    ["too-large", 413, 3006],
    ["auth", 401, 10000],
    ["paid", 403, 5035],
    ["no-model", 400, 5007],
    ["server", 500, 5000],
  ])("#fault=%s answers %i code %i", async (fault, status, code) => {
    await expectError(await runJson(SCHNELL, { prompt: `a fox #fault=${fault}` }), status, code);
  });

  it("#retry-after adds Retry-After to a 429", async () => {
    const response = await runJson(SCHNELL, { prompt: "a fox #fault=capacity #retry-after=3" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
  });

  it("#fault=NAME*K fails only the first K calls with that exact prompt", async () => {
    const prompt = `a counted fox ${Math.random()} #fault=capacity*2`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await runForm(KLEIN, { prompt })).status);
    expect(statuses).toEqual([429, 429, 200, 200]);
  });

  it("answers broken 200s: bad-json, empty, no-image, bad-base64, not-image", async () => {
    const text = async (fault: string) => (await runJson(SCHNELL, { prompt: `x #fault=${fault}` })).text();
    const imageField = (body: string) => (JSON.parse(body) as Envelope).result?.image ?? "";
    await expect(text("bad-json").then((t): unknown => JSON.parse(t))).rejects.toThrow();
    expect(await text("empty")).toBe("");
    expect(JSON.parse(await text("no-image"))).toMatchObject({ success: true, result: {} });
    const badBase64 = imageField(await text("bad-base64"));
    expect(() => atob(badBase64)).toThrow();
    const notImage = Buffer.from(imageField(await text("not-image")), "base64");
    expect(() => jpegDimensions(notImage)).toThrow();
  });

  it("#delay waits before answering", async () => {
    const started = performance.now();
    await imageOf(await runJson(SCHNELL, { prompt: "a patient fox #delay=150" }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("hang never answers: the client gives up, and close() does not wait for it", async () => {
    await expect(
      runJson(SCHNELL, { prompt: "a stuck fox #fault=hang" }, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    expect(standIn.requests.findLast((r) => r.prompt === "a stuck fox #fault=hang")?.status).toBe(0);

    const own = await startStandIn({ quiet: true });
    const pending = fetch(`${own.cfApiBase}/accounts/a/ai/run/${SCHNELL}`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ prompt: "x #fault=hang" }),
    });
    while (own.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await own.close();
    await expect(pending).rejects.toThrow();
  });

  it("network drops the connection without an answer", async () => {
    await expect(runJson(SCHNELL, { prompt: "a lost fox #fault=network" })).rejects.toThrow(TypeError);
  });

  it("latencyMs and failureRate apply to every ai/run call, its errors included", async () => {
    const own = await startStandIn({ quiet: true, failureRate: 1 });
    const run = (headers: Record<string, string> = AUTH) =>
      fetch(`${own.cfApiBase}/accounts/a/ai/run/${SCHNELL}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ prompt: "x" }),
      });
    expect((await run()).status).toBe(500);
    own.setOptions({ failureRate: 0, latencyMs: 120 });
    let started = performance.now();
    expect((await run()).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    started = performance.now();
    expect((await run({})).status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    const changed = await fetch(`${own.url}/__stand-in/options`, {
      method: "POST",
      body: JSON.stringify({ latencyMs: 0, failureRate: 0.25, quiet: false }),
    });
    expect(await changed.json()).toEqual({ latencyMs: 0, failureRate: 0.25, quiet: false });
    await own.close();
  });
});

describe("OpenAI-compatible chat (prompt optimiser)", () => {
  function chat(path: string, body: unknown, headers: Record<string, string> = AUTH): Promise<Response> {
    return fetch(`${standIn.url}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }
  const ask = (text: string) => ({
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Rewrite prompts." },
      { role: "user", content: text },
    ],
  });

  it.each(["/v1/chat/completions", "/client/v4/accounts/acc/ai/v1/chat/completions"])(
    "%s answers a chat.completion",
    async (path) => {
      const response = await chat(path, ask("A red fox in snow."));
      expect(response.status).toBe(200);
      const body = (await response.json()) as ChatCompletion;
      expect(body).toMatchObject({
        object: "chat.completion",
        model: "gpt-4o-mini",
        choices: [
          {
            index: 0,
            finish_reason: "stop",
            message: {
              role: "assistant",
              content: "A highly detailed illustration of a red fox in snow, soft natural light, sharp focus",
            },
          },
        ],
      });
      expect(body.usage.total_tokens).toBeGreaterThan(0);
    },
  );

  it("keeps image directives, drops optimiser ones, and answers English for other scripts", async () => {
    const kept = (await (
      await chat("/v1/chat/completions", ask("a fox #fault=capacity*1 #optdelay=1 #delay=5"))
    ).json()) as ChatCompletion;
    expect(kept.choices[0]?.message.content).toBe(
      "A highly detailed illustration of a fox, soft natural light, sharp focus #fault=capacity*1 #delay=5",
    );
    const japanese = (await (await chat("/v1/chat/completions", ask("雪の中の赤い狐"))).json()) as ChatCompletion;
    expect(japanese.choices[0]?.message.content).toBe(
      'A highly detailed illustration of the scene described as "雪の中の赤い狐", soft natural light, sharp focus',
    );
  });

  it("answers OpenAI-shaped errors", async () => {
    const noKey = await chat("/v1/chat/completions", ask("x"), {});
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({
      error: { type: "invalid_request_error", param: null, code: "invalid_api_key" },
    });
    const noMessages = await chat("/v1/chat/completions", { model: "m" });
    expect(noMessages.status).toBe(400);
    expect(((await noMessages.json()) as OpenAiError).error).toMatchObject({
      param: "messages",
      type: "invalid_request_error",
    });
    expect((await chat("/v1/chat/completions", { messages: [] })).status).toBe(400);
  });

  it("obeys optimiser faults without touching image calls", async () => {
    expect((await chat("/v1/chat/completions", ask("a fox #optfault=server"))).status).toBe(500);
    expect((await chat("/v1/chat/completions", ask("a fox #optfault=auth"))).status).toBe(401);
    expect(
      ((await (await chat("/v1/chat/completions", ask("a fox #optfault=empty"))).json()) as ChatCompletion).choices,
    ).toEqual([]);
    await expect((await chat("/v1/chat/completions", ask("a fox #optfault=bad-json"))).json()).rejects.toThrow();
    await expect(
      fetch(`${standIn.url}/v1/chat/completions`, {
        method: "POST",
        headers: AUTH,
        body: JSON.stringify(ask("a fox #optfault=hang")),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    await imageOf(await runJson(SCHNELL, { prompt: "a fox #optfault=server" }));
  });

  it("streams when asked", async () => {
    const response = await chat("/v1/chat/completions", {
      ...ask("a fox"),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = (await response.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events).toHaveLength(5);
  });

  it("lists models, and finds recorded requests by prompt text", async () => {
    const models = (await (await fetch(`${standIn.url}/v1/models`, { headers: AUTH })).json()) as {
      object: string;
      data: unknown[];
    };
    expect(models.object).toBe("list");
    expect(models.data.length).toBeGreaterThan(1);
    const found = (await (
      await fetch(`${standIn.url}/__stand-in/requests?contains=${encodeURIComponent("red fox in snow")}`)
    ).json()) as RecordedRequest[];
    expect(found.length).toBe(2);
    expect(found[0]?.path).toContain("chat/completions");
  });
});

describe("FLUX.2 reference images (input_image_N)", () => {
  /** A real JPEG of that size, in one flat colour. */
  function referenceJpeg(width: number, height: number, [red, green, blue]: [number, number, number]): Blob {
    const data = Buffer.alloc(width * height * 4);
    for (let offset = 0; offset < data.length; offset += 4) data.set([red, green, blue, 255], offset);
    return new Blob([Uint8Array.from(jpeg.encode({ width, height, data }, 90).data)], { type: "image/jpeg" });
  }

  /** The pixel at (x, y) of a JPEG, as [r, g, b]. */
  function pixelAt(image: Buffer, x: number, y: number): number[] {
    const decoded = jpeg.decode(image, { useTArray: true });
    const offset = (y * decoded.width + x) * 4;
    return Array.from(decoded.data.subarray(offset, offset + 3));
  }

  it("takes up to four binary parts under 512×512, records them, and paints a mark for each", async () => {
    const prompt = `two references ${randomTag()}`;
    const edited = await imageOf(
      await runForm(KLEIN, {
        prompt,
        width: "512",
        height: "512",
        input_image_0: referenceJpeg(400, 300, [255, 0, 0]),
        input_image_1: referenceJpeg(511, 511, [0, 0, 255]),
      }),
    );
    const plain = await imageOf(
      await runForm(KLEIN, { prompt: `no references ${randomTag()}`, width: "512", height: "512" }),
    );
    const record = standIn.requests.find((request) => request.prompt === prompt);
    expect(
      record?.references?.map(({ name, width, height, contentType }) => ({ name, width, height, contentType })),
    ).toEqual([
      { name: "input_image_0", width: 400, height: 300, contentType: "image/jpeg" },
      { name: "input_image_1", width: 511, height: 511, contentType: "image/jpeg" },
    ]);
    // The first mark sits at the bottom left: a text-only picture has sky there.
    expect(pixelAt(edited, 40, 460)).not.toEqual(pixelAt(plain, 40, 460));
    expect(jpegDimensions(edited)).toEqual({ width: 512, height: 512 });
  });

  it("refuses a reference of 512 pixels or more on a side with Workers AI's 5006", async () => {
    const message = await expectError(
      await runForm(KLEIN, { prompt: "too big", input_image_0: referenceJpeg(512, 300, [0, 255, 0]) }),
      400,
      5006,
    );
    expect(message).toContain("All input images must be smaller than 512x512");
  });

  it("refuses a fifth reference and a part that is not an image", async () => {
    const fifth = await expectError(
      await runForm(KLEIN, { prompt: "five", input_image_4: referenceJpeg(64, 64, [0, 0, 0]) }),
      400,
      5006,
    );
    expect(fifth).toContain("additional properties not allowed at '/': 'input_image_4'");
    const text = await expectError(
      await runForm(KLEIN, { prompt: "text", input_image_0: new Blob(["not an image"], { type: "image/png" }) }),
      400,
      5006,
    );
    expect(text).toContain("not a JPEG, PNG or WebP image");
  });
});

function randomTag(): string {
  return createHash("sha256").update(String(Math.random())).digest("hex").slice(0, 8);
}

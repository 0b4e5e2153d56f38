/**
 * The deployed default, end to end inside workerd: no CF_ACCOUNT_ID or CF_API_TOKEN,
 * so the Worker and its GenerationJob reach Workers AI through `env.AI`. The
 * binding of the test runtime only refuses (no model runs locally), so these tests
 * put a fake one in its place on the shared env, which the Durable Object sees too.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBase64 } from "../../src/lib/storage/image-bytes.ts";
import { FakeAi, PIXEL_PNG, type Step } from "./fake-ai.ts";
import { authHeaders, callWith, collectSse, imageUrlIn, marker, ORIGIN, sha256Hex } from "./helpers.ts";

/** Every setting that would choose the REST API, cleared: the binding it is. */
const BINDING = { CF_ACCOUNT_ID: "", CF_API_TOKEN: "", EXTERNAL_API_BASE: "", EXTERNAL_MODEL: "" };

/** What the fake does for a prompt containing a key; the others get a picture. */
const behaviours = new Map<string, (attempt: number) => Step>();
const ai = new FakeAi((call, attempt) => {
  for (const [key, behaviour] of behaviours) if (call.prompt.includes(key)) return behaviour(attempt);
  if (call.model.includes("glm")) {
    return { answer: { choices: [{ message: { role: "assistant", content: `An oil painting of ${call.prompt}` } }] } };
  }
  return { image: PIXEL_PNG };
});

const shared = env as unknown as Record<string, unknown>;
let realBinding: unknown;
beforeAll(() => {
  realBinding = shared.AI;
  shared.AI = ai;
});
afterAll(() => {
  shared.AI = realBinding;
});

function chat(prompt: string, extra: Record<string, unknown> = {}, settings: Record<string, string> = {}) {
  const body = JSON.stringify({ model: "flux", messages: [{ role: "user", content: prompt }], ...extra });
  return callWith({ ...BINDING, ...settings }, "/v1/chat/completions", {
    method: "POST",
    headers: authHeaders(),
    body,
  });
}

function callsFor(text: string) {
  return ai.calls.filter((call) => call.prompt.includes(text));
}

describe("with no CF_* settings, a chat completion", () => {
  it("is painted through the binding and its image is served from storage", async () => {
    const m = marker();
    const response = await chat(`${m} a harbour at night 16:9`);
    expect(response.status).toBe(200);
    const reply = await response.json<{ choices: { message: { content: string } }[] }>();
    const url = imageUrlIn(reply.choices[0]?.message.content ?? "") ?? "";
    expect(url.startsWith(`${ORIGIN}/image/`)).toBe(true);

    const [flux] = callsFor(m);
    expect(flux?.model).toBe("@cf/black-forest-labs/flux-2-klein-4b");
    expect(flux?.fields).toEqual({
      prompt: `${m} a harbour at night`,
      width: "1024",
      height: "576",
      seed: expect.stringMatching(/^\d+$/),
    });

    const image = await callWith(BINDING, new URL(url).pathname);
    expect(image.status).toBe(200);
    expect(await sha256Hex(await image.arrayBuffer())).toBe(
      await sha256Hex(decodeBase64(PIXEL_PNG) ?? new Uint8Array()),
    );
  });

  it("streams the retries of a binding out of capacity, then the image", async () => {
    const m = marker();
    behaviours.set(m, (attempt) =>
      attempt <= 2
        ? { fail: "3040: Capacity temporarily exceeded, please try again.", status: 429 }
        : { image: PIXEL_PNG },
    );
    const frames = await collectSse(await chat(`${m} a fox`, { stream: true }));
    const text = JSON.stringify(frames.map((frame) => frame.data));
    expect(text).toContain("retrying (1 of 2)");
    expect(text).toContain("retrying (2 of 2)");
    expect(text).toContain("/image/");
    expect(callsFor(m)).toHaveLength(3);
  });

  it("answers the safety filter's refusal with 400 content_filter, without retrying", async () => {
    const m = marker();
    behaviours.set(m, () => ({ fail: "3030: AiError: Input prompt contains NSFW content.", status: 400 }));
    const response = await chat(`${m} something the filter refuses`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "content_filter", type: "invalid_request_error" } });
    expect(callsFor(m)).toHaveLength(1);
  });

  it("rewrites the prompt with Workers AI's chat model through the binding when optimisation is on", async () => {
    const m = marker();
    const response = await chat(`${m} 灯塔`, {}, { PROMPT_OPTIMIZATION: "true" });
    expect(response.status).toBe(200);
    const [optimiser, flux] = callsFor(m);
    expect(optimiser?.model).toBe("@cf/zai-org/glm-4.7-flash");
    expect(flux?.fields?.prompt).toBe(`An oil painting of ${m} 灯塔`);
  });
});

describe("with no CF_* settings, the Images API", () => {
  it("sends schnell its JSON inputs through the binding and returns the picture as b64_json", async () => {
    const m = marker();
    const response = await callWith(BINDING, "/v1/images/generations", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ prompt: `${m} a kite`, model: "flux-1-schnell" }),
    });
    expect(response.status).toBe(200);
    const body = await response.json<{ data: { b64_json: string }[] }>();
    expect(body.data[0]?.b64_json).toBe(PIXEL_PNG);
    expect(callsFor(m).map((call) => call.inputs)).toEqual([{ prompt: `${m} a kite`, steps: 4 }]);
  });
});

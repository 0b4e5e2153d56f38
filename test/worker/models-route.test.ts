/** GET /v1/models: every image model as an OpenAI model list, with what each takes. */
import { describe, expect, it } from "vitest";
import { IMAGE_MODELS } from "../../src/lib/generation/models.ts";
import { authHeaders, call } from "./helpers.ts";

const FULL_IDS = IMAGE_MODELS.map((model) => model.id);
const SHORT_NAMES = IMAGE_MODELS.map((model) => model.short);

interface Entry {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  type?: string;
  displayName?: string;
  vision?: boolean;
  parameters?: Record<string, { default: unknown; enum?: string[]; maxCount?: number }>;
  description?: string;
  capabilities?: Record<string, unknown>;
}

async function listed(): Promise<Entry[]> {
  const response = await call("/v1/models", { headers: authHeaders() });
  expect(response.status).toBe(200);
  const body = await response.json<{ object: string; data: Entry[] }>();
  expect(body.object).toBe("list");
  return body.data;
}

/**
 * What LobeChat's model parser (packages/model-runtime/src/utils/modelParse.ts, processModelCard)
 * makes of an entry: its own `type` wins; without one an id containing "flux" (among other words)
 * is an image model, and an image model without `parameters` is dropped.
 */
function lobeChatCard(entry: Entry): { type: string; parameters?: unknown } | undefined {
  const type = entry.type ?? (/flux|dall-e|stable-diffusion|sd/.test(entry.id.toLowerCase()) ? "image" : "chat");
  if (type === "image" && !entry.parameters) return undefined;
  return { type, ...(type === "image" ? { parameters: entry.parameters } : {}) };
}

describe("GET /v1/models", () => {
  it("lists each model under its full id for chat, then under its short name for image pages", async () => {
    const data = await listed();
    expect(FULL_IDS).toHaveLength(11);
    expect(data.map((model) => model.id)).toEqual([...FULL_IDS, ...SHORT_NAMES]);
    for (const model of data) {
      expect(model).toMatchObject({ object: "model", created: expect.any(Number) as unknown });
      expect(model.description).toEqual(expect.any(String));
    }
    const owners = new Map(data.map((model) => [model.id, model.owned_by]));
    expect(owners.get("@cf/leonardo/phoenix-1.0")).toBe("leonardo");
    expect(owners.get("flux-2-dev")).toBe("black-forest-labs");
    expect(data.find((model) => model.id === "sdxl")?.displayName).toBe("Stable Diffusion XL 1.0");
  });

  it("says on every entry what the model can do: sizes, parameters, images, answer type", async () => {
    const byId = new Map((await listed()).map((entry) => [entry.id, entry.capabilities]));
    expect(byId.get("sd-inpainting")).toEqual({
      sizes: { min: 256, max: 2048, multiple_of: 8, default: "768x768" },
      seed: true,
      negative_prompt: true,
      steps: { min: 1, max: 20, default: 20 },
      guidance: { min: 0, max: 30, default: 7.5 },
      strength: { min: 0, max: 1, default: 1 },
      reference_images: 0,
      image_to_image: false,
      inpainting: true,
      answer: "image/png",
      price_1024x1024: null,
    });
    expect(byId.get("flux-1-schnell")).toMatchObject({
      sizes: { fixed: "1024x1024" },
      seed: false,
      negative_prompt: false,
      guidance: null,
      strength: null,
      price_1024x1024: { neurons: 172.8, usd: 0.001901 },
    });
    expect(byId.get("@cf/black-forest-labs/flux-2-klein-4b")).toMatchObject({ reference_images: 4, steps: null });
    expect(byId.get("phoenix")).toMatchObject({ answer: "image/jpeg", negative_prompt: true });
  });

  it("keeps every model in LobeChat: the chat entries as chat models, the others as image models with parameters", async () => {
    const cards = (await listed()).map((entry) => ({ id: entry.id, card: lobeChatCard(entry) }));
    expect(cards.filter(({ card }) => card?.type === "chat").map(({ id }) => id)).toEqual(FULL_IDS);
    expect(cards.filter(({ card }) => card?.type === "image").map(({ id }) => id)).toEqual(SHORT_NAMES);
    // Without our fields, LobeChat would have typed every FLUX entry as an image model and dropped it.
    const bare = (await listed()).map(({ id, object, created, owned_by }) => ({ id, object, created, owned_by }));
    const kept = bare.filter((entry) => lobeChatCard(entry)).map(({ id }) => id);
    expect(kept.filter((id) => id.includes("flux"))).toEqual([]);
  });

  it("describes on each image entry the Images API fields that model takes", async () => {
    const byId = new Map((await listed()).map((entry) => [entry.id, entry]));
    const klein = byId.get("flux-2-klein-4b")?.parameters;
    expect(klein?.size).toEqual({
      default: "1024x1024",
      enum: ["1024x1024", "512x1024", "768x512", "768x1024", "1024x576", "576x1024"],
    });
    expect(klein?.seed).toMatchObject({ default: null });
    expect(klein?.imageUrls).toMatchObject({ default: [], maxCount: 4 });
    const schnell = byId.get("flux-1-schnell")?.parameters;
    expect(schnell).toEqual({
      prompt: { default: "" },
      size: { default: "1024x1024", enum: ["1024x1024"] },
      steps: { default: 4, min: 1, max: 8 },
    });
    expect(byId.get("sd-img2img")?.parameters?.imageUrls).toMatchObject({ maxCount: 1 });
    expect(byId.get("sdxl")?.parameters?.imageUrls).toBeUndefined();
    // FLUX.2 reads attached pictures in chat: LobeChat then offers to attach them.
    expect(byId.get("@cf/black-forest-labs/flux-2-dev")?.vision).toBe(true);
    expect(byId.get("@cf/black-forest-labs/flux-1-schnell")?.vision).toBe(false);
  });

  it("answers the Images API for an image entry's size and seed, as LobeChat sends them", async () => {
    const response = await call("/v1/images/generations", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ model: "flux-2-klein-4b", n: 1, prompt: "a fox", size: "1024x576", seed: 7 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ size: "1024x576", data: [{ seed: 7 }] });
  });

  it("needs the API key", async () => {
    const response = await call("/v1/models");
    expect(response.status).toBe(401);
  });
});

describe("GET /v1/models/:id", () => {
  it.each([
    ["the full id, escaped as the openai client sends it", encodeURIComponent("@cf/black-forest-labs/flux-2-dev")],
    ["the full id as written", "@cf/black-forest-labs/flux-2-dev"],
    ["the short name", "flux-2-dev"],
  ])("answers the model object for %s", async (_, id) => {
    const response = await call(`/v1/models/${id}`, { headers: authHeaders() });
    expect(response.status).toBe(200);
    const entry = await response.json<Entry>();
    // The entry of the name asked for: the short name is the image entry.
    expect(entry).toMatchObject({
      id: id === "flux-2-dev" ? "flux-2-dev" : "@cf/black-forest-labs/flux-2-dev",
      type: id === "flux-2-dev" ? "image" : "chat",
      object: "model",
    });
  });

  it.each(["gpt-4o", "%E0%A4%A", "@cf/black-forest-labs"])("answers 404 model_not_found for %s", async (id) => {
    const response = await call(`/v1/models/${id}`, { headers: authHeaders() });
    expect(response.status).toBe(404);
    const body = await response.json<{ error: Record<string, unknown> }>();
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
  });

  it("needs the API key", async () => {
    expect((await call("/v1/models/flux-2-dev")).status).toBe(401);
  });
});

describe("HEAD", () => {
  it.each(["/v1/models", "/v1/models/flux-2-dev", "/v1/service"])(
    "HEAD %s answers as GET does, without the body, with CORS headers",
    async (path) => {
      const init = { headers: authHeaders({ origin: "https://chat.example" }) };
      const get = await call(path, init);
      const head = await call(path, { ...init, method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toBe(get.headers.get("content-type"));
      expect(head.headers.get("access-control-allow-origin")).toBe("*");
      expect(await head.text()).toBe("");
      await get.arrayBuffer();
    },
  );

  it("HEAD without the key is the 401 of GET, with its challenge and no body", async () => {
    const head = await call("/v1/models", { method: "HEAD" });
    expect(head.status).toBe(401);
    expect(head.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(head.headers.get("access-control-allow-origin")).toBe("*");
    expect(await head.text()).toBe("");
  });
});

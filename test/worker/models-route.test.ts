/** GET /v1/models: the supported Flux models as an OpenAI model list. */
import { describe, expect, it } from "vitest";
import { authHeaders, call } from "./helpers.ts";

describe("GET /v1/models", () => {
  it("lists the four Flux models in the OpenAI list shape", async () => {
    const response = await call("/v1/models", { headers: authHeaders() });
    expect(response.status).toBe(200);
    const body = await response.json<{
      object: string;
      data: { id: string; object: string; created: number; owned_by: string }[];
    }>();
    expect(body.object).toBe("list");
    expect(body.data.map((model) => model.id)).toEqual([
      "@cf/black-forest-labs/flux-2-klein-4b",
      "@cf/black-forest-labs/flux-2-klein-9b",
      "@cf/black-forest-labs/flux-2-dev",
      "@cf/black-forest-labs/flux-1-schnell",
    ]);
    for (const model of body.data) {
      expect(model).toEqual({
        id: model.id,
        object: "model",
        created: expect.any(Number),
        owned_by: expect.any(String),
      });
    }
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
    expect(await response.json()).toEqual({
      id: "@cf/black-forest-labs/flux-2-dev",
      object: "model",
      created: expect.any(Number),
      owned_by: expect.any(String),
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

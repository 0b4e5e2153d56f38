/**
 * The playground at / is static files (public/, served by the platform before
 * the Worker). What the Worker adds for it is GET /v1/service, which the page
 * asks for what only the Worker knows: whether it runs offline.
 */
import { describe, expect, it } from "vitest";
import { API_KEY, call, callWith, standInUrl } from "./helpers.ts";

describe("GET /v1/service", () => {
  it("says, without an API key, whether the service runs in offline mode", async () => {
    const offline = await callWith({ OFFLINE_MODE: "true" }, "/v1/service");
    expect(offline.status).toBe(200);
    expect(offline.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await offline.json()).toEqual({ object: "service", offline: true });
    const online = await callWith({ OFFLINE_MODE: "false" }, "/v1/service");
    expect(await online.json()).toEqual({ object: "service", offline: false });
  });

  it("tells nothing else: no key, token, account or upstream address", async () => {
    const text = await (await call("/v1/service")).text();
    for (const secret of [API_KEY, "sk-second-key", "test-token", "test-account", "test-external-key", standInUrl()])
      expect(text).not.toContain(secret);
  });

  it("is not cached, so a restart into or out of offline mode shows at once", async () => {
    expect((await call("/v1/service")).headers.get("cache-control")).toBe("no-store");
  });

  it.each(["POST", "PUT", "DELETE"])("answers %s with 405 and Allow: GET, HEAD", async (method) => {
    const response = await call("/v1/service", { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect(await response.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });
});

describe("GET / reaching the Worker", () => {
  // It only does when public/ has no index.html (the platform serves the page otherwise); the
  // Worker renders no page of its own, and says so the way it does for any unknown path.
  it("is the API's 404, not a page", async () => {
    const response = await call("/");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

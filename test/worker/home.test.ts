/** GET /: the public page that tells a visitor which endpoints exist. */
import { describe, expect, it } from "vitest";
import { call, callWith } from "./helpers.ts";

describe("GET /", () => {
  it("is an HTML page, without an API key, that says the service runs and lists the endpoints", async () => {
    const response = await call("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain("The service is running");
    for (const endpoint of ["/v1/chat/completions", "/v1/images/generations", "/v1/models", "/image/"])
      expect(html).toContain(endpoint);
  });

  it("says when the service runs in offline mode", async () => {
    const offline = await (await callWith({ OFFLINE_MODE: "true" }, "/")).text();
    expect(offline).toMatch(/offline mode/i);
    const online = await (await callWith({ OFFLINE_MODE: "false" }, "/")).text();
    expect(online).not.toMatch(/offline mode/i);
  });

  it("answers HEAD like GET, without a body", async () => {
    const response = await call("/", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });
});

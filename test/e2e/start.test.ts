/**
 * `npm start` with no Cloudflare credentials: the service runs offline against
 * the stand-in upstream and says so loudly, in the terminal and on its page;
 * the page itself is public/ served as static assets, the way Cloudflare
 * serves it after a deploy.
 */
import { describe, expect, it } from "vitest";
import { useService } from "./with-service.ts";

const FLUX_MODELS = [
  "@cf/black-forest-labs/flux-2-klein-4b",
  "@cf/black-forest-labs/flux-2-klein-9b",
  "@cf/black-forest-labs/flux-2-dev",
  "@cf/black-forest-labs/flux-1-schnell",
];

/** The policy public/_headers gives the page: nothing inline, nothing from other sites. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const live = useService();

describe("npm start without Cloudflare credentials", () => {
  it("prints the OFFLINE MODE banner naming the stand-in, the Worker URL and the local API key", () => {
    const output = live.service.output();
    expect(output).toContain("OFFLINE MODE");
    expect(output).toContain(`local stand-in for Workers AI (${live.service.standInUrl})`);
    expect(output).toContain(`Worker: ${live.service.baseUrl}`);
    expect(output).toContain(`API key: ${live.service.apiKey}`);
  });

  it("tells its page that it runs in offline mode, through GET /v1/service", async () => {
    const response = await fetch(`${live.service.baseUrl}/v1/service`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: "service", offline: true });
  });

  it("lists the four Flux models through the openai client", async () => {
    const ids: string[] = [];
    for await (const model of live.client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual([...FLUX_MODELS].sort());
  });
});

describe("the playground's files, as npm start serves them from public/", () => {
  const get = (path: string, init?: RequestInit) => fetch(`${live.service.baseUrl}${path}`, init);

  it("serves / as index.html with the headers of public/_headers", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toBe(PAGE_POLICY);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toContain("The service is running");
  });

  it("holds no inline script or style: everything the page runs is a file of its own", async () => {
    const html = await (await get("/")).text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toEqual(['<script type="module" src="/playground/main.js">']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/);
  });

  it.each([
    ["/playground/main.js", /^(text|application)\/javascript/],
    ["/playground.css", /^text\/css/],
    ["/favicon.svg", /^image\/svg\+xml/],
  ])("serves %s with its type and the same headers", async (path, type) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(type);
    expect(response.headers.get("content-security-policy")).toBe(PAGE_POLICY);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("leaves any other path to the Worker, which answers with the API's 404", async () => {
    for (const path of ["/no/such/page", "/favicon.ico", "/v1/no-such-endpoint"]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "not_found", type: "invalid_request_error" } });
    }
  });

  it("sends /v1/ to the Worker even for methods static files refuse: 405 with Allow", async () => {
    const response = await get("/v1/service", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });
});

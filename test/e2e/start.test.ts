/**
 * `npm start` with no Cloudflare credentials: the service runs offline against
 * the stand-in upstream and says so loudly, in the terminal and on its page.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "./service.ts";

const FLUX_MODELS = [
  "@cf/black-forest-labs/flux-2-klein-4b",
  "@cf/black-forest-labs/flux-2-klein-9b",
  "@cf/black-forest-labs/flux-2-dev",
  "@cf/black-forest-labs/flux-1-schnell",
];

let service: RunningService;
let client: OpenAI;

beforeAll(async () => {
  service = await startService();
  client = new OpenAI({ baseURL: `${service.baseUrl}/v1`, apiKey: service.apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await service?.stop();
});

describe("npm start without Cloudflare credentials", () => {
  it("prints the OFFLINE MODE banner naming the stand-in, the Worker URL and the local API key", () => {
    const output = service.output();
    expect(output).toContain("OFFLINE MODE");
    expect(output).toContain(`local stand-in for Workers AI (${service.standInUrl})`);
    expect(output).toContain(`Worker: ${service.baseUrl}`);
    expect(output).toContain(`API key: ${service.apiKey}`);
  });

  it("says on its home page that it runs in offline mode", async () => {
    const response = await fetch(`${service.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toMatch(/offline mode/i);
  });

  it("lists the four Flux models through the openai client", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual([...FLUX_MODELS].sort());
  });
});

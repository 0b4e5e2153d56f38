/**
 * `npm start` with no Cloudflare credentials: the service runs offline against
 * the stand-in upstream and says so loudly, in the terminal and on its page.
 */
import { describe, expect, it } from "vitest";
import { useService } from "./with-service.ts";

const FLUX_MODELS = [
  "@cf/black-forest-labs/flux-2-klein-4b",
  "@cf/black-forest-labs/flux-2-klein-9b",
  "@cf/black-forest-labs/flux-2-dev",
  "@cf/black-forest-labs/flux-1-schnell",
];

const live = useService();

describe("npm start without Cloudflare credentials", () => {
  it("prints the OFFLINE MODE banner naming the stand-in, the Worker URL and the local API key", () => {
    const output = live.service.output();
    expect(output).toContain("OFFLINE MODE");
    expect(output).toContain(`local stand-in for Workers AI (${live.service.standInUrl})`);
    expect(output).toContain(`Worker: ${live.service.baseUrl}`);
    expect(output).toContain(`API key: ${live.service.apiKey}`);
  });

  it("says on its home page that it runs in offline mode", async () => {
    const response = await fetch(`${live.service.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toMatch(/offline mode/i);
  });

  it("lists the four Flux models through the openai client", async () => {
    const ids: string[] = [];
    for await (const model of live.client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual([...FLUX_MODELS].sort());
  });
});

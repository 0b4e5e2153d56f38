/**
 * What pictures cost, end to end: `npm start` with two named keys, one with its own daily budget,
 * driven by the official `openai` client: `cost` on generations and edits, a budget refusal, and
 * GET /v1/usage for each key. The stand-in reports `cf-ai-neurons` as Workers AI does.
 */
import jpeg from "jpeg-js";
import OpenAI, { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { marker, useService } from "./with-service.ts";

const ALICE = "sk-alice-e2e";
const BOB = "sk-bob-e2e";
// Alice may spend three flux-1-schnell pictures (172.80 neurons each) a day; Bob is not limited.
const live = useService({ vars: { API_KEY: `alice:${ALICE}:518.4,bob:${BOB}` } });

type Cost = { neurons: number | null; usd: number | null; estimated: boolean };
type Answer = OpenAI.ImagesResponse & { cost?: Cost; model?: string };

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: `${live.service.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
}

function photo(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4, 200);
  return jpeg.encode({ width, height, data }, 90).data;
}

interface Usage {
  key: string;
  today: { neurons: number; pictures: number; reserved: number };
  budget: { key: { limit: number | null; remaining: number | null }; service: { spent: number } };
}

async function usage(key: string): Promise<Usage> {
  for (let tries = 0; ; tries++) {
    const response = await fetch(`${live.service.baseUrl}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
    const figures = (await response.json()) as Usage;
    // Jobs settle a moment after their answer.
    if (figures.today.reserved === 0 || tries > 50) return figures;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("costs with the official client", () => {
  it("images.generate and images.edit answer with the neurons Workers AI reported", async () => {
    const generated: Answer = await client(BOB).images.generate({
      model: "flux-2-klein-9b",
      prompt: `${marker()} a red kite`,
      size: "1024x1024",
    });
    expect(generated.cost).toEqual({ neurons: 1372.47, usd: 0.015097, estimated: false });
    const edited: Answer = await client(BOB).images.edit({
      model: "flux-2-klein-4b",
      image: await toFile(photo(400, 300), "kite.jpg", { type: "image/jpeg" }),
      prompt: `${marker()} make it blue`,
      size: "1024x768",
    });
    // Four output tiles and one input tile (the 400×300 reference).
    expect(edited.cost).toEqual({ neurons: 109.57, usd: 0.001205, estimated: false });
  });

  it("stops a key at its budget with 429 daily_budget_exceeded, while another key goes on", async () => {
    const alice = client(ALICE);
    for (let index = 0; index < 3; index++)
      await alice.images.generate({ model: "flux-1-schnell", prompt: `${marker()} kite ${index}` });
    const refused = await alice.images
      .generate({ model: "flux-1-schnell", prompt: `${marker()} one more` })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: "daily_budget_exceeded" });
    expect(String((refused as Error).message)).toContain("key 'alice': 518.4 of 518.4 neurons");
    await expect(
      client(BOB).images.generate({ model: "flux-1-schnell", prompt: `${marker()} kite` }),
    ).resolves.toBeTruthy();
  });

  it("GET /v1/usage reports each key's own day by its name", async () => {
    const alice = await usage(ALICE);
    expect(alice).toMatchObject({
      key: "alice",
      today: { neurons: 518.4, pictures: 3 },
      budget: { key: { limit: 518.4, remaining: 0 } },
    });
    const bob = await usage(BOB);
    expect(bob).toMatchObject({
      key: "bob",
      today: { pictures: 3 },
      budget: { key: { limit: null, remaining: null } },
    });
    expect(bob.today.neurons).toBeCloseTo(1372.47 + 109.57 + 172.8, 2);
    expect(bob.budget.service.spent).toBeCloseTo(alice.today.neurons + bob.today.neurons, 2);
  });
});

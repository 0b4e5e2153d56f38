/**
 * Seeds: given (`--seed N` in chat, `seed` in the Images API) or picked at random,
 * sent to the model, one per image so n images differ, and stated in every
 * reply so a picture can be repeated. flux-1-schnell takes none and says so.
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/lib/bytes.ts";
import { MAX_SEED, takeSeedFlag } from "../../src/lib/generation/seeds.ts";
import { decodeBase64 } from "../../src/lib/storage/image-bytes.ts";
import { authHeaders, call, marker, postChat, upstreamRequests } from "./helpers.ts";

const SCHNELL = "@cf/black-forest-labs/flux-1-schnell";

interface ImagesReply {
  data: { url?: string; b64_json?: string; seed?: number }[];
}

function generateImages(body: Record<string, unknown>): Promise<Response> {
  return call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

async function seedsSentFor(m: string): Promise<string[]> {
  const calls = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  return calls.map((request) => String(request.form?.seed)).sort();
}

describe("the Images API", () => {
  it("sends a given seed and the ones after it, one per image, and states each", async () => {
    const m = marker();
    const response = await generateImages({ prompt: `${m} three kites`, n: 3, seed: 7 });
    expect(response.status).toBe(200);
    const body = await response.json<ImagesReply>();
    expect(body.data.map((image) => image.seed)).toEqual([7, 8, 9]);
    expect(await seedsSentFor(m)).toEqual(["7", "8", "9"]);
  });

  it("picks a random seed for each image when none is given, so two images differ", async () => {
    const m = marker();
    const body = await (await generateImages({ prompt: `${m} two kites`, n: 2 })).json<ImagesReply>();
    const seeds = body.data.map((image) => image.seed ?? -1);
    expect(seeds.every((seed) => Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED)).toBe(true);
    expect(new Set(seeds).size).toBe(2);
    expect(await seedsSentFor(m)).toEqual(seeds.map(String).sort());
  });

  it("paints the same picture for the same seed, and another for another seed", async () => {
    const pixels = async (seed: number) => {
      const body = await (await generateImages({ prompt: `same words ${marker()}`, seed })).json<ImagesReply>();
      // The stand-in's bytes differ in a comment near the start every time; the seed decides the
      // picture, whose sun sits below the middle: the second half of the bytes holds it.
      const bytes = decodeBase64(body.data[0]?.b64_json ?? "") ?? new Uint8Array();
      return toHex(bytes.subarray(bytes.length / 2));
    };
    expect(await pixels(11)).toBe(await pixels(11));
    expect(await pixels(11)).not.toBe(await pixels(12));
  });

  it.each([
    [-1, "invalid_seed"],
    [MAX_SEED + 1, "invalid_seed"],
    [1.5, "invalid_request"],
    ["42", "invalid_request"],
  ])("refuses seed %j with a 400 naming it (%s)", async (seed, code) => {
    const response = await generateImages({ prompt: "a kite", seed });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: "seed", code } });
  });

  it("refuses a seed for flux-1-schnell, which takes none, and sends no seed to it otherwise", async () => {
    const refused = await generateImages({ prompt: "a kite", model: SCHNELL, seed: 3 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { param: "seed", code: "unsupported_parameter" } });

    const m = marker();
    const body = await (await generateImages({ prompt: `${m} a kite`, model: SCHNELL })).json<ImagesReply>();
    expect(body.data[0]?.seed).toBeUndefined();
    const [schnellCall] = await upstreamRequests(m);
    expect(schnellCall?.json).toEqual({ prompt: `${m} a kite`, steps: 4 });
  });
});

describe("chat", () => {
  it("takes `--seed N` out of the prompt, sends it, and states it in the reply and the job", async () => {
    const m = marker();
    const response = await postChat(`${m} a lighthouse --seed 42 16:9`);
    const reply = await response.json<{ choices: { message: { content: string } }[] }>();
    const content = reply.choices[0]?.message.content ?? "";
    expect(content).toContain("🎲 Seed: 42");
    const [sent] = await upstreamRequests(m);
    expect(sent?.form).toMatchObject({ prompt: `${m} a lighthouse`, seed: "42", width: "1024", height: "576" });
    const job = await call(`/v1/jobs/${response.headers.get("x-job-id") ?? ""}`, { headers: authHeaders() });
    expect(await job.json()).toMatchObject({ result: { images: [{ seed: 42 }] } });
  });

  it("states the random seed it picked", async () => {
    const m = marker();
    const reply = await (await postChat(`${m} a lighthouse`)).json<{ choices: { message: { content: string } }[] }>();
    const stated = /🎲 Seed: (\d+)/.exec(reply.choices[0]?.message.content ?? "")?.[1];
    const [sent] = await upstreamRequests(m);
    expect(stated).toBeDefined();
    expect(sent?.form?.seed).toBe(stated);
  });

  it("says that flux-1-schnell cannot honour `--seed`, and still paints", async () => {
    const reply = await (
      await postChat(`a lighthouse --seed 5`, { model: SCHNELL })
    ).json<{
      choices: { message: { content: string } }[];
    }>();
    expect(reply.choices[0]?.message.content).toContain(
      `🎲 Seed: — (${SCHNELL} takes no seed, so this picture cannot be repeated exactly)`,
    );
  });

  it("refuses a `--seed` that is not a whole number in range with a 400", async () => {
    for (const text of ["a cat --seed abc", "a cat --seed -3", `a cat --seed ${MAX_SEED + 1}`]) {
      const response = await postChat(text);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: "invalid_seed", param: "messages" } });
    }
  });
});

describe("takeSeedFlag", () => {
  it("finds `--seed N` or `--seed=N` anywhere, and leaves other words alone", () => {
    expect(takeSeedFlag("a cat --seed 9 16:9")).toEqual({ text: "a cat 16:9", seed: 9 });
    expect(takeSeedFlag("--seed=0 a cat")).toEqual({ text: "a cat", seed: 0 });
    expect(takeSeedFlag("a cat seeded --seedless")).toEqual({ text: "a cat seeded --seedless" });
  });
});

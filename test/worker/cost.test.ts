/**
 * What a picture costs: the neurons Workers AI reports (`cf-ai-neurons`, which the stand-in sends by
 * the published prices), else the model's price formula marked as an estimate; shown in the chat
 * reply, the job record, every Images API answer and `/v1/models`.
 */
import { describe, expect, it } from "vitest";
import { estimatedCost, parseNeurons, reportedCost, totalCost } from "../../src/lib/generation/cost.ts";
import { findModel } from "../../src/lib/generation/models.ts";
import { costText } from "../../src/lib/i18n/cost-text.ts";
import { readSettings } from "../../src/lib/settings.ts";
import { workersAi } from "../../src/lib/upstream/transport.ts";
import { generateImage } from "../../src/lib/upstream/workers-ai.ts";
import { FakeAi, PIXEL_PNG } from "./fake-ai.ts";
import { authHeaders, call, marker, postChat } from "./helpers.ts";

interface Cost {
  neurons: number | null;
  usd: number | null;
  estimated: boolean;
}

function generate(body: Record<string, unknown>): Promise<Response> {
  return call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

describe("the cost of a picture", () => {
  it("is what Workers AI reported, or the formula's figure marked as an estimate", () => {
    expect(reportedCost(1363.6449)).toEqual({ neurons: 1363.64, usd: 0.015, estimated: false });
    const klein9b = findModel("flux-2-klein-9b");
    if (!klein9b) throw new Error("no klein-9b");
    expect(estimatedCost(klein9b, { width: 1024, height: 1024, steps: 4, inputs: [] })).toEqual({
      neurons: 1372.47,
      usd: 0.015097,
      estimated: true,
    });
  });

  it("adds up tries and pictures; unknown only when every part is", () => {
    expect(totalCost([reportedCost(100), reportedCost(50.5)])).toEqual({
      neurons: 150.5,
      usd: 0.001655,
      estimated: false,
    });
    expect(totalCost([reportedCost(100), { neurons: 10, usd: 0.00011, estimated: true }]).estimated).toBe(true);
    expect(totalCost([{ neurons: null, usd: null, estimated: true }])).toEqual({
      neurons: null,
      usd: null,
      estimated: true,
    });
  });

  it("reads cf-ai-neurons; a malformed header is no figure (the estimate is used)", () => {
    expect(parseNeurons("172.80")).toBe(172.8);
    expect(parseNeurons(" 1364 ")).toBe(1364);
    for (const bad of ["", "n/a", "-5", "1e3", "12,5", null]) expect(parseNeurons(bad)).toBeUndefined();
  });

  it("reads as a sentence in the reply language, with its number format", () => {
    const cost = reportedCost(1363.64);
    expect(costText("en", cost)).toBe("1,363.64 neurons (≈ $0.015) · 13.6% of a day's free 10,000");
    expect(costText("de", cost)).toBe("1.363,64 Neuronen (≈ 0,015 $) · 13,6\u00a0% der kostenlosen 10.000 pro Tag");
    expect(costText("en", { ...cost, estimated: true })).toContain("(estimated from the published price)");
    expect(costText("zh-cn", { neurons: null, usd: null, estimated: true })).toBe("未公布价格（测试版模型）");
  });

  it("through the AI binding, which reports no figure, is the formula's estimate", async () => {
    const model = findModel("flux-1-schnell");
    if (!model) throw new Error("no schnell");
    const settings = { ...readSettings({}).upstream, imageTimeoutMs: 10_000 };
    const ai = FakeAi.scripted([{ image: PIXEL_PNG }]);
    const image = await generateImage(
      { model, prompt: "a cat", width: 1024, height: 1024 },
      workersAi(settings, ai),
      settings,
    );
    expect(image.cost).toEqual({ neurons: 172.8, usd: 0.001901, estimated: true });
  });
});

describe("the cost in every answer", () => {
  it("an Images API answer has a top-level cost, and each picture its own when there are several", async () => {
    const response = await generate({ prompt: `${marker()} a fox`, model: "flux-2-klein-9b", n: 2, size: "1024x1024" });
    const body = await response.json<{ cost: Cost; data: { cost?: Cost }[] }>();
    // Reported by "Workers AI" (the stand-in's header), not estimated.
    expect(body.data.map((image) => image.cost)).toEqual([
      { neurons: 1372.47, usd: 0.015097, estimated: false },
      { neurons: 1372.47, usd: 0.015097, estimated: false },
    ]);
    expect(body.cost).toEqual({ neurons: 2744.94, usd: 0.030194, estimated: false });
    expect(body).not.toHaveProperty("usage");
  });

  it("is estimated for a model that reports none (phoenix), and unknown for an unpriced one", async () => {
    const phoenix = await generate({ prompt: `${marker()} a fox`, model: "phoenix", size: "1024x1024" });
    expect((await phoenix.json<{ cost: Cost }>()).cost).toEqual({ neurons: 2370, usd: 0.02607, estimated: true });
    const sdxl = await generate({ prompt: `${marker()} a fox`, model: "sdxl" });
    expect((await sdxl.json<{ cost: Cost }>()).cost).toEqual({ neurons: null, usd: null, estimated: true });
  });

  it("the chat reply has a 💰 line and the job record the cost per picture and in all", async () => {
    const response = await postChat(`${marker()} a fox`, { model: "flux-1-schnell" });
    const body = await response.json<{ choices: { message: { content: string } }[] }>();
    expect(body.choices[0]?.message.content).toContain("💰 172.8 neurons (≈ $0.0019) · 1.7% of a day's free 10,000\n");
    const job = await call(`/v1/jobs/${response.headers.get("x-job-id")}`, { headers: authHeaders() });
    const record = await job.json<{ result: { cost: Cost; images: { cost: Cost }[] } }>();
    expect(record.result.cost).toEqual({ neurons: 172.8, usd: 0.001901, estimated: false });
    expect(record.result.images[0]?.cost).toEqual(record.result.cost);
  });

  it("/v1/models gives each model's price for a 1024×1024 picture at its default steps", async () => {
    const response = await call("/v1/models", { headers: authHeaders() });
    const { data } = await response.json<{ data: { id: string; capabilities: { price_1024x1024: unknown } }[] }>();
    const price = new Map(data.map((entry) => [entry.id, entry.capabilities.price_1024x1024]));
    expect(price.get("lucid-origin")).toEqual({ neurons: 2844, usd: 0.031284 });
    expect(price.get("flux-2-klein-4b")).toEqual({ neurons: 104.2, usd: 0.001146 });
    expect(price.get("sd-inpainting")).toBeNull();
  });
});

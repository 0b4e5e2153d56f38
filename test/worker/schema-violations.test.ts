/**
 * The stand-in enforces Workers AI's documented schemas, so a body of the
 * wrong shape — JSON where FLUX.2 wants multipart, multipart or unknown fields
 * for schnell — is refused there as Workers AI refuses it (400, code 5006).
 * Our client must answer that with a clear 502, once, without retrying.
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/http/errors.ts";
import { findModel, type ImageModel } from "../../src/lib/generation/models.ts";
import type { UpstreamSettings } from "../../src/lib/settings.ts";
import { workersAi } from "../../src/lib/upstream/transport.ts";
import { generateImage } from "../../src/lib/upstream/workers-ai.ts";
import { marker, standInUrl, type RecordedUpstreamRequest } from "./helpers.ts";

/** The stand-in's record of calls whose raw body carries `tag`: a refused body is never parsed, so it has no `prompt` to search. */
async function callsCarrying(tag: string): Promise<RecordedUpstreamRequest[]> {
  const all = await (await fetch(`${standInUrl()}/__stand-in/requests`)).json<RecordedUpstreamRequest[]>();
  return all.filter((call) => call.rawBody?.includes(tag));
}

function upstream(): UpstreamSettings {
  return {
    via: "rest",
    cfApiBase: `${standInUrl()}/client/v4`,
    cfAccountId: "test-account",
    cfApiToken: "test-token",
    fluxNumSteps: 4,
    imageTimeoutMs: 10_000,
  };
}

function model(id: string): ImageModel {
  const found = findModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

async function refusal(wrongShape: ImageModel, prompt: string): Promise<ApiError> {
  const request = { model: wrongShape, prompt, width: 1024, height: 768 };
  const error = await generateImage(request, workersAi(upstream(), undefined), upstream()).catch(
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("a request body of the wrong shape", () => {
  it("JSON sent to a FLUX.2 model is refused as Workers AI refuses it, and reported as 502 without a retry", async () => {
    const tag = marker();
    const error = await refusal({ ...model("flux-2-klein-4b"), body: "json" }, `a fox ${tag}`);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(error.message).toMatch(/rejected the request \(Workers AI 5006: .*multipart/);
    expect((await callsCarrying(tag)).map((call) => call.status)).toEqual([400]);
  });

  it("multipart sent to schnell is refused the same way", async () => {
    const tag = marker();
    const error = await refusal({ ...model("flux-1-schnell"), body: "multipart" }, `an owl ${tag}`);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(error.message).toMatch(/Workers AI 5006/);
    expect((await callsCarrying(tag)).map((call) => call.status)).toEqual([400]);
  });

  it("unknown fields for schnell (width, height, as FLUX.2 takes them) are refused", async () => {
    const tag = marker();
    const error = await refusal(
      { ...model("flux-1-schnell"), body: "multipart", size: model("flux-2-klein-4b").size, steps: undefined },
      `a hare ${tag}`,
    );
    expect(error.message).toMatch(/Workers AI 5006/);
    const response = await fetch(
      `${upstream().cfApiBase}/accounts/test-account/ai/run/@cf/black-forest-labs/flux-1-schnell`,
      {
        method: "POST",
        headers: { authorization: "Bearer test-token", "content-type": "application/json" },
        body: JSON.stringify({ prompt: `a hare ${tag}`, width: 1024 }),
      },
    );
    const body = await response.json<{ success: boolean; errors: { code: number; message: string }[] }>();
    expect(response.status).toBe(400);
    expect(body.errors[0]?.code).toBe(5006);
    expect(body.errors[0]?.message).toMatch(/width/);
  });
});

import { describe, expect, it } from "vitest";
import {
  DEFAULT_MODEL_ID,
  effectiveSize,
  findModel,
  FLUX_MODELS,
  resolveModel,
} from "../../src/lib/generation/models.ts";

function model(id: string) {
  const found = findModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

const KLEIN_4B = model(DEFAULT_MODEL_ID);
const SCHNELL = model("@cf/black-forest-labs/flux-1-schnell");

describe("the supported models", () => {
  it("are the four Flux models, klein-4b first as the default", () => {
    expect(FLUX_MODELS.map((m) => m.id)).toEqual([
      "@cf/black-forest-labs/flux-2-klein-4b",
      "@cf/black-forest-labs/flux-2-klein-9b",
      "@cf/black-forest-labs/flux-2-dev",
      "@cf/black-forest-labs/flux-1-schnell",
    ]);
    expect(DEFAULT_MODEL_ID).toBe("@cf/black-forest-labs/flux-2-klein-4b");
  });

  it("can be named with or without the @cf/black-forest-labs/ prefix, in any case", () => {
    expect(findModel("flux-2-dev")?.id).toBe("@cf/black-forest-labs/flux-2-dev");
    expect(findModel(" @CF/Black-Forest-Labs/FLUX-1-SCHNELL ")?.id).toBe(SCHNELL.id);
    expect(findModel("dall-e-3")).toBeUndefined();
    expect(findModel("2-dev")).toBeUndefined();
  });
});

describe("choosing the model of a request", () => {
  it("falls back to FLUX_MODEL for the names chat clients send (gpt-4o)", () => {
    expect(resolveModel("gpt-4o", SCHNELL)).toBe(SCHNELL);
    expect(resolveModel(undefined, KLEIN_4B)).toBe(KLEIN_4B);
    expect(resolveModel(42, KLEIN_4B)).toBe(KLEIN_4B);
  });

  it("uses a supported model the request names", () => {
    expect(resolveModel("flux-2-klein-9b", SCHNELL).id).toBe("@cf/black-forest-labs/flux-2-klein-9b");
  });
});

describe("the size a model really makes", () => {
  it("is always 1024×1024 for schnell, whatever was asked", () => {
    expect(effectiveSize(SCHNELL, 1024, 576)).toEqual({ width: 1024, height: 1024 });
    expect(effectiveSize(SCHNELL, 576, 1024)).toEqual({ width: 1024, height: 1024 });
  });

  it("is the requested size for FLUX.2 when it is within 256–1920", () => {
    expect(effectiveSize(KLEIN_4B, 1024, 576)).toEqual({ width: 1024, height: 576 });
    expect(effectiveSize(KLEIN_4B, 512, 1024)).toEqual({ width: 512, height: 1024 });
  });

  it("scales an out-of-range size into 256–1920, keeping the ratio where it can", () => {
    expect(effectiveSize(KLEIN_4B, 3840, 2160)).toEqual({ width: 1920, height: 1080 });
    expect(effectiveSize(KLEIN_4B, 128, 128)).toEqual({ width: 256, height: 256 });
    expect(effectiveSize(KLEIN_4B, 4000, 100)).toEqual({ width: 1920, height: 256 });
  });
});

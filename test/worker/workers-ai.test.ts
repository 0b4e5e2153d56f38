import { describe, expect, it } from "vitest";
import { findModel, type ImageModel } from "../../src/lib/generation/models.ts";
import type { GenerationOptions } from "../../src/lib/generation/options.ts";
import type { ModelInput } from "../../src/lib/upstream/transport.ts";
import { buildImageInput, type ImageRequest } from "../../src/lib/upstream/workers-ai.ts";

function model(id: string): ImageModel {
  const found = findModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

type Asked = Partial<Omit<ImageRequest, "model" | "options">> & GenerationOptions & { setting?: number };

/** The input for a request as the pipeline makes it, with FLUX_NUM_STEPS = `setting`. */
function input(
  id: string,
  { width = 1024, height = 576, setting = 4, seed, source, mask, ...options }: Asked = {},
): ModelInput {
  const request = { model: model(id), prompt: "a lighthouse at dusk", width, height, seed, options, source, mask };
  return buildImageInput(request, setting);
}

function formFields(input: ModelInput): Record<string, string> {
  if (!("form" in input)) throw new Error("expected multipart form data, got JSON");
  const fields: Record<string, string> = {};
  input.form.forEach((value, name) => {
    fields[name] = typeof value === "string" ? value : "<file>";
  });
  return fields;
}

function json(input: ModelInput): Record<string, unknown> {
  if (!("json" in input)) throw new Error("expected JSON, got multipart form data");
  return input.json;
}

describe("the body Workers AI receives", () => {
  it("is JSON with only prompt and steps for schnell, FLUX_NUM_STEPS capped at 8", () => {
    expect(input("flux-1-schnell", { setting: 20 })).toEqual({
      json: { prompt: "a lighthouse at dusk", steps: 8 },
    });
    expect(input("flux-1-schnell", { setting: 4 })).toEqual({
      json: { prompt: "a lighthouse at dusk", steps: 4 },
    });
    expect(json(input("flux-1-schnell", { steps: 6 }))).toEqual({
      prompt: "a lighthouse at dusk",
      steps: 6,
    });
  });

  it.each(["flux-2-klein-4b", "flux-2-klein-9b"])(
    "is multipart with prompt, width and height and no steps for %s",
    (id) => {
      expect(formFields(input(id, { width: 768, height: 1024, setting: 8 }))).toEqual({
        prompt: "a lighthouse at dusk",
        width: "768",
        height: "1024",
      });
      expect(formFields(input(id, { seed: 7, guidance: 3.5 }))).toEqual({
        prompt: "a lighthouse at dusk",
        width: "1024",
        height: "576",
        seed: "7",
        guidance: "3.5",
      });
    },
  );

  it("is multipart with FLUX_NUM_STEPS as steps for flux-2-dev, capped at 50, or the steps asked", () => {
    expect(formFields(input("flux-2-dev", { setting: 28 }))).toEqual({
      prompt: "a lighthouse at dusk",
      width: "1024",
      height: "576",
      steps: "28",
    });
    expect(formFields(input("flux-2-dev", { setting: 80 })).steps).toBe("50");
    expect(formFields(input("flux-2-dev", { steps: 30 })).steps).toBe("30");
  });

  it("is JSON with num_steps 25 and numbers as numbers for lucid-origin; guidance only when asked", () => {
    expect(json(input("lucid-origin", { seed: 9 }))).toEqual({
      prompt: "a lighthouse at dusk",
      width: 1024,
      height: 576,
      seed: 9,
      num_steps: 25,
    });
    expect(json(input("lucid-origin", { guidance: 6, steps: 12 }))).toMatchObject({
      guidance: 6,
      num_steps: 12,
    });
  });

  it("sends phoenix and the Stable Diffusion models a negative prompt, under its name", () => {
    for (const id of ["phoenix", "sdxl", "sdxl-lightning", "dreamshaper"]) {
      const body = json(input(id, { negativePrompt: "text, watermark", seed: 1 }));
      expect(body.negative_prompt, id).toBe("text, watermark");
      expect(body.seed, id).toBe(1);
    }
  });

  it("gives each model its own step default: 20 for SDXL, a few for Lightning and the LCM", () => {
    expect(json(input("sdxl")).num_steps).toBe(20);
    expect(json(input("sdxl-lightning")).num_steps).toBe(8);
    expect(json(input("dreamshaper")).num_steps).toBe(8);
    expect(json(input("phoenix")).num_steps).toBe(25);
  });

  it("sends img2img its picture as an array of byte numbers with a strength (0.6 unless asked)", () => {
    const source = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 255]);
    expect(json(input("sd-img2img", { width: 768, height: 512, source }))).toEqual({
      prompt: "a lighthouse at dusk",
      width: 768,
      height: 512,
      num_steps: 20,
      image: [0xff, 0xd8, 0xff, 0xe0, 0, 16, 255],
      strength: 0.6,
    });
    expect(json(input("sd-img2img", { source, strength: 0.3 })).strength).toBe(0.3);
  });

  it("sends inpainting its picture and its mask as arrays of byte numbers, strength 1", () => {
    const source = new Uint8Array([1, 2, 3]);
    const mask = new Uint8Array([137, 80, 78, 71]);
    const body = json(input("sd-inpainting", { source, mask, seed: 5 }));
    expect(body).toMatchObject({ image: [1, 2, 3], mask: [137, 80, 78, 71], strength: 1, seed: 5 });
    expect(Object.keys(body).sort()).toEqual(
      ["height", "image", "mask", "num_steps", "prompt", "seed", "strength", "width"].sort(),
    );
  });

  it("never sends a field the model's schema lacks", () => {
    // Options a model does not take are dropped before the job (and the Images API refuses them).
    const body = json(input("flux-1-schnell", { negativePrompt: "x", guidance: 3, seed: 4 }));
    expect(Object.keys(body)).toEqual(["prompt", "steps"]);
  });
});

import { describe, expect, it } from "vitest";
import { findModel } from "../../src/lib/generation/models.ts";
import type { ModelInput } from "../../src/lib/upstream/transport.ts";
import { buildImageInput, type ImageRequest } from "../../src/lib/upstream/workers-ai.ts";

function request(modelId: string, width = 1024, height = 576): ImageRequest {
  const model = findModel(modelId);
  if (!model) throw new Error(`no model ${modelId}`);
  return { model, prompt: "a lighthouse at dusk", width, height };
}

function formFields(input: ModelInput): Record<string, string> {
  if (!("form" in input)) throw new Error("expected multipart form data, got JSON");
  const fields: Record<string, string> = {};
  input.form.forEach((value, name) => {
    fields[name] = typeof value === "string" ? value : "<file>";
  });
  return fields;
}

describe("the body Workers AI receives", () => {
  it("is JSON with only prompt and steps for schnell, steps capped at 8", () => {
    expect(buildImageInput(request("flux-1-schnell"), 20)).toEqual({
      json: { prompt: "a lighthouse at dusk", steps: 8 },
    });
    expect(buildImageInput(request("flux-1-schnell"), 4)).toEqual({
      json: { prompt: "a lighthouse at dusk", steps: 4 },
    });
  });

  it.each(["flux-2-klein-4b", "flux-2-klein-9b"])(
    "is multipart with prompt, width and height and no steps for %s",
    (id) => {
      expect(formFields(buildImageInput(request(id, 768, 1024), 8))).toEqual({
        prompt: "a lighthouse at dusk",
        width: "768",
        height: "1024",
      });
    },
  );

  it("is multipart with FLUX_NUM_STEPS as steps for flux-2-dev, capped at 50", () => {
    expect(formFields(buildImageInput(request("flux-2-dev"), 28))).toEqual({
      prompt: "a lighthouse at dusk",
      width: "1024",
      height: "576",
      steps: "28",
    });
    expect(formFields(buildImageInput(request("flux-2-dev"), 80)).steps).toBe("50");
  });
});

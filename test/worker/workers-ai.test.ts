import { describe, expect, it } from "vitest";
import { findModel } from "../../src/lib/generation/models.ts";
import { buildImageBody, type ImageRequest } from "../../src/lib/upstream/workers-ai.ts";

function request(modelId: string, width = 1024, height = 576): ImageRequest {
  const model = findModel(modelId);
  if (!model) throw new Error(`no model ${modelId}`);
  return { model, prompt: "a lighthouse at dusk", width, height };
}

function formFields(body: string | FormData): Record<string, string> {
  if (typeof body === "string") throw new Error("expected multipart form data, got a string body");
  const fields: Record<string, string> = {};
  body.forEach((value, name) => {
    fields[name] = typeof value === "string" ? value : "<file>";
  });
  return fields;
}

describe("the body Workers AI receives", () => {
  it("is JSON with only prompt and steps for schnell, steps capped at 8", () => {
    const { body, contentType } = buildImageBody(request("flux-1-schnell"), 20);
    expect(contentType).toBe("application/json");
    expect(typeof body === "string" && JSON.parse(body)).toEqual({ prompt: "a lighthouse at dusk", steps: 8 });
    const fewSteps = buildImageBody(request("flux-1-schnell"), 4).body;
    expect(typeof fewSteps === "string" && JSON.parse(fewSteps)).toEqual({ prompt: "a lighthouse at dusk", steps: 4 });
  });

  it.each(["flux-2-klein-4b", "flux-2-klein-9b"])(
    "is multipart with prompt, width and height and no steps for %s",
    (id) => {
      const { body, contentType } = buildImageBody(request(id, 768, 1024), 8);
      // No content type of our own: fetch must set the multipart boundary.
      expect(contentType).toBeUndefined();
      expect(formFields(body)).toEqual({ prompt: "a lighthouse at dusk", width: "768", height: "1024" });
    },
  );

  it("is multipart with FLUX_NUM_STEPS as steps for flux-2-dev, capped at 50", () => {
    expect(formFields(buildImageBody(request("flux-2-dev"), 28).body)).toEqual({
      prompt: "a lighthouse at dusk",
      width: "1024",
      height: "576",
      steps: "28",
    });
    expect(formFields(buildImageBody(request("flux-2-dev"), 80).body).steps).toBe("50");
  });
});

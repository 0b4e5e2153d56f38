import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/http/errors.ts";
import {
  DEFAULT_MODEL_ID,
  effectiveSize,
  findModel,
  IMAGE_MODELS,
  INPAINTING_MODEL,
  oneEditApart,
  resolveModel,
  sizeForRatio,
  tiles,
} from "../../src/lib/generation/models.ts";

function model(id: string) {
  const found = findModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

const KLEIN_4B = model(DEFAULT_MODEL_ID);
const SCHNELL = model("@cf/black-forest-labs/flux-1-schnell");

describe("the supported models", () => {
  it("are Workers AI's eleven native image models, klein-4b first as the default", () => {
    expect(IMAGE_MODELS.map((m) => m.id)).toEqual([
      "@cf/black-forest-labs/flux-2-klein-4b",
      "@cf/black-forest-labs/flux-2-klein-9b",
      "@cf/black-forest-labs/flux-2-dev",
      "@cf/black-forest-labs/flux-1-schnell",
      "@cf/leonardo/lucid-origin",
      "@cf/leonardo/phoenix-1.0",
      "@cf/stabilityai/stable-diffusion-xl-base-1.0",
      "@cf/bytedance/stable-diffusion-xl-lightning",
      "@cf/lykon/dreamshaper-8-lcm",
      "@cf/runwayml/stable-diffusion-v1-5-img2img",
      "@cf/runwayml/stable-diffusion-v1-5-inpainting",
    ]);
    expect(DEFAULT_MODEL_ID).toBe("@cf/black-forest-labs/flux-2-klein-4b");
    expect(INPAINTING_MODEL.short).toBe("sd-inpainting");
  });

  it("have the short names a person types, each naming one model", () => {
    expect(IMAGE_MODELS.map((m) => m.short)).toEqual([
      "flux-2-klein-4b",
      "flux-2-klein-9b",
      "flux-2-dev",
      "flux-1-schnell",
      "lucid-origin",
      "phoenix",
      "sdxl",
      "sdxl-lightning",
      "dreamshaper",
      "sd-img2img",
      "sd-inpainting",
    ]);
    const names = IMAGE_MODELS.flatMap((m) => [m.short, ...m.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("can be named by full id, short name, the id's last part or an alias, in any case", () => {
    expect(findModel("flux-2-dev")?.id).toBe("@cf/black-forest-labs/flux-2-dev");
    expect(findModel(" @CF/Black-Forest-Labs/FLUX-1-SCHNELL ")?.id).toBe(SCHNELL.id);
    expect(findModel("phoenix-1.0")?.short).toBe("phoenix");
    expect(findModel("SDXL")?.id).toBe("@cf/stabilityai/stable-diffusion-xl-base-1.0");
    expect(findModel("stable-diffusion-v1-5-inpainting")?.short).toBe("sd-inpainting");
    expect(findModel("schnell")?.id).toBe(SCHNELL.id);
    // As other gateways write them: owner/name.
    expect(findModel("black-forest-labs/flux-2-dev")?.short).toBe("flux-2-dev");
    expect(findModel("leonardo/phoenix-1.0")?.short).toBe("phoenix");
    expect(findModel("dall-e-3")).toBeUndefined();
    expect(findModel("2-dev")).toBeUndefined();
  });

  it("say how each body travels and each answer comes back", () => {
    const shape = Object.fromEntries(IMAGE_MODELS.map((m) => [m.short, `${m.body} → ${m.answer}`]));
    expect(shape).toEqual({
      "flux-2-klein-4b": "multipart → base64",
      "flux-2-klein-9b": "multipart → base64",
      "flux-2-dev": "multipart → base64",
      "flux-1-schnell": "json → base64",
      "lucid-origin": "json → base64",
      phoenix: "json → image/jpeg",
      sdxl: "json → image/png",
      "sdxl-lightning": "json → image/png",
      dreamshaper: "json → image/png",
      "sd-img2img": "json → image/png",
      "sd-inpainting": "json → image/png",
    });
  });
});

describe("choosing the model of a request", () => {
  it("falls back to FLUX_MODEL for the names chat clients and other vendors send", () => {
    for (const name of ["gpt-4o", "dall-e-3", "gpt-image-1", "flux"]) expect(resolveModel(name, SCHNELL)).toBe(SCHNELL);
    expect(resolveModel(undefined, KLEIN_4B)).toBe(KLEIN_4B);
    expect(resolveModel(42, KLEIN_4B)).toBe(KLEIN_4B);
  });

  it("uses a supported model the request names", () => {
    expect(resolveModel("flux-2-klein-9b", SCHNELL).id).toBe("@cf/black-forest-labs/flux-2-klein-9b");
    expect(resolveModel("lucid-origin", SCHNELL).id).toBe("@cf/leonardo/lucid-origin");
  });

  it("refuses a name one slip from one of ours, naming the one meant", () => {
    for (const [typed, meant] of [
      ["flux-2-klien-4b", "flux-2-klein-4b"], // two letters swapped
      ["flux-2-klein4b", "flux-2-klein-4b"], // one dropped
      ["phoenixx", "phoenix"], // one added
      ["sdxl-lightnimg", "sdxl-lightning"], // one changed
      ["@cf/leonardo/lucid-orgin", "lucid-origin"],
    ]) {
      let thrown: unknown;
      try {
        resolveModel(typed, KLEIN_4B);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, typed).toBeInstanceOf(ApiError);
      expect(thrown).toMatchObject({ status: 400, param: "model", code: "model_not_found" });
      expect((thrown as ApiError).message).toContain(`did you mean '${meant}'`);
    }
  });

  it("counts edits as Damerau does, one at most", () => {
    expect(oneEditApart("klien", "klein")).toBe(true);
    expect(oneEditApart("klein", "klein")).toBe(false);
    expect(oneEditApart("kleinn", "klein")).toBe(true);
    expect(oneEditApart("kaein", "klein")).toBe(true);
    expect(oneEditApart("kaeim", "klein")).toBe(false);
    expect(oneEditApart("gpt-4o", "flux-2-dev")).toBe(false);
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

  it("follows each model's own range and rounds Stable Diffusion and Leonardo sizes to multiples of 8", () => {
    expect(effectiveSize(model("lucid-origin"), 3000, 3000)).toEqual({ width: 2496, height: 2496 });
    expect(effectiveSize(model("phoenix"), 3000, 1500)).toEqual({ width: 2048, height: 1024 });
    expect(effectiveSize(model("sdxl"), 1000, 701)).toEqual({ width: 1000, height: 704 });
    expect(effectiveSize(model("sdxl"), 100, 100)).toEqual({ width: 256, height: 256 });
  });

  it("paints a ratio exactly at the model's long side: 4:3 is 1024×768, 768×576 for Stable Diffusion 1.5", () => {
    expect(sizeForRatio(KLEIN_4B, 4 / 3)).toEqual({ width: 1024, height: 768 });
    expect(sizeForRatio(KLEIN_4B, 3 / 4)).toEqual({ width: 768, height: 1024 });
    expect(sizeForRatio(model("dreamshaper"), 4 / 3)).toEqual({ width: 768, height: 576 });
    expect(sizeForRatio(model("sdxl"), 21 / 9)).toEqual({ width: 1024, height: 432 });
    expect(sizeForRatio(KLEIN_4B, 21 / 9)).toEqual({ width: 1024, height: 432 });
    expect(sizeForRatio(SCHNELL, 16 / 9)).toEqual({ width: 1024, height: 1024 });
  });
});

describe("the price of a picture", () => {
  it("counts 512×512 tiles, a partial tile as a whole", () => {
    expect(tiles(1024, 1024)).toBe(4);
    expect(tiles(1024, 576)).toBe(4);
    expect(tiles(512, 512)).toBe(1);
    expect(tiles(1920, 1080)).toBe(12);
  });

  it("matches the published figures at 1024²", () => {
    const at1024 = (id: string, steps: number, inputs: { width: number; height: number }[] = []) =>
      model(id).price({ width: 1024, height: 1024, steps, inputs });
    expect(at1024("flux-1-schnell", 4)).toBeCloseTo(172.8);
    expect(at1024("flux-2-klein-9b", 4)).toBeCloseTo(1363.64 + 181.82 * 0.048576);
    expect(at1024("flux-2-klein-4b", 4)).toBeCloseTo(104.2);
    expect(at1024("flux-2-klein-4b", 4, [{ width: 511, height: 511 }])).toBeCloseTo(109.57);
    expect(at1024("lucid-origin", 25)).toBe(2844);
    expect(at1024("phoenix", 25)).toBe(2370);
    expect(at1024("flux-2-dev", 50)).toBe(7500);
    expect(at1024("sdxl", 20)).toBeUndefined();
  });
});

/**
 * Every Workers AI image model end to end: `npm start` (offline, against the stand-in, which checks
 * each body against the model's documented schema and paints what came in) driven by the official
 * `openai` client: a generation with each model, an inpainting edit with an OpenAI mask, an img2img
 * edit with `strength`, and chat with `--no` and `--steps`.
 */
import jpeg from "jpeg-js";
import { toFile } from "openai";
import type OpenAI from "openai";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { marker, standInCalls, useService } from "./with-service.ts";

const live = useService();

/** The models' short names and the type each answers in. */
const MODELS: [string, "jpeg" | "png"][] = [
  ["flux-2-klein-4b", "jpeg"],
  ["flux-2-klein-9b", "jpeg"],
  ["flux-2-dev", "jpeg"],
  ["flux-1-schnell", "jpeg"],
  ["lucid-origin", "jpeg"],
  ["phoenix", "jpeg"],
  ["sdxl", "png"],
  ["sdxl-lightning", "png"],
  ["dreamshaper", "png"],
];

/** The answer as the client gives it, with the fields this service adds. */
type Answer = OpenAI.ImagesResponse & { model?: string };

/** A picture of one colour. */
function photo(width: number, height: number, [red, green, blue]: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let offset = 0; offset < data.length; offset += 4) data.set([red, green, blue, 255], offset);
  return jpeg.encode({ width, height, data }, 95).data;
}

/** OpenAI's kind of mask: opaque, except the left half, fully transparent (to repaint). */
function leftHalfMask(width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) png.data.set([0, 0, 0, x < width / 2 ? 0 : 255], (y * width + x) * 4);
  return PNG.sync.write(png);
}

function decoded(answer: Answer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  const bytes = Buffer.from(answer.data?.[0]?.b64_json ?? "", "base64");
  const image = bytes[0] === 0x89 ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true });
  const { width, height, data } = image;
  return { width, height, pixel: (x, y) => Array.from(data.subarray((y * width + x) * 4, (y * width + x) * 4 + 3)) };
}

async function aiRun(m: string): Promise<{ json?: Record<string, unknown>; form?: Record<string, unknown> }> {
  const calls = (await standInCalls(live, m)).filter((call) => call.path.includes("/ai/run/"));
  expect(calls).toHaveLength(1);
  return calls[0] as { json?: Record<string, unknown> };
}

describe("images.generate with each model", () => {
  it.each(MODELS)("%s paints a real %s picture and the answer names it", async (model, type) => {
    const m = marker();
    const answer: Answer = await live.client.images.generate({ model, prompt: `${m} a paper boat`, size: "768x512" });
    expect(answer.model).toBe(model);
    expect(answer.output_format).toBe(type);
    const picture = decoded(answer);
    expect(`${picture.width}x${picture.height}`).toBe(model === "flux-1-schnell" ? "1024x1024" : "768x512");
  });

  it("sends a negative prompt and steps to a model that takes them", async () => {
    const m = marker();
    const params = { model: "phoenix", prompt: `${m} a quiet beach`, negative_prompt: "people", steps: 12 };
    const answer: Answer = await live.client.images.generate(params as OpenAI.ImageGenerateParamsNonStreaming);
    expect(answer.model).toBe("phoenix");
    expect((await aiRun(m)).json).toMatchObject({ negative_prompt: "people", num_steps: 12 });
  });

  it("refuses a negative prompt for a model that takes none, naming the ones that do", async () => {
    const params = { model: "flux-2-klein-4b", prompt: `${marker()} a beach`, negative_prompt: "people" };
    const error = await live.client.images
      .generate(params as OpenAI.ImageGenerateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, param: "negative_prompt", code: "unsupported_parameter" });
    expect(String((error as Error).message)).toMatch(/phoenix, sdxl/);
  });
});

describe("images.edit by model", () => {
  const GREEN: [number, number, number] = [20, 200, 40];

  it("repaints where an OpenAI mask is transparent, with the inpainting model chosen for the mask", async () => {
    const m = marker();
    const answer: Answer = await live.client.images.edit({
      image: await toFile(photo(512, 512, GREEN), "garden.jpg", { type: "image/jpeg" }),
      mask: await toFile(leftHalfMask(512, 512), "mask.png", { type: "image/png" }),
      prompt: `${m} a pond on the left`,
    });
    expect(answer.model).toBe("sd-inpainting");
    const picture = decoded(answer);
    expect([picture.width, picture.height]).toEqual([768, 768]);
    const [red = 0, green = 0] = picture.pixel(100, 384);
    expect(green < 150 || red > 100, "the transparent half is repainted").toBe(true);
    const kept = picture.pixel(668, 384);
    expect(Math.abs((kept[1] ?? 0) - GREEN[1]) < 30, `the opaque half keeps the picture: ${kept.join(",")}`).toBe(true);
    const { json } = await aiRun(m);
    expect(json?.mask).toMatchObject({ type: "image/png", width: 512, height: 512 });
    expect(json?.image).toMatchObject({ type: "image/jpeg", width: 512, height: 512 });
  });

  it("redraws one picture with img2img as far as strength says", async () => {
    const m = marker();
    const params = {
      image: await toFile(photo(640, 480, GREEN), "field.jpg", { type: "image/jpeg" }),
      prompt: `${m} the same field in autumn`,
      model: "sd-img2img",
      strength: 0.3,
    };
    const answer: Answer = await live.client.images.edit(params as OpenAI.ImageEditParamsNonStreaming);
    expect(answer.model).toBe("sd-img2img");
    // The picture's shape at Stable Diffusion 1.5's 768.
    expect(answer.size).toBe("768x576");
    const { json } = await aiRun(m);
    expect(json).toMatchObject({ strength: 0.3, image: { type: "image/jpeg", width: 640, height: 480 } });
    // At strength 0.3 the picture is mostly the source: green.
    expect(decoded(answer).pixel(384, 288)[1]).toBeGreaterThan(120);
  });
});

describe("chat with model flags", () => {
  it("--no and --steps reach the model, leave the prompt, and the reply states them", async () => {
    const m = marker();
    const completion = await live.client.chat.completions.create({
      model: "sdxl",
      messages: [{ role: "user", content: `${m} a mountain lake --no boats --steps 12 --ar 16:9` }],
    });
    const content = completion.choices[0]?.message.content ?? "";
    expect(content).toContain("🖼️ Model: sdxl");
    expect(content).toContain("⚙️ --steps 12 --no boats");
    expect((await aiRun(m)).json).toMatchObject({
      prompt: `${m} a mountain lake`,
      negative_prompt: "boats",
      num_steps: 12,
      width: 1024,
      height: 576,
    });
  });
});

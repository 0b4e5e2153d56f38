/**
 * Every model of the table through the Worker and the stand-in, which checks each body against the
 * model's documented schema: the fields each receives, its parameters from the Images API and from
 * chat flags, raw PNG and JPEG answers read into the same stored images, and the 400s for a
 * parameter a model does not take or a value outside its range.
 */
import { describe, expect, it } from "vitest";
import { IMAGE_MODELS } from "../../src/lib/generation/models.ts";
import { decodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { authHeaders, call, imageUrlIn, marker, postChat, upstreamRequests } from "./helpers.ts";

interface ImagesAnswer {
  data: { b64_json?: string; url?: string; seed?: number }[];
  model: string;
  size: string;
  output_format: string;
}

interface ErrorAnswer {
  error: { message: string; param: string | null; code: string };
}

function generate(body: Record<string, unknown>): Promise<Response> {
  return call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

/** The one ai/run call whose prompt carries `m`. */
async function sent(
  m: string,
): Promise<{ json?: Record<string, unknown>; form?: Record<string, unknown>; model?: string }> {
  const calls = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  expect(calls).toHaveLength(1);
  return calls[0] ?? {};
}

const TEXT_TO_IMAGE = IMAGE_MODELS.filter((model) => !model.source);

describe("a generation with each text-to-image model", () => {
  it.each(TEXT_TO_IMAGE.map((model) => [model.short, model.answer] as const))(
    "%s answers a real picture of its type (%s), and the answer names the model",
    async (short) => {
      const m = marker();
      const response = await generate({ prompt: `${m} a red kite`, model: short, size: "768x512" });
      expect(response.status).toBe(200);
      const body = await response.json<ImagesAnswer>();
      expect(body.model).toBe(short);
      const bytes = decodeBase64(body.data[0]?.b64_json ?? "") ?? new Uint8Array();
      const info = inspectImage(bytes);
      expect(info?.contentType).toBe(body.output_format === "png" ? "image/png" : "image/jpeg");
      expect(`${info?.width}x${info?.height}`).toBe(body.size);
      expect((await sent(m)).model).toBe(IMAGE_MODELS.find((model) => model.short === short)?.id);
    },
  );

  it("stores a raw PNG answer and serves it as a PNG from its link", async () => {
    const m = marker();
    const response = await generate({ prompt: `${m} a lighthouse`, model: "sdxl", response_format: "url" });
    const body = await response.json<ImagesAnswer>();
    expect(body).toMatchObject({ model: "sdxl", output_format: "png", size: "1024x1024" });
    const image = await call(new URL(body.data[0]?.url ?? "").pathname);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(inspectImage(new Uint8Array(await image.arrayBuffer()))).toMatchObject({ width: 1024, height: 1024 });
  });

  it("phoenix's raw JPEG comes back as JPEG", async () => {
    const response = await generate({ prompt: `${marker()} a fox`, model: "phoenix" });
    expect(await response.json()).toMatchObject({ model: "phoenix", output_format: "jpeg", size: "1024x1024" });
  });
});

describe("the Images API's model parameters", () => {
  it("sends negative_prompt, steps and guidance under each model's own field names", async () => {
    const m = marker();
    const response = await generate({
      prompt: `${m} a castle`,
      model: "sdxl",
      negative_prompt: "text,\n watermark",
      steps: 12,
      guidance: 9,
      seed: 3,
    });
    expect(response.status).toBe(200);
    expect((await sent(m)).json).toEqual({
      prompt: `${m} a castle`,
      width: 1024,
      height: 1024,
      seed: 3,
      negative_prompt: "text, watermark",
      guidance: 9,
      num_steps: 12,
    });
  });

  it("gives SDXL Lightning a few steps unless asked, and FLUX.2 dev its steps as a form field", async () => {
    const lightning = marker();
    await generate({ prompt: `${lightning} a bird`, model: "sdxl-lightning" });
    expect((await sent(lightning)).json?.num_steps).toBe(8);
    const dev = marker();
    await generate({ prompt: `${dev} a bird`, model: "flux-2-dev", steps: 28, guidance: 3.5 });
    expect((await sent(dev)).form).toMatchObject({ steps: "28", guidance: "3.5" });
  });

  it("takes width and height as top-level fields when size is absent", async () => {
    const m = marker();
    const response = await generate({ prompt: `${m} a tower`, model: "flux-2-klein-4b", width: 640, height: 960 });
    expect((await response.json<ImagesAnswer>()).size).toBe("640x960");
    expect((await sent(m)).form).toMatchObject({ width: "640", height: "960" });
  });

  it("rounds a Stable Diffusion size to multiples of 8 and says the size it made", async () => {
    const response = await generate({ prompt: `${marker()} a tower`, model: "sdxl", size: "1001x701" });
    expect((await response.json<ImagesAnswer>()).size).toBe("1000x704");
  });

  it.each([
    [
      { model: "flux-2-klein-4b", negative_prompt: "blur" },
      "negative_prompt",
      "unsupported_parameter",
      /phoenix, sdxl/,
    ],
    [{ model: "flux-2-klein-4b", steps: 8 }, "steps", "unsupported_parameter", /flux-2-dev/],
    [{ model: "flux-1-schnell", guidance: 3 }, "guidance", "unsupported_parameter", /lucid-origin/],
    [{ model: "sdxl", strength: 0.5 }, "strength", "unsupported_parameter", /sd-img2img, sd-inpainting/],
    [{ model: "sdxl", steps: 21 }, "steps", "invalid_steps", /from 1 to 20 \(got 21\)/],
    [{ model: "sdxl", steps: 2.5 }, "steps", "invalid_steps", /a whole number/],
    [{ model: "phoenix", guidance: 1 }, "guidance", "invalid_guidance", /from 2 to 10/],
    [{ model: "lucid-origin", steps: 41 }, "steps", "invalid_steps", /from 1 to 40/],
    [{ model: "sdxl", negative_prompt: "x".repeat(2049) }, "negative_prompt", "prompt_too_long", /2049/],
    [{ model: "flux-2-klien-4b" }, "model", "model_not_found", /did you mean 'flux-2-klein-4b'/],
    [{ model: "sd-img2img" }, "image", "missing_image", /attach the image/],
  ])("%j is a 400 naming %s", async (fields, param, code, message) => {
    const response = await generate({ prompt: `${marker()} a cat`, ...fields });
    expect(response.status).toBe(400);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const { error } = await response.json<ErrorAnswer>();
    expect(error).toMatchObject({ param, code });
    expect(error.message).toMatch(message);
  });

  it("still means the default for other vendors' names, and says which model painted", async () => {
    for (const name of ["dall-e-3", "gpt-image-1"]) {
      const response = await generate({ prompt: `${marker()} a cat`, model: name });
      expect((await response.json<ImagesAnswer>()).model).toBe("flux-2-klein-4b");
    }
  });
});

describe("chat flags", () => {
  async function chat(prompt: string, model: string): Promise<{ content: string; m: string }> {
    const m = marker();
    const response = await postChat(`${m} ${prompt}`, { model });
    expect(response.status).toBe(200);
    const body = await response.json<{ choices: { message: { content: string } }[] }>();
    return { content: body.choices[0]?.message.content ?? "", m };
  }

  it("--no and --steps reach the model and leave the prompt, and the reply states them", async () => {
    const { content, m } = await chat("a quiet street --no cars, people --steps 10 16:9", "sdxl");
    const { json } = await sent(m);
    expect(json).toMatchObject({
      prompt: `${m} a quiet street`,
      negative_prompt: "cars, people",
      num_steps: 10,
      width: 1024,
      height: 576,
    });
    expect(content).toContain("🖼️ Model: sdxl\n📐 Size: 1024×576\n⚙️ --steps 10 --no cars, people\n");
  });

  it("paints anyway with a flag the model does not take, and says what was not used and why", async () => {
    const { content, m } = await chat("a quiet street --no cars --guidance 3", "flux-2-klein-4b");
    const { form } = await sent(m);
    expect(form?.prompt).toBe(`${m} a quiet street`);
    expect(form).not.toHaveProperty("negative_prompt");
    expect(form?.guidance).toBe("3");
    expect(content).toContain(
      "⚠️ flux-2-klein-4b takes no --no, so it was not used (models that take it: phoenix, sdxl,",
    );
    expect(content).toContain(imageUrlIn(content) ?? "no image");
  });

  it("--size asks for an exact size", async () => {
    const { content, m } = await chat("a banner --size 1200x400", "flux-2-klein-4b");
    expect((await sent(m)).form).toMatchObject({ width: "1200", height: "400" });
    expect(content).toContain("📐 Size: 1200×400\n");
  });

  it("a malformed flag or one outside the model's range is a clear 400", async () => {
    for (const [prompt, code] of [
      ["a cat --steps many", "invalid_flag"],
      ["a cat --size big", "invalid_flag"],
      ["a cat --steps 30", "invalid_steps"],
    ]) {
      const response = await postChat(`${marker()} ${prompt}`, { model: "sdxl" });
      expect(response.status, prompt).toBe(400);
      expect((await response.json<ErrorAnswer>()).error.code).toBe(code);
    }
  });

  it("says when the size made is not the one asked: schnell's fixed size, another model's range", async () => {
    expect((await chat("a cat 4:3", "flux-1-schnell")).content).toContain(
      "📐 Size: 1024×1024 (flux-1-schnell always makes 1024×1024)",
    );
    expect((await chat("a cat --size 4000x3000", "flux-2-klein-4b")).content).toContain(
      "📐 Size: 1920×1440 (the nearest size flux-2-klein-4b paints)",
    );
  });

  it("refuses the inpainting model, which needs a mask a message cannot carry, and says where to go", async () => {
    const response = await postChat(`${marker()} a pond`, { model: "sd-inpainting" });
    expect(response.status).toBe(400);
    const { error } = await response.json<ErrorAnswer>();
    expect(error).toMatchObject({ code: "missing_mask", param: "model" });
    expect(error.message).toContain("/v1/images/edits");
  });

  it("a near miss of a model name is a 400 in chat too", async () => {
    const response = await postChat(`${marker()} a cat`, { model: "sdxl-lightnin" });
    expect(response.status).toBe(400);
    expect((await response.json<ErrorAnswer>()).error.message).toContain("did you mean 'sdxl-lightning'");
  });
});

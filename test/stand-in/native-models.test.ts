// The stand-in's seven non-FLUX native image models: each answers in its documented form (a JSON
// envelope, bare JPEG or bare PNG), enforces its documented schema, and paints a picture that
// shows what the call sent (negative prompt, img2img source and strength, inpainting mask).
import { createHash } from "node:crypto";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIn } from "../../tools/stand-in/server.ts";
import type { StandIn } from "../../tools/stand-in/server.ts";
import { jpegDimensions } from "./jpeg-dimensions.ts";

const LUCID = "@cf/leonardo/lucid-origin";
const PHOENIX = "@cf/leonardo/phoenix-1.0";
const SDXL = "@cf/stabilityai/stable-diffusion-xl-base-1.0";
const LIGHTNING = "@cf/bytedance/stable-diffusion-xl-lightning";
const DREAMSHAPER = "@cf/lykon/dreamshaper-8-lcm";
const IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img";
const INPAINTING = "@cf/runwayml/stable-diffusion-v1-5-inpainting";
const SEVEN = [LUCID, PHOENIX, SDXL, LIGHTNING, DREAMSHAPER, IMG2IMG, INPAINTING];

type Rgb = [number, number, number];
const GREEN: Rgb = [0, 200, 0];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

interface Envelope {
  result: { image?: string } | null;
  success: boolean;
  errors: { code: number; message: string }[];
}

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ port: 0, quiet: true });
});
afterAll(async () => {
  await standIn.close();
});

function runJson(model: string, body: unknown): Promise<Response> {
  return fetch(`${standIn.cfApiBase}/accounts/test-account/ai/run/${model}`, {
    method: "POST",
    headers: { authorization: "Bearer test-token", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The bare image bytes of a 200 answer, after checking its content type. */
async function rawImage(response: Response, contentType: string): Promise<Buffer> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe(contentType);
  return Buffer.from(await response.arrayBuffer());
}

async function schemaError(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as Envelope;
  expect(body.success).toBe(false);
  expect(body.errors[0]?.code).toBe(5006);
  return body.errors[0]?.message ?? "";
}

/** A PNG's size from its IHDR, independently of any decoder, after checking the signature. */
function pngDimensions(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.toString("latin1", 12, 16)).toBe("IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function pngPixel(bytes: Buffer, x: number, y: number): Rgb {
  const png = PNG.sync.read(bytes);
  const offset = (y * png.width + x) * 4;
  return [png.data[offset] ?? -1, png.data[offset + 1] ?? -1, png.data[offset + 2] ?? -1];
}

function jpegPixel(bytes: Buffer, x: number, y: number): Rgb {
  const decoded = jpeg.decode(bytes, { useTArray: true });
  const offset = (y * decoded.width + x) * 4;
  return [decoded.data[offset] ?? -1, decoded.data[offset + 1] ?? -1, decoded.data[offset + 2] ?? -1];
}

/** A width×height picture in one colour, or two: `left` on the left half, `right` on the right. */
function pixelsOf(width: number, height: number, left: Rgb, right: Rgb = left): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...(x < width / 2 ? left : right), 255], (y * width + x) * 4);
  }
  return data;
}

function pngFile(width: number, height: number, left: Rgb, right?: Rgb): Buffer {
  const png = new PNG({ width, height });
  png.data = pixelsOf(width, height, left, right);
  return PNG.sync.write(png);
}

/** How a JSON body carries an encoded image: its bytes as numbers. */
function byteArray(file: Buffer): number[] {
  return [...file];
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("what each model answers", () => {
  it("lucid-origin: a base64 JPEG in the JSON envelope, 1120×1120 unless asked", async () => {
    const response = await runJson(LUCID, { prompt: "a lucid fox", steps: 20, num_steps: 20, guidance: 4.5 });
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as Envelope;
    expect(body).toMatchObject({ success: true, errors: [] });
    expect(jpegDimensions(Buffer.from(body.result?.image ?? "", "base64"))).toEqual({ width: 1120, height: 1120 });

    const sized = (await (
      await runJson(LUCID, { prompt: "a wide lucid fox", width: 640, height: 360 })
    ).json()) as Envelope;
    expect(jpegDimensions(Buffer.from(sized.result?.image ?? "", "base64"))).toEqual({ width: 640, height: 360 });
  });

  it("phoenix-1.0: bare JPEG bytes as image/jpeg, 1024×1024 unless asked", async () => {
    const image = await rawImage(await runJson(PHOENIX, { prompt: "a phoenix", num_steps: 25 }), "image/jpeg");
    expect(jpegDimensions(image)).toEqual({ width: 1024, height: 1024 });
    const sized = await rawImage(
      await runJson(PHOENIX, { prompt: "a phoenix", width: 512, height: 768 }),
      "image/jpeg",
    );
    expect(jpegDimensions(sized)).toEqual({ width: 512, height: 768 });
  });

  it.each([
    [SDXL, 1024],
    [LIGHTNING, 1024],
    [DREAMSHAPER, 512],
  ])("%s: bare PNG bytes as image/png, %i² unless asked", async (model, edge) => {
    const image = await rawImage(await runJson(model, { prompt: "a diffused fox", num_steps: 20 }), "image/png");
    expect(pngDimensions(image)).toEqual({ width: edge, height: edge });
    expect(PNG.sync.read(image).width).toBe(edge);
    const sized = await rawImage(
      await runJson(model, { prompt: "a diffused fox", width: 256, height: 384 }),
      "image/png",
    );
    expect(pngDimensions(sized)).toEqual({ width: 256, height: 384 });
  });

  it("gives every answer its own bytes, the same pixels, and records the hash and type", async () => {
    const prompt = `a repeated fox ${Math.random()}`;
    const first = await rawImage(await runJson(SDXL, { prompt, width: 256, height: 256 }), "image/png");
    const second = await rawImage(await runJson(SDXL, { prompt, width: 256, height: 256 }), "image/png");
    expect(first.equals(second)).toBe(false);
    expect(PNG.sync.read(first).data.equals(PNG.sync.read(second).data)).toBe(true);
    const record = standIn.requests.findLast((request) => request.prompt === prompt);
    expect(record).toMatchObject({ model: SDXL, status: 200, imageType: "image/png", imageSha256: sha256(second) });
  });
});

describe("their schemas", () => {
  it.each(SEVEN)("%s refuses an unknown field", async (model) => {
    const message = await schemaError(await runJson(model, { prompt: "x", colour: "blue" }));
    expect(message).toBe("AiError: Bad input: Error: additional properties not allowed at '/': 'colour'");
  });

  it.each([
    [LUCID, { negative_prompt: "blur" }, "additional properties not allowed at '/': 'negative_prompt'"],
    [PHOENIX, { steps: 20 }, "additional properties not allowed at '/': 'steps'"],
    [LUCID, { num_steps: 41 }, "Value at '/num_steps' is 41, maximum is 40"],
    [LUCID, { steps: 0 }, "Value at '/steps' is 0, minimum is 1"],
    [LUCID, { guidance: 10.5 }, "Value at '/guidance' is 10.5, maximum is 10"],
    [LUCID, { width: 2501 }, "Value at '/width' is 2501, maximum is 2500"],
    [LUCID, { seed: -1 }, "Value at '/seed' is -1, minimum is 0"],
    [PHOENIX, { guidance: 1.5 }, "Value at '/guidance' is 1.5, minimum is 2"],
    [PHOENIX, { num_steps: 51 }, "Value at '/num_steps' is 51, maximum is 50"],
    [PHOENIX, { negative_prompt: "" }, "String at '/negative_prompt' is too short: 0 < 1"],
    [SDXL, { num_steps: 21 }, "Value at '/num_steps' is 21, maximum is 20"],
    [SDXL, { num_steps: 4.5 }, "Type mismatch of '/num_steps', 'number' not in 'integer'"],
    [SDXL, { height: 255 }, "Value at '/height' is 255, minimum is 256"],
    [SDXL, { guidance: "7.5" }, "Type mismatch of '/guidance', 'string' not in 'number'"],
    [SDXL, { strength: 1.5 }, "Value at '/strength' is 1.5, maximum is 1"],
    [IMG2IMG, { strength: -0.1, image: [1] }, "Value at '/strength' is -0.1, minimum is 0"],
    [SDXL, { image: [137, 256] }, "Value at '/image/1' is 256, maximum is 255"],
    [SDXL, { image: [137, "80"] }, "Type mismatch of '/image/1', 'string' not in 'integer'"],
    [SDXL, { mask: "iVBORw0KGgo=" }, "Type mismatch of '/mask', 'string' not in 'array'"],
    [IMG2IMG, {}, "required properties at '/' are 'image'"],
    [INPAINTING, { mask: byteArray(pngFile(8, 8, WHITE)) }, "required properties at '/' are 'image'"],
    [INPAINTING, { image: byteArray(pngFile(8, 8, GREEN)) }, "required properties at '/' are 'mask'"],
    [IMG2IMG, { image: [1, 2, 3, 4] }, "'/image' is not a JPEG or PNG image"],
    [IMG2IMG, { image_b64: "not base64!" }, "'/image_b64' is not valid base64"],
    [IMG2IMG, { image: byteArray(pngFile(8, 8, GREEN).subarray(0, 40)) }, "'/image' could not be decoded as image/png"],
  ])("%s refuses %j", async (model, fields, expected) => {
    const message = await schemaError(await runJson(model, { prompt: "a fox", ...fields }));
    expect(message).toMatch(/^AiError: Bad input: Error: /);
    expect(message).toContain(expected);
  });

  it("accepts the documented extremes: prompts beyond FLUX's 2048 characters, strength 0 and 1", async () => {
    const long = "a fox ".repeat(500);
    await rawImage(await runJson(PHOENIX, { prompt: long, width: 256, height: 256 }), "image/jpeg");
    for (const strength of [0, 1]) {
      await rawImage(await runJson(SDXL, { prompt: "a fox", width: 256, height: 256, strength }), "image/png");
    }
  });
});

describe("the pictures show what came in", () => {
  // The stripe of a negative prompt crosses the top-left corner: at 256×256, (20, 20) lies on it
  // and (100, 100) does not.
  it("a negative prompt leaves a red stripe at the top left, on PNG and JPEG answers alike", async () => {
    const plain = await rawImage(await runJson(SDXL, { prompt: "a fox", width: 256, height: 256 }), "image/png");
    const marked = await rawImage(
      await runJson(SDXL, { prompt: "a fox", negative_prompt: "blur", width: 256, height: 256 }),
      "image/png",
    );
    expect(pngPixel(marked, 20, 20)).toEqual([200, 24, 24]);
    expect(pngPixel(plain, 20, 20)).not.toEqual([200, 24, 24]);
    expect(pngPixel(marked, 100, 100)).toEqual(pngPixel(plain, 100, 100));

    const jpegMarked = await rawImage(
      await runJson(PHOENIX, { prompt: "a fox", negative_prompt: "blur", width: 256, height: 256 }),
      "image/jpeg",
    );
    const [red, green, blue] = jpegPixel(jpegMarked, 20, 20);
    expect(red).toBeGreaterThan(150);
    expect(Math.max(green, blue)).toBeLessThan(80);
    const [plainRed] = jpegPixel(await rawImage(await runJson(PHOENIX, { prompt: "a fox" }), "image/jpeg"), 20, 20);
    expect(plainRed).toBeLessThan(100);
  });

  it("img2img paints at the source's size and blends the source with the sunset by strength", async () => {
    const source = byteArray(pngFile(320, 256, GREEN));
    const at = async (strength: number) =>
      pngPixel(
        await rawImage(await runJson(IMG2IMG, { prompt: "a fox", image: source, strength }), "image/png"),
        40,
        40,
      );
    const sunsetImage = await rawImage(
      await runJson(DREAMSHAPER, { prompt: "a fox", width: 320, height: 256 }),
      "image/png",
    );
    const sunset = pngPixel(sunsetImage, 40, 40);

    const whole = await rawImage(await runJson(IMG2IMG, { prompt: "a fox", image: source }), "image/png");
    expect(pngDimensions(whole)).toEqual({ width: 320, height: 256 });
    expect(pngPixel(whole, 40, 40)).toEqual(sunset); // the default strength, 1, ignores the source
    expect(await at(0)).toEqual(GREEN);
    expect(await at(0.5)).toEqual(
      GREEN.map((kept, channel) => Math.round(kept + ((sunset[channel] ?? 0) - kept) * 0.5)),
    );
  });

  it("img2img reads a JPEG in image_b64, and falls back to 512×512 for a source no schema size fits", async () => {
    const jpegSource = jpeg.encode({ width: 300, height: 260, data: pixelsOf(300, 260, GREEN) }, 95).data;
    const fromJpeg = await rawImage(
      await runJson(IMG2IMG, { prompt: "a fox", image_b64: jpegSource.toString("base64"), strength: 0 }),
      "image/png",
    );
    expect(pngDimensions(fromJpeg)).toEqual({ width: 300, height: 260 });
    const [red, green, blue] = pngPixel(fromJpeg, 150, 130);
    expect(Math.max(red, blue)).toBeLessThan(20);
    expect(green).toBeGreaterThan(180);

    const icon = byteArray(pngFile(100, 100, GREEN));
    const small = await rawImage(await runJson(IMG2IMG, { prompt: "a fox", image: icon }), "image/png");
    expect(pngDimensions(small)).toEqual({ width: 512, height: 512 });
  });

  it("inpainting repaints where the mask is white and keeps the source where it is black", async () => {
    const source = byteArray(pngFile(256, 256, GREEN));
    // A smaller mask than the picture: it is scaled, left half white, right half black.
    const mask = byteArray(pngFile(128, 128, WHITE, BLACK));
    const prompt = `an inpainted fox ${Math.random()}`;
    const inpainted = await rawImage(await runJson(INPAINTING, { prompt, image: source, mask, seed: 3 }), "image/png");
    const sunset = await rawImage(
      await runJson(DREAMSHAPER, { prompt: "a fox", width: 256, height: 256, seed: 3 }),
      "image/png",
    );
    expect(pngDimensions(inpainted)).toEqual({ width: 256, height: 256 });
    expect(pngPixel(inpainted, 64, 128)).toEqual(pngPixel(sunset, 64, 128));
    expect(pngPixel(inpainted, 64, 128)).not.toEqual(GREEN);
    expect(pngPixel(inpainted, 192, 128)).toEqual(GREEN);

    const record = standIn.requests.findLast((request) => request.prompt === prompt);
    expect(record?.json).toEqual({
      prompt,
      seed: 3,
      image: { bytes: source.length, sha256: sha256(Buffer.from(source)), width: 256, height: 256, type: "image/png" },
      mask: { bytes: mask.length, sha256: sha256(Buffer.from(mask)), width: 128, height: 128, type: "image/png" },
    });
  });
});

describe("fault directives on the new models", () => {
  it("not-image sends text under the model's own image type when it answers bare bytes", async () => {
    const png = await rawImage(await runJson(SDXL, { prompt: "a fox #fault=not-image" }), "image/png");
    expect(png.toString("utf8")).toContain("not an image");
    const jpegText = await rawImage(await runJson(PHOENIX, { prompt: "a fox #fault=not-image" }), "image/jpeg");
    expect(jpegText.toString("utf8")).toContain("not an image");
    const enveloped = (await (await runJson(LUCID, { prompt: "a fox #fault=not-image" })).json()) as Envelope;
    expect(Buffer.from(enveloped.result?.image ?? "", "base64").toString("utf8")).toContain("not an image");
  });

  it("envelope errors, JSON-bodied faults and delays apply to every model", async () => {
    const capacity = await runJson(INPAINTING, { prompt: "a fox #fault=capacity", image: [1], mask: [1] });
    // Schema and decoding come first, as with FLUX.2's references: a broken image is refused before any fault.
    expect(capacity.status).toBe(400);
    const busy = await runJson(PHOENIX, { prompt: "a fox #fault=capacity" });
    expect(busy.status).toBe(429);
    expect(((await busy.json()) as Envelope).errors[0]?.code).toBe(3040);
    const noImage = await runJson(SDXL, { prompt: "a fox #fault=no-image" });
    expect(noImage.headers.get("content-type")).toBe("application/json");
    expect(await noImage.json()).toMatchObject({ success: true, result: {} });
    const started = performance.now();
    await rawImage(
      await runJson(LIGHTNING, { prompt: "a patient fox #delay=120", width: 256, height: 256 }),
      "image/png",
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe("the cost each answer reports", () => {
  it("sends cf-ai-neurons by the published price, as Workers AI does, and none for phoenix or the beta models", async () => {
    const schnell = await runJson("@cf/black-forest-labs/flux-1-schnell", { prompt: "a kite", steps: 4 });
    expect(schnell.headers.get("cf-ai-neurons")).toBe("172.80");
    const lucid = await runJson(LUCID, { prompt: "a kite", width: 1024, height: 1024, num_steps: 25 });
    expect(lucid.headers.get("cf-ai-neurons")).toBe("2844.00");
    expect((await runJson(PHOENIX, { prompt: "a kite" })).headers.get("cf-ai-neurons")).toBeNull();
    expect((await runJson(SDXL, { prompt: "a kite" })).headers.get("cf-ai-neurons")).toBeNull();
  });

  it("reports what #neurons=N asks, or nothing for #neurons=none", async () => {
    const more = await runJson("@cf/black-forest-labs/flux-1-schnell", { prompt: "a kite #neurons=700" });
    expect(more.headers.get("cf-ai-neurons")).toBe("700.00");
    const none = await runJson("@cf/black-forest-labs/flux-1-schnell", { prompt: "a kite #neurons=none" });
    expect(none.headers.get("cf-ai-neurons")).toBeNull();
  });
});

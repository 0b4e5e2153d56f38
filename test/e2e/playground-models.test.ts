/**
 * The playground's model picker in a real browser: every model of GET /v1/models,
 * grouped, with its description; exactly the settings the chosen model takes
 * (negative prompt, steps, guidance, strength), checked against its
 * capabilities, and only those sent; which model painted, beside each picture;
 * and the mask brush of the inpainting model, whose PNG (fully transparent where
 * painted) goes to /v1/images/edits as the multipart `mask`. Checked against what
 * the page sent and what the stand-in received. Screenshots of the settings and
 * of the brush go to the temp folder (SCREENSHOT_DIR to choose another), to look at.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import {
  attachedPreviews,
  attachThroughButton,
  enterKey,
  generate,
  marker,
  openPlayground,
  photo,
  resultImageSize,
  upstreamCallsContaining,
  usePlayground,
  type LivePlayground,
} from "./playground-browser.ts";

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "playground-models");

const live = usePlayground();

/** What GET /v1/models says a model takes (the fields the page reads). */
interface Capabilities {
  negative_prompt: boolean;
  steps: { min: number; max: number; default: number } | null;
  guidance: { min: number; max: number; default: number } | null;
  strength: { min: number; max: number; default: number } | null;
  seed: boolean;
  sizes: { fixed: string } | { min: number; max: number };
}

interface ListedModel {
  id: string;
  type: "chat" | "image";
  displayName: string;
  description: string;
  capabilities: Capabilities;
}

async function listedModels(service: LivePlayground["service"]): Promise<ListedModel[]> {
  const response = await fetch(`${service.baseUrl}/v1/models`, {
    headers: { authorization: `Bearer ${service.apiKey}` },
  });
  return ((await response.json()) as { data: ListedModel[] }).data;
}

async function ready(page: Page): Promise<void> {
  await enterKey(page, live.service.apiKey);
  await page.getByText("Key accepted").waitFor();
}

async function pickModel(page: Page, short: string): Promise<void> {
  await page.getByLabel("Model", { exact: true }).selectOption({ label: short });
}

/** Which of the four settings the form shows. */
async function shownSettings(page: Page): Promise<string[]> {
  const settings = ["Negative prompt", "Steps", "Guidance", "Strength"];
  const shown = await Promise.all(settings.map((name) => page.getByLabel(name, { exact: true }).isVisible()));
  return settings.filter((_name, index) => shown[index]);
}

async function finished(page: Page): Promise<void> {
  await page.getByText("Done", { exact: true }).waitFor({ timeout: 20_000 });
}

function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, name);
}

/** A stroke of the brush across the middle of image 0, as a mouse paints it. */
async function paintAcrossTheMiddle(page: Page): Promise<void> {
  const canvas = page.getByLabel("Image 0: paint over the part to repaint");
  await canvas.scrollIntoViewIfNeeded(); // the mouse reaches only what is in view
  const box = await canvas.boundingBox();
  if (!box) throw new Error("the mask canvas is not shown");
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, y, { steps: 12 });
  await page.mouse.up();
}

interface SentPart {
  text?: string;
  type?: string;
  bytes?: Buffer;
}

/**
 * Keeps, in the page, every multipart body its fetch calls send. Chromium does not hand a request's
 * body to playwright when it holds files (postDataBuffer() is null), so the page's own fetch is
 * watched instead: before any script of the page runs, and without changing what it sends.
 */
async function watchForms(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const sent: Promise<{ url: string; parts: [string, { text?: string; type?: string; base64?: string }][] }>[] = [];
    (window as unknown as { sentForms: typeof sent }).sentForms = sent;
    const original = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const body = init?.body;
      if (body instanceof FormData) {
        const url = input instanceof Request ? input.url : String(input);
        const parts: Promise<[string, { text?: string; type?: string; base64?: string }]>[] = [];
        body.forEach((value, name) => {
          if (typeof value === "string") {
            parts.push(Promise.resolve([name, { text: value }]));
            return;
          }
          const read = value.arrayBuffer().then((buffer) => {
            const bytes = new Uint8Array(buffer);
            const base64 = btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""));
            return [name, { type: value.type, base64 }] as [string, { type: string; base64: string }];
          });
          parts.push(read);
        });
        sent.push(Promise.all(parts).then((all) => ({ url, parts: all })));
      }
      return original(input, init);
    };
  });
}

/** The parts of the last multipart body the page sent: text fields as text, files as their type and bytes. */
async function lastSentForm(page: Page): Promise<Map<string, SentPart>> {
  const forms = await page.evaluate(() =>
    Promise.all((window as unknown as { sentForms: Promise<unknown>[] }).sentForms),
  );
  const last = forms.at(-1) as { url: string; parts: [string, { text?: string; type?: string; base64?: string }][] };
  if (!last) throw new Error("the page sent no multipart body");
  expect(new URL(last.url, live.service.baseUrl).pathname).toBe("/v1/images/edits");
  return new Map(
    last.parts.map(([name, part]) => [
      name,
      part.base64 === undefined ? part : { type: part.type, bytes: Buffer.from(part.base64, "base64") },
    ]),
  );
}

/** The JSON of the one call to Workers AI whose prompt holds `word`, as the stand-in recorded it. */
async function modelCall(word: string): Promise<Record<string, unknown>> {
  const calls = (await upstreamCallsContaining(live, word)) as { path: string; json?: Record<string, unknown> }[];
  const runs = calls.filter((call) => call.path.includes("/ai/run/"));
  expect(runs).toHaveLength(1);
  return runs[0]?.json ?? {};
}

describe("the model picker", () => {
  it("offers every model, grouped by what it does, and says what the chosen one is good for", async () => {
    const { page, problems } = await openPlayground(live);
    await ready(page);
    const listed = await listedModels(live.service);
    const images = listed.filter((model) => model.type === "image");
    expect(images).toHaveLength(11);

    const picker = page.getByLabel("Model", { exact: true });
    const labels = await picker.locator("option").allTextContents();
    expect(labels).toEqual(["Server default", ...images.map((model) => model.id)]);
    expect(
      await picker
        .locator("optgroup")
        .evaluateAll((groups: HTMLOptGroupElement[]) => groups.map((group) => group.label)),
    ).toEqual(["New pictures and edits", "New pictures", "Change one picture"]);
    expect(await picker.locator("optgroup").last().locator("option").allTextContents()).toEqual([
      "sd-img2img",
      "sd-inpainting",
    ]);

    const sdxl = images.find((model) => model.id === "sdxl");
    await pickModel(page, "sdxl");
    // The value is the full id, which chat and the Images API both take.
    expect(await picker.inputValue()).toBe("@cf/stabilityai/stable-diffusion-xl-base-1.0");
    const help = page.locator("#model-help");
    expect(await help.textContent()).toContain(`${sdxl?.displayName} (stabilityai): ${sdxl?.description}`);
    await pickModel(page, "Server default");
    expect(await help.textContent()).toMatch(/^Sends no model/);
    expect(problems).toEqual([]);
  });
});

describe("the settings of the chosen model", () => {
  it.each([
    ["sdxl", ["Negative prompt", "Steps", "Guidance"]],
    ["flux-2-klein-4b", ["Guidance"]],
    ["flux-1-schnell", ["Steps"]],
    ["sd-img2img", ["Negative prompt", "Steps", "Guidance", "Strength"]],
    ["Server default", []],
  ])("%s shows exactly %j", async (short, expected) => {
    const { page } = await openPlayground(live);
    await ready(page);
    // Another model first, so the settings shown are the ones this model's choice left.
    await pickModel(page, short === "sd-img2img" ? "flux-1-schnell" : "sd-img2img");
    await pickModel(page, short);
    expect(await shownSettings(page)).toEqual(expected);
    expect(await page.getByRole("group", { name: "Model settings" }).isVisible()).toBe(expected.length > 0);
    if (short === "Server default") return;

    // The same as its capabilities say, with each range beside its field and the default as its placeholder.
    const model = (await listedModels(live.service)).find((entry) => entry.id === short && entry.type === "image");
    const capabilities = model?.capabilities;
    if (!capabilities) throw new Error(`${short} is not listed`);
    const fromCapabilities = [
      ...(capabilities.negative_prompt ? ["Negative prompt"] : []),
      ...(capabilities.steps ? ["Steps"] : []),
      ...(capabilities.guidance ? ["Guidance"] : []),
      ...(capabilities.strength ? ["Strength"] : []),
    ];
    expect(expected).toEqual(fromCapabilities);
    for (const name of ["steps", "guidance", "strength"] as const) {
      const range = capabilities[name];
      if (range === null) continue;
      const input = page.locator(`#${name}`);
      expect(
        await input.evaluate((element: HTMLInputElement) => [element.min, element.max, element.placeholder]),
      ).toEqual([String(range.min), String(range.max), String(range.default)]);
      expect(await page.locator(`#${name}-range`).textContent()).toBe(`${range.min}–${range.max}`);
    }
    // flux-1-schnell paints one size and takes no seed: those fields go too, and the page says why.
    await page.getByText("Exact size, several pictures, seed").click();
    const fixed = "fixed" in capabilities.sizes;
    expect(await page.getByLabel("Width").isVisible()).toBe(!fixed);
    expect(await page.getByLabel("Seed").isVisible()).toBe(capabilities.seed);
    if (short === "flux-1-schnell")
      await page.getByText("flux-1-schnell always paints 1024×1024 and takes no seed.").waitFor();

    if (short === "sdxl" || short === "flux-2-klein-4b") {
      await page.mouse.move(0, 0);
      await page.locator("#generate-form").screenshot({ path: screenshotPath(`settings-${short}.png`) });
    }
  });

  it("sends sdxl's negative prompt and steps to the Images API, on to the model, and says sdxl painted it", async () => {
    const { page, problems } = await openPlayground(live);
    await ready(page);
    await pickModel(page, "sdxl");
    await page.getByLabel("Negative prompt").fill("blurry, text, watermark");
    await page.getByLabel("Steps").fill("12");
    const word = marker();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await generate(page, `${word} a lighthouse at dusk`, "16:9");
    const body = (await sent).postDataJSON() as Record<string, unknown>;
    // The picked ratio as the size chat would paint it; guidance left empty is not sent.
    expect(body).toEqual({
      prompt: `${word} a lighthouse at dusk`,
      model: "@cf/stabilityai/stable-diffusion-xl-base-1.0",
      n: 1,
      size: "1024x576",
      negative_prompt: "blurry, text, watermark",
      steps: 12,
      response_format: "url",
    });
    expect(await resultImageSize(page)).toEqual({ width: 1024, height: 576 });
    expect(await modelCall(word)).toMatchObject({
      prompt: `${word} a lighthouse at dusk`,
      negative_prompt: "blurry, text, watermark",
      num_steps: 12,
      width: 1024,
      height: 576,
    });
    const figure = page.getByRole("figure");
    for (const line of ["Model: sdxl", "Negative prompt: blurry, text, watermark", "Steps: 12", "Size: 1024×576"])
      expect(await figure.getByText(line, { exact: true }).isVisible()).toBe(true);
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    const picture = listed.getByRole("listitem").filter({ hasText: word });
    expect(await picture.getByText("Model: sdxl", { exact: true }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("asks the Images API for the size chat would paint a ratio at, the prompt's own ratio taken out of its words", async () => {
    const { page } = await openPlayground(live);
    await ready(page);
    // DreamShaper is Stable Diffusion 1.5, painted at a long side of 768: 3:2 is 576×384, as chat paints it.
    await pickModel(page, "dreamshaper");
    await page.getByLabel("Steps").fill("6");
    const word = marker();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await generate(page, `${word} a fox in the snow 3:2`, "1:1");
    expect((await sent).postDataJSON()).toMatchObject({
      prompt: `${word} a fox in the snow`,
      size: "576x384",
      steps: 6,
    });
    expect(await resultImageSize(page)).toEqual({ width: 576, height: 384 });
    expect(await modelCall(word)).toMatchObject({ num_steps: 6, width: 576, height: 384 });
  });

  it("sends nothing of a setting the chosen model does not take, and chats as before without one", async () => {
    const { page } = await openPlayground(live);
    await ready(page);
    await pickModel(page, "sdxl");
    await page.getByLabel("Steps").fill("12");
    await page.getByLabel("Negative prompt").fill("fog");
    // flux-2-klein-4b takes neither: both hide, and the request goes to chat, with its live progress.
    await pickModel(page, "flux-2-klein-4b");
    const word = marker();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await generate(page, `${word} a harbour`, "3:2");
    const chat = (await sent).postDataJSON() as { model: string; messages: { content: string }[] };
    expect(chat.model).toBe("@cf/black-forest-labs/flux-2-klein-4b");
    expect(chat.messages[0]?.content).toBe(`${word} a harbour 3:2`);
    await finished(page);
    const call = (await upstreamCallsContaining(live, word)) as { path: string; form?: Record<string, unknown> }[];
    const form = call.find((entry) => entry.path.includes("/ai/run/"))?.form ?? {};
    expect(Object.keys(form)).not.toContain("steps");
    expect(Object.keys(form)).not.toContain("negative_prompt");
    // The chat reply names the model too; it is kept with the picture in the key's list.
    expect(await page.getByRole("figure").getByText("Model: flux-2-klein-4b").isVisible()).toBe(true);
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    const picture = listed.getByRole("listitem").filter({ hasText: word });
    expect(await picture.getByText("Model: flux-2-klein-4b", { exact: true }).isVisible()).toBe(true);
  });

  it("refuses a value out of the model's range in words, before sending anything", async () => {
    const { page } = await openPlayground(live);
    await ready(page);
    await pickModel(page, "sdxl");
    await page.getByLabel("Steps").fill("50");
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await generate(page, `${marker()} a harbour`);
    await page.getByRole("alert").getByText("Steps for sdxl is a whole number from 1 to 20.").waitFor();
    await page.getByLabel("Steps").fill("2.5");
    await page.getByRole("button", { name: "Generate" }).click();
    await page.getByRole("alert").getByText("Steps for sdxl is a whole number from 1 to 20.").waitFor();
    expect(requests.filter((url) => url.includes("/v1/images") || url.includes("/v1/chat"))).toEqual([]);
  });

  it("sends sd-img2img's strength with the attached picture", async () => {
    const { page } = await openPlayground(live);
    await ready(page);
    await pickModel(page, "sd-img2img");
    await attachThroughButton(page, [photo("field.jpg", 640, 480)]);
    await attachedPreviews(page, 1);
    await page.getByLabel("Strength").fill("0.3");
    const word = marker();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/edits"));
    await generate(page, `${word} the same field in autumn`, "Auto");
    expect((await sent).postDataJSON()).toMatchObject({ strength: 0.3, model: expect.stringContaining("img2img") });
    await finished(page);
    expect(await modelCall(word)).toMatchObject({ strength: 0.3, image: { width: 511, height: 383 } });
    expect(await page.getByRole("figure").getByText("Model: sd-img2img", { exact: true }).isVisible()).toBe(true);
  });
});

describe("the inpainting model's mask brush", () => {
  it("paints a mask over image 0 and sends it, transparent where painted, as the edit's mask", async () => {
    const { page, problems } = await openPlayground(live);
    await watchForms(page);
    await page.reload();
    await ready(page);
    await pickModel(page, "sd-inpainting");
    const area = page.getByRole("group", { name: "Area to repaint" });
    await area.getByText("Attach the picture to repaint").waitFor();
    await attachThroughButton(page, [photo("garden.jpg", 640, 480)]);
    await attachedPreviews(page, 1);
    const canvas = page.getByLabel("Image 0: paint over the part to repaint");
    await canvas.waitFor();
    // The canvas has the picture's own size (the 511×383 JPEG the page made of it), shown at the image's size.
    expect(await canvas.evaluate((element: HTMLCanvasElement) => [element.width, element.height])).toEqual([511, 383]);
    const [canvasBox, imageBox] = await Promise.all([canvas.boundingBox(), page.locator("#mask-image").boundingBox()]);
    for (const side of ["x", "y", "width", "height"] as const)
      expect(Math.abs((canvasBox?.[side] ?? 0) - (imageBox?.[side] ?? -9))).toBeLessThan(1);

    // Nothing painted yet: Generate says so and sends nothing.
    const word = marker();
    await generate(page, `${word} a pond in the middle`, "Auto");
    await page
      .getByRole("alert")
      .getByText(/^Paint over the part of image 0 to repaint first/)
      .waitFor();

    await page.getByLabel("Brush").fill("40");
    await paintAcrossTheMiddle(page);
    await area.getByText("The painted part of image 0 is repainted; the rest is kept.").waitFor();
    await page.mouse.move(0, 0);
    await area.screenshot({ path: screenshotPath("mask-brush.png") });

    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/edits"));
    await page.getByRole("button", { name: "Generate" }).click();
    const request = await sent;
    const form = await lastSentForm(page);
    expect(form.get("model")?.text).toBe("@cf/runwayml/stable-diffusion-v1-5-inpainting");
    expect(form.get("prompt")?.text).toBe(`${word} a pond in the middle`);
    expect(form.get("image")?.type).toBe("image/jpeg");
    expect(form.get("mask")?.type).toBe("image/png");
    // OpenAI's mask: exactly the image's size, fully transparent where painted, opaque elsewhere.
    const mask = PNG.sync.read(form.get("mask")?.bytes ?? Buffer.alloc(0));
    expect([mask.width, mask.height]).toEqual([511, 383]);
    const alpha = (x: number, y: number) => mask.data[(y * mask.width + x) * 4 + 3];
    expect(alpha(255, 191)).toBe(0);
    expect([alpha(5, 5), alpha(505, 377), alpha(255, 20), alpha(40, 191)]).toEqual([255, 255, 255, 255]);
    const alphas = new Set<number>();
    for (let offset = 3; offset < mask.data.length; offset += 4) alphas.add(mask.data[offset] ?? -1);
    expect([...alphas].sort((a, b) => a - b)).toEqual([0, 255]);

    const answer = (await (await request.response())?.json()) as { model: string };
    expect(answer.model).toBe("sd-inpainting");
    await finished(page);
    expect(await page.getByRole("figure").getByText("Model: sd-inpainting", { exact: true }).isVisible()).toBe(true);
    expect(await modelCall(word)).toMatchObject({
      image: { type: "image/jpeg", width: 511, height: 383 },
      mask: { type: "image/png", width: 511, height: 383 },
    });
    // The picture went with the edit it made: the brush waits for the next one.
    await area.getByText("Attach the picture to repaint").waitFor();
    expect(problems).toEqual([]);
  });

  it("repaints this service's own picture from Edit this image, and Clear starts the mask again", async () => {
    const { page, problems } = await openPlayground(live);
    await watchForms(page);
    await page.reload();
    await ready(page);
    await generate(page, `${marker()} a red boat on a lake`, "1:1");
    await finished(page);
    await page.getByRole("button", { name: "Edit this image", exact: true }).click();
    await attachedPreviews(page, 1);
    await pickModel(page, "sd-inpainting");
    const canvas = page.getByLabel("Image 0: paint over the part to repaint");
    await canvas.waitFor();
    expect(await canvas.evaluate((element: HTMLCanvasElement) => [element.width, element.height])).toEqual([
      1024, 1024,
    ]);
    await paintAcrossTheMiddle(page);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByText("Paint over the part of image 0 to repaint; the rest is kept.").waitFor();
    const painted = await canvas.evaluate((element: HTMLCanvasElement) => {
      const pixels = element.getContext("2d")?.getImageData(0, 0, element.width, element.height).data ?? [];
      return Array.prototype.some.call(pixels, (value: number) => value !== 0);
    });
    expect(painted).toBe(false);
    await paintAcrossTheMiddle(page);

    const word = marker();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/edits"));
    await page.getByLabel("Prompt", { exact: true }).fill(`${word} a blue boat`);
    await page.getByRole("button", { name: "Generate" }).click();
    await sent;
    const form = await lastSentForm(page);
    // The picture is read again from its link and sent as a file, its mask of the same size.
    expect(form.get("image")?.bytes?.length).toBeGreaterThan(0);
    const mask = PNG.sync.read(form.get("mask")?.bytes ?? Buffer.alloc(0));
    expect([mask.width, mask.height]).toEqual([1024, 1024]);
    await finished(page);
    expect(await modelCall(word)).toMatchObject({ mask: { type: "image/png" } });
    expect(await page.getByRole("figure").getByText("Model: sd-inpainting", { exact: true }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });
});

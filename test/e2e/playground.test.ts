/**
 * The playground at / in a real browser: a Chromium (see chromium.ts for which)
 * driven through playwright-core the way a person uses the page (type the key
 * and a prompt, pick a size, click Generate, watch the progress, get the
 * image), against `npm start` offline, under the page's own Content-Security-
 * Policy. With SAVE_SCREENSHOT=1 it also refreshes docs/playground.png for the
 * README (opt-in, so an ordinary run leaves the work tree clean), with the
 * service on port 8787 so the picture shows the address a user sees.
 */
import { mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import jpeg from "jpeg-js";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpegFile, pngFile } from "../support/image-files.ts";
import { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
import { startService, type RunningService } from "./service.ts";

const SAVE_SCREENSHOT = process.env.SAVE_SCREENSHOT === "1";
/** `npm start`'s port: the README's picture shows the base URL a user sees. */
const SCREENSHOT_PORT = 8787;
const SCREENSHOT_PATH = fileURLToPath(new URL("../../docs/playground.png", import.meta.url));
const DESKTOP = { width: 1200, height: 900 };
const PHONE = { width: 375, height: 740 };

let service: RunningService;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // A missing browser must fail the run, not skip it: CI would otherwise pass without testing the page.
  const found = await findChromium();
  [service, browser] = await Promise.all([
    startService(SAVE_SCREENSHOT ? { port: SCREENSHOT_PORT } : {}),
    chromium.launch({ executablePath: found.executablePath, args: CHROMIUM_ARGS }),
  ]);
  console.log(`playground test: Chromium ${browser.version()} from ${found.source} (${found.executablePath})`);
});

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
  await service?.stop();
});

interface OpenedPlayground {
  page: Page;
  /** Every URL the page asked for (documents, scripts, images, API calls). */
  requested: string[];
  /** Uncaught script errors and Content-Security-Policy violations. */
  problems: string[];
}

/** A fresh browser profile (empty storage) on the playground. */
async function openPlayground(viewport = DESKTOP): Promise<OpenedPlayground> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const requested: string[] = [];
  const problems: string[] = [];
  // The browser's own report of each violation, from every page load (reloads included).
  await context.exposeBinding("reportCspViolation", (_source, text: string) => problems.push(`CSP violation: ${text}`));
  await context.addInitScript(() => {
    const report = (window as unknown as { reportCspViolation: (text: string) => Promise<void> }).reportCspViolation;
    document.addEventListener("securitypolicyviolation", (event) => {
      void report(`${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`);
    });
  });
  const page = await context.newPage();
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    if (/content security policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  await page.goto(`${service.baseUrl}/`);
  return { page, requested, problems };
}

async function enterKey(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("API key").press("Tab"); // leaving the field checks the key at once
}

async function generate(page: Page, prompt: string, ratio = "1:1"): Promise<void> {
  await page.getByLabel("Prompt").fill(prompt);
  await page.getByLabel(ratio, { exact: true }).check();
  await page.getByRole("button", { name: "Generate" }).click();
}

function progressLines(page: Page): Promise<string[]> {
  return page.getByRole("list", { name: "Progress" }).getByRole("listitem").allTextContents();
}

/** Waits for the result image to load and returns its real pixel size. */
async function resultImageSize(page: Page): Promise<{ width: number; height: number }> {
  const image = page.getByRole("figure").getByRole("img");
  await image.waitFor();
  return image.evaluate(async (element: HTMLImageElement) => {
    await element.decode();
    return { width: element.naturalWidth, height: element.naturalHeight };
  });
}

/** A word unique to one test, so it finds its own calls at the stand-in. */
function marker(): string {
  return `m${randomUUID().slice(0, 8)}`;
}

async function upstreamCallsContaining(text: string): Promise<unknown[]> {
  const response = await fetch(`${service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  return (await response.json()) as unknown[];
}

/** A file as playwright hands it to the page. */
interface PageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

function photo(name: string, width: number, height: number): PageFile {
  return { name, mimeType: "image/jpeg", buffer: jpegFile(width, height, [200, 120, 40]) };
}

/** Picks files the way a visitor does: the "Attach images" button, then the browser's file chooser. */
async function attachThroughButton(page: Page, files: PageFile[]): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByRole("button", { name: "Attach images" }).click(),
  ]);
  await chooser.setFiles(files);
}

function attachedList(page: Page) {
  return page.getByRole("list", { name: "Attached images" });
}

/** Waits until `count` previews are shown and returns their captions and whether each picture loaded. */
async function attachedPreviews(page: Page, count: number): Promise<{ caption: string; loaded: boolean }[]> {
  const items = attachedList(page).getByRole("listitem");
  // The first decode in a fresh browser can take over a second.
  await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(count);
  return items.evaluateAll((elements) =>
    elements.map((item) => {
      const picture = item.querySelector("img");
      return {
        caption: item.querySelector("span")?.textContent ?? "",
        loaded: picture !== null && picture.complete && picture.naturalWidth > 0,
      };
    }),
  );
}

/** The next chat completion the page sends. */
function nextChatRequest(page: Page): Promise<Request> {
  return page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
}

/** The user message's content parts, as the page sent them. */
function sentContent(request: Request): unknown {
  const body = request.postDataJSON() as { messages: { content: unknown }[] };
  return body.messages[0]?.content;
}

/** The pixel size of a data: URL's JPEG. */
function jpegSize(dataUrl: string): { width: number; height: number } {
  const image = jpeg.decode(Buffer.from(dataUrl.replace(/^data:image\/jpeg;base64,/, ""), "base64"));
  return { width: image.width, height: image.height };
}

/** The job a chat request started (its answer's x-job-id). */
async function jobIdOf(request: Request): Promise<string> {
  return (await request.response())?.headers()["x-job-id"] ?? "";
}

/** The seed a finished job really painted with, as GET /v1/jobs/:id states it. */
async function jobSeed(jobId: string): Promise<number | undefined> {
  const response = await fetch(`${service.baseUrl}/v1/jobs/${jobId}`, {
    headers: { authorization: `Bearer ${service.apiKey}` },
  });
  const job = (await response.json()) as { result?: { images: { seed?: number }[] } };
  return job.result?.images[0]?.seed;
}

interface StandInCall {
  references?: { name: string; width: number; height: number; contentType: string }[];
}

async function apiErrorMessage(path: string, key: string): Promise<string> {
  const response = await fetch(`${service.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await response.json()) as { error: { message: string } };
  return body.error.message;
}

describe("the playground at /", () => {
  it("generates a 16:9 image from a typed key and prompt, with live progress, the image and a download link", async () => {
    const { page, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    await page.getByText("Key accepted").waitFor();
    const models = await page.getByLabel("Model").locator("option").allTextContents();
    expect(models).toEqual(["Server default", "flux-2-klein-4b", "flux-2-klein-9b", "flux-2-dev", "flux-1-schnell"]);

    const prompt = "a lighthouse on a rocky coast at dusk";
    await generate(page, prompt, "16:9");

    expect(await resultImageSize(page)).toEqual({ width: 1024, height: 576 });
    expect(await page.getByText("Done", { exact: true }).isVisible()).toBe(true);
    expect((await progressLines(page)).some((line) => line.includes("Generating 1024×576"))).toBe(true);

    const download = page.getByRole("link", { name: "Download image" });
    const imageUrl = await page.getByRole("figure").locator("img").getAttribute("src");
    expect(await download.getAttribute("href")).toBe(imageUrl);
    expect(await download.getAttribute("download")).toMatch(/^flux-a-lighthouse-on-a-rocky-coast/);
    const image = await fetch(imageUrl ?? "");
    expect(image.headers.get("content-type")).toMatch(/^image\//);

    const session = page.getByRole("list", { name: "Images generated in this session" });
    expect(await session.getByRole("listitem").allTextContents()).toEqual([expect.stringContaining(prompt)]);
    expect(problems).toEqual([]);

    mkdirSync(fileURLToPath(new URL("../../docs/", import.meta.url)), { recursive: true });
    // The picture shows the page at rest: no hover or focus ring on the button just clicked.
    await page.mouse.move(0, 0);
    await page.evaluate(() =>
      document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined,
    );
    if (SAVE_SCREENSHOT) await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
  });

  it("generates with the model picked from the list", async () => {
    const { page } = await openPlayground();
    await enterKey(page, service.apiKey);
    await page.getByText("Key accepted").waitFor();

    // flux-1-schnell always makes 1024×1024, whatever ratio is asked for, and takes no seed.
    await page.getByLabel("Model").selectOption({ label: "flux-1-schnell" });
    await generate(page, `a green kite ${marker()}`, "16:9");
    expect(await resultImageSize(page)).toEqual({ width: 1024, height: 1024 });
    expect(await page.getByRole("figure").getByText("No seed").isVisible()).toBe(true);
    const session = page.getByRole("list", { name: "Images generated in this session" });
    expect(await session.getByText("No seed").isVisible()).toBe(true);
  });

  it("sends an attached photo, shrunk to a small JPEG, as the edit's reference image and shows the seed", async () => {
    const { page, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    await attachThroughButton(page, [photo("holiday.jpg", 640, 480)]);
    expect(await attachedPreviews(page, 1)).toEqual([{ caption: "image 0", loaded: true }]);

    // Auto (no ratio sent): the edit takes its image's shape, 4:3 → the nearest preset, 3:2.
    const word = marker();
    const sent = nextChatRequest(page);
    await generate(page, `make it a watercolour ${word}`, "Auto");
    const request = await sent;
    expect(await resultImageSize(page)).toEqual({ width: 768, height: 512 });

    const content = sentContent(request) as [{ type: string; text: string }, { image_url: { url: string } }];
    expect(content).toEqual([
      { type: "text", text: `make it a watercolour ${word}` },
      { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/jpeg;base64,/) } },
    ]);
    // Shrunk in the browser to the size the model reads (each side below 512).
    expect(jpegSize(content[1].image_url.url)).toEqual({ width: 511, height: 383 });
    const calls = (await upstreamCallsContaining(word)) as StandInCall[];
    expect(calls.map((call) => call.references)).toEqual([
      [
        {
          name: "input_image_0",
          contentType: "image/jpeg",
          width: 511,
          height: 383,
          bytes: expect.any(Number),
          sha256: expect.any(String),
        },
      ],
    ]);

    // The seed the job really used, in the result's details and in the session's list.
    const seed = await jobSeed(await jobIdOf(request));
    expect(seed).toEqual(expect.any(Number));
    expect(await page.getByRole("figure").getByText(`Seed: ${seed}`).isVisible()).toBe(true);
    const session = page.getByRole("list", { name: "Images generated in this session" });
    expect(await session.getByText(`Seed: ${seed}`).isVisible()).toBe(true);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Copy the seed" }).click();
    await page.getByRole("figure").getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(String(seed));
    // The attachment went with the picture it made; the next request starts from the result.
    expect(await attachedList(page).isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it("edits the result further by its own link, from the result and from the session's list", async () => {
    const { page, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    await generate(page, `a red boat on a lake ${marker()}`, "3:2");
    await resultImageSize(page);
    const pictureUrl = (await page.getByRole("figure").locator("img").getAttribute("src")) ?? "";

    await page.getByRole("button", { name: "Edit this image", exact: true }).click();
    await attachedPreviews(page, 1);
    expect(await attachedList(page).locator("img").getAttribute("src")).toBe(pictureUrl);
    // The prompt has the cursor, its old words selected: what is typed replaces them.
    const word = marker();
    await page.keyboard.type(`make the boat blue ${word}`);
    expect(await page.getByLabel("Prompt").inputValue()).toBe(`make the boat blue ${word}`);

    const sent = nextChatRequest(page);
    await page.getByRole("button", { name: "Generate" }).click();
    // The picture goes by its link, which the Worker reads from its storage: no upload.
    expect(sentContent(await sent)).toEqual([
      { type: "text", text: `make the boat blue ${word} 3:2` },
      { type: "image_url", image_url: { url: pictureUrl } },
    ]);
    await page.getByText("Done", { exact: true }).waitFor();
    const calls = (await upstreamCallsContaining(word)) as StandInCall[];
    // The 768×512 picture, shrunk by the Worker for the model.
    expect(calls.map((call) => call.references?.map(({ name, width }) => ({ name, width })))).toEqual([
      [{ name: "input_image_0", width: 511 }],
    ]);

    // The first picture again, from the session's list (newest first: it is second).
    const session = page.getByRole("list", { name: "Images generated in this session" });
    await session.getByRole("button", { name: /^Edit/ }).nth(1).click();
    expect(await attachedPreviews(page, 1)).toEqual([{ caption: "image 0", loaded: true }]);
    expect(await attachedList(page).locator("img").getAttribute("src")).toBe(pictureUrl);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("prompt");
    expect(problems).toEqual([]);
  });

  it("refuses a fifth image, a file that is not an image and one over 20 MB, saying why", async () => {
    const { page } = await openPlayground();
    const status = page.locator("#attach-status");

    await attachThroughButton(page, [{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") }]);
    await status.getByText("notes.txt is not an image").waitFor();
    const huge = { name: "huge.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(20 * 1024 * 1024 + 1) };
    await attachThroughButton(page, [huge]);
    await status.getByText("huge.jpg is over 20 MB.").waitFor();
    expect(await attachedList(page).isVisible()).toBe(false);

    await attachThroughButton(
      page,
      [1, 2, 3, 4].map((n) => photo(`photo${n}.jpg`, 40 * n, 40)),
    );
    await attachedPreviews(page, 4);
    await attachThroughButton(page, [photo("photo5.jpg", 40, 40)]);
    await status.getByText("At most 4 images: photo5.jpg was not attached.").waitFor();
    expect(await attachedPreviews(page, 4)).toEqual(
      [0, 1, 2, 3].map((index) => ({ caption: `image ${index}`, loaded: true })),
    );

    // Removing one renumbers the rest, as the prompt would name them.
    await page.getByRole("button", { name: "Remove image 1" }).click();
    expect((await attachedPreviews(page, 3)).map(({ caption }) => caption)).toEqual(["image 0", "image 1", "image 2"]);
  });

  it("attaches an image dropped on the prompt and one pasted into it, in that order", async () => {
    const { page, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    const prompt = page.getByLabel("Prompt");
    // Playwright cannot drive the system's drag-and-drop or clipboard: the page gets the events a
    // browser sends for them, carrying real files.
    const deliver = (kind: "drop" | "paste", file: PageFile) =>
      prompt.evaluate(
        (element, { kind, name, mimeType, base64 }) => {
          const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], name, { type: mimeType }));
          const init = { bubbles: true, cancelable: true };
          if (kind === "paste") {
            element.dispatchEvent(new ClipboardEvent("paste", { ...init, clipboardData: data }));
            return;
          }
          element.dispatchEvent(new DragEvent("dragover", { ...init, dataTransfer: data }));
          element.dispatchEvent(new DragEvent("drop", { ...init, dataTransfer: data }));
        },
        { kind, name: file.name, mimeType: file.mimeType, base64: file.buffer.toString("base64") },
      );
    await deliver("drop", { name: "dropped.png", mimeType: "image/png", buffer: pngFile(200, 100, [0, 90, 200]) });
    await attachedPreviews(page, 1);
    await deliver("paste", photo("", 100, 300));
    expect(await attachedPreviews(page, 2)).toEqual([
      { caption: "image 0", loaded: true },
      { caption: "image 1", loaded: true },
    ]);
    expect(await prompt.inputValue()).toBe(""); // the pasted file is attached, not pasted as text

    const word = marker();
    await generate(page, `the boat from image 1 on the sea in image 0 ${word}`);
    await page.getByText("Done", { exact: true }).waitFor();
    const calls = (await upstreamCallsContaining(word)) as StandInCall[];
    expect(calls.map((call) => call.references?.map(({ name, width, height }) => ({ name, width, height })))).toEqual([
      [
        { name: "input_image_0", width: 200, height: 100 },
        { name: "input_image_1", width: 100, height: 300 },
      ],
    ]);
    expect(problems).toEqual([]);
  });

  it("says clearly that a wrong key was refused, with the API's own message", async () => {
    const { page } = await openPlayground();
    const refusal = await apiErrorMessage("/v1/models", "sk-not-a-real-key");

    await enterKey(page, "sk-not-a-real-key");
    await page.getByText(`This key was refused: ${refusal}`).waitFor();
    expect(await page.getByLabel("API key").getAttribute("aria-invalid")).toBe("true");

    await generate(page, "a red bicycle");
    const alert = page.getByRole("alert");
    await alert.getByText(`The API key was refused: ${refusal}`).waitFor();
    expect(await page.getByRole("figure").isVisible()).toBe(false);
  });

  it("shows why a generation failed when the prompt is refused upstream", async () => {
    const { page } = await openPlayground();
    await enterKey(page, service.apiKey);

    await generate(page, `something forbidden ${marker()} #fault=nsfw`);
    await page
      .getByRole("alert")
      .getByText(/Generation failed: .*safety filter/)
      .waitFor();
    expect(await page.getByText("Failed", { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("figure").isVisible()).toBe(false);
    expect(
      await page.getByRole("list", { name: "Images generated in this session" }).getByRole("listitem").count(),
    ).toBe(0);
  });

  it("follows a generation to its image after the page is reloaded mid-way, without starting another", async () => {
    const { page } = await openPlayground();
    await enterKey(page, service.apiKey);
    const word = marker();

    // The stand-in takes 6 s over this image, so the reload lands while the job is still running.
    const sent = nextChatRequest(page);
    await generate(page, `a slow sunrise ${word} #delay=6000`, "9:16");
    const jobId = await sent.then(jobIdOf);
    const generatingLine = page.getByRole("list", { name: "Progress" }).getByText(/Generating/);
    await generatingLine.waitFor();
    await page.reload();
    // Following the job now; a second reload resumes after the last event seen (Last-Event-ID).
    await generatingLine.waitFor();
    await page.reload();

    expect(await resultImageSize(page)).toEqual({ width: 576, height: 1024 });
    expect(await page.getByLabel("Prompt").inputValue()).toContain(word);
    expect((await progressLines(page)).filter((line) => line.includes("Generating 576×1024"))).toHaveLength(1);
    expect(await upstreamCallsContaining(word)).toHaveLength(1);
    // Read from the job's final event this time, not after a chat reply.
    const seed = await jobSeed(jobId);
    expect(seed).toEqual(expect.any(Number));
    expect(await page.getByRole("figure").getByText(`Seed: ${seed}`).isVisible()).toBe(true);
  });

  it("fits a 375 px phone screen without sideways scrolling", async () => {
    const { page } = await openPlayground(PHONE);
    await enterKey(page, service.apiKey);
    await attachThroughButton(
      page,
      [1, 2, 3, 4].map((n) => photo(`wide${n}.jpg`, 400, 100)),
    );
    await attachedPreviews(page, 4);
    await generate(page, `a very long prompt ${"withoutanyspacesatall".repeat(8)} ${marker()}`, "16:9");
    await resultImageSize(page);

    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      screen: window.innerWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    const button = await page.getByRole("button", { name: "Generate" }).boundingBox();
    expect(button && button.x >= 0 && button.x + button.width <= PHONE.width).toBe(true);
  });

  it("loads nothing from other sites and still lists the API's endpoints, its base URL and offline mode", async () => {
    const { page, requested, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    await generate(page, `a quiet harbour ${marker()}`);
    await resultImageSize(page);

    const foreign = requested.filter((url) => /^https?:/.test(url) && new URL(url).origin !== service.baseUrl);
    expect(foreign).toEqual([]);
    for (const route of [
      "POST /v1/chat/completions",
      "POST /v1/images/generations",
      "GET /v1/models",
      "GET /v1/jobs/:id/events",
      "GET /v1/service",
    ]) {
      expect(await page.getByText(route, { exact: true }).isVisible()).toBe(true);
    }
    expect(await page.getByText(`${service.baseUrl}/v1`, { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(/Offline mode/).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("runs under its strict Content-Security-Policy without one violation, and the policy is enforced", async () => {
    const { page, problems } = await openPlayground();
    await enterKey(page, service.apiKey);
    await generate(page, `a policed harbour ${marker()}`);
    await resultImageSize(page);
    await page.reload(); // the page's own code paths on a load with a saved key and a gallery
    await page.getByText("Key accepted").waitFor();
    expect(problems).toEqual([]);

    const policy = (await fetch(`${service.baseUrl}/`)).headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/^default-src 'none';/);
    expect(policy).toContain("script-src 'self';");
    expect(policy).not.toContain("unsafe-inline");
    // The control: an inline script, as an injected one would be, is refused, and the refusal reported.
    await page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "document.body.dataset.inline = 'ran';";
      document.body.append(script);
    });
    await expect
      .poll(() => problems.filter((problem) => problem.startsWith("CSP violation: script-src")))
      .toHaveLength(1);
    expect(await page.evaluate(() => document.body.dataset.inline)).toBeUndefined();
  });
});

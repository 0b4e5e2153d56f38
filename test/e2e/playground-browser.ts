/**
 * What the playground's browser tests share: `npm start` offline and a headless
 * Chromium (chromium.ts says which) per test file, a fresh browser profile per
 * test on the page, and the few steps a person takes there (key, prompt, size,
 * attaching images), plus what the stand-in and the API say happened.
 */
import { randomUUID } from "node:crypto";
import jpeg from "jpeg-js";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { jpegFile } from "../support/image-files.ts";
import { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
import { startService, type RunningService, type ServiceOptions } from "./service.ts";

export const DESKTOP = { width: 1200, height: 900 };
export const PHONE = { width: 375, height: 740 };

export interface LivePlayground {
  service: RunningService;
  browser: Browser;
  contexts: BrowserContext[];
}

/** `npm start` and a Chromium for this test file, started before its tests and stopped after. */
export function usePlayground(options: ServiceOptions = {}): LivePlayground {
  const live = { contexts: [] } as unknown as LivePlayground; // filled by beforeAll, before any test reads it
  beforeAll(async () => {
    // A missing browser must fail the run, not skip it: CI would otherwise pass without testing the page.
    const found = await findChromium();
    [live.service, live.browser] = await Promise.all([
      startService(options),
      chromium.launch({ executablePath: found.executablePath, args: CHROMIUM_ARGS }),
    ]);
    console.log(`playground test: Chromium ${live.browser.version()} from ${found.source} (${found.executablePath})`);
  });
  afterAll(async () => {
    await Promise.all(live.contexts.map((context) => context.close()));
    await live.browser?.close();
    await live.service?.stop();
  });
  return live;
}

export interface OpenedPlayground {
  page: Page;
  /** Every URL the page asked for (documents, scripts, images, API calls). */
  requested: string[];
  /** Uncaught script errors and Content-Security-Policy violations. */
  problems: string[];
}

/** A fresh browser profile (empty storage) on the playground. */
export async function openPlayground(live: LivePlayground, viewport = DESKTOP): Promise<OpenedPlayground> {
  const context = await live.browser.newContext({ viewport });
  live.contexts.push(context);
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
  await page.goto(`${live.service.baseUrl}/`);
  return { page, requested, problems };
}

export async function enterKey(page: Page, key: string): Promise<void> {
  // Emptied first, as a visitor retyping it: offline the page may have filled this very key already,
  // and typing the value a field holds changes nothing, so no check of the visitor's would follow.
  // Left empty, so the retyped key is a change at the next blur even when it is the key the field held.
  await page.getByLabel("API key").fill("");
  await page.getByLabel("API key").blur();
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("API key").press("Tab"); // leaving the field checks the key at once
}

export async function generate(page: Page, prompt: string, ratio = "1:1"): Promise<void> {
  await page.getByLabel("Prompt", { exact: true }).fill(prompt);
  await page.getByLabel(ratio, { exact: true }).check();
  await page.getByRole("button", { name: "Generate" }).click();
}

export function progressLines(page: Page): Promise<string[]> {
  return page.getByRole("list", { name: "Progress" }).getByRole("listitem").allTextContents();
}

/** Waits for the result image to load and returns its real pixel size. */
export async function resultImageSize(page: Page): Promise<{ width: number; height: number }> {
  const image = page.getByRole("figure").getByRole("img");
  await image.waitFor();
  return image.evaluate(async (element: HTMLImageElement) => {
    await element.decode();
    return { width: element.naturalWidth, height: element.naturalHeight };
  });
}

/** A word unique to one test, so it finds its own calls at the stand-in. */
export function marker(): string {
  return `m${randomUUID().slice(0, 8)}`;
}

export async function upstreamCallsContaining(live: LivePlayground, text: string): Promise<unknown[]> {
  const response = await fetch(`${live.service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  return (await response.json()) as unknown[];
}

/** A file as playwright hands it to the page. */
export interface PageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export function photo(name: string, width: number, height: number): PageFile {
  return { name, mimeType: "image/jpeg", buffer: jpegFile(width, height, [200, 120, 40]) };
}

/** Picks files the way a visitor does: the "Attach images" button, then the browser's file chooser. */
export async function attachThroughButton(page: Page, files: PageFile[]): Promise<void> {
  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByRole("button", { name: "Attach images" }).click(),
  ]);
  await chooser.setFiles(files);
}

export function attachedList(page: Page) {
  return page.getByRole("list", { name: "Attached images" });
}

/** Waits until `count` previews are shown and returns their captions and whether each picture loaded. */
export async function attachedPreviews(page: Page, count: number): Promise<{ caption: string; loaded: boolean }[]> {
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
export function nextChatRequest(page: Page): Promise<Request> {
  return page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
}

/** The user message's content parts, as the page sent them. */
export function sentContent(request: Request): unknown {
  const body = request.postDataJSON() as { messages: { content: unknown }[] };
  return body.messages[0]?.content;
}

/** The pixel size of a data: URL's JPEG. */
export function jpegSize(dataUrl: string): { width: number; height: number } {
  const image = jpeg.decode(Buffer.from(dataUrl.replace(/^data:image\/jpeg;base64,/, ""), "base64"));
  return { width: image.width, height: image.height };
}

/** The job a chat request started (its answer's x-job-id). */
export async function jobIdOf(request: Request): Promise<string> {
  return (await request.response())?.headers()["x-job-id"] ?? "";
}

/** The seed a finished job really painted with, as GET /v1/jobs/:id states it. */
export async function jobSeed(live: LivePlayground, jobId: string): Promise<number | undefined> {
  const response = await fetch(`${live.service.baseUrl}/v1/jobs/${jobId}`, {
    headers: { authorization: `Bearer ${live.service.apiKey}` },
  });
  const job = (await response.json()) as { result?: { images: { seed?: number }[] } };
  return job.result?.images[0]?.seed;
}

export interface StandInCall {
  references?: { name: string; width: number; height: number; contentType: string }[];
}

export async function apiErrorMessage(live: LivePlayground, path: string, key: string): Promise<string> {
  const response = await fetch(`${live.service.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await response.json()) as { error: { message: string } };
  return body.error.message;
}

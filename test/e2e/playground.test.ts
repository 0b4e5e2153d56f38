/**
 * The playground at / in a real browser: a Chromium (see chromium.ts for which)
 * driven through playwright-core the way a person uses the page (type the key
 * and a prompt, pick a size, click Generate, watch the progress, get the
 * image), against `npm start` offline, under the page's own Content-Security-
 * Policy. With SAVE_SCREENSHOT=1 it also refreshes docs/playground.png for the
 * README (opt-in, so an ordinary run leaves the work tree clean), with the
 * service on port 8787 so the picture shows the address a user sees.
 * Attaching and editing images: playground-edits.test.ts; the models, their
 * settings and the mask brush: playground-models.test.ts.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  apiErrorMessage,
  attachedPreviews,
  attachThroughButton,
  enterKey,
  generate,
  jobIdOf,
  jobSeed,
  marker,
  nextChatRequest,
  openPlayground,
  PHONE,
  photo,
  progressLines,
  resultImageSize,
  sentContent,
  upstreamCallsContaining,
  usePlayground,
} from "./playground-browser.ts";

const SAVE_SCREENSHOT = process.env.SAVE_SCREENSHOT === "1";
/** `npm start`'s port: the README's picture shows the base URL a user sees. */
const SCREENSHOT_PORT = 8787;
const SCREENSHOT_PATH = fileURLToPath(new URL("../../docs/playground.png", import.meta.url));

const live = usePlayground(SAVE_SCREENSHOT ? { port: SCREENSHOT_PORT } : {});

describe("the playground at /", () => {
  it("generates a 16:9 image from a typed key and prompt, with live progress, the image and a download link", async () => {
    const { page, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await page.getByText("Key accepted").waitFor();
    const models = await page.getByLabel("Model").locator("option").allTextContents();
    // Every model, by its short name (playground-models.test.ts: the groups and each model's settings).
    expect(models).toEqual([
      "Server default",
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

    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    expect(await listed.getByRole("listitem").allTextContents()).toEqual([expect.stringContaining(prompt)]);
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
    const { page } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await page.getByText("Key accepted").waitFor();

    // flux-1-schnell always makes 1024×1024, whatever ratio is asked for, and takes no seed.
    await page.getByLabel("Model").selectOption({ label: "flux-1-schnell" });
    await generate(page, `a green kite ${marker()}`, "16:9");
    expect(await resultImageSize(page)).toEqual({ width: 1024, height: 1024 });
    expect(await page.getByRole("figure").getByText("No seed").isVisible()).toBe(true);
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    expect(await listed.getByText("No seed").isVisible()).toBe(true);
  });

  it("keeps the ratio a prompt ends in: a second picture 9:16 with 1:1 picked is 576×1024, and the page says so", async () => {
    const { page } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await page.getByText("Key accepted").waitFor();
    const note = page.getByText("The prompt ends in 9:16: that ratio is used, not the size picked here.");

    const prompt = `${marker()} a second picture 9:16`;
    const sent = nextChatRequest(page);
    await generate(page, prompt, "1:1");
    expect(await note.isVisible()).toBe(true);
    expect(sentContent(await sent)).toBe(prompt);
    expect(await resultImageSize(page)).toEqual({ width: 576, height: 1024 });
    const first = await page.getByRole("figure").getByRole("img").getAttribute("src");

    // A time is no ratio: the note goes, and the picked size is sent after it.
    const poster = `${marker()} a poster for the meeting at 10:45`;
    const posterSent = nextChatRequest(page);
    await generate(page, poster, "16:9");
    expect(await note.isVisible()).toBe(false);
    expect(sentContent(await posterSent)).toBe(`${poster} 16:9`);
    const image = page.getByRole("figure").getByRole("img");
    await expect.poll(() => image.getAttribute("src"), { timeout: 10_000 }).not.toBe(first);
    expect(await resultImageSize(page)).toEqual({ width: 1024, height: 576 });
  });

  it("says clearly that a wrong key was refused, with the API's own message", async () => {
    const { page } = await openPlayground(live);
    const refusal = await apiErrorMessage(live, "/v1/models", "sk-not-a-real-key");

    await enterKey(page, "sk-not-a-real-key");
    await page.getByText(`This key was refused: ${refusal}`).waitFor();
    expect(await page.getByLabel("API key").getAttribute("aria-invalid")).toBe("true");

    await generate(page, "a red bicycle");
    const alert = page.getByRole("alert");
    await alert.getByText(`The API key was refused: ${refusal}`).waitFor();
    expect(await page.getByRole("figure").isVisible()).toBe(false);
  });

  it("shows why a generation failed when the prompt is refused upstream", async () => {
    const { page } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await page.getByText("Key accepted").waitFor();

    const word = marker();
    // The list is asked again once the job has settled: it lists the key's earlier pictures, not this one.
    const listedAfter = page.waitForResponse((response) => response.url().includes("/v1/jobs?"));
    await generate(page, `something forbidden ${word} #fault=nsfw`);
    await page
      .getByRole("alert")
      .getByText(/Generation failed: .*safety filter/)
      .waitFor();
    expect(await page.getByText("Failed", { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("figure").isVisible()).toBe(false);
    await listedAfter;
    const pictures = page.getByRole("list", { name: "Pictures made with this key" }).getByRole("listitem");
    expect(await pictures.filter({ hasText: word }).count()).toBe(0);
  });

  it("follows a generation to its image after the page is reloaded mid-way, without starting another", async () => {
    const { page } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
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
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toContain(word);
    expect((await progressLines(page)).filter((line) => line.includes("Generating 576×1024"))).toHaveLength(1);
    expect(await upstreamCallsContaining(live, word)).toHaveLength(1);
    // Read from the job's final event this time, not after a chat reply.
    const seed = await jobSeed(live, jobId);
    expect(seed).toEqual(expect.any(Number));
    expect(await page.getByRole("figure").getByText(`Seed: ${seed}`).isVisible()).toBe(true);
  });

  it("fits a 375 px phone screen without sideways scrolling", async () => {
    const { page } = await openPlayground(live, PHONE);
    await enterKey(page, live.service.apiKey);
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
    const { page, requested, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await generate(page, `a quiet harbour ${marker()}`);
    await resultImageSize(page);

    const foreign = requested.filter((url) => /^https?:/.test(url) && new URL(url).origin !== live.service.baseUrl);
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
    expect(await page.getByText(`${live.service.baseUrl}/v1`, { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(/Offline mode/).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("runs under its strict Content-Security-Policy without one violation, and the policy is enforced", async () => {
    const { page, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await generate(page, `a policed harbour ${marker()}`);
    await resultImageSize(page);
    await page.reload(); // the page's own code paths on a load with a saved key and a gallery
    await page.getByText("Key accepted").waitFor();
    expect(problems).toEqual([]);

    const policy = (await fetch(`${live.service.baseUrl}/`)).headers.get("content-security-policy") ?? "";
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

/**
 * What a person notices on the playground beyond the picture itself, in
 * Chromium at a desktop's and a phone's width: the page stays where it is,
 * progress lines wrap at spaces with model ids whole, the spinner, the result's
 * buttons on a phone, what a retry says, the offline key filled in, and the
 * Images API's exact size, several pictures and seed. With SAVE_SCREENSHOT=1
 * it saves what it saw to docs/playground-*.png, to look at.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { enterKey, generate, marker, openPlayground, progressLines, usePlayground } from "./playground-browser.ts";

const DESKTOP_1280 = { width: 1280, height: 900 };
const PHONE_390 = { width: 390, height: 844 };
const SAVE_SCREENSHOT = process.env.SAVE_SCREENSHOT === "1";
const docs = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));

const live = usePlayground();

async function ready(page: Page): Promise<void> {
  await enterKey(page, live.service.apiKey);
  await page.getByText("Key accepted").waitFor();
}

async function finished(page: Page): Promise<void> {
  await page.getByText("Done", { exact: true }).waitFor({ timeout: 20_000 });
}

describe("the page while it generates", () => {
  it("does not move on a desktop: Generate by click or by Ctrl+Enter leaves the header in view", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    const button = await page.getByRole("button", { name: "Generate" }).boundingBox();
    await page.getByLabel("Prompt", { exact: true }).fill(`${marker()} a lighthouse`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.click((button?.x ?? 0) + (button?.width ?? 0) / 2, (button?.y ?? 0) + (button?.height ?? 0) / 2);
    await finished(page);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await page.getByLabel("Prompt", { exact: true }).fill(`${marker()} a windmill`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByLabel("Prompt", { exact: true }).press("Control+Enter");
    await page.getByText("Generating", { exact: true }).waitFor();
    await finished(page);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    if (SAVE_SCREENSHOT) {
      mkdirSync(docs(""), { recursive: true });
      await page.screenshot({ path: docs("playground-1280.png"), fullPage: true });
    }
  });

  it("shows a spinner that is a ring with a moving arc, not a letter C", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await generate(page, `${marker()} a lighthouse #delay=3000`);
    const badge = page.getByText("Generating", { exact: true });
    await badge.waitFor();
    const ring = await badge.evaluate((element) => {
      const style = getComputedStyle(element, "::before");
      return [
        style.borderTopColor,
        style.borderRightColor,
        style.borderBottomColor,
        style.borderLeftColor,
        style.animationName,
      ];
    });
    // Every side is drawn (none transparent, which left a gap shaped like a C); the top one stands out.
    expect(ring.slice(0, 4).every((color) => color !== "rgba(0, 0, 0, 0)" && color !== "transparent")).toBe(true);
    expect(ring[0]).not.toBe(ring[1]);
    expect(ring[4]).toBe("spin");
  });

  it.each([
    ["a phone", PHONE_390],
    ["a narrow phone", { width: 320, height: 640 }],
    ["a desktop", DESKTOP_1280],
  ])("wraps a progress line at spaces and keeps each part of a model id whole, on %s", async (_name, viewport) => {
    const { page } = await openPlayground(live, viewport);
    await ready(page);
    await generate(page, `${marker()} a lighthouse #delay=1500`);
    const id = page.locator("#progress .id").first();
    await id.waitFor();
    expect(await id.textContent()).toBe("@cf/black-forest-labs/flux-2-klein-4b");
    // Each path segment (e.g. "flux-2-klein-4b") sits on one line: the line breaks only after a slash.
    const lineCounts = await id.evaluate((element) =>
      Array.from(element.querySelectorAll("span"), (piece) => {
        const range = document.createRange();
        range.selectNodeContents(piece);
        return new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top))).size;
      }),
    );
    expect(lineCounts.every((lines) => lines === 1)).toBe(true);
    // The line's own "…" follows the id; it is not part of it.
    expect((await progressLines(page)).some((line) => line.endsWith("flux-2-klein-4b…"))).toBe(true);
    await finished(page);
  });

  it("says what went wrong before a retry: a server error, not a busy service", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await generate(page, `${marker()} a lighthouse #fault=server*1`);
    await finished(page);
    const lines = await progressLines(page);
    expect(lines.some((line) => line.includes("Workers AI answered with a server error; retrying (1 of 2)"))).toBe(
      true,
    );
    expect(lines.join(" ")).not.toContain("busy");
  });
});

describe("the result on a phone", () => {
  it("puts Edit and Download side by side, filling the width", async () => {
    const { page } = await openPlayground(live, PHONE_390);
    await ready(page);
    await generate(page, `${marker()} a lighthouse`);
    await finished(page);
    const edit = await page.getByRole("button", { name: "Edit this image", exact: true }).boundingBox();
    const download = await page.getByRole("link", { name: "Download image" }).boundingBox();
    const figure = await page.getByRole("figure").boundingBox();
    expect(edit && download && figure).toBeTruthy();
    if (!edit || !download || !figure) return;
    expect(Math.abs(edit.y - download.y)).toBeLessThan(2);
    expect(edit.width + download.width).toBeGreaterThan(figure.width * 0.9);
    if (SAVE_SCREENSHOT) await page.screenshot({ path: docs("playground-390.png"), fullPage: true });
  });
});

describe("offline", () => {
  it("fills in the service's own key, sk-flux-local, and says so", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await page.getByText("Filled in sk-flux-local, the offline service's own key: accepted.").waitFor();
    expect(await page.getByLabel("API key").inputValue()).toBe("sk-flux-local");
  });
});

describe("exact size, several pictures and a seed", () => {
  it("asks the Images API for two 1280×720 pictures with seeds 7 and 8, and shows both", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Width").fill("1280");
    await page.getByLabel("Height").fill("720");
    await page.getByLabel("Pictures", { exact: true }).selectOption("2");
    await page.getByLabel("Seed").fill("7");
    await page.getByText("An exact size is set below (1280×720): it is used, not the size picked here.").waitFor();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await generate(page, `${marker()} a lighthouse`);
    expect((await sent).postDataJSON()).toMatchObject({ n: 2, size: "1280x720", seed: 7, response_format: "url" });
    await finished(page);
    const sizes = await page
      .getByRole("figure")
      .getByRole("img")
      .evaluateAll(async (images: HTMLImageElement[]) =>
        Promise.all(
          images.map(async (image) => (await image.decode(), `${image.naturalWidth}x${image.naturalHeight}`)),
        ),
      );
    expect(sizes).toEqual(["1280x720", "1280x720"]);
    expect((await progressLines(page)).at(-1)).toMatch(/Made 2 pictures\.$/);
    expect(await page.getByRole("figure").getByText("Seed: 7").isVisible()).toBe(true);
    // Exactly: the key's list holds its earlier pictures too, whose seeds may start with 8.
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    expect(await listed.getByText("Seed: 8", { exact: true }).isVisible()).toBe(true);
  });

  it("sends a seed alone through chat, as --seed, keeping the live progress", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Seed").fill("42");
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await generate(page, `${marker()} a lighthouse`);
    const body = (await sent).postDataJSON() as { messages: { content: string }[] };
    expect(body.messages[0]?.content).toMatch(/ --seed 42 1:1$/);
    await finished(page);
    expect(await page.getByRole("figure").getByText("Seed: 42").isVisible()).toBe(true);
  });

  it("says when the model makes another size than the one asked for", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Width").fill("1000");
    await page.getByLabel("Height").fill("3000");
    await generate(page, `${marker()} a tower`);
    await finished(page);
    expect((await progressLines(page)).at(-1)).toMatch(
      /Made 1 picture of 640×1920, the nearest this model makes to 1000×3000\.$/,
    );
  });

  it("refuses half a size in words, before sending anything", async () => {
    const { page } = await openPlayground(live, DESKTOP_1280);
    await ready(page);
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Width").fill("1280");
    await generate(page, `${marker()} a lighthouse`);
    await page.getByText("Give both a width and a height for an exact size, or neither.").waitFor();
  });
});

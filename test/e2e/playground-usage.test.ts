/**
 * What pictures cost, in the playground in a real browser: each picture's cost
 * under it (in the result and in the key's list), the key's day under the key
 * (GET /v1/usage) and again after a generation, the list of pictures from
 * GET /v1/jobs (so a reload and another browser show it, older pages by
 * "More"), and the estimate before generating, for the chosen model and size.
 * The service runs with named keys, one per test, so each test's figures are
 * its own; some have a daily budget. Screenshots at a desktop's and a phone's
 * width go to the temp folder (SCREENSHOT_DIR to choose another), to look at.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  attachedPreviews,
  attachThroughButton,
  enterKey,
  generate,
  marker,
  openPlayground,
  PHONE,
  photo,
  usePlayground,
} from "./playground-browser.ts";

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? join(tmpdir(), "playground-usage");

const KEYS = {
  costs: "sk-costs-e2e",
  usage: "sk-usage-e2e",
  tight: "sk-tight-e2e",
  spent: "sk-spent-e2e",
  history: "sk-history-e2e",
  pages: "sk-pages-e2e",
  estimate: "sk-estimate-e2e",
  shots: "sk-shots-e2e", // -desktop, -phone, -dark: one for each screenshot
};
// usage may spend 1,000 neurons a day, tight 150 (one flux-2-klein-4b picture, 104.2), spent exactly
// one picture; sk-flux-local stays accepted, as the page fills it in offline.
const live = usePlayground({
  vars: {
    API_KEY: [
      `costs:${KEYS.costs}`,
      `usage:${KEYS.usage}:1000`,
      `tight:${KEYS.tight}:150`,
      `spent:${KEYS.spent}:104.2`,
      `history:${KEYS.history}`,
      `pages:${KEYS.pages}`,
      `estimate:${KEYS.estimate}`,
      ...["desktop", "phone", "dark"].map((name) => `shots-${name}:${KEYS.shots}-${name}:2000`),
      "sk-flux-local",
    ].join(","),
  },
});

async function ready(page: Page, key: string): Promise<void> {
  await enterKey(page, key);
  await page.getByText("Key accepted").waitFor();
}

async function pickModel(page: Page, short: string): Promise<void> {
  await page.getByLabel("Model", { exact: true }).selectOption({ label: short });
}

async function finished(page: Page): Promise<void> {
  await page.getByText("Done", { exact: true }).waitFor({ timeout: 20_000 });
}

function pictures(page: Page) {
  return page.getByRole("list", { name: "Pictures made with this key" }).getByRole("listitem");
}

function usageLine(page: Page) {
  return page.locator("#usage");
}

function estimateLine(page: Page) {
  return page.locator("#estimate");
}

/** An element's text with its spaces as a reader sees them: the page keeps "≈ $0.0011" on one line with no-break spaces. */
async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ");
}

async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allTextContents()).map((content) => content.replace(/\s+/g, " "));
}

function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, name);
}

/** The page at rest for a picture: no hover or focus ring on what was just clicked. */
async function atRest(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.evaluate(() =>
    document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined,
  );
}

/** Every picture of the list loaded, those below the fold too (they load lazily), for a screenshot. */
async function loaded(page: Page): Promise<void> {
  await page
    .locator("#gallery img")
    .evaluateAll((images: HTMLImageElement[]) =>
      Promise.all(images.map((image) => ((image.loading = "eager"), image.decode().catch(() => undefined)))),
    );
}

async function api<T>(path: string, key: string, body?: unknown): Promise<T> {
  const response = await fetch(`${live.service.baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

interface JobList {
  data: { id: string; prompt: string; images: string[] }[];
  has_more: boolean;
}

/** The key's jobs once every one asked for is listed (each is listed a moment after its answer). */
async function listedJobs(key: string, count: number): Promise<JobList> {
  let list: JobList = { data: [], has_more: false };
  await expect
    .poll(async () => (list = await api<JobList>("/v1/jobs?limit=100", key)).data.length, { timeout: 10_000 })
    .toBe(count);
  return list;
}

describe("what each picture cost", () => {
  it("says it under the picture and in the list: Workers AI's figure, an estimate, several pictures, no price", async () => {
    const { page, problems } = await openPlayground(live);
    await ready(page, KEYS.costs);
    const figure = page.getByRole("figure");

    // Chat, flux-2-klein-4b at 1024×1024: four tiles, 104.2 neurons as Workers AI reports them.
    const word = marker();
    await pickModel(page, "flux-2-klein-4b");
    await generate(page, `${word} a lighthouse`, "1:1");
    await finished(page);
    await figure.getByText("Cost: 104.2 neurons (≈ $0.0011)", { exact: true }).waitFor();
    // The chat reply's own 💰 line is not repeated among the details.
    expect(await figure.getByText(/1% of a day's free/).count()).toBe(0);
    const first = pictures(page).filter({ hasText: word });
    await first.getByText("Cost: 104.2 neurons (≈ $0.0011)", { exact: true }).waitFor();

    // The Images API, two pictures of 1280×720: six tiles each; each picture's own cost, and the whole.
    const pair = marker();
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Width").fill("1280");
    await page.getByLabel("Height").fill("720");
    await page.getByLabel("Pictures", { exact: true }).selectOption("2");
    const answered = page.waitForResponse((response) => response.url().endsWith("/v1/images/generations"));
    await generate(page, `${pair} two kites`);
    const answer = (await (await answered).json()) as { cost: unknown; data: { cost: unknown }[] };
    expect(answer.cost).toEqual({ neurons: 312.6, usd: 0.003439, estimated: false });
    expect(answer.data.map((picture) => picture.cost)).toEqual([
      { neurons: 156.3, usd: 0.001719, estimated: false },
      { neurons: 156.3, usd: 0.001719, estimated: false },
    ]);
    await finished(page);
    expect(await figure.getByText("Cost: 156.3 neurons (≈ $0.0017)", { exact: true }).isVisible()).toBe(true);
    expect(await figure.getByText("All 2 pictures: 312.6 neurons (≈ $0.0034)", { exact: true }).isVisible()).toBe(true);
    const other = page.getByRole("list", { name: "The other pictures" }).getByRole("listitem");
    expect(await texts(other)).toEqual(["156.3 neurons (≈ $0.0017)"]);
    const both = pictures(page).filter({ hasText: pair });
    await expect.poll(() => both.count()).toBe(2);
    expect(await texts(both.locator(".cost"))).toEqual([
      "Cost: 156.3 neurons (≈ $0.0017)",
      "Cost: 156.3 neurons (≈ $0.0017)",
    ]);
    await page.getByLabel("Width").fill("");
    await page.getByLabel("Height").fill("");
    await page.getByLabel("Pictures", { exact: true }).selectOption("1");

    // No cf-ai-neurons from Workers AI: the model's price formula, said to be an estimate.
    const guessed = marker();
    await generate(page, `${guessed} a harbour #neurons=none`, "1:1");
    await finished(page);
    await figure.getByText("Cost: 104.2 neurons (≈ $0.0011), estimated", { exact: true }).waitFor();

    // sdxl has no published price, and the stand-in reports none for it, as Workers AI does.
    const unpriced = marker();
    await pickModel(page, "sdxl");
    await generate(page, `${unpriced} a field`, "1:1");
    await finished(page);
    await figure.getByText("Cost: no published price", { exact: true }).waitFor();
    await pictures(page).filter({ hasText: unpriced }).getByText("Cost: no published price").waitFor();

    // Once the service lists the jobs, the list's entries say the same.
    await listedJobs(KEYS.costs, 4);
    await page.reload();
    await ready(page, KEYS.costs);
    await pictures(page).filter({ hasText: guessed }).getByText("Cost: 104.2 neurons (≈ $0.0011), estimated").waitFor();
    await expect
      .poll(() => texts(pictures(page).filter({ hasText: pair }).locator(".cost")))
      .toEqual(["Cost: 156.3 neurons (≈ $0.0017)", "Cost: 156.3 neurons (≈ $0.0017)"]);
    expect(problems).toEqual([]);
  });
});

describe("the key's day", () => {
  it("says under the key what it spent today and what its budget leaves, and again after a generation", async () => {
    const { page, problems } = await openPlayground(live);
    await ready(page, KEYS.usage);
    const line = usageLine(page);
    await line.getByText("Today: 0 neurons, 0 pictures · budget left: 1,000 of 1,000", { exact: true }).waitFor();

    await pickModel(page, "flux-2-klein-4b");
    await generate(page, `${marker()} a lighthouse`, "16:9");
    await finished(page);
    // The job settles what it spent a moment after the answer: the line follows, without a reload.
    await expect
      .poll(() => text(line), { timeout: 5_000 })
      .toBe("Today: 104.2 neurons, 1 picture · budget left: 895.8 of 1,000");
    // The dollars, and when the day starts again, on hover.
    expect(await line.getAttribute("title")).toMatch(
      /^This key today: ≈\s\$0\.0011\. The day starts again at 00:00 UTC/,
    );
    const usage = await api<{ today: { neurons: number; reserved: number }; budget: { key: { remaining: number } } }>(
      "/v1/usage",
      KEYS.usage,
    );
    expect(usage).toMatchObject({ today: { neurons: 104.2, reserved: 0 }, budget: { key: { remaining: 895.8 } } });

    await generate(page, `${marker()} a windmill`, "1:1");
    await finished(page);
    await expect
      .poll(() => text(line), { timeout: 5_000 })
      .toBe("Today: 208.4 neurons, 2 pictures · budget left: 791.6 of 1,000");
    expect(problems).toEqual([]);
  });

  it("says so when the budget stops a picture, with the API's figures, and the line shows what is left", async () => {
    const { page } = await openPlayground(live);
    await ready(page, KEYS.tight);
    await pickModel(page, "flux-2-klein-4b");
    await generate(page, `${marker()} a lighthouse`, "1:1");
    await finished(page);
    await expect
      .poll(() => text(usageLine(page)), { timeout: 5_000 })
      .toBe("Today: 104.2 neurons, 1 picture · budget left: 45.8 of 150");

    const refused = page.waitForResponse((response) => response.url().endsWith("/v1/chat/completions"));
    await generate(page, `${marker()} one more`, "1:1");
    const answer = await refused;
    expect(answer.status()).toBe(429);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("daily_budget_exceeded");
    await page.getByRole("alert").getByText(`Not generated: ${error.message}`, { exact: true }).waitFor();
    await atRest(page);
    await page.screenshot({ path: screenshotPath("refused.png"), fullPage: true });
    expect(error.message).toContain("key 'tight': 104.2 of 150 neurons");
    expect(await text(usageLine(page))).toBe("Today: 104.2 neurons, 1 picture · budget left: 45.8 of 150");
  });

  it("marks the line when the budget is used up, and says when the day starts again", async () => {
    const { page } = await openPlayground(live);
    await ready(page, KEYS.spent);
    await pickModel(page, "flux-2-klein-4b");
    expect(await usageLine(page).getAttribute("class")).toBe("hint usage");
    await generate(page, `${marker()} a lighthouse`, "1:1");
    await finished(page);
    // 00:00 UTC in the browser's own clock.
    await expect
      .poll(() => text(usageLine(page)), { timeout: 5_000 })
      .toMatch(/^Today: 104\.2 neurons, 1 picture · budget left: 0 of 104\.2 · resets at \d\d:\d\d( [AP]M)?$/);
    expect(await usageLine(page).getAttribute("class")).toBe("hint usage spent");
  });
});

describe("the key's pictures, from GET /v1/jobs", () => {
  it("are still listed after a reload, and in another browser with the same key", async () => {
    const { page, requested, problems } = await openPlayground(live);
    await ready(page, KEYS.history);
    const word = marker();
    await pickModel(page, "flux-2-klein-4b");
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await generate(page, `${word} a red boat`, "3:2");
    const jobId = (await (await sent).response())?.headers()["x-job-id"] ?? "";
    await finished(page);
    const url = (await page.getByRole("figure").locator("img").first().getAttribute("src")) ?? "";
    const [job] = (await listedJobs(KEYS.history, 1)).data;
    expect(job).toMatchObject({ id: jobId, images: [url] });
    const seed = (await api<{ result: { images: { seed: number }[] } }>(`/v1/jobs/${jobId}`, KEYS.history)).result
      .images[0]?.seed;

    // A reload: this tab remembers nothing of the picture's entry; the service lists it.
    const before = requested.length;
    await page.reload();
    await ready(page, KEYS.history);
    const again = pictures(page).filter({ hasText: word });
    await again.waitFor();
    expect(requested.slice(before).some((address) => new URL(address).pathname === "/v1/jobs")).toBe(true);
    expect(await again.locator("img").getAttribute("src")).toBe(url);
    expect(await again.textContent()).toContain(`${word} a red boat · 768×512`);
    expect(await again.getByText("Model: flux-2-klein-4b").isVisible()).toBe(true);
    expect(await again.getByText(`Seed: ${seed}`).isVisible()).toBe(true);
    expect(await again.getByText("Cost: 52.1 neurons (≈ $0.00057)").isVisible()).toBe(true);

    // Another browser (a fresh profile: nothing stored), the same key: the same picture, its seed
    // read from its job's record.
    const elsewhere = await openPlayground(live, PHONE);
    await ready(elsewhere.page, KEYS.history);
    const there = pictures(elsewhere.page).filter({ hasText: word });
    await there.getByText(`Seed: ${seed}`).waitFor();
    expect(await there.locator("img").getAttribute("src")).toBe(url);
    expect(await there.getByText("Cost: 52.1 neurons (≈ $0.00057)").isVisible()).toBe(true);
    expect(elsewhere.requested.some((address) => new URL(address).pathname === `/v1/jobs/${jobId}`)).toBe(true);
    // Edit works from the list as from the result: the picture is attached by its link.
    await there.getByRole("button", { name: /^Edit/ }).click();
    expect(await elsewhere.page.getByRole("list", { name: "Attached images" }).locator("img").getAttribute("src")).toBe(
      url,
    );
    expect([...problems, ...elsewhere.problems]).toEqual([]);
  });

  it("come twenty jobs at a time, newest first, and More shows the older ones", async () => {
    const word = marker();
    for (let index = 0; index < 21; index++)
      await api("/v1/images/generations", KEYS.pages, {
        prompt: `${word} kite ${index}`,
        model: "flux-2-klein-4b",
        size: "512x512",
        response_format: "url",
      });
    await listedJobs(KEYS.pages, 21);

    const { page } = await openPlayground(live);
    const listing = page.waitForResponse((response) => response.url().includes("/v1/jobs?"));
    await ready(page, KEYS.pages);
    expect(new URL((await listing).url()).searchParams.get("limit")).toBe("20");
    await expect.poll(() => pictures(page).count()).toBe(20);
    expect(await pictures(page).first().textContent()).toContain(`${word} kite 20 · 512×512`);
    const more = page.getByRole("button", { name: "More", exact: true });
    expect(await more.isVisible()).toBe(true);
    await atRest(page);
    await loaded(page);
    await page.screenshot({ path: screenshotPath("more.png"), fullPage: true });

    const next = page.waitForRequest((request) => request.url().includes("/v1/jobs?"));
    await more.click();
    expect(new URL((await next).url()).searchParams.get("after")).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => pictures(page).count()).toBe(21);
    expect(await pictures(page).last().textContent()).toContain(`${word} kite 0 · 512×512`);
    expect(await pictures(page).last().getByText("Cost: 26.05 neurons (≈ $0.00029)").isVisible()).toBe(true);
    expect(await more.isVisible()).toBe(false);
  });
});

describe("the estimate before generating", () => {
  it("follows the chosen model, size and number of pictures, and comes true", async () => {
    const { page, problems } = await openPlayground(live);
    await ready(page, KEYS.estimate);
    const line = estimateLine(page);
    expect(await text(line)).toBe("Estimate: pick a model to see what its pictures cost.");

    await pickModel(page, "flux-1-schnell");
    expect(await text(line)).toBe("Estimate: ≈ 172.8 neurons (≈ $0.0019) for 1 picture of 1024×1024");
    // Its price counts steps; the one listed is at its default.
    await page.getByLabel("Steps").fill("8");
    expect(await text(line)).toBe(
      "Estimate: ≈ 172.8 neurons (≈ $0.0019) for 1 picture of 1024×1024, at the default 4 steps",
    );
    await page.getByLabel("Steps").fill("");
    await pickModel(page, "lucid-origin");
    expect(await text(line)).toBe("Estimate: ≈ 2,844 neurons (≈ $0.031) for 1 picture of 1024×1024");
    // 16:9 is 1024×576: the same four tiles as the square. 1:2 is 512×1024, two.
    await page.getByLabel("16:9", { exact: true }).check();
    expect(await text(line)).toBe("Estimate: ≈ 2,844 neurons (≈ $0.031) for 1 picture of 1024×576");
    await page.getByLabel("1:2", { exact: true }).check();
    expect(await text(line)).toBe("Estimate: ≈ 1,422 neurons (≈ $0.016) for 1 picture of 512×1024");
    // The prompt's own ratio is the one sent, so the one estimated.
    await page.getByLabel("Prompt", { exact: true }).fill("a tall tower 9:16");
    expect(await text(line)).toBe("Estimate: ≈ 2,844 neurons (≈ $0.031) for 1 picture of 576×1024");
    await pickModel(page, "sdxl");
    expect(await text(line)).toBe("Estimate: no published price for sdxl; its cost is known once it is made.");

    // An edit in Auto takes image 0's shape, which the page counts as the square; FLUX.2 charges
    // for the images it reads too.
    await pickModel(page, "flux-2-klein-4b");
    await page.getByLabel("Prompt", { exact: true }).fill("make it blue");
    await page.getByLabel("Auto", { exact: true }).check();
    await attachThroughButton(page, [photo("field.jpg", 640, 480)]);
    await attachedPreviews(page, 1);
    expect(await text(line)).toBe(
      "Estimate: ≈ 104.2 neurons (≈ $0.0011) for 1 picture in image 0's shape (counted as 1024×1024), plus the attached images",
    );
    await page.getByRole("button", { name: "Remove image 0" }).click();

    // An exact size and two pictures with flux-2-klein-4b: what the estimate says is what it costs.
    await pickModel(page, "flux-2-klein-4b");
    await page.getByText("Exact size, several pictures, seed").click();
    await page.getByLabel("Width").fill("1280");
    await page.getByLabel("Height").fill("720");
    await page.getByLabel("Pictures", { exact: true }).selectOption("2");
    expect(await text(line)).toBe("Estimate: ≈ 312.6 neurons (≈ $0.0034) for 2 pictures of 1280×720");
    await generate(page, `${marker()} two kites`);
    await finished(page);
    expect(
      await page
        .getByRole("figure")
        .getByText("All 2 pictures: 312.6 neurons (≈ $0.0034)", { exact: true })
        .isVisible(),
    ).toBe(true);
    expect(problems).toEqual([]);
  });
});

describe("how it looks", () => {
  it.each([
    ["desktop", { width: 1280, height: 900 }, "light", "desktop"],
    ["phone", PHONE, "light", "phone"],
    ["phone in the dark", PHONE, "dark", "dark"],
  ] as const)(
    "on a %s: costs, the key's day and the estimate fit, without sideways scrolling",
    async (name, viewport, scheme, key) => {
      const { page, problems } = await openPlayground(live, viewport);
      await page.emulateMedia({ colorScheme: scheme });
      await ready(page, `${KEYS.shots}-${key}`);
      await pickModel(page, "flux-2-klein-4b");
      await page.getByText("Exact size, several pictures, seed").click();
      await page.getByLabel("Pictures", { exact: true }).selectOption("3");
      await generate(page, `${marker()} a lighthouse on a rocky coast at dusk`, "16:9");
      await finished(page);
      await expect.poll(() => text(usageLine(page)), { timeout: 5_000 }).toContain("3 pictures");
      await page.getByLabel("Pictures", { exact: true }).selectOption("1");
      await atRest(page);
      await loaded(page);
      const file = name.replaceAll(" ", "-");
      await page.screenshot({ path: screenshotPath(`page-${file}.png`), fullPage: true });
      await page.locator("#generate-form").screenshot({ path: screenshotPath(`form-${file}.png`) });
      await page.getByRole("figure").screenshot({ path: screenshotPath(`result-${file}.png`) });
      await page.locator("#gallery").screenshot({ path: screenshotPath(`pictures-${file}.png`) });

      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: innerWidth }));
      expect(widths.page).toBeLessThanOrEqual(widths.screen);
      for (const element of [usageLine(page), estimateLine(page)]) {
        const box = await element.boundingBox();
        expect(box && box.x >= 0 && box.x + box.width <= viewport.width).toBe(true);
      }
      expect(problems).toEqual([]);
    },
  );
});

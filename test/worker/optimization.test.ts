/**
 * Prompt optimisation (PROMPT_OPTIMIZATION=true): an OpenAI-compatible chat model rewrites the
 * prompt before Flux draws it; when it fails, the original prompt is used and the user is told.
 * The stand-in optimiser answers `A highly detailed illustration of <prompt>, soft natural light, sharp focus`.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SYSTEM_MESSAGE, readSettings } from "../../src/lib/settings.ts";
import { optimizePrompt } from "../../src/lib/upstream/optimizer.ts";
import { FakeAi } from "./fake-ai.ts";
import {
  call,
  collectSse,
  imageUrlIn,
  marker,
  postChat,
  standInUrl,
  upstreamRequests,
  type RecordedUpstreamRequest,
} from "./helpers.ts";

/** EXTERNAL_MODEL in vitest.config.ts. */
const OPTIMIZER_MODEL = "stand-in-optimizer";
const OPTIMIZATION_ON = { PROMPT_OPTIMIZATION: "true" };

const standInRewrite = (prompt: string) =>
  `A highly detailed illustration of ${prompt}, soft natural light, sharp focus`;

interface Calls {
  optimizer: RecordedUpstreamRequest[];
  image: RecordedUpstreamRequest[];
}

async function callsFor(m: string): Promise<Calls> {
  const requests = await upstreamRequests(m);
  return {
    optimizer: requests.filter((request) => request.path.endsWith("/chat/completions")),
    image: requests.filter((request) => request.path.includes("/ai/run/")),
  };
}

async function completion(prompt: string, settings: Record<string, string>) {
  const response = await postChat(prompt, {}, settings);
  expect(response.status).toBe(200);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  return body.choices[0]?.message.content ?? "";
}

/** The progress lines (reasoning_content) and the content of a streamed completion. */
async function streamed(prompt: string, settings: Record<string, string>) {
  const response = await postChat(prompt, { stream: true }, settings);
  expect(response.status).toBe(200);
  let progress = "";
  let content = "";
  for (const frame of await collectSse(response)) {
    const data = frame.data as { choices?: { delta?: { content?: string; reasoning_content?: string } }[] } | undefined;
    progress += data?.choices?.[0]?.delta?.reasoning_content ?? "";
    content += data?.choices?.[0]?.delta?.content ?? "";
  }
  return { progress, content };
}

async function expectImageServed(content: string): Promise<void> {
  const url = imageUrlIn(content);
  expect(url).toBeDefined();
  expect((await call(new URL(url ?? "").pathname)).status).toBe(200);
}

describe("optimisation on", () => {
  it("has Flux draw the optimiser's rewrite, and the reply names the prompt model", async () => {
    const m = marker();
    const content = await completion(`${m} a cute cat 16:9`, OPTIMIZATION_ON);
    const calls = await callsFor(m);
    expect(calls.optimizer).toHaveLength(1);
    expect(calls.image.map((request) => request.prompt)).toEqual([standInRewrite(`${m} a cute cat`)]);
    expect(content).toContain(`🎨 Original prompt: ${m} a cute cat`);
    expect(content).toContain(`💬 Prompt model: ${OPTIMIZER_MODEL}`);
    expect(content).toContain(
      `🌐 Prompt used: A highly detailed illustration of ${m} a cute cat, soft natural light, sharp focus`,
    );
    expect(content).toContain("📐 Size: 1024×576");
  });

  it("asks EXTERNAL_MODEL at EXTERNAL_API_BASE with EXTERNAL_API_KEY and the built-in system message", async () => {
    const m = marker();
    await completion(`${m} a cute cat`, OPTIMIZATION_ON);
    const [request] = (await callsFor(m)).optimizer;
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.authorization).toBe("Bearer test-external-key");
    expect(request?.json).toMatchObject({
      model: OPTIMIZER_MODEL,
      messages: [
        { role: "system", content: DEFAULT_SYSTEM_MESSAGE },
        { role: "user", content: `${m} a cute cat` },
      ],
    });
  });

  it("uses SYSTEM_MESSAGE instead of the built-in one when set", async () => {
    const m = marker();
    await completion(`${m} a cute cat`, { ...OPTIMIZATION_ON, SYSTEM_MESSAGE: "Answer with a haiku." });
    const [request] = (await callsFor(m)).optimizer;
    expect(request?.json).toMatchObject({
      messages: [{ role: "system", content: "Answer with a haiku." }, { role: "user" }],
    });
  });

  it("accepts EXTERNAL_API_BASE without its /v1", async () => {
    const m = marker();
    await completion(`${m} a cute cat`, { ...OPTIMIZATION_ON, EXTERNAL_API_BASE: standInUrl() });
    expect((await callsFor(m)).optimizer.map((request) => request.path)).toEqual(["/v1/chat/completions"]);
  });

  it("shows a sign saying: hello in the optimised prompt as it was written, with no backslash", async () => {
    const m = marker();
    const { progress, content } = await streamed(`${m} a sign saying: hello-world. 3.5 m tall`, OPTIMIZATION_ON);
    const rewrite = standInRewrite(`${m} a sign saying: hello-world. 3.5 m tall`);
    expect(progress).toContain(`Optimised prompt: ${rewrite}\n`);
    expect(content).toContain(`🎨 Original prompt: ${m} a sign saying: hello-world. 3.5 m tall\n`);
    expect(content).toContain(`🌐 Prompt used: ${rewrite}\n`);
    expect(content).not.toContain("\\");
  });

  it("shows the optimising step and the optimised prompt as progress", async () => {
    const m = marker();
    const { progress, content } = await streamed(`${m} a cute cat`, OPTIMIZATION_ON);
    expect(progress).toContain(`Optimising the prompt with ${OPTIMIZER_MODEL}…`);
    expect(progress).toContain(
      `Optimised prompt: A highly detailed illustration of ${m} a cute cat, soft natural light, sharp focus`,
    );
    expect(progress.indexOf("Optimised prompt")).toBeLessThan(progress.indexOf("Generating"));
    expect(content).toContain(`💬 Prompt model: ${OPTIMIZER_MODEL}`);
  });
});

describe("optimisation off", () => {
  it("draws the original prompt and never calls the optimiser", async () => {
    const m = marker();
    const content = await completion(`${m} a cute cat`, { PROMPT_OPTIMIZATION: "false" });
    const calls = await callsFor(m);
    expect(calls.optimizer).toEqual([]);
    expect(calls.image.map((request) => request.prompt)).toEqual([`${m} a cute cat`]);
    expect(content).toContain("💬 Prompt model: original prompt");
    expect(content).toContain(`🌐 Prompt used: ${m} a cute cat`);
  });

  it("suggests turning it on for a mostly non-Latin prompt", async () => {
    const content = await completion(`${marker()} 一只可爱的猫咪在窗台上晒太阳`, { PROMPT_OPTIMIZATION: "false" });
    expect(content).toContain("PROMPT_OPTIMIZATION");
  });
});

describe("optimisation failing", () => {
  it.each([
    ["answers with a server error", "#optfault=server", {}, "HTTP 500"],
    [
      "does not answer within OPTIMIZER_TIMEOUT",
      "#optfault=hang",
      { OPTIMIZER_TIMEOUT: "0.5" },
      "no answer within 0.5 s",
    ],
  ])(
    "when the optimiser %s, the original prompt is drawn and the reply says so",
    async (_, directive, extra, reason) => {
      const m = marker();
      const prompt = `${m} a cute cat ${directive}`;
      const content = await completion(prompt, { ...OPTIMIZATION_ON, ...extra });
      const calls = await callsFor(m);
      expect(calls.optimizer).toHaveLength(1);
      expect(calls.image.map((request) => request.prompt)).toEqual([prompt]);
      expect(content).toContain("💬 Prompt model: original prompt");
      expect(content).toContain(`Prompt optimisation failed (${reason}); using the original prompt.`);
      await expectImageServed(content);
    },
  );

  it("says so in the progress too, and still makes the image", async () => {
    const m = marker();
    const { progress, content } = await streamed(`${m} a cute cat #optfault=hang`, {
      ...OPTIMIZATION_ON,
      OPTIMIZER_TIMEOUT: "0.5",
    });
    expect(progress).toContain("Prompt optimisation failed (no answer within 0.5 s); using the original prompt.");
    expect(progress).not.toContain("Optimised prompt:");
    expect(content).toContain("🌟 Image generated successfully!");
    await expectImageServed(content);
  });
});

describe("the optimiser's answer", () => {
  const settings = readSettings({ PROMPT_OPTIMIZATION: "true" });
  const rewriteOf = async (answer: string) => {
    const ai = FakeAi.scripted([{ answer: { response: answer } }]);
    return optimizePrompt("a fox", settings.optimizer, settings.upstream, ai);
  };

  it("is cut to Flux's 2048 characters before an emoji, never through it", async () => {
    const outcome = await rewriteOf(`${"a".repeat(2047)}🦊 in the snow`);
    expect(outcome).toMatchObject({ ok: true, prompt: "a".repeat(2047) });
    expect(outcome.ok && outcome.prompt.isWellFormed()).toBe(true);
  });

  it("is cleaned like the user's own words: no bidi override, no half emoji, no line breaks", async () => {
    const outcome = await rewriteOf('"A \u202eXOF\u202c red fox,\nin snow \ud83e"');
    expect(outcome).toMatchObject({ ok: true, prompt: "A XOF red fox, in snow" });
  });
});

/**
 * REPLY_LANGUAGE: every language's table is complete and keeps the English
 * placeholders, and a chat user reads the reply, the progress lines and the
 * errors in that language while the API's JSON error messages stay English.
 * Also: the hint to turn on optimisation, and optimisation through Workers
 * AI's own chat endpoint when no second provider is configured.
 */
import { describe, expect, it } from "vitest";
import { LANGUAGES, STRINGS, type Language, type MessageKey } from "../../src/lib/i18n/strings.ts";
import { errorText, translate } from "../../src/lib/i18n/translate.ts";
import { escapeMarkdown } from "../../src/lib/openai/markdown-reply.ts";
import { DEFAULT_WORKERS_AI_CHAT_MODEL } from "../../src/lib/settings.ts";
import { collectSse, imageUrlIn, marker, ORIGIN, postChat, upstreamRequests, type SseFrame } from "./helpers.ts";

const ENGLISH = STRINGS.en;
const KEYS = Object.keys(ENGLISH) as MessageKey[];
const OTHER_LANGUAGES = LANGUAGES.filter((language) => language !== "en");
/** The test bindings' optimiser (EXTERNAL_MODEL) and the default image model and size. */
const STAND_IN_OPTIMIZER = "stand-in-optimizer";
const IMAGE_MODEL = "@cf/black-forest-labs/flux-2-klein-4b";
const DEFAULT_SIZE = { width: 1024, height: 1024 };

function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? "").sort();
}

interface ChatChunk {
  choices?: { delta?: { content?: string; reasoning_content?: string }; finish_reason?: string | null }[];
  error?: { message: string; type: string; code: string | null };
}

function chunks(frames: SseFrame[]): ChatChunk[] {
  return frames.flatMap((frame) =>
    typeof frame.data === "object" && frame.data !== null ? [frame.data as ChatChunk] : [],
  );
}

/** All of one delta field, concatenated across the stream. */
function streamed(frames: SseFrame[], field: "content" | "reasoning_content"): string {
  return chunks(frames)
    .map((chunk) => chunk.choices?.[0]?.delta?.[field] ?? "")
    .join("");
}

async function replyContent(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  return body.choices[0]?.message.content ?? "";
}

/** What the stand-in recorded for the calls carrying `tag` (it records more than the shared helper's type names). */
interface SeenRequest {
  path: string;
  authorization?: string;
  json?: Record<string, unknown>;
  /** The image prompt, or the last user message of a chat call. */
  prompt?: string;
}

async function seen(tag: string): Promise<SeenRequest[]> {
  return upstreamRequests(tag);
}

/** The prompt the image model received for the request carrying `tag`. */
async function imagePromptSent(tag: string): Promise<string | undefined> {
  return (await seen(tag)).find((request) => request.path.includes("/ai/run/"))?.prompt;
}

function hintLines(content: string): string[] {
  return content.split("\n").filter((line) => line.startsWith("💡"));
}

/** Every line a complete reply shows, in `language`, for an optimised prompt. */
function expectCompleteReply(
  content: string,
  language: Language,
  facts: { originalPrompt: string; promptUsed: string },
): void {
  const t = STRINGS[language];
  const lines = content.split("\n");
  expect(lines).toContain(`🎨 ${t.originalPrompt}: ${escapeMarkdown(facts.originalPrompt)}`);
  expect(lines).toContain(`💬 ${t.promptModel}: ${STAND_IN_OPTIMIZER}`);
  expect(lines).toContain(`🌐 ${t.promptUsed}: ${escapeMarkdown(facts.promptUsed)}`);
  expect(lines).toContain(`📐 ${t.size}: ${DEFAULT_SIZE.width}×${DEFAULT_SIZE.height}`);
  expect(lines).toContain(`🌟 ${t.success}`);
  expect(content).toContain(`![${t.imageAlt}](`);
  expect(imageUrlIn(content)).toMatch(new RegExp(`^${ORIGIN}/image/[\\w.-]+$`));
  if (language !== "en") {
    for (const key of ["originalPrompt", "promptUsed", "success", "imageAlt"] as const)
      expect(content).not.toContain(ENGLISH[key]);
  }
}

describe("the string tables", () => {
  it.each(LANGUAGES)("%s has every key of the English table, each a non-empty string, and no others", (language) => {
    const table: Record<string, unknown> = STRINGS[language];
    expect(Object.keys(table).sort()).toEqual([...KEYS].sort());
    for (const key of KEYS) {
      expect(typeof table[key], `${language}.${key}`).toBe("string");
      expect(String(table[key]).trim(), `${language}.${key}`).not.toBe("");
    }
  });

  it.each(OTHER_LANGUAGES)("%s keeps exactly the placeholders of every English string", (language) => {
    for (const key of KEYS)
      expect(placeholders(STRINGS[language][key]), `${language}.${key}`).toEqual(placeholders(ENGLISH[key]));
  });

  it.each(OTHER_LANGUAGES)("%s is really translated: no string is left in English", (language) => {
    const untranslated = KEYS.filter((key) => STRINGS[language][key] === ENGLISH[key]);
    expect(untranslated).toEqual([]);
  });

  it("has a table for every REPLY_LANGUAGE and no other", () => {
    expect(Object.keys(STRINGS).sort()).toEqual([...LANGUAGES].sort());
  });
});

describe("translate", () => {
  it("fills every placeholder, in any language", () => {
    expect(translate("en", "generating", { width: 1024, height: 576, model: "m" })).toBe("Generating 1024×576 with m…");
    expect(translate("zh-cn", "generating", { width: 1024, height: 576, model: "m" })).toBe(
      "正在使用 m 生成 1024×576 的图像…",
    );
    expect(translate("de", "retrying", { attempt: 1, max: 2, reason: translate("de", "retryCapacity") })).toBe(
      "Workers AI ist ausgelastet; neuer Versuch (1 von 2)…",
    );
  });

  it("inserts values literally, even ones that look like placeholders or replacement patterns", () => {
    expect(translate("fr", "optimized", { prompt: "{prompt} $& $1" })).toBe("Prompt optimisé : {prompt} $& $1");
  });

  it("leaves a placeholder visible when no value is given, rather than printing 'undefined'", () => {
    expect(translate("ja", "failed")).toBe("画像の生成に失敗しました：{reason}");
  });
});

describe("errorText", () => {
  const keyByCode: Record<string, MessageKey> = {
    content_filter: "errorContentFilter",
    upstream_timeout: "errorTimeout",
    upstream_capacity: "errorCapacity",
    daily_quota_exceeded: "errorQuota",
    upstream_auth: "errorUpstreamAuth",
    upstream_bad_response: "errorUpstream",
    upstream_error: "errorUpstream",
    upstream_unreachable: "errorUnreachable",
    upstream_rate_limited: "errorRateLimited",
    request_too_large: "errorTooLarge",
    model_not_found: "errorModelMissing",
    storage_error: "errorStorage",
    job_lost: "errorInterrupted",
    invalid_image: "errorImage",
    image_too_large: "errorImage",
    image_resize_failed: "errorUpstream",
    invalid_image_url: "errorImageUrl",
    image_url_unreachable: "errorImageUrl",
    image_url_timeout: "errorImageUrl",
    reference_expired: "errorReferenceExpired",
    images_quota_exceeded: "errorImagesQuota",
  };

  it.each(LANGUAGES)("maps each API error code to its sentence in %s", (language) => {
    for (const [code, key] of Object.entries(keyByCode))
      expect(errorText(language, code), code).toBe(STRINGS[language][key]);
  });

  it("falls back to the generic sentence for an unknown or missing code", () => {
    expect(errorText("ru", "something_new")).toBe(STRINGS.ru.errorGeneric);
    expect(errorText("es", null)).toBe(STRINGS.es.errorGeneric);
  });
});

describe.each(LANGUAGES)("REPLY_LANGUAGE=%s through the Worker", (language) => {
  const settings = { REPLY_LANGUAGE: language, PROMPT_OPTIMIZATION: "true" };
  const t = STRINGS[language];

  it("renders the complete reply in that language", async () => {
    const tag = marker();
    const prompt = `a red fox in the snow ${tag}`;
    const content = await replyContent(await postChat(prompt, {}, settings));
    const promptUsed = await imagePromptSent(tag);
    expect(promptUsed).toBeDefined();
    expect(promptUsed).not.toBe(prompt);
    expectCompleteReply(content, language, { originalPrompt: prompt, promptUsed: promptUsed ?? "" });
  });

  it("streams the progress lines and then the complete reply in that language", async () => {
    const tag = marker();
    const prompt = `a lighthouse at dusk ${tag}`;
    const response = await postChat(prompt, { stream: true }, settings);
    expect(response.status).toBe(200);
    const frames = await collectSse(response);
    const promptUsed = (await imagePromptSent(tag)) ?? "";

    const progress = streamed(frames, "reasoning_content");
    expect(progress).toContain(translate(language, "optimizing", { model: STAND_IN_OPTIMIZER }));
    expect(progress).toContain(translate(language, "optimized", { prompt: promptUsed }));
    expect(progress).toContain(translate(language, "generating", { ...DEFAULT_SIZE, model: IMAGE_MODEL }));
    expect(progress).toContain(translate(language, "storing"));
    expect(progress).not.toMatch(/\{\w+\}/);

    expectCompleteReply(streamed(frames, "content"), language, { originalPrompt: prompt, promptUsed });
    expect(frames.at(-1)?.data).toBe("[DONE]");
  });

  it("shows a refused prompt in that language in the stream, while the JSON error message stays English", async () => {
    const response = await postChat(
      `a forbidden picture ${marker()} #fault=nsfw`,
      { stream: true },
      { REPLY_LANGUAGE: language },
    );
    const frames = await collectSse(response);
    const content = streamed(frames, "content");
    expect(content).toBe(
      `❌ ${translate(language, "failed", { reason: errorText(language, "content_filter") })} (content_filter)`,
    );
    expect(content).toContain(t.errorContentFilter);
    if (language !== "en") expect(content).not.toContain(ENGLISH.errorContentFilter);
    expect(imageUrlIn(content)).toBeUndefined();

    const error = chunks(frames).find((chunk) => chunk.error)?.error;
    expect(error?.code).toBe("content_filter");
    expect(error?.message).toMatch(/^The prompt was flagged by .*safety filter/);
    expect(frames.at(-1)?.data).toBe("[DONE]");
  });
});

describe("upstream failures without a safety or quota meaning", () => {
  it("are explained in the reply language too, not with the English API message", async () => {
    const response = await postChat(
      `a very long story ${marker()} #fault=too-large`,
      { stream: true },
      { REPLY_LANGUAGE: "ja" },
    );
    const frames = await collectSse(response);
    const content = streamed(frames, "content");
    expect(content).toBe(`❌ ${translate("ja", "failed", { reason: STRINGS.ja.errorTooLarge })} (request_too_large)`);
    const error = chunks(frames).find((chunk) => chunk.error)?.error;
    expect(error?.code).toBe("request_too_large");
    expect(content).not.toContain(error?.message ?? "(no error event)");
  });
});

describe("the JSON error of a non-streamed failure", () => {
  it("stays English whatever REPLY_LANGUAGE says", async () => {
    const response = await postChat(`a forbidden picture ${marker()} #fault=nsfw`, {}, { REPLY_LANGUAGE: "zh-cn" });
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { message: string; code: string } }>();
    expect(body.error.code).toBe("content_filter");
    expect(body.error.message).toMatch(/^The prompt was flagged by .*safety filter/);
  });
});

describe("the hint to turn on prompt optimisation", () => {
  // Mostly Chinese: the tag adds at most nine Latin letters to sixteen Han characters.
  const chinesePrompt = () => `一只可爱的橘猫在阳光下的窗台上睡觉 ${marker()}`;

  it("appears, in the reply language, when optimisation is off and the prompt is mostly not Latin script", async () => {
    const chinese = await replyContent(
      await postChat(chinesePrompt(), {}, { REPLY_LANGUAGE: "zh-cn", PROMPT_OPTIMIZATION: "false" }),
    );
    expect(hintLines(chinese)).toEqual([`💡 ${STRINGS["zh-cn"].suggestOptimization}`]);

    const english = await replyContent(
      await postChat(chinesePrompt(), {}, { REPLY_LANGUAGE: "en", PROMPT_OPTIMIZATION: "false" }),
    );
    expect(hintLines(english)).toEqual([`💡 ${STRINGS.en.suggestOptimization}`]);
  });

  it("does not appear when optimisation is already on", async () => {
    const content = await replyContent(
      await postChat(chinesePrompt(), {}, { REPLY_LANGUAGE: "zh-cn", PROMPT_OPTIMIZATION: "true" }),
    );
    expect(hintLines(content)).toEqual([]);
    expect(content).toContain(`🌟 ${STRINGS["zh-cn"].success}`);
  });

  it("does not appear for a prompt in Latin script", async () => {
    const content = await replyContent(
      await postChat(
        `a cozy cabin in the woods ${marker()}`,
        {},
        { REPLY_LANGUAGE: "zh-cn", PROMPT_OPTIMIZATION: "false" },
      ),
    );
    expect(hintLines(content)).toEqual([]);
    expect(content).toContain(`🌟 ${STRINGS["zh-cn"].success}`);
  });
});

describe("prompt optimisation with only a Cloudflare account", () => {
  const cloudflareOnly = {
    PROMPT_OPTIMIZATION: "true",
    EXTERNAL_API_BASE: "",
    EXTERNAL_MODEL: "",
    EXTERNAL_API_KEY: "",
    REPLY_LANGUAGE: "zh-cn",
  };

  it("asks Workers AI's own chat endpoint, with the CF_* credentials and the default model, and uses its rewrite", async () => {
    const tag = marker();
    const prompt = `一只可爱的橘猫在阳光下的窗台上睡觉 ${tag}`;
    const content = await replyContent(await postChat(prompt, {}, cloudflareOnly));

    const requests = await seen(tag);
    const chatCalls = requests.filter((request) => request.path.endsWith("/chat/completions"));
    expect(chatCalls.map((request) => request.path)).toEqual([
      "/client/v4/accounts/test-account/ai/v1/chat/completions",
    ]);
    const chatCall = chatCalls[0];
    expect(chatCall?.authorization).toBe("Bearer test-token");
    expect(chatCall?.json?.model).toBe(DEFAULT_WORKERS_AI_CHAT_MODEL);
    // The default model reasons unless told not to; a one-line rewrite must not spend its budget thinking.
    expect(chatCall?.json?.chat_template_kwargs).toEqual({ enable_thinking: false });

    const promptUsed = await imagePromptSent(tag);
    expect(promptUsed).toMatch(/^A highly detailed illustration of /);
    const t = STRINGS["zh-cn"];
    const lines = content.split("\n");
    expect(lines).toContain(`💬 ${t.promptModel}: ${DEFAULT_WORKERS_AI_CHAT_MODEL}`);
    expect(lines).toContain(`🌐 ${t.promptUsed}: ${escapeMarkdown(promptUsed ?? "")}`);
    expect(hintLines(content)).toEqual([]);
  });

  it("sends nothing Workers-AI-specific to a second provider, which may reject unknown fields", async () => {
    const tag = marker();
    await replyContent(await postChat(`a quiet harbour at dawn ${tag}`, {}, { PROMPT_OPTIMIZATION: "true" }));
    const chatCall = (await seen(tag)).find((request) => request.path.endsWith("/chat/completions"));
    expect(chatCall?.path).toBe("/v1/chat/completions");
    expect(chatCall?.json).not.toHaveProperty("chat_template_kwargs");
  });
});

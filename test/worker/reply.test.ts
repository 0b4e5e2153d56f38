import { describe, expect, it } from "vitest";
import { buildReply, escapeMarkdown, type ReplyFacts } from "../../src/lib/openai/markdown-reply.ts";

/** What a CommonMark renderer shows for escaped text: each backslash-escaped character as itself. */
function renderedText(escaped: string): string {
  return escaped.replace(/\\([!-/:-@[-`{-~])/g, "$1");
}

/** The characters that remain active markup after escaping (escaped ones are removed). */
function activeMarkup(escaped: string): string {
  return escaped.replace(/\\[!-/:-@[-`{-~]/g, "").replace(/[^[\]()<>!:&`*_]/g, "");
}

const HOSTILE_PROMPTS = [
  "![x](https://evil.example/track.png)",
  "<img src=x onerror=alert(1)>",
  "[a](b)",
  "visit https://evil.example now",
  "www.evil.example",
  "<script>alert(1)</script>",
  "[click][1]\n\n[1]: https://evil.example",
  "`code` **bold** _it_ ~~gone~~ # heading",
  "&lt;img src=x&gt;",
];

describe("escaping the user's words in a reply", () => {
  it.each(HOSTILE_PROMPTS)("shows %j as the same text, not as markup", (prompt) => {
    const escaped = escapeMarkdown(prompt);
    expect(renderedText(escaped)).toBe(prompt);
    expect(activeMarkup(escaped)).toBe("");
  });

  it("breaks bare URLs so renderers with autolinks do not link them", () => {
    const escaped = escapeMarkdown("https://evil.example");
    expect(escaped).not.toContain("https://");
    expect(escaped).not.toContain("evil.example");
  });

  it("leaves ordinary words and non-Latin text untouched", () => {
    expect(escapeMarkdown("a cute cat on a mat")).toBe("a cute cat on a mat");
    expect(escapeMarkdown("一只可爱的猫咪")).toBe("一只可爱的猫咪");
  });
});

const FACTS: ReplyFacts = {
  originalPrompt: "a cat",
  promptModel: undefined,
  promptUsed: "a cat",
  width: 1024,
  height: 576,
  imageUrl: "https://flux.example/image/abc",
  seed: undefined,
  seedNote: undefined,
  sizeNotes: [],
  tips: [],
};

describe("the final reply", () => {
  it("lists original prompt, prompt model, prompt used, size and success, then the image", () => {
    expect(buildReply("en", FACTS).split("\n")).toEqual([
      "🎨 Original prompt: a cat",
      "💬 Prompt model: original prompt",
      "🌐 Prompt used: a cat",
      "📐 Size: 1024×576",
      "🌟 Image generated successfully!",
      "",
      "![Generated image](https://flux.example/image/abc)",
    ]);
  });

  it("states the seed after the size, so the picture can be repeated", () => {
    const lines = buildReply("en", { ...FACTS, seed: 4_294_967_295 }).split("\n");
    expect(lines.slice(3, 5)).toEqual(["📐 Size: 1024×576", "🎲 Seed: 4294967295"]);
  });

  it("says why there is no seed when one was asked of a model that takes none", () => {
    const reply = buildReply("zh-cn", { ...FACTS, seedNote: "flux-1-schnell 不支持随机种子" });
    expect(reply).toContain("🎲 随机种子: — (flux-1-schnell 不支持随机种子)");
  });

  it("names the optimiser model and adds size notes and tips", () => {
    const reply = buildReply("en", {
      ...FACTS,
      promptModel: "gpt-4o-mini",
      promptUsed: "A cat, detailed",
      sizeNotes: ["note one", "note two"],
      tips: ["a tip"],
    });
    expect(reply).toContain("💬 Prompt model: gpt\\-4o\\-mini");
    expect(reply).toContain("🌐 Prompt used: A cat, detailed");
    expect(reply).toContain("📐 Size: 1024×576 (note one; note two)");
    expect(reply).toContain("💡 a tip");
  });

  it("has exactly one image: a prompt or optimised prompt cannot add another, nor a link", () => {
    const reply = buildReply("en", {
      ...FACTS,
      originalPrompt: "![x](https://evil) [a](b)",
      promptUsed: "<img src=x> https://evil.example",
    });
    expect(reply.match(/!\[[^\]]*\]\([^)]*\)/g)).toEqual(["![Generated image](https://flux.example/image/abc)"]);
    expect(reply).not.toMatch(/(?<!\\)<img/);
    expect(reply).not.toMatch(/(?<!\\)\[a(?<!\\)\]/);
  });
});

import MarkdownIt from "markdown-it";
import { marked } from "marked";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { describe, expect, it } from "vitest";
import { buildReply, escapeMarkdown, type ReplyFacts } from "../../src/lib/openai/markdown-reply.ts";

/** What a CommonMark renderer shows for escaped text: each backslash-escaped character as itself. */
function renderedText(escaped: string): string {
  return escaped.replace(/\\([!-/:-@[-`{-~])/g, "$1");
}

/**
 * What could still be markup once the escaped characters are gone: brackets, HTML, code spans,
 * entities, bare links, and runs of emphasis or strikethrough delimiters that touch a non-space or an
 * end of the text (other than `_` inside a word, which never emphasises).
 */
function activeMarkup(escaped: string): string[] {
  const unescaped = escaped.replace(/\\[!-/:-@[-`{-~]/g, " ");
  const patterns = [
    /[[\]<`]/g,
    /&#?\w+;/g,
    /:\/\/|www\.|@/g,
    /(?<![\s*~])[*~]+|[*~]+(?![\s*~])/g,
    /(?<![\s\p{L}\p{N}_])_+|_+(?![\s\p{L}\p{N}_])/gu,
  ];
  return patterns.flatMap((pattern) => unescaped.match(pattern) ?? []);
}

const HOSTILE_PROMPTS: [prompt: string, escaped: string][] = [
  ["![x](https://evil.example/track.png)", "!\\[x\\](`https://evil.example/track.png`)"],
  ["<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)>"],
  ["[a](b)", "\\[a\\](b)"],
  ["visit https://evil.example now", "visit `https://evil.example` now"],
  ["www.evil.example", "`www.evil.example`"],
  ["<script>alert(1)</script>", "\\<script>alert(1)\\</script>"],
  ["[click][1]\n\n[1]: https://evil.example", "\\[click\\]\\[1\\]\n\n\\[1\\]: `https://evil.example`"],
  ["`code` **bold** _it_ ~~gone~~ # heading", "\\`code\\` \\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~ # heading"],
  ["&lt;img src=x&gt;", "\\&lt;img src=x\\&gt;"],
  ["a*b*c and x_*y*_z", "a\\*b\\*c and x\\_\\*y\\*\\_z"],
];

/** Links and addresses that renderers find by themselves, glued to letters or not. */
const BARE_LINKS = [
  "一只猫https://evil.example/x",
  "ähttp://evil.example",
  "1https://evil.example",
  "mail evil@evil.example",
  "xmpp:a@b.example and mailto:c@d.example",
  "see https://evil.example/x, then www.evil.example",
  "\\https://evil.example",
  "`https://evil.example` and a ``fence`` https://a``b.example",
  "text https://evil.example) and (https://ok.example), <https://evil.example/a>",
];

/** What each of the chat clients' markdown libraries makes of a line of the reply. */
const RENDERERS: [name: string, render: (markdown: string) => string][] = [
  // react-markdown with remark-gfm (NextChat, LobeChat, Cherry Studio) parses with micromark and its GFM extension.
  ["micromark + GFM", (markdown) => micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()] })],
  // Open WebUI renders with marked.
  ["marked", (markdown) => marked.parse(markdown, { async: false })],
  ["markdown-it with linkify", (markdown) => new MarkdownIt({ linkify: true }).render(markdown)],
];

/** The text a reader sees in rendered HTML. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}

describe("escaping the user's words in a reply", () => {
  it.each(HOSTILE_PROMPTS)("shows %j as the same text, not as markup", (prompt, expected) => {
    const escaped = escapeMarkdown(prompt);
    expect(activeMarkup(prompt)).not.toEqual([]);
    expect(escaped).toBe(expected);
    // What three real renderers make of it is checked below, for every one of these prompts.
  });

  it.each(BARE_LINKS)("shows the link in %j as code, which no renderer links", (prompt) => {
    const escaped = escapeMarkdown(prompt);
    expect(activeMarkup(prompt)).not.toEqual([]);
    expect(escaped).toMatch(/`/);
  });

  describe.each(RENDERERS)("rendered by %s", (_name, render) => {
    const prompts = [
      ...HOSTILE_PROMPTS.map(([prompt]) => prompt),
      ...BARE_LINKS,
      "a sign saying: hello",
      "3 < 4 and I <3 cats, <b>bold</b>",
      'Wow! a 3.5 m tall robot (neon) - #1 > all | 2+2=4 {x} "hi" it\'s AT&T, 100% cool.',
      "a file_name_here, 2 * 3 = 6, a ~ b, and ** c",
      "C:\\Users\\cat ends in \\",
    ];
    it.each(prompts)("shows %j as the same text, with no link, image or HTML of its own", (prompt) => {
      const html = render(`🎨 Prompt: ${escapeMarkdown(prompt)}`);
      const tags = [...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((match) => match[1]?.toLowerCase());
      expect(tags.filter((tag) => tag !== "p" && tag !== "code")).toEqual([]);
      // Paragraph breaks (one prompt has a blank line) show as white space.
      expect(visibleText(html).replace(/\s+/g, " ")).toBe(`🎨 Prompt: ${prompt}`.replace(/\s+/g, " "));
    });
  });

  it("leaves ordinary words and non-Latin text untouched", () => {
    expect(escapeMarkdown("a cute cat on a mat")).toBe("a cute cat on a mat");
    expect(escapeMarkdown("一只可爱的猫咪")).toBe("一只可爱的猫咪");
  });

  it("leaves a < that cannot open a tag alone (3 < 4, I <3 cats), and keeps a link's closing punctuation outside its code", () => {
    expect(escapeMarkdown("3 < 4 and I <3 cats")).toBe("3 < 4 and I <3 cats");
    expect(escapeMarkdown("(see https://ok.example).")).toBe("(see `https://ok.example`).");
  });

  it("shows a sign saying: hello to a plain-text client without a backslash", () => {
    expect(escapeMarkdown("a sign saying: hello")).toBe("a sign saying: hello");
  });

  it("leaves punctuation that starts no markup mid-line alone: ! ( ) : . - # > | + = { } \" ' and a lone &", () => {
    const prompt = 'Wow! a 3.5 m tall robot (neon) - #1 > all | 2+2=4 {x} "hi" it\'s AT&T, 100% cool.';
    expect(escapeMarkdown(prompt)).toBe(prompt);
  });

  it("leaves snake_case, a lone 2 * 3 and a spaced ~ alone, since they cannot pair", () => {
    const prompt = "a file_name_here, 2 * 3 = 6, a ~ b, and ** c";
    const escaped = escapeMarkdown(prompt);
    expect(escaped).toBe(prompt);
    expect(activeMarkup(escaped)).toEqual([]);
  });

  it("escapes emphasis that could pair with the next line's, such as a star at the end", () => {
    expect(escapeMarkdown("a star *")).toBe("a star \\*");
    expect(escapeMarkdown("_under")).toBe("\\_under");
    expect(escapeMarkdown("about ~50 cats")).toBe("about \\~50 cats");
  });

  it("escapes a backslash only where it would escape what follows", () => {
    expect(escapeMarkdown("C:\\Users\\cat")).toBe("C:\\Users\\cat");
    expect(escapeMarkdown("a \\* b")).toBe("a \\\\\\* b");
    expect(escapeMarkdown("ends in \\")).toBe("ends in \\\\");
    expect(renderedText(escapeMarkdown("\\[not a link\\]"))).toBe("\\[not a link\\]");
  });
});

const FACTS: ReplyFacts = {
  originalPrompt: "a cat",
  promptModel: undefined,
  promptUsed: "a cat",
  model: "flux-2-klein-4b",
  optionFlags: undefined,
  unusedNotes: [],
  width: 1024,
  height: 576,
  imageUrl: "https://flux.example/image/abc",
  seed: undefined,
  seedNote: undefined,
  sizeNotes: [],
  tips: [],
};

describe("the final reply", () => {
  it("lists original prompt, prompt model, prompt used, the model, size and success, then the image", () => {
    expect(buildReply("en", FACTS).split("\n")).toEqual([
      "🎨 Original prompt: a cat",
      "💬 Prompt model: original prompt",
      "🌐 Prompt used: a cat",
      "🖼️ Model: flux-2-klein-4b",
      "📐 Size: 1024×576",
      "🌟 Image generated successfully!",
      "",
      "![Generated image](https://flux.example/image/abc)",
    ]);
  });

  it("states the seed after the size, so the picture can be repeated", () => {
    const lines = buildReply("en", { ...FACTS, seed: 4_294_967_295 }).split("\n");
    expect(lines.slice(4, 6)).toEqual(["📐 Size: 1024×576", "🎲 Seed: 4294967295"]);
  });

  it("states the parameters sent as the flags that ask for them, and what was not used", () => {
    const lines = buildReply("en", {
      ...FACTS,
      model: "sdxl",
      optionFlags: "--steps 20 --no text\\_ish",
      unusedNotes: ["flux-2-klein-4b takes no --no, so it was not used (models that take it: phoenix)"],
    }).split("\n");
    expect(lines.slice(3, 7)).toEqual([
      "🖼️ Model: sdxl",
      "📐 Size: 1024×576",
      "⚙️ --steps 20 --no text\\_ish",
      "⚠️ flux-2-klein-4b takes no --no, so it was not used (models that take it: phoenix)",
    ]);
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
    expect(reply).toContain("💬 Prompt model: gpt-4o-mini");
    expect(reply).toContain("🌐 Prompt used: A cat, detailed");
    expect(reply).toContain("📐 Size: 1024×576 (note one; note two)");
    expect(reply).toContain("💡 a tip");
  });

  it("names the prompt model as it is: @cf/zai-org/glm-4.7-flash, not with backslashes", () => {
    const reply = buildReply("en", { ...FACTS, promptModel: "@cf/zai-org/glm-4.7-flash" });
    expect(reply).toContain("💬 Prompt model: @cf/zai-org/glm-4.7-flash\n");
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

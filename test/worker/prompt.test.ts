import { describe, expect, it } from "vitest";
import { cleanPrompt, isMostlyNonLatin, lastUserText } from "../../src/lib/generation/prompt.ts";

describe("the prompt is the last user message", () => {
  it("takes the last user message, ignoring earlier turns and the assistant's replies", () => {
    const messages = [
      { role: "system", content: "You are helpful." },
      { role: "user", content: "a red fox" },
      { role: "assistant", content: "![old](https://x/image/1)" },
      { role: "user", content: "a blue whale" },
    ];
    expect(lastUserText(messages)).toBe("a blue whale");
  });

  it("joins the text parts of a content-part message and skips images", () => {
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "a castle" },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
          { type: "text", text: "at dusk" },
        ],
      },
    ];
    expect(cleanPrompt(lastUserText(messages) ?? "")).toBe("a castle at dusk");
  });

  it("has no prompt when there is no user message, or it holds no text", () => {
    expect(lastUserText([{ role: "system", content: "hi" }])).toBeUndefined();
    expect(lastUserText([])).toBeUndefined();
    expect(lastUserText([{ role: "user", content: null }])).toBeUndefined();
    expect(
      lastUserText([{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x" } }] }]),
    ).toBeUndefined();
  });

  it("does not fall back to an earlier message when the last one has no text (no conversation context)", () => {
    const messages = [
      { role: "user", content: "a red fox" },
      { role: "user", content: [{ type: "image_url", image_url: { url: "https://x" } }] },
    ];
    expect(lastUserText(messages)).toBeUndefined();
  });
});

describe("cleaning a prompt", () => {
  it("folds line breaks, tabs and runs of spaces into single spaces and trims", () => {
    expect(cleanPrompt("  a cat\n\non a\tmat   ")).toBe("a cat on a mat");
  });

  it("removes control characters and invisible marks", () => {
    expect(cleanPrompt("a\u0000 cat\u200b\ufeff on\u0007 a mat\u2028")).toBe("a cat on a mat");
  });

  it("normalises composed characters so the same words are the same prompt", () => {
    expect(cleanPrompt("cafe\u0301")).toBe("café");
  });

  it("keeps non-Latin text intact", () => {
    expect(cleanPrompt(" 一只可爱的猫咪 ")).toBe("一只可爱的猫咪");
  });
});

describe("telling mostly non-Latin prompts apart", () => {
  it("recognises Chinese, Japanese and Cyrillic prompts", () => {
    expect(isMostlyNonLatin("一只可爱的猫咪")).toBe(true);
    expect(isMostlyNonLatin("かわいい猫")).toBe(true);
    expect(isMostlyNonLatin("милая кошка")).toBe(true);
  });

  it("treats English, French and mostly-English mixes as Latin", () => {
    expect(isMostlyNonLatin("a cute cat")).toBe(false);
    expect(isMostlyNonLatin("un chat très mignon")).toBe(false);
    expect(isMostlyNonLatin("a cute cat named 小白")).toBe(false);
  });

  it("treats a prompt without letters as Latin", () => {
    expect(isMostlyNonLatin("123 !!!")).toBe(false);
    expect(isMostlyNonLatin("")).toBe(false);
  });
});

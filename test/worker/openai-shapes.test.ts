import { describe, expect, it } from "vitest";
import { chatChunk, chatCompletion, estimateUsage, usageChunk } from "../../src/lib/openai/shapes.ts";

const META = { id: "chatcmpl-abc", created: 1_700_000_000, model: "@cf/black-forest-labs/flux-2-klein-4b" };

describe("chat completion chunks", () => {
  it("carry the completion's id, created and model, and a choices array", () => {
    expect(chatChunk(META, { role: "assistant", content: "" })).toEqual({
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: META.model,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    });
  });

  it("end with a finish_reason and an empty delta", () => {
    expect(chatChunk(META, {}, "stop").choices).toEqual([{ index: 0, delta: {}, finish_reason: "stop" }]);
  });

  it("report usage in a chunk whose choices array is empty", () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    expect(usageChunk(META, usage)).toEqual({
      id: "chatcmpl-abc",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: META.model,
      choices: [],
      usage,
    });
  });
});

describe("a whole chat completion", () => {
  it("is one assistant message that finished with stop, with usage", () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    expect(chatCompletion(META, "hello", usage)).toEqual({
      id: "chatcmpl-abc",
      object: "chat.completion",
      created: 1_700_000_000,
      model: META.model,
      choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
      usage,
    });
  });

  it("lists its pictures in message.images too, as OpenRouter answers (LobeChat reads them there)", () => {
    const completion = chatCompletion(
      META,
      "![x](https://w.example/image/k)",
      { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      ["https://w.example/image/k"],
    );
    expect(completion.choices[0]?.message).toEqual({
      role: "assistant",
      content: "![x](https://w.example/image/k)",
      images: [{ type: "image_url", image_url: { url: "https://w.example/image/k" } }],
    });
  });
});

describe("usage estimates", () => {
  it("count about four characters a token, at least one, and add up", () => {
    expect(estimateUsage("a", "")).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
    expect(estimateUsage("x".repeat(40), "y".repeat(401))).toEqual({
      prompt_tokens: 10,
      completion_tokens: 101,
      total_tokens: 111,
    });
  });
});

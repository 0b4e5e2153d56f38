/** POST /v1/chat/completions without streaming: one chat.completion holding the reply and the image link. */
import { describe, expect, it } from "vitest";
import { authHeaders, call, imageUrlIn, marker, ORIGIN, postChat, sha256Hex, upstreamRequests } from "./helpers.ts";
import { dataUrl, sampleJpeg } from "./sample-images.ts";

interface ChatCompletion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const IMAGE_KEY = /^[0-9a-f]{64}\.[0-9a-f]{32}$/;

async function completionFor(prompt: string, extra: Record<string, unknown> = {}) {
  const response = await postChat(prompt, extra);
  expect(response.status).toBe(200);
  const body = await response.json<ChatCompletion>();
  return { response, body, content: body.choices[0]?.message.content ?? "" };
}

describe("a chat completion", () => {
  it("is one chat.completion that finished with stop, with usage", async () => {
    const { response, body } = await completionFor(`${marker()} a cute cat`);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "@cf/black-forest-labs/flux-2-klein-4b",
      choices: [{ index: 0, message: { role: "assistant" }, finish_reason: "stop" }],
    });
    expect(body.choices).toHaveLength(1);
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("is identified by its job: the x-job-id header and id chatcmpl-<job id>", async () => {
    const { response, body } = await completionFor(`${marker()} a cute cat`);
    const jobId = response.headers.get("x-job-id") ?? "";
    expect(jobId).toMatch(/^[0-9a-f]{64}$/);
    expect(body.id).toBe(`chatcmpl-${jobId}`);
  });

  it("shows the original prompt, the prompt model, the prompt used, the real size, success and the image", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a cute cat 16:9`);
    const lines = content.split("\n");
    expect(lines.slice(0, 8)).toEqual([
      `🎨 Original prompt: ${m} a cute cat`,
      "💬 Prompt model: original prompt",
      `🌐 Prompt used: ${m} a cute cat`,
      "🖼️ Model: flux-2-klein-4b",
      "📐 Size: 1024×576",
      expect.stringMatching(/^🎲 Seed: \d+$/),
      // What Workers AI reported (the stand-in's cf-ai-neurons): klein-4b's 26.05 a tile, four tiles.
      "💰 104.2 neurons (≈ $0.0011) · 1% of a day's free 10,000",
      "🌟 Image generated successfully!",
    ]);
    const url = imageUrlIn(content) ?? "";
    expect(lines.at(-1)).toBe(`![Generated image](${url})`);
    expect(url.startsWith(`${ORIGIN}/image/`)).toBe(true);
    expect(url.slice(`${ORIGIN}/image/`.length)).toMatch(IMAGE_KEY);
  });

  it("links an image whose bytes are exactly the upstream's and whose size is the one stated", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a lighthouse 9:16`);
    const [generation] = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
    const image = await call(new URL(imageUrlIn(content) ?? "").pathname);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    expect(await sha256Hex(await image.arrayBuffer())).toBe(generation?.imageSha256);
    expect(content).toContain("📐 Size: 576×1024");
    expect(generation?.form).toMatchObject({ width: "576", height: "1024" });
  });

  it("draws the prompt without the ratio text, and paints a ratio outside the presets exactly", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a wide valley --ar 21:9`);
    const [generation] = await upstreamRequests(m);
    expect(generation?.prompt).toBe(`${m} a wide valley`);
    expect(generation?.form).toMatchObject({ width: "1024", height: "432" });
    expect(content).toContain("📐 Size: 1024×432\n");
  });

  it("paints 4:3 at 1024×768, the presets' long side, not the nearest preset", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a harbour 4:3`);
    const [generation] = await upstreamRequests(m);
    expect(generation?.form).toMatchObject({ width: "1024", height: "768" });
    expect(content).toContain("📐 Size: 1024×768\n");
  });

  it("still says when a written ratio cannot be one (0:5) and the default was used", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a flat line --ar 0:5`);
    expect(content).toContain("📐 Size: 1024×1024 (0:5 is not a supported ratio; used the nearest, 1:1)");
  });

  it("reads the full-width colon a Chinese keyboard types", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} 一只可爱的猫咪 16：9`);
    const [generation] = await upstreamRequests(m);
    expect(generation?.prompt).toBe(`${m} 一只可爱的猫咪`);
    expect(content).toContain("📐 Size: 1024×576");
  });

  it("a poster for the meeting at 10:45 keeps its time and its square size", async () => {
    const m = marker();
    const { content } = await completionFor(`${m} a poster for the meeting at 10:45`);
    const [generation] = await upstreamRequests(m);
    expect(generation?.prompt).toBe(`${m} a poster for the meeting at 10:45`);
    expect(generation?.form).toMatchObject({ width: "1024", height: "1024" });
    expect(content).toContain("📐 Size: 1024×1024\n");
  });

  it("takes the text parts of a content-part message and cleans them", async () => {
    const m = marker();
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({
        model: "gpt-4o",
        messages: [
          { role: "user", content: "an earlier request" },
          { role: "assistant", content: "an earlier reply" },
          {
            role: "user",
            content: [
              { type: "text", text: `${m} a red\n\nballoon` },
              { type: "image_url", image_url: { url: dataUrl(sampleJpeg(60, 40)) } },
              { type: "text", text: "over the sea 3:2" },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const body = await response.json<ChatCompletion>();
    const [generation] = await upstreamRequests(m);
    expect(generation?.prompt).toBe(`${m} a red balloon over the sea`);
    expect(generation?.form).toMatchObject({ width: "768", height: "512" });
    expect(body.choices[0]?.message.content).toContain(`🎨 Original prompt: ${m} a red balloon over the sea`);
  });

  it("escapes the user's words so they cannot add links, images or HTML", async () => {
    const m = marker();
    const { content } = await completionFor(
      `${m} ![x](https://evil.example/a.png) <img src=x> [a](b) https://evil.example`,
    );
    expect(content.match(/!\[/g)).toHaveLength(1);
    expect(content).not.toMatch(/(?<!\\)</);
    // Bare links are shown as code, which no renderer links (reply.test.ts renders them).
    expect(content).not.toMatch(/(?<!`)https:\/\/evil/);
    expect(content).toContain("`https://evil.example`");
    expect(content).not.toMatch(/(?<!\\)\[a(?<!\\)\]/);
  });
});

describe("no conversation context", () => {
  it("makes a new image on every call, even for the same words", async () => {
    const prompt = `${marker()} the same cat`;
    const first = await completionFor(prompt);
    const second = await completionFor(prompt);
    const firstUrl = imageUrlIn(first.content);
    const secondUrl = imageUrlIn(second.content);
    expect(firstUrl).toBeDefined();
    expect(secondUrl).toBeDefined();
    expect(firstUrl).not.toBe(secondUrl);
    expect(first.body.id).not.toBe(second.body.id);
    expect((await upstreamRequests(prompt)).filter((request) => request.path.includes("/ai/run/"))).toHaveLength(2);
  });

  it("draws only the last user message, never earlier ones", async () => {
    const earlier = marker();
    const m = marker();
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({
        messages: [
          { role: "user", content: `${earlier} a dog` },
          { role: "assistant", content: "here is a dog" },
          { role: "user", content: `${m} a cat` },
        ],
      }),
    });
    expect(response.status).toBe(200);
    expect(await upstreamRequests(earlier)).toEqual([]);
    expect((await upstreamRequests(m))[0]?.prompt).toBe(`${m} a cat`);
  });
});

describe("upstream failures", () => {
  it("answer 502 in the OpenAI error shape when Workers AI refuses", async () => {
    const response = await postChat(`${marker()} a cat #fault=auth`);
    expect(response.status).toBe(502);
    const body = await response.json<{ error: Record<string, unknown> }>();
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(body.error).toMatchObject({ type: "server_error", code: "upstream_auth" });
  });

  it("answer 504 when Workers AI times out", async () => {
    const response = await postChat(`${marker()} a cat #fault=timeout`);
    expect(response.status).toBe(504);
    const body = await response.json<{ error: { code: string } }>();
    expect(body.error.code).toBe("upstream_timeout");
  });
});

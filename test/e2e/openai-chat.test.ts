/**
 * Chat completions end to end: `npm start` (offline, against the stand-in) driven
 * by the official `openai` client and by plain HTTP, the way chat apps and curl
 * users call it. Every image link is fetched and compared with the bytes the
 * stand-in returned, so a test passes only if the user really gets the image.
 */
import OpenAI, { APIError, AuthenticationError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { jpegDimensions } from "../stand-in/jpeg-dimensions.ts";
import { marker, sha256Hex, useService } from "./with-service.ts";

const live = useService();

function userMessage(prompt: string): OpenAI.Chat.ChatCompletionMessageParam[] {
  return [{ role: "user", content: prompt }];
}

/** The URL of the markdown image in a reply, if there is one. */
function imageUrlIn(content: string): string | undefined {
  return /!\[[^\]]*\]\((https?:\/\/[^)\s]+)\)/.exec(content)?.[1];
}

/** The size the reply's size line states ("📐 Size: 1024×576"), not a progress line's. */
function statedSize(content: string): { width: number; height: number } {
  const match = /^📐 [^\n]*?(\d+)×(\d+)/mu.exec(content);
  if (!match) throw new Error(`no size in the reply:\n${content}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** The sha256 of every image the stand-in returned for prompts containing `text`. */
async function upstreamImageHashes(text: string): Promise<string[]> {
  const response = await fetch(`${live.service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  const records = (await response.json()) as { imageSha256?: string }[];
  return records.flatMap((record) => (record.imageSha256 ? [record.imageSha256] : []));
}

/** Fetches the reply's image as a browser would (no credentials) and checks it is the upstream's JPEG at the stated size. */
async function expectServedImage(content: string, promptMarker: string): Promise<void> {
  const url = imageUrlIn(content);
  expect(url, content).toBeDefined();
  const response = await fetch(url ?? "");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("image/jpeg");
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect(jpegDimensions(bytes)).toEqual(statedSize(content));
  expect(await upstreamImageHashes(promptMarker)).toEqual([sha256Hex(bytes)]);
}

/** reasoning_content is not in the SDK's delta type; chat apps read it all the same. */
function reasoningOf(delta: ChatCompletionChunk.Choice.Delta | undefined): string | undefined {
  return (delta as { reasoning_content?: string } | undefined)?.reasoning_content;
}

describe("chat.completions.create without streaming", () => {
  it("replies with a markdown image link that serves the upstream's JPEG at the size it states", async () => {
    const tag = marker();
    const completion = await live.client.chat.completions.create({
      model: "gpt-4o",
      messages: userMessage(`a lighthouse ${tag} 16:9`),
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    const content = completion.choices[0]?.message.content ?? "";
    expect(content).toContain(tag);
    expect(statedSize(content)).toEqual({ width: 1024, height: 576 });
    await expectServedImage(content, tag);
  });
});

describe("chat.completions.create with streaming", () => {
  it("streams the role, live reasoning progress, the image link, stop and usage, all under one id", async () => {
    const tag = marker();
    const stream = await live.client.chat.completions.create({
      model: "gpt-4o",
      messages: userMessage(`a lighthouse ${tag} 16:9`),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const progress = chunks.map((chunk) => reasoningOf(chunk.choices[0]?.delta) ?? "").join("");
    expect(progress).toMatch(/Generating 1024×576 with @cf\/black-forest-labs\/flux-2-klein-4b/);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === "stop")).toBe(true);
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage?.total_tokens).toBeGreaterThan(0);
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    await expectServedImage(content, tag);
  });

  it("works with the SDK's stream() helper, whose finalChatCompletion() holds the reply", async () => {
    const tag = marker();
    const stream = live.client.chat.completions.stream({
      model: "gpt-4o",
      messages: userMessage(`a lighthouse ${tag}`),
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.role).toBe("assistant");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    const content = completion.choices[0]?.message.content ?? "";
    expect(statedSize(content)).toEqual({ width: 1024, height: 1024 });
    await expectServedImage(content, tag);
  });

  it("sends curl users well-formed SSE: only JSON data lines, ending with data: [DONE]", async () => {
    const tag = marker();
    const response = await fetch(`${live.service.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${live.service.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", stream: true, messages: userMessage(`a lighthouse ${tag}`) }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const dataLines = text.split("\n").filter((line) => line.startsWith("data:"));
    const payloads = dataLines.slice(0, -1).map((line) => line.slice("data:".length).trim());
    for (const payload of payloads) expect(() => JSON.parse(payload) as unknown, payload).not.toThrow();
    const content = payloads
      .map((payload) => JSON.parse(payload) as ChatCompletionChunk)
      .map((chunk) => chunk.choices[0]?.delta.content ?? "")
      .join("");
    await expectServedImage(content, tag);
  });
});

describe("errors through the openai client", () => {
  it("a wrong API key makes the SDK throw AuthenticationError (401)", async () => {
    const stranger = new OpenAI({ baseURL: `${live.service.baseUrl}/v1`, apiKey: "sk-wrong-key", maxRetries: 0 });
    const call = stranger.chat.completions.create({ model: "gpt-4o", messages: userMessage("a lighthouse") });
    await expect(call).rejects.toBeInstanceOf(AuthenticationError);
    await expect(call).rejects.toMatchObject({ status: 401 });
  });

  it("a prompt the safety filter flags makes the SDK throw 400 content_filter", async () => {
    const call = live.client.chat.completions.create({
      model: "gpt-4o",
      messages: userMessage(`a lighthouse ${marker()} #fault=nsfw`),
    });
    await expect(call).rejects.toBeInstanceOf(APIError);
    await expect(call).rejects.toMatchObject({ status: 400, code: "content_filter" });
  });

  it("while streaming, a flagged prompt ends the iteration with an APIError and no image link", async () => {
    const stream = await live.client.chat.completions.create({
      model: "gpt-4o",
      messages: userMessage(`a lighthouse ${marker()} #fault=nsfw`),
      stream: true,
    });
    let content = "";
    let thrown: unknown;
    try {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(APIError);
    expect(thrown).toMatchObject({ code: "content_filter" });
    expect(content).toContain("flagged by the safety filter");
    expect(imageUrlIn(content)).toBeUndefined();
    expect(content).not.toContain("![");
  });
});

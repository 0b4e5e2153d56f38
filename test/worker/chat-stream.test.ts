/** POST /v1/chat/completions with stream: true, read chunk by chunk as a chat client reads it. */
import { describe, expect, it } from "vitest";
import { collectSse, imageUrlIn, marker, postChat, readSse, upstreamRequests, type SseFrame } from "./helpers.ts";

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string; reasoning_content?: string };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function isChunk(data: unknown): data is Chunk {
  return typeof data === "object" && data !== null && "object" in data && data.object === "chat.completion.chunk";
}

function chunksOf(frames: SseFrame[]): Chunk[] {
  return frames.map((frame) => frame.data).filter(isChunk);
}

/** Everything streamed into one delta field, in order. */
function joined(chunks: Chunk[], field: "content" | "reasoning_content"): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta[field] ?? "").join("");
}

async function streamed(prompt: string, extra: Record<string, unknown> = {}, settings?: Record<string, string>) {
  const response = await postChat(prompt, { stream: true, ...extra }, settings);
  expect(response.status).toBe(200);
  const frames = await collectSse(response);
  return { response, frames, chunks: chunksOf(frames) };
}

describe("a streamed chat completion", () => {
  it("is an event stream identified by its job", async () => {
    const { response, chunks } = await streamed(`${marker()} a cat`);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const jobId = response.headers.get("x-job-id") ?? "";
    expect(jobId).toMatch(/^[0-9a-f]{64}$/);
    expect(chunks[0]?.id).toBe(`chatcmpl-${jobId}`);
  });

  it("opens with the assistant's role", async () => {
    const { frames } = await streamed(`${marker()} a cat`);
    const first = frames.find((frame) => frame.data !== undefined);
    expect(isChunk(first?.data) && first.data.choices[0]?.delta.role).toBe("assistant");
  });

  it("sends its first chunk before the upstream has answered", async () => {
    const m = marker();
    const response = await postChat(`${m} a slow cat #delay=1500`, { stream: true });
    const frames = readSse(response);
    const first = await frames.next();
    // The stand-in records each request on arrival and its status once answered (0 until then).
    const whenFirstArrived = await upstreamRequests(m);
    expect(isChunk(first.value?.data) && first.value.data.choices[0]?.delta.role).toBe("assistant");
    expect(whenFirstArrived.every((request) => request.status === 0)).toBe(true);

    const rest: SseFrame[] = [];
    for await (const frame of frames) rest.push(frame);
    expect(imageUrlIn(joined(chunksOf(rest), "content"))).toBeDefined();
    const afterwards = await upstreamRequests(m);
    expect(afterwards.map((request) => request.status)).toEqual([200]);
  });

  it("streams progress lines as reasoning_content, so chat apps show them as thinking", async () => {
    const { chunks } = await streamed(`${marker()} a cat 16:9`);
    const reasoning = joined(chunks, "reasoning_content");
    expect(reasoning).toContain("Generating 1024×576 with @cf/black-forest-labs/flux-2-klein-4b…");
    expect(reasoning).toContain("Storing the image…");
    expect(reasoning.indexOf("Generating")).toBeLessThan(reasoning.indexOf("Storing"));
    // Progress never leaks into the answer.
    expect(joined(chunks, "content")).not.toContain("Generating");
  });

  it("streams progress lines as content with PROGRESS_MODE=content", async () => {
    const { chunks } = await streamed(`${marker()} a cat 16:9`, {}, { PROGRESS_MODE: "content" });
    const content = joined(chunks, "content");
    expect(content).toContain("Generating 1024×576 with @cf/black-forest-labs/flux-2-klein-4b…");
    expect(content).toContain("Storing the image…");
    expect(content.indexOf("Storing the image…")).toBeLessThan(content.indexOf("🎨 Original prompt"));
    expect(joined(chunks, "reasoning_content")).toBe("");
  });

  it("ends its content with the reply and the image link", async () => {
    const m = marker();
    const { chunks } = await streamed(`${m} a cat 16:9`);
    const content = joined(chunks, "content");
    expect(content).toContain(`🎨 Original prompt: ${m} a cat`);
    expect(content).toContain("📐 Size: 1024×576");
    expect(content).toContain("🌟 Image generated successfully!");
    expect(content.trimEnd()).toMatch(
      /!\[Generated image\]\(https:\/\/flux\.example\/image\/[0-9a-f]{64}\.[0-9a-f]{32}\)$/,
    );
  });

  it("keeps the same id and created on every chunk, and gives every chunk a choices array", async () => {
    const { chunks } = await streamed(`${marker()} a cat`, { stream_options: { include_usage: true } });
    expect(chunks.length).toBeGreaterThan(4);
    const [first] = chunks;
    for (const chunk of chunks) {
      expect(chunk.id).toBe(first?.id);
      expect(chunk.created).toBe(first?.created);
      expect(chunk.model).toBe("@cf/black-forest-labs/flux-2-klein-4b");
      expect(Array.isArray(chunk.choices)).toBe(true);
    }
  });

  it("finishes with a stop chunk and then [DONE], and nothing after it", async () => {
    const { frames, chunks } = await streamed(`${marker()} a cat`);
    const finishes = chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter((reason) => reason != null);
    expect(finishes).toEqual(["stop"]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    const dataFrames = frames.filter((frame) => frame.data !== undefined);
    expect(dataFrames.at(-1)?.data).toBe("[DONE]");
    expect(dataFrames.filter((frame) => frame.data === "[DONE]")).toHaveLength(1);
    expect(chunks.some((chunk) => chunk.usage !== undefined)).toBe(false);
  });

  it("sends the final event (reply, stop chunk, usage, [DONE]) as one chunk of the body, not one per frame", async () => {
    const response = await postChat(`${marker()} a cat`, { stream: true, stream_options: { include_usage: true } });
    const decoder = new TextDecoder();
    const pieces: string[] = [];
    const body = response.body as ReadableStream<Uint8Array> | null;
    for await (const piece of body ?? []) pieces.push(decoder.decode(piece));
    const last = pieces.at(-1) ?? "";
    expect(last).toContain('"finish_reason":"stop"');
    expect(last).toContain('"usage":');
    expect(last.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(last.match(/^data: /gm)).toHaveLength(4);
  });

  it("adds a usage chunk with empty choices before [DONE] when stream_options.include_usage is set", async () => {
    const { frames, chunks } = await streamed(`${marker()} a cat`, { stream_options: { include_usage: true } });
    const usageChunks = chunks.filter((chunk) => chunk.usage !== undefined);
    expect(usageChunks).toHaveLength(1);
    const [usage] = usageChunks;
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage?.total_tokens).toBe(
      (usage?.usage?.prompt_tokens ?? 0) + (usage?.usage?.completion_tokens ?? 0),
    );
    const data = frames.filter((frame) => frame.data !== undefined).map((frame) => frame.data);
    expect(data.at(-2)).toBe(usage);
    expect(data.at(-3)).toSatisfy((chunk: unknown) => isChunk(chunk) && chunk.choices[0]?.finish_reason === "stop");
    expect(data.at(-1)).toBe("[DONE]");
  });

  it("reports a failure as an error event and [DONE], never followed by an image link", async () => {
    const { frames, chunks } = await streamed(`${marker()} a cat #fault=auth`);
    const data = frames.filter((frame) => frame.data !== undefined).map((frame) => frame.data);
    expect(data.at(-1)).toBe("[DONE]");
    expect(data.at(-2)).toMatchObject({ error: { type: "server_error", code: "upstream_auth" } });
    expect(imageUrlIn(joined(chunks, "content"))).toBeUndefined();
    expect(joined(chunks, "content")).toContain("❌");
  });
});

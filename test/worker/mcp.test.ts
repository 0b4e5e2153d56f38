/**
 * The MCP server inside workerd: the JSON-RPC exchange as a stateless Streamable HTTP server answers
 * it, the tools' schemas, argument errors as tool errors, and the picture inline (a large one as its
 * link only).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_INLINE_BYTES, pictureParts } from "../../src/lib/mcp/picture-parts.ts";
import { decodeBase64, encodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { authHeaders, call, callWith, collectSse, marker } from "./helpers.ts";
import { noisyPng } from "./sample-images.ts";

let nextId = 1;

async function rpc(
  method: string,
  params?: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await call("/mcp", {
    method: "POST",
    headers: { ...authHeaders(), accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, ...(params ? { params } : {}) }),
  });
  return { status: response.status, body: await response.json<Record<string, unknown>>() };
}

/** The JSON-RPC messages of an SSE answer, in order (keepalive comments left out). */
async function sseMessages<T>(response: Response): Promise<T[]> {
  return (await collectSse(response)).flatMap((frame) => (frame.data === undefined ? [] : [frame.data as T]));
}

interface ToolResult {
  content: { type: string; text?: string; data?: string; mimeType?: string }[];
  structuredContent?: { images: { url: string }[] };
  isError?: boolean;
}

async function callTool(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  const { body } = await rpc("tools/call", { name, arguments: args });
  return body.result as ToolResult;
}

describe("the MCP exchange", () => {
  it("initializes with the version the client asked for when known, the newest otherwise, and no session", async () => {
    const response = await call("/mcp", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18" } }),
    });
    expect(response.headers.get("mcp-session-id")).toBeNull();
    expect(await response.json()).toMatchObject({
      result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "flux-api-worker" } },
    });
    const other = await rpc("initialize", { protocolVersion: "1999-01-01" });
    expect(other.body).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
  });

  it("acknowledges notifications with 202 and no body", async () => {
    const response = await call("/mcp", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
  });

  it("lists tools whose schemas say what each takes", async () => {
    const { body } = await rpc("tools/list");
    const tools = (body.result as { tools: { name: string; inputSchema: { required?: string[] } }[] }).tools;
    expect(tools.map((tool) => [tool.name, tool.inputSchema.required ?? []])).toEqual([
      ["generate_image", ["prompt"]],
      ["edit_image", ["prompt", "images"]],
      ["list_models", []],
    ]);
    expect(tools[0]).toHaveProperty("outputSchema");
  });

  it("answers 401 before any MCP work without a key, and refuses batches", async () => {
    const response = await call("/mcp", { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
    const batch = await call("/mcp", { method: "POST", headers: authHeaders(), body: "[]" });
    expect(await batch.json()).toMatchObject({ error: { code: -32600 } });
  });
});

describe("the tools", () => {
  it("generate_image sends the picture inline with its link and figures", async () => {
    const result = await callTool("generate_image", { prompt: `${marker()} a fox`, size: "512x512", n: 2 });
    expect(result.isError).toBeFalsy();
    expect(result.content.map((part) => part.type)).toEqual(["image", "text", "image", "text"]);
    expect(result.content[0]).toMatchObject({ mimeType: "image/jpeg" });
    expect(result.content[1]?.text).toMatch(
      /^Picture 1 of 2: https:\/\/flux\.example\/image\/.* — 512×512, model flux-2-klein-4b, seed \d+, 26\.05 neurons ≈ \$0\.000287\.$/,
    );
    expect(result.structuredContent?.images).toHaveLength(2);
  });

  it("sends inline the very picture its link serves", async () => {
    const result = await callTool("generate_image", { prompt: `${marker()} a heron`, size: "512x512" });
    const [image] = result.content;
    const link = result.structuredContent?.images[0]?.url ?? "";
    const served = await call(new URL(link).pathname, { headers: authHeaders() });
    expect(served.status).toBe(200);
    expect(image).toEqual({
      type: "image",
      data: encodeBase64(new Uint8Array(await served.arrayBuffer())),
      mimeType: served.headers.get("content-type"),
    });
  });

  it("sends a picture up to 1 MB as it is, a larger one as a JPEG under 1 MB that the Images binding makes, saying so", async () => {
    const small = await pictureParts(
      { base64: encodeBase64(new Uint8Array(1_000_000)), mimeType: "image/png" },
      "Picture 1 of 1: link",
      env.IMAGES,
    );
    expect(small.map((part) => part.type)).toEqual(["image", "text"]);
    expect(small[0]).toMatchObject({ mimeType: "image/png" });

    const large = await noisyPng(1200, 800);
    expect(large.byteLength).toBeGreaterThan(2_000_000);
    const parts = await pictureParts(
      { base64: encodeBase64(large), mimeType: "image/png" },
      "Picture 1 of 1: link",
      env.IMAGES,
    );
    const [image, text] = parts;
    if (image?.type !== "image") throw new Error("no image part");
    const jpeg = decodeBase64(image.data) ?? new Uint8Array();
    expect(jpeg.byteLength).toBeLessThanOrEqual(MAX_INLINE_BYTES);
    const info = inspectImage(jpeg);
    expect(info?.contentType).toBe("image/jpeg");
    expect(image.mimeType).toBe("image/jpeg");
    expect(text).toEqual({
      type: "text",
      text: expect.stringMatching(
        new RegExp(
          `^Picture 1 of 1: link\\. Shown inline as a ${info?.width}×${info?.height} JPEG of \\d+ KB: the picture itself is \\d\\.\\d MB, whole at the link\\.$`,
        ),
      ),
    });
  });

  it("sends a large picture as its link only when the Images binding is missing or fails", async () => {
    const large = { base64: encodeBase64(new Uint8Array(1_000_001)), mimeType: "image/png" };
    const text = { type: "text", text: "Picture 1 of 1: link (1.0 MB, too large to show inline: open the link)." };
    expect(await pictureParts(large, "Picture 1 of 1: link", undefined)).toEqual([text]);
    // Not an image at all: the binding refuses it.
    expect(await pictureParts(large, "Picture 1 of 1: link", env.IMAGES)).toEqual([text]);
  });

  it("answers a call with a progress token as SSE: a notification per progress line of its job, growing, then the result", async () => {
    const response = await call("/mcp", {
      method: "POST",
      headers: { ...authHeaders(), accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 41,
        method: "tools/call",
        params: { name: "generate_image", arguments: { prompt: `${marker()} a fox` }, _meta: { progressToken: "p-1" } },
      }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const messages = await sseMessages<Record<string, unknown>>(response);
    const progress = messages.slice(0, -1) as {
      method: string;
      params: { progressToken: string; progress: number; message: string };
    }[];
    // The job's own progress lines, as chat shows them (this suite runs without the optimiser).
    expect(progress.map((note) => note.params.message)).toEqual([
      "Generating 1024×1024 with @cf/black-forest-labs/flux-2-klein-4b…",
      "Storing the image…",
    ]);
    for (const note of progress)
      expect(note).toMatchObject({ method: "notifications/progress", params: { progressToken: "p-1" } });
    const steps = progress.map((note) => note.params.progress);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(messages.at(-1)).toMatchObject({ jsonrpc: "2.0", id: 41, result: { structuredContent: { images: [{}] } } });
  });

  it("answers a call with a progress token as JSON when the client takes no SSE, and other requests always as JSON", async () => {
    const body = (id: number, method: string, params: Record<string, unknown>) =>
      JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: { progressToken: 1 } } });
    const json = await call("/mcp", {
      method: "POST",
      headers: { ...authHeaders(), accept: "application/json" },
      body: body(42, "tools/call", { name: "generate_image", arguments: { prompt: `${marker()} a fox` } }),
    });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({ id: 42, result: { content: [{ type: "image" }, { type: "text" }] } });
    const list = await call("/mcp", {
      method: "POST",
      headers: { ...authHeaders(), accept: "application/json, text/event-stream" },
      body: body(43, "tools/list", {}),
    });
    expect(list.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("sends a refusal in the SSE answer as a tool error after no progress", async () => {
    const response = await call("/mcp", {
      method: "POST",
      headers: { ...authHeaders(), accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 44,
        method: "tools/call",
        params: { name: "generate_image", arguments: { prompt: "a fox", size: "huge" }, _meta: { progressToken: 9 } },
      }),
    });
    const messages = await sseMessages(response);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: 44, result: { isError: true } });
  });

  it.each([
    [{}, "'prompt'"],
    [{ prompt: "a fox", n: 9 }, "'n'"],
    [{ prompt: "a fox", aspect_ratio: "10:1" }, "aspect_ratio"],
    [{ prompt: "a fox", size: "huge" }, "size"],
  ])("generate_image %j is a tool error naming %s", async (args, named) => {
    const result = await callTool("generate_image", args);
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toContain(named);
  });

  it("edit_image refuses five images and a link that is not https", async () => {
    const five = await callTool("edit_image", { prompt: "x", images: Array(5).fill("https://example.com/a.png") });
    expect(five.isError).toBe(true);
    const http = await callTool("edit_image", { prompt: "x", images: ["http://example.com/a.png"] });
    expect(http.isError).toBe(true);
    expect(http.content[0]?.text).toMatch(/https/);
  });
});

/** A tool call under settings of its own (its own key), answered as SSE with progress. */
async function callWithProgress(
  settings: Record<string, string>,
  key: string,
  args: Record<string, unknown>,
): Promise<{ progress: string[]; result: ToolResult }> {
  const response = await callWith(settings, "/mcp", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "generate_image", arguments: args, _meta: { progressToken: "t" } },
    }),
  });
  const messages = await sseMessages<{ params?: { message: string }; result?: ToolResult }>(response);
  const last = messages.at(-1);
  if (!last?.result) throw new Error("no result");
  return { progress: messages.slice(0, -1).map((note) => note.params?.message ?? ""), result: last.result };
}

describe("tool calls as jobs", () => {
  function keyWith(limit: number) {
    const key = `sk-${marker()}`;
    return { key, settings: { API_KEY: `mcp${marker()}:${key}:${limit}`, RATE_LIMIT_PER_MINUTE: "0" } };
  }

  it("are spent from the key's budget, and a call past it is a tool error that says why", async () => {
    // flux-1-schnell at 1024² is 172.80 neurons: one fits in 200, a second does not.
    const { key, settings } = keyWith(200);
    const first = await callWithProgress(settings, key, { prompt: `${marker()} a kite`, model: "flux-1-schnell" });
    expect(first.result.isError).toBeFalsy();
    const usage = await callWith(settings, "/v1/usage", { headers: { authorization: `Bearer ${key}` } });
    expect(await usage.json()).toMatchObject({ today: { neurons: 172.8, pictures: 1 } });
    const second = await callWithProgress(settings, key, { prompt: `${marker()} a kite`, model: "flux-1-schnell" });
    expect(second.progress).toEqual([]);
    expect(second.result.isError).toBe(true);
    expect(second.result.content[0]?.text).toMatch(
      /^Daily budget reached for key 'mcp.*': 172\.8 of 200 neurons spent today/,
    );
  });

  it("that fail upstream end with the job's failure line and a tool error, and spend nothing", async () => {
    const { key, settings } = keyWith(1000);
    const failed = await callWithProgress(settings, key, { prompt: `${marker()} a kite #fault=nsfw` });
    expect(failed.result.isError).toBe(true);
    expect(failed.progress[0]).toMatch(/^Generating/);
    expect(failed.progress.at(-1)).toMatch(/fail/i);
    expect(failed.result.content[0]?.text).toMatch(/safety|filter/i);
    const usage = await callWith(settings, "/v1/usage", { headers: { authorization: `Bearer ${key}` } });
    expect(await usage.json()).toMatchObject({ today: { neurons: 0, reserved: 0 } });
  });
});

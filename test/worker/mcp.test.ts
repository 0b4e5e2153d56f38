/**
 * The MCP server inside workerd: the JSON-RPC exchange as a stateless Streamable HTTP server answers
 * it, the tools' schemas, argument errors as tool errors, and the picture inline (a large one as its
 * link only).
 */
import { describe, expect, it } from "vitest";
import { pictureParts } from "../../src/routes/mcp.ts";
import { authHeaders, call, marker } from "./helpers.ts";

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

  it("sends a picture over 1 MB as its link only, and says so", () => {
    const small = pictureParts(new Uint8Array(1_000_000), "image/png", "Picture 1 of 1: link");
    expect(small.map((part) => (part as { type: string }).type)).toEqual(["image", "text"]);
    const large = pictureParts(new Uint8Array(1_000_001), "image/png", "Picture 1 of 1: link");
    expect(large).toEqual([{ type: "text", text: "Picture 1 of 1: link (too large to show inline: open the link)." }]);
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

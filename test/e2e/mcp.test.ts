/**
 * The Worker as a remote MCP server, end to end: `npm start` driven by the official MCP client
 * (`@modelcontextprotocol/sdk`, StreamableHTTPClientTransport): the tools, a picture as an image
 * part whose link serves the same bytes, an edit of that link, progress notifications from the
 * job's own events, a refusal as a tool error, and 401 without a key; and the newer client line
 * (`@modelcontextprotocol/client` 2.x) listing the tools and getting a picture.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { jpegDimensions } from "../stand-in/jpeg-dimensions.ts";
import { marker, sha256Hex, useService } from "./with-service.ts";

const live = useService();

async function connect(key = live.service.apiKey): Promise<Client> {
  const client = new Client({ name: "flux-api-worker-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${live.service.baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

interface ToolResult {
  content: ({ type: "image"; data: string; mimeType: string } | { type: "text"; text: string })[];
  structuredContent?: {
    job: string;
    model: string;
    images: { url: string; width: number; height: number; seed: number | null }[];
  };
  isError?: boolean;
}

describe("the MCP server at /mcp", () => {
  it("lists its three tools, each with a description and an input schema", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["generate_image", "edit_image", "list_models"]);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
    }
    await client.close();
  });

  it("generate_image answers a real picture of the asked shape as an image part, and a link that serves it", async () => {
    const client = await connect();
    const result = (await client.callTool({
      name: "generate_image",
      arguments: { prompt: `${marker()} a lighthouse`, aspect_ratio: "16:9", seed: 7 },
    })) as ToolResult;
    expect(result.isError).toBeFalsy();
    const image = result.content.find((part) => part.type === "image");
    if (image?.type !== "image") throw new Error("no image part");
    const bytes = Buffer.from(image.data, "base64");
    expect(image.mimeType).toBe("image/jpeg");
    expect(jpegDimensions(bytes)).toEqual({ width: 1024, height: 576 });
    const first = result.structuredContent?.images[0];
    expect(first).toMatchObject({ width: 1024, height: 576, seed: 7 });
    const served = await fetch(first?.url ?? "");
    expect(sha256Hex(new Uint8Array(await served.arrayBuffer()))).toBe(sha256Hex(bytes));
    const text = result.content.find((part) => part.type === "text");
    expect(text?.type === "text" && text.text).toContain(first?.url ?? "none");

    // edit_image takes that link.
    const edited = (await client.callTool({
      name: "edit_image",
      arguments: { prompt: `${marker()} make it night`, images: [first?.url] },
    })) as ToolResult;
    expect(edited.isError).toBeFalsy();
    expect(edited.structuredContent?.images).toHaveLength(1);
    await client.close();
  });

  it("sends progress notifications from the job's own events to a call with a progress token", async () => {
    const client = await connect();
    const notes: { progress: number; message?: string }[] = [];
    const result = (await client.callTool(
      { name: "generate_image", arguments: { prompt: `${marker()} a windmill` } },
      undefined,
      { onprogress: (progress) => notes.push(progress) },
    )) as ToolResult;
    expect(result.isError).toBeFalsy();
    expect(notes.length).toBeGreaterThanOrEqual(2);
    const steps = notes.map((note) => note.progress);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
    expect(notes.map((note) => note.message).join("\n")).toMatch(/Generating 1024×1024 with .*flux-2-klein-4b/);
    // The same lines the job records: the tool call is a job like any other, for the same key.
    const job = await fetch(`${live.service.baseUrl}/v1/jobs/${result.structuredContent?.job}`, {
      headers: { authorization: `Bearer ${live.service.apiKey}` },
    });
    const recorded = ((await job.json()) as { events: { message?: string }[] }).events.flatMap((event) =>
      event.message ? [event.message] : [],
    );
    expect(notes.map((note) => note.message)).toEqual(recorded);
    await client.close();
  });

  it("works with the newer client line (@modelcontextprotocol/client 2.x): lists the tools and gets a picture", async () => {
    const client = new ClientV2({ name: "flux-api-worker-test-v2", version: "1.0.0" });
    await client.connect(
      new TransportV2(new URL(`${live.service.baseUrl}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${live.service.apiKey}` } },
      }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["generate_image", "edit_image", "list_models"]);
    const result = await client.callTool({
      name: "generate_image",
      arguments: { prompt: `${marker()} a harbour`, size: "768x512" },
    });
    expect(result.isError).toBeFalsy();
    const image = result.content.find((part) => part.type === "image");
    if (image?.type !== "image") throw new Error("no image part");
    expect(jpegDimensions(Buffer.from(image.data, "base64"))).toEqual({ width: 768, height: 512 });
    await client.close();
  });

  it("says what went wrong as a tool error, not a protocol crash", async () => {
    const client = await connect();
    const missing = (await client.callTool({ name: "generate_image", arguments: {} })) as ToolResult;
    expect(missing.isError).toBe(true);
    expect(JSON.stringify(missing.content)).toContain("prompt");
    const badSize = (await client.callTool({
      name: "generate_image",
      arguments: { prompt: "a fox", aspect_ratio: "wide" },
    })) as ToolResult;
    expect(badSize.isError).toBe(true);
    const unknown = (await client.callTool({ name: "paint_wall", arguments: {} })) as ToolResult;
    expect(unknown.isError).toBe(true);
    const refused = (await client.callTool({
      name: "generate_image",
      arguments: { prompt: `${marker()} a fox`, model: "flux-2-klein-4b", negative_prompt: "blur" },
    })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain("negative_prompt");
    await client.close();
  });

  it("list_models gives every model with its capabilities", async () => {
    const client = await connect();
    const result = await client.callTool({ name: "list_models", arguments: {} });
    const structured = "structuredContent" in result ? (result.structuredContent as { models?: unknown[] }) : {};
    expect(structured.models).toHaveLength(11);
    await client.close();
  });

  it("answers 401 with WWW-Authenticate without a key, before any MCP work", async () => {
    const response = await fetch(`${live.service.baseUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expect(connect("sk-wrong")).rejects.toThrow();
  });

  it("answers a body that is not JSON-RPC with the protocol's error", async () => {
    const post = (body: string) =>
      fetch(`${live.service.baseUrl}/mcp`, {
        method: "POST",
        headers: { authorization: `Bearer ${live.service.apiKey}`, "content-type": "application/json" },
        body,
      });
    const notJson = await post("{nope");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    expect(await (await post(JSON.stringify({ hello: "world" }))).json()).toMatchObject({ error: { code: -32600 } });
    expect(await (await post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "nope" }))).json()).toMatchObject({
      id: 3,
      error: { code: -32601 },
    });
    const get = await fetch(`${live.service.baseUrl}/mcp`, {
      headers: { authorization: `Bearer ${live.service.apiKey}` },
    });
    expect(get.status).toBe(405);
  });
});

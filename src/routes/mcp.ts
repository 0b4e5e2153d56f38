/**
 * /mcp: this Worker as a remote MCP server (Streamable HTTP, stateless), for AI assistants that call
 * tools when a conversation needs a picture. The same API keys (the auth stage answers 401 before any
 * MCP work), and every tool call is a request to the Worker's own Images API, so it is a job like any
 * other: rate limit, budget, record, costs. A refusal (the limit, the budget, bad input) is a tool
 * result with `isError`, so the assistant can tell the person why.
 */
import { resolveModel, sizeForRatio, type ImageModel } from "../lib/generation/models.ts";
import { ApiError, toApiError } from "../lib/http/errors.ts";
import { encodeBase64 } from "../lib/storage/image-bytes.ts";
import {
  errorMessage,
  negotiatedVersion,
  NOT_JSON,
  readMessage,
  resultMessage,
  RPC_ERRORS,
  type Incoming,
  type RpcRequest,
} from "../lib/mcp/json-rpc.ts";
import { editArgs, generateArgs, toolArguments, TOOLS, type EditArgs, type GenerateArgs } from "../lib/mcp/tools.ts";
import { MAX_BODY_BYTES, readJsonBody } from "../lib/openai/request-body.ts";
import type { RoutedRequest } from "./context.ts";

/** Calls one of this Worker's own routes in-process, as the caller (their key and origin). */
export type Dispatch = (request: Request) => Promise<Response>;

const SERVER_INFO = { name: "flux-api-worker", title: "Flux API Worker", version: "0.1.0" };
/** The largest picture sent inline as an image part; a larger one is sent as a JPEG link only. */
const MAX_INLINE_BYTES = 1_000_000;

export async function mcpPost(request: RoutedRequest, dispatch: Dispatch): Promise<Response> {
  let incoming: Incoming;
  try {
    incoming = readMessage(await readJsonBody(request, MAX_BODY_BYTES));
  } catch (error) {
    // Too large, or cut off, is what it is; a body that is not JSON is the protocol's parse error.
    if (error instanceof ApiError && error.code !== "invalid_json") throw error;
    incoming = NOT_JSON;
  }
  if (incoming.kind === "accepted") return new Response(null, { status: 202 });
  if (incoming.kind === "invalid")
    return Response.json(errorMessage(incoming.id, incoming.code, incoming.message), {
      status: incoming.code === RPC_ERRORS.parse ? 400 : 200,
    });
  return Response.json(await answer(incoming.request, request, dispatch));
}

async function answer(rpc: RpcRequest, request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  switch (rpc.method) {
    case "initialize":
      return resultMessage(rpc.id, {
        protocolVersion: negotiatedVersion(rpc.params.protocolVersion),
        capabilities: { tools: { listChanged: false } },
        serverInfo: SERVER_INFO,
        instructions:
          "Image tools: generate_image paints a picture from a description, edit_image changes or combines pictures (or repaints a masked area), list_models says which models exist and what they cost.",
      });
    case "ping":
      return resultMessage(rpc.id, {});
    case "tools/list":
      return resultMessage(rpc.id, { tools: TOOLS });
    case "tools/call":
      return resultMessage(rpc.id, await callTool(rpc.params, request, dispatch));
    default:
      return errorMessage(rpc.id, RPC_ERRORS.methodNotFound, `Method not found: ${rpc.method}.`);
  }
}

/** A tool's result; its failures are results too (`isError`), with the reason in words. */
async function callTool(params: Record<string, unknown>, request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  const name = params.name;
  try {
    if (name === "generate_image")
      return await generate(toolArguments(generateArgs, params.arguments, name), request, dispatch);
    if (name === "edit_image") return await edit(toolArguments(editArgs, params.arguments, name), request, dispatch);
    if (name === "list_models") return await listModels(request, dispatch);
    throw new ApiError(
      400,
      `Unknown tool ${JSON.stringify(name)}: the tools are ${TOOLS.map((tool) => tool.name).join(", ")}.`,
      {
        code: "unknown_tool",
      },
    );
  } catch (error) {
    const apiError = toApiError(error);
    return { content: [{ type: "text", text: apiError.message }], isError: true };
  }
}

function generate(args: GenerateArgs, request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  const body = {
    prompt: args.prompt,
    model: args.model,
    n: args.n,
    seed: args.seed,
    negative_prompt: args.negative_prompt,
    size: args.size ?? ratioSize(args.aspect_ratio, resolveModel(args.model, request.settings.defaultModel)),
    response_format: "url",
  };
  return paint("/v1/images/generations", body, request, dispatch);
}

function edit(args: EditArgs, request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  if (args.images.length > 4)
    throw new ApiError(400, "edit_image: give at most 4 images.", { code: "too_many_images" });
  const body = {
    prompt: args.prompt,
    model: args.model,
    seed: args.seed,
    images: args.images.map((url) => ({ image_url: url })),
    ...(args.mask ? { mask: { image_url: args.mask } } : {}),
    response_format: "url",
  };
  return paint("/v1/images/edits", body, request, dispatch);
}

/** "16:9" as the size the model paints that ratio at (models.ts sizeForRatio, as chat does), or its default. */
function ratioSize(ratio: string | undefined, model: ImageModel): string | undefined {
  if (ratio === undefined) return undefined;
  const match = /^\s*(\d{1,2})\s*[:x/]\s*(\d{1,2})\s*$/.exec(ratio);
  const [w = 0, h = 0] = match ? [Number(match[1]), Number(match[2])] : [];
  if (!(w > 0 && h > 0) || w > 4 * h || h > 4 * w)
    throw new ApiError(
      400,
      `aspect_ratio must be width:height such as 16:9, at most 4:1 (got ${JSON.stringify(ratio)}).`,
      {
        code: "invalid_arguments",
      },
    );
  const { width, height } = sizeForRatio(model, w / h);
  return `${width}x${height}`;
}

type Cost = { neurons: number | null; usd: number | null; estimated: boolean };

interface ImagesAnswer {
  /** Each picture's own cost comes when there are several. */
  data: { url: string; seed?: number; cost?: Cost }[];
  model: string;
  size: string;
  cost?: Cost;
  error?: { message: string };
}

/** Runs the job through the Images API and answers with each picture inline, its link and its figures. */
async function paint(path: string, body: unknown, request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  const response = await dispatch(innerRequest(request, path, { method: "POST", body: JSON.stringify(body) }));
  const answer = await response.json<ImagesAnswer>();
  if (!response.ok)
    throw new ApiError(response.status, answer.error?.message ?? `The request failed (HTTP ${response.status}).`);
  const [width = 0, height = 0] = answer.size.split("x").map(Number);
  const images = answer.data.map((image) => ({ url: image.url, width, height, seed: image.seed ?? null }));
  const content: unknown[] = [];
  for (const [index, image] of images.entries()) {
    const picture = await dispatch(innerRequest(request, new URL(image.url).pathname, { method: "GET" }));
    const bytes = picture.ok ? new Uint8Array(await picture.arrayBuffer()) : undefined;
    const figures = `${width}×${height}, model ${answer.model}, seed ${image.seed ?? "none"}${costText(answer.data[index]?.cost ?? answer.cost)}`;
    content.push(
      ...pictureParts(
        bytes,
        picture.headers.get("content-type") ?? "image/jpeg",
        `Picture ${index + 1} of ${images.length}: ${image.url} — ${figures}`,
      ),
    );
  }
  return { content, structuredContent: { model: answer.model, images, cost: answer.cost } };
}

/**
 * One picture as an assistant gets it: inline as an image part when small enough for it (at most
 * `maxBytes`), and always a text part with its link and figures.
 */
export function pictureParts(
  bytes: Uint8Array | undefined,
  mimeType: string,
  text: string,
  maxBytes = MAX_INLINE_BYTES,
): unknown[] {
  if (bytes && bytes.byteLength <= maxBytes)
    return [
      { type: "image", data: encodeBase64(bytes), mimeType },
      { type: "text", text: `${text}.` },
    ];
  return [{ type: "text", text: `${text} (too large to show inline: open the link).` }];
}

function costText(cost: Cost | undefined): string {
  if (!cost || cost.neurons === null) return "";
  return `, ${cost.neurons} neurons${cost.estimated ? " (estimated)" : ""} ≈ $${cost.usd}`;
}

async function listModels(request: RoutedRequest, dispatch: Dispatch): Promise<unknown> {
  const response = await dispatch(innerRequest(request, "/v1/models", { method: "GET" }));
  const { data } = await response.json<{
    data: { id: string; type: string; displayName: string; description: string; capabilities: unknown }[];
  }>();
  const models = data
    .filter((entry) => entry.type === "image")
    .map(({ id, displayName, description, capabilities }) => ({ id, name: displayName, description, capabilities }));
  const lines = models.map((model) => `${model.id} (${model.name}): ${model.description}`);
  return { content: [{ type: "text", text: lines.join("\n") }], structuredContent: { models } };
}

/** A request to one of this Worker's routes with the caller's key and origin. */
function innerRequest(request: RoutedRequest, path: string, init: { method: string; body?: string }): Request {
  const headers = new Headers({ "content-type": "application/json" });
  const authorization = request.headers.get("authorization");
  if (authorization) headers.set("authorization", authorization);
  const apiKey = request.headers.get("x-api-key");
  if (apiKey) headers.set("x-api-key", apiKey);
  return new Request(new URL(path, request.url), { ...init, headers });
}

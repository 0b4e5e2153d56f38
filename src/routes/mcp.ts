/**
 * /mcp: this Worker as a remote MCP server (Streamable HTTP, stateless), for AI assistants that call
 * tools when a conversation needs a picture. The same API keys (the auth stage answers 401 before any
 * MCP work), and every tool call is a request to the Worker's own Images API, so it is a job like any
 * other: rate limit, budget, record, costs. A refusal (the limit, the budget, bad input) is a tool
 * result with `isError`, so the assistant can tell the person why.
 */
import { resolveModel, sizeForRatio, type ImageModel } from "../lib/generation/models.ts";
import { ApiError, toApiError } from "../lib/http/errors.ts";
import type { ImagesBinding } from "../lib/images/downscale.ts";
import type { JobEvent } from "../lib/jobs.ts";
import { pictureParts, type ContentPart } from "../lib/mcp/picture-parts.ts";
import { sseData, sseResponse } from "../lib/openai/sse.ts";
import {
  errorMessage,
  negotiatedVersion,
  NOT_JSON,
  progressMessage,
  progressTokenOf,
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

/** What a tool call needs: the caller's request, the way to its own routes, and who hears its job's events. */
interface ToolContext {
  request: RoutedRequest;
  dispatch: Dispatch;
  images: ImagesBinding | undefined;
  onJobEvent?: (event: JobEvent) => Promise<void>;
}

const SERVER_INFO = { name: "flux-api-worker", title: "Flux API Worker", version: "0.1.0" };

export async function mcpPost(
  request: RoutedRequest,
  env: Env,
  ctx: ExecutionContext,
  dispatch: Dispatch,
): Promise<Response> {
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
  const rpc = incoming.request;
  const tools: ToolContext = { request, dispatch, images: env.IMAGES };
  const token = rpc.method === "tools/call" ? progressTokenOf(rpc.params) : undefined;
  if (token === undefined || !acceptsEventStream(request)) return Response.json(await answer(rpc, tools));
  // A call with a progress token is answered as SSE: a notification per job event, then the result.
  return sseResponse(
    async (writer) => {
      // The events that say something (the queued and succeeded ones do not: the result follows).
      const onJobEvent = async (event: JobEvent) => {
        if (event.message) await writer.write(sseData(progressMessage(token, event.id, event.message)));
      };
      await writer.write(sseData(await answer(rpc, { ...tools, onJobEvent })));
    },
    { waitUntil: (promise) => ctx.waitUntil(promise) },
  );
}

function acceptsEventStream(request: RoutedRequest): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

async function answer(rpc: RpcRequest, tools: ToolContext): Promise<unknown> {
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
      return resultMessage(rpc.id, await callTool(rpc.params, tools));
    default:
      return errorMessage(rpc.id, RPC_ERRORS.methodNotFound, `Method not found: ${rpc.method}.`);
  }
}

/** A tool's result; its failures are results too (`isError`), with the reason in words. */
async function callTool(params: Record<string, unknown>, tools: ToolContext): Promise<unknown> {
  const name = params.name;
  try {
    if (name === "generate_image") return await generate(toolArguments(generateArgs, params.arguments, name), tools);
    if (name === "edit_image") return await edit(toolArguments(editArgs, params.arguments, name), tools);
    if (name === "list_models") return await listModels(tools);
    throw new ApiError(
      400,
      `Unknown tool ${JSON.stringify(name)}: the tools are ${TOOLS.map((tool) => tool.name).join(", ")}.`,
      { code: "unknown_tool" },
    );
  } catch (error) {
    const apiError = toApiError(error);
    return { content: [{ type: "text", text: apiError.message }], isError: true };
  }
}

function generate(args: GenerateArgs, tools: ToolContext): Promise<unknown> {
  const body = {
    prompt: args.prompt,
    model: args.model,
    n: args.n,
    seed: args.seed,
    negative_prompt: args.negative_prompt,
    size: args.size ?? ratioSize(args.aspect_ratio, resolveModel(args.model, tools.request.settings.defaultModel)),
    response_format: "url",
  };
  return paint("/v1/images/generations", body, tools);
}

function edit(args: EditArgs, tools: ToolContext): Promise<unknown> {
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
  return paint("/v1/images/edits", body, tools);
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
      { code: "invalid_arguments" },
    );
  const { width, height } = sizeForRatio(model, w / h);
  return `${width}x${height}`;
}

type Cost = { neurons: number | null; usd: number | null; estimated: boolean };

interface ImagesAnswer {
  /** Each picture's own cost comes when there are several; `b64_json` beside its link (`inlinePictures`). */
  data: { url: string; b64_json?: string; seed?: number; cost?: Cost }[];
  model: string;
  size: string;
  output_format?: string;
  cost?: Cost;
  error?: { message: string };
}

/**
 * Runs the job through the Images API and answers with each picture inline, its link and its figures.
 * The answer carries each picture beside its link (`inlinePictures`): reading them back from the links
 * would cost a route and a KV read each, and KV may not have them yet where it is read.
 */
async function paint(path: string, body: unknown, tools: ToolContext): Promise<unknown> {
  const post = Object.assign(innerRequest(tools.request, path, { method: "POST", body: JSON.stringify(body) }), {
    onJobEvent: tools.onJobEvent,
    inlinePictures: true,
  });
  const response = await tools.dispatch(post);
  const answer = await response.json<ImagesAnswer>();
  if (!response.ok)
    throw new ApiError(response.status, answer.error?.message ?? `The request failed (HTTP ${response.status}).`);
  const [width = 0, height = 0] = answer.size.split("x").map(Number);
  const images = answer.data.map((image) => ({ url: image.url, width, height, seed: image.seed ?? null }));
  const mimeType = `image/${answer.output_format ?? "jpeg"}`;
  const content: ContentPart[] = [];
  for (const [index, image] of images.entries()) {
    const figures = `${width}×${height}, model ${answer.model}, seed ${image.seed ?? "none"}${costText(answer.data[index]?.cost ?? answer.cost)}`;
    const text = `Picture ${index + 1} of ${images.length}: ${image.url} — ${figures}`;
    content.push(...(await pictureParts({ base64: answer.data[index]?.b64_json, mimeType }, text, tools.images)));
  }
  const jobId = response.headers.get("x-job-id");
  return { content, structuredContent: { job: jobId, model: answer.model, images, cost: answer.cost } };
}

function costText(cost: Cost | undefined): string {
  if (!cost || cost.neurons === null) return "";
  return `, ${cost.neurons} neurons${cost.estimated ? " (estimated)" : ""} ≈ $${cost.usd}`;
}

async function listModels(tools: ToolContext): Promise<unknown> {
  const response = await tools.dispatch(innerRequest(tools.request, "/v1/models", { method: "GET" }));
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

/**
 * The JSON-RPC 2.0 messages of MCP's Streamable HTTP transport, as a stateless server reads and
 * answers them: one message per POST; a request gets its response as JSON; a notification or a
 * client's response gets 202 and no body.
 *
 * Hand-written rather than the official SDK's server: measured (esbuild, minified), the SDK's
 * McpServer with its zod and ajv adds 729 KB to a Worker of 265 KB, and even its low-level Server
 * about 300 KB; what a stateless server with three tools needs of the protocol is this file.
 */

export const JSONRPC = "2.0";

/** The versions this server speaks, newest first; a client asking another gets the newest. */
export const PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;

/** JSON-RPC's error codes. */
export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
} as const;

export type RpcId = string | number;

export interface RpcRequest {
  id: RpcId;
  method: string;
  params: Record<string, unknown>;
}

/** What one POSTed body is: a request to answer, something to acknowledge (202), or not JSON-RPC. */
export type Incoming =
  | { kind: "request"; request: RpcRequest }
  | { kind: "accepted" }
  | { kind: "invalid"; code: number; message: string; id: RpcId | null };

/** A body that is not JSON at all. */
export const NOT_JSON: Incoming = {
  kind: "invalid",
  code: RPC_ERRORS.parse,
  message: "Parse error: the body is not JSON.",
  id: null,
};

/** What a parsed body is. */
export function readMessage(message: unknown): Incoming {
  if (Array.isArray(message)) return invalid("Batches are not supported: send one JSON-RPC message per request.", null);
  if (typeof message !== "object" || message === null || !("jsonrpc" in message) || message.jsonrpc !== JSONRPC)
    return invalid('Not a JSON-RPC 2.0 message: it needs "jsonrpc": "2.0".', null);
  const id = "id" in message && (typeof message.id === "string" || typeof message.id === "number") ? message.id : null;
  const method = "method" in message && typeof message.method === "string" ? message.method : undefined;
  // A notification, or a client's answer to a server request (this server sends none): acknowledged.
  if (method === undefined)
    return "result" in message || "error" in message ? { kind: "accepted" } : invalid("No method.", id);
  if (id === null) return { kind: "accepted" };
  const params = "params" in message ? message.params : undefined;
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params)))
    return invalid("params must be an object.", id);
  return { kind: "request", request: { id, method, params: (params ?? {}) as Record<string, unknown> } };
}

function invalid(message: string, id: RpcId | null): Incoming {
  return { kind: "invalid", code: RPC_ERRORS.invalidRequest, message, id };
}

export function resultMessage(id: RpcId, result: unknown): unknown {
  return { jsonrpc: JSONRPC, id, result };
}

export function errorMessage(id: RpcId | null, code: number, message: string): unknown {
  return { jsonrpc: JSONRPC, id, error: { code, message } };
}

/** The version to speak: the client's when this server has it, else the newest. */
export function negotiatedVersion(requested: unknown): string {
  return PROTOCOL_VERSIONS.find((version) => version === requested) ?? PROTOCOL_VERSIONS[0];
}

/** The token a request's `_meta.progressToken` gives, under which the client accepts progress notifications. */
export function progressTokenOf(params: Record<string, unknown>): RpcId | undefined {
  const meta = params._meta;
  if (typeof meta !== "object" || meta === null || !("progressToken" in meta)) return undefined;
  const token = meta.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

/** `notifications/progress`: `progress` must grow with each one; `message` says what is happening. */
export function progressMessage(token: RpcId, progress: number, message: string): unknown {
  return { jsonrpc: JSONRPC, method: "notifications/progress", params: { progressToken: token, progress, message } };
}

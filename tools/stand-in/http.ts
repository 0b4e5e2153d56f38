// Small node:http helpers shared by the stand-in's handlers.
import type { IncomingMessage, ServerResponse } from "node:http";

// Bodies above this are answered 413 (Workers AI has a request-size limit too); the cap
// also keeps a runaway client from filling the stand-in's memory.
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface ReadBody {
  bytes: Buffer;
  tooLarge: boolean;
}

export async function readBody(req: IncomingMessage): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const piece = chunk as Buffer;
    size += piece.length;
    // Keep draining past the cap so the client finishes sending and can read our answer.
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(piece);
  }
  return { bytes: Buffer.concat(chunks), tooLarge };
}

/** Whether an answer can still be written (the client may have given up during a delay). */
export function canAnswer(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendRaw(res, status, JSON.stringify(value), "application/json", headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  if (!canAnswer(res)) return;
  res.writeHead(status, { "content-type": contentType, ...headers });
  res.end(body);
}

/** A timer that never keeps the process alive on its own (close() must not wait for it). */
export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `Bearer <token>` with a non-empty token, as both upstreams require. */
export function hasBearerToken(req: IncomingMessage): boolean {
  return /^Bearer\s+\S+$/i.test(req.headers.authorization ?? "");
}

/**
 * Server-sent events framing and the relay that feeds a response body while a
 * job runs, with keepalive comments so proxies (which drop idle connections
 * at about 60 s) and clients never see silence.
 */

const encoder = new TextEncoder();

/** Keepalives must come every ≤ 10 s; with the check below the longest silence is 7.5 s. */
export const KEEPALIVE_INTERVAL_MS = 5000;

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no", // nginx and similar proxies must not buffer the stream
} as const;

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** An event with an id, so EventSource and `Last-Event-ID` can resume after it. */
export function sseEvent(id: number, event: string, payload: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = "data: [DONE]\n\n";
export const SSE_KEEPALIVE = ": keepalive\n\n";

export interface SseWriter {
  write(text: string): Promise<void>;
  /** True once the client went away; writes after that are dropped. */
  readonly closed: boolean;
}

/**
 * Opens an SSE response at once and runs `produce` to fill it. Keepalives go
 * out whenever nothing was written for `keepaliveMs`. A client that goes away
 * only stops the writes: `produce` runs on (the job must finish regardless).
 */
export function sseResponse(
  produce: (writer: SseWriter) => Promise<void>,
  init: { headers?: HeadersInit; keepaliveMs?: number; waitUntil?: (promise: Promise<unknown>) => void } = {},
): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const sink = writable.getWriter();
  let closed = false;
  let lastWrite = Date.now();
  const writer: SseWriter = {
    get closed() {
      return closed;
    },
    async write(text: string) {
      if (closed) return;
      lastWrite = Date.now();
      await sink.write(encoder.encode(text)).catch(() => {
        closed = true;
      });
    },
  };
  const keepaliveMs = init.keepaliveMs ?? KEEPALIVE_INTERVAL_MS;
  const timer = setInterval(() => {
    // Checked every interval, sent when idle for half of it: the longest silence is 1.5 intervals.
    if (Date.now() - lastWrite >= keepaliveMs / 2) void writer.write(SSE_KEEPALIVE);
  }, keepaliveMs);
  const done = produce(writer)
    .catch((error: unknown) => console.error(JSON.stringify({ event: "sse_producer_failed", error: String(error) })))
    .finally(async () => {
      clearInterval(timer);
      if (!closed) await sink.close().catch(() => undefined);
    });
  init.waitUntil?.(done);
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(SSE_HEADERS)) headers.set(name, value);
  return new Response(readable, { headers });
}

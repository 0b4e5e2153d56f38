/** GET /: a small page saying the service runs, listing the endpoints. */
import type { RoutedRequest } from "./context.ts";

export const ENDPOINTS: readonly [string, string][] = [
  ["POST /v1/chat/completions", "OpenAI chat completions: the last user message becomes an image (stream or not)"],
  ["POST /v1/images/generations", "OpenAI Images API: prompt, n, size, response_format url | b64_json"],
  ["GET /v1/models", "the supported Flux models"],
  ["GET /v1/jobs/:id", "a generation job: status, events, result"],
  ["GET /v1/jobs/:id/events", "a job's progress as SSE, resumable with Last-Event-ID"],
  ["GET /image/:key", "a generated image (public, until it expires)"],
];

export function homePage(request: RoutedRequest): Response {
  const offline = request.settings.offline
    ? `<p class="offline"><strong>Offline mode:</strong> images come from the local stand-in upstream, not from Flux. Set CF_ACCOUNT_ID and CF_API_TOKEN for real images.</p>`
    : "";
  const rows = ENDPOINTS.map(([route, what]) => `<li><code>${route}</code> — ${what}</li>`).join("");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Flux API Worker</title></head><body><h1>Flux API Worker is running</h1>${offline}<ul>${rows}</ul></body></html>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** GET /: the playground, where a person tries the API in a browser; it also lists the endpoints. */
import { playgroundCsp, playgroundPage } from "../lib/playground/page.ts";
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
  // A fresh nonce per response: the CSP then allows this page's own inline style and script and nothing else.
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const html = playgroundPage({
    endpoints: ENDPOINTS,
    offline: request.settings.offline,
    origin: new URL(request.url).origin,
    nonce,
  });
  return new Response(html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": playgroundCsp(nonce),
      "cache-control": "no-store", // the nonce must not be reused from a cache
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
    },
  });
}

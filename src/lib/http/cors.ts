/**
 * CORS for every response, errors included, and preflight for every route.
 * Browsers load the playground's API calls and images from other origins;
 * CORS_ORIGINS narrows who may.
 */

const ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";
const DEFAULT_ALLOWED_HEADERS =
  "authorization, content-type, last-event-id, x-stainless-lang, x-stainless-package-version";
// www-authenticate: so that a page can read what a 401 asks for, as any other client can.
const EXPOSED_HEADERS = "x-job-id, retry-after, etag, content-length, www-authenticate";

/** The Access-Control-Allow-Origin value for this request, or undefined when the origin is not allowed. */
export function allowedOrigin(requestOrigin: string | null, allowList: readonly string[]): string | undefined {
  if (allowList.includes("*")) return "*";
  if (requestOrigin !== null && allowList.includes(requestOrigin)) return requestOrigin;
  return undefined;
}

/** Adds CORS headers to a response (a copy when its headers are immutable). */
export function withCors(response: Response, request: Request, allowList: readonly string[]): Response {
  const origin = allowedOrigin(request.headers.get("origin"), allowList);
  if (response.status === 101) return response; // WebSocket upgrades carry their own headers
  let result = response;
  try {
    applyCors(result.headers, origin, allowList);
  } catch {
    result = new Response(response.body, response); // headers of a fetched response are immutable
    applyCors(result.headers, origin, allowList);
  }
  return result;
}

function applyCors(headers: Headers, origin: string | undefined, allowList: readonly string[]): void {
  if (origin) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", EXPOSED_HEADERS);
  }
  if (!allowList.includes("*")) headers.append("vary", "Origin");
}

/** The answer to an OPTIONS preflight, for any path. */
export function preflightResponse(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? DEFAULT_ALLOWED_HEADERS,
      "access-control-max-age": "86400",
    },
  });
}

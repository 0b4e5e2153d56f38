/**
 * How a path's HTTP methods are registered: GET also answers HEAD (RFC 9110: the same headers, no
 * body; monitors and caches check a resource with it), and any other method gets a 405 whose Allow
 * header is derived from what was registered, so the two cannot disagree.
 */
import type { RequestHandler, RouterType } from "itty-router";
import { ApiError } from "../lib/http/errors.ts";
import type { RouteArgs, RoutedRequest } from "./context.ts";

type Handler = RequestHandler<RoutedRequest, RouteArgs>;

export interface PathMethods {
  GET?: Handler[];
  POST?: Handler[];
  /** False for a GET that must not run for HEAD (e.g. one that opens a live stream only to drop it). */
  head?: boolean;
}

export function addPath(router: RouterType<RoutedRequest, RouteArgs>, path: string, methods: PathMethods): void {
  const allowed: string[] = [];
  if (methods.GET) {
    router.get(path, ...methods.GET);
    allowed.push("GET");
    if (methods.head !== false) {
      router.head(path, ...methods.GET);
      allowed.push("HEAD");
    }
  }
  if (methods.POST) {
    router.post(path, ...methods.POST);
    allowed.push("POST");
  }
  router.all(path, methodNotAllowed(allowed.join(", ")));
}

/** A 405 for any other method on a known path, with the Allow header HTTP requires. */
function methodNotAllowed(methods: string): Handler {
  return (request) => {
    const path = new URL(request.url).pathname;
    throw new ApiError(405, `Method ${request.method} is not allowed on ${path}; use ${methods}.`, {
      code: "method_not_allowed",
      headers: { allow: methods },
    });
  };
}

/**
 * A HEAD ran the GET handlers: its response keeps their headers, with the length of the body they
 * made, and drops the body.
 */
export async function headWithoutBody(response: Response, request: RoutedRequest): Promise<Response> {
  if (request.method !== "HEAD" || response.body === null) return response;
  const headers = new Headers(response.headers);
  if (!headers.has("content-length")) headers.set("content-length", String((await response.arrayBuffer()).byteLength));
  else void response.body.cancel();
  return new Response(null, { status: response.status, statusText: response.statusText, headers });
}

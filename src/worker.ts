/**
 * Flux API Worker: an OpenAI-compatible image-generation API on Cloudflare
 * Workers. This file is the table of contents: the routes, and the stages
 * every request passes (settings, preflight, errors, CORS).
 */
import { Router, type RequestHandler } from "itty-router";
import { requireApiKey } from "./lib/http/auth.ts";
import { preflightResponse, withCors } from "./lib/http/cors.ts";
import { ApiError, errorResponse } from "./lib/http/errors.ts";
import { settingsOf } from "./lib/settings.ts";
import { chatCompletions } from "./routes/chat.ts";
import type { RouteArgs, RoutedRequest } from "./routes/context.ts";
import { serveImage } from "./routes/image.ts";
import { imageEdits, imageGenerations } from "./routes/images.ts";
import { getJob, getJobEvents } from "./routes/jobs.ts";
import { listModels, retrieveModel } from "./routes/models.ts";
import { serviceInfo } from "./routes/service.ts";

export { GenerationJob } from "./objects/generation-job.ts";
export { RateLimiter } from "./objects/rate-limiter.ts";

/** Authenticated routes run this first; it remembers the key for the per-key rate limit. */
const withApiKey: RequestHandler<RoutedRequest, RouteArgs> = async (request) => {
  request.keyDigest = await requireApiKey(request, request.settings.apiKeys);
};

/** A 405 for any other method on a known path, with the Allow header HTTP requires. */
function allowOnly(methods: string): RequestHandler<RoutedRequest, RouteArgs> {
  return (request) => {
    const path = new URL(request.url).pathname;
    throw new ApiError(405, `Method ${request.method} is not allowed on ${path}; use ${methods}.`, {
      code: "method_not_allowed",
      headers: { allow: methods },
    });
  };
}

/** HEAD is GET without the body (RFC 9110): a HEAD runs the GET handlers, and this drops the body they made. */
function headWithoutBody(response: Response, request: RoutedRequest): Response {
  if (request.method !== "HEAD" || response.body === null) return response;
  void response.body.cancel();
  return new Response(null, response);
}

function notFound(request: RoutedRequest): never {
  throw new ApiError(
    404,
    `No route for ${request.method} ${new URL(request.url).pathname}. See GET / for the endpoints.`,
    { code: "not_found" },
  );
}

const router = Router<RoutedRequest, RouteArgs>({
  before: [
    (request, env) => {
      request.settings = settingsOf(env);
    },
    (request) => (request.method === "OPTIONS" ? preflightResponse(request) : undefined),
  ],
  catch: errorResponse,
  finally: [
    headWithoutBody,
    (response: Response, request) => withCors(response, request, request.settings?.corsOrigins ?? ["*"]),
  ],
});

/** A route for GET and HEAD alike (monitors and caches check a resource with HEAD). */
function getOrHead(path: string, ...handlers: RequestHandler<RoutedRequest, RouteArgs>[]): void {
  router.get(path, ...handlers).head(path, ...handlers);
}

// The playground (GET /) is static files in public/ (wrangler.jsonc "assets"): a request for one of
// them never reaches the Worker. Everything else does: the API, the images and unknown paths.
getOrHead("/v1/service", serviceInfo);
getOrHead("/v1/models", withApiKey, listModels);
getOrHead("/v1/models/:id+", withApiKey, retrieveModel);
getOrHead("/v1/jobs/:id", withApiKey, getJob);
getOrHead("/image/:key", serveImage);
router
  .post("/v1/chat/completions", withApiKey, chatCompletions)
  .post("/v1/images/generations", withApiKey, imageGenerations)
  .post("/v1/images/edits", withApiKey, imageEdits)
  // Not HEAD: that would open a live stream to the job only to throw it away.
  .get("/v1/jobs/:id/events", withApiKey, getJobEvents)
  .all("/v1/service", allowOnly("GET, HEAD"))
  .all("/v1/models", allowOnly("GET, HEAD"))
  .all("/v1/models/:id+", allowOnly("GET, HEAD"))
  .all("/v1/chat/completions", allowOnly("POST"))
  .all("/v1/images/generations", allowOnly("POST"))
  .all("/v1/images/edits", allowOnly("POST"))
  .all("/v1/jobs/:id", allowOnly("GET, HEAD"))
  .all("/v1/jobs/:id/events", allowOnly("GET"))
  .all("/image/:key", allowOnly("GET, HEAD"))
  .all("*", notFound);

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

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
import { addPath, headWithoutBody } from "./routes/methods.ts";
import { serveImage } from "./routes/image.ts";
import { imageEdits, imageGenerations, imageVariations } from "./routes/images.ts";
import { getJob, getJobEvents } from "./routes/jobs.ts";
import { mcpPost } from "./routes/mcp.ts";
import { listModels, retrieveModel } from "./routes/models.ts";
import { serviceInfo } from "./routes/service.ts";
import { getUsage, listJobs } from "./routes/usage.ts";

export { GenerationJob } from "./objects/generation-job.ts";
export { RateLimiter } from "./objects/rate-limiter.ts";

/** Authenticated routes run this first; it remembers the caller for its rate limit, budget and history. */
const withApiKey: RequestHandler<RoutedRequest, RouteArgs> = async (request) => {
  request.caller = await requireApiKey(request, request.settings.apiKeys);
  request.keyDigest = request.caller.digest;
};

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

// The playground (GET /) is static files in public/ (wrangler.jsonc "assets"): a request for one of
// them never reaches the Worker. Everything else does: the API, the images and unknown paths.
addPath(router, "/v1/service", { GET: [serviceInfo] });
addPath(router, "/v1/models", { GET: [withApiKey, listModels] });
addPath(router, "/v1/models/:id+", { GET: [withApiKey, retrieveModel] });
addPath(router, "/v1/chat/completions", { POST: [withApiKey, chatCompletions] });
addPath(router, "/v1/images/generations", { POST: [withApiKey, imageGenerations] });
addPath(router, "/v1/images/edits", { POST: [withApiKey, imageEdits] });
addPath(router, "/v1/images/variations", { POST: [withApiKey, imageVariations] });
addPath(router, "/v1/usage", { GET: [withApiKey, getUsage] });
addPath(router, "/v1/jobs", { GET: [withApiKey, listJobs] });
addPath(router, "/v1/jobs/:id", { GET: [withApiKey, getJob] });
// Not HEAD: that would open a live stream to the job only to throw it away.
addPath(router, "/v1/jobs/:id/events", { GET: [withApiKey, getJobEvents], head: false });
addPath(router, "/image/:key", { GET: [serveImage] });
// MCP (Streamable HTTP, stateless): POST only; its tools call the routes above, in-process, as the caller.
addPath(router, "/mcp", {
  POST: [withApiKey, (request, env, ctx) => mcpPost(request, env, ctx, (inner) => router.fetch(inner, env, ctx))],
});
router.all("*", notFound);

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

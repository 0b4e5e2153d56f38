/**
 * GET /v1/service: what the playground (static files, served without the
 * Worker) cannot know by itself. Public, so it carries no secret and nothing
 * about the operator's setup beyond whether the images are placeholders.
 */
import type { RoutedRequest } from "./context.ts";

export interface ServiceInfo {
  object: "service";
  /** True when `npm start` runs the Worker against the local stand-in: its images are placeholders. */
  offline: boolean;
}

export function serviceInfo(request: RoutedRequest): Response {
  const info: ServiceInfo = { object: "service", offline: request.settings.offline };
  // Settings change only with a restart or deploy, but a stale "offline" banner would mislead: no caching.
  return Response.json(info, { headers: { "cache-control": "no-store" } });
}

/** What every route handler receives: the request, with the settings read once by the router. */
import type { IRequest } from "itty-router";
import type { Caller } from "../lib/http/auth.ts";
import type { JobEvent } from "../lib/jobs.ts";
import type { Settings } from "../lib/settings.ts";

/**
 * `caller`: who called, set by the auth stage; `keyDigest` is its key's SHA-256 (hex), never the key.
 * `onJobEvent`: set only in-process, by a route that calls another as the caller (MCP's progress
 * notifications), to hear the job's events as they happen; no HTTP request can carry it.
 * `inlinePictures`: set only in-process too (MCP shows each picture inline): an Images API answer
 * with links also carries each picture as `b64_json`, so the caller need not read them back.
 */
export type RoutedRequest = IRequest & {
  settings: Settings;
  keyDigest?: string;
  caller?: Caller;
  onJobEvent?: (event: JobEvent) => Promise<void>;
  inlinePictures?: boolean;
};
export type RouteArgs = [env: Env, ctx: ExecutionContext];

/**
 * The origin of every link the Worker gives out: PUBLIC_URL when set, else the one the request was
 * sent to, which comes from its Host header (behind a proxy that passes any Host, anyone's choice).
 */
export function linkOrigin(request: RoutedRequest): string {
  return request.settings.publicOrigin ?? new URL(request.url).origin;
}

/** What every route handler receives: the request, with the settings read once by the router. */
import type { IRequest } from "itty-router";
import type { Settings } from "../lib/settings.ts";

export type RoutedRequest = IRequest & { settings: Settings; apiKey?: string };
export type RouteArgs = [env: Env, ctx: ExecutionContext];

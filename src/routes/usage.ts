/**
 * GET /v1/usage and GET /v1/jobs: what the caller's key spent (today, by model, the last 30 days),
 * its budget and the service's, and its own jobs, newest first. Read from the key's account object
 * and the service's (objects/rate-limiter.ts), never from another key's.
 */
import { DAILY_FREE_NEURONS, reportedCost } from "../lib/generation/cost.ts";
import { nextUtcMidnight } from "../lib/generation/utc-day.ts";
import { ApiError } from "../lib/http/errors.ts";
import type { DayUsage } from "../lib/budget/ledger.ts";
import { SERVICE_ACCOUNT } from "../objects/rate-limiter.ts";
import type { RoutedRequest } from "./context.ts";

function accountOf(env: Env, name: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
}

function caller(request: RoutedRequest) {
  if (!request.caller) throw new ApiError(401, "Missing API key.", { code: "missing_api_key" });
  return request.caller;
}

const round = (value: number) => Math.round(value * 100) / 100;

function day(usage: DayUsage) {
  return {
    day: usage.day,
    neurons: round(usage.neurons),
    usd: reportedCost(usage.neurons).usd,
    pictures: usage.pictures,
    models: Object.fromEntries(
      Object.entries(usage.models).map(([model, figures]) => [model, { ...figures, neurons: round(figures.neurons) }]),
    ),
  };
}

export async function getUsage(request: RoutedRequest, env: Env): Promise<Response> {
  const { digest, name, dailyNeuronLimit } = caller(request);
  const [key, service] = await Promise.all([accountOf(env, digest).usage(), accountOf(env, SERVICE_ACCOUNT).usage()]);
  const keyLimit = dailyNeuronLimit ?? request.settings.budget.perKey;
  const totalLimit = request.settings.budget.total;
  const remaining = (limit: number | undefined, spent: number, reserved: number) =>
    limit === undefined ? null : round(Math.max(0, limit - spent - reserved));
  return Response.json({
    object: "usage",
    key: name,
    day: key.today.day,
    resets_at: Math.floor(nextUtcMidnight() / 1000),
    today: { ...day(key.today), reserved: round(key.reserved) },
    budget: {
      key: { limit: keyLimit ?? null, remaining: remaining(keyLimit, key.today.neurons, key.reserved) },
      service: {
        limit: totalLimit ?? null,
        spent: round(service.today.neurons),
        remaining: remaining(totalLimit, service.today.neurons, service.reserved),
      },
      // The account's own allowance, as far as this service spends it (other Workers on the account count too).
      daily_free_neurons: DAILY_FREE_NEURONS,
    },
    days: key.days.map(day),
  });
}

const MAX_PAGE = 100;

export async function listJobs(request: RoutedRequest, env: Env): Promise<Response> {
  const { digest } = caller(request);
  const params = new URL(request.url).searchParams;
  const limit = pageSize(params.get("limit"));
  const after = params.get("after") ?? undefined;
  if (after !== undefined && !/^[0-9a-f]{64}$/.test(after))
    throw new ApiError(400, "Invalid value for 'after': the id of the last job of the page before (last_id).", {
      param: "after",
      code: "invalid_request",
    });
  // One more than asked, to know whether another page follows.
  const jobs = await accountOf(env, digest).jobs(limit + 1, after);
  const data = jobs.slice(0, limit);
  return Response.json({
    object: "list",
    data: data.map((job) => ({ object: "generation.job", ...job })),
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: jobs.length > limit,
  });
}

function pageSize(text: string | null): number {
  if (text === null) return 20;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE)
    throw new ApiError(400, `Invalid value for 'limit': a whole number from 1 to ${MAX_PAGE}.`, {
      param: "limit",
      code: "invalid_request",
    });
  return size;
}

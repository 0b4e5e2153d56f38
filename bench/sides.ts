/**
 * The services the bench compares, each started fresh in exactly the same way:
 * `npm start`'s own launcher (scripts/start.ts: the stand-in upstream in its
 * process, then `wrangler dev --local` behind wrangler's proxy), a private
 * `--persist-to` folder, the same environment. They differ only in the Worker
 * (the project's wrangler.jsonc, or bench/baseline/'s with `--config`) and in
 * the project's rate limit.
 *
 * The work is the original Flux-API-Worker's: flux-1-schnell with prompt
 * optimisation on (Workers AI's chat model, at the stand-in), on both sides.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, stopProcessGroup, waitUntilReady, type RunningService } from "../test/e2e/service.ts";
import { BENCH_MODEL } from "./requests.ts";
import type { BenchSetup } from "./setup.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

export const SIDES = ["baseline", "project, rate limit on", "project, rate limit off"] as const;
export type Side = (typeof SIDES)[number];
export type ProjectSide = Exclude<Side, "baseline">;
export const PROJECT_SIDES: readonly ProjectSide[] = ["project, rate limit on", "project, rate limit off"];

/**
 * "Rate limit on": the limiter runs on every request but never refuses. Each
 * client has its own key (as separate users would: one key shared by 128
 * clients would queue them all on one limiter object), and the limit is the
 * highest RATE_LIMIT_PER_MINUTE takes. "Off" is RATE_LIMIT_PER_MINUTE=0 with
 * the same keys, so the two differ only by the limiter.
 */
export const RATE_LIMIT_ON_PER_MINUTE = 1_000_000;

/** `count` API keys, one per client; API_KEY takes them as a comma-separated list on every side. */
export function benchApiKeys(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `sk-bench-client-${String(index).padStart(3, "0")}`);
}

export interface BenchService extends RunningService {
  side: Side;
  /** Client `i` sends `apiKeys[i % length]`; sequential phases send the first. */
  apiKeys: string[];
  /** `npm start`'s launcher: the service's processes run below it. */
  pid: number;
}

/** The settings each side runs with, as `--var NAME:VALUE`. */
function varsOf(side: Side, apiKeys: string[]): Record<string, string> {
  const work = { FLUX_MODEL: BENCH_MODEL, PROMPT_OPTIMIZATION: "true", API_KEY: apiKeys.join(",") };
  if (side === "baseline") return work;
  const limit = side === "project, rate limit on" ? String(RATE_LIMIT_ON_PER_MINUTE) : "0";
  return { ...work, RATE_LIMIT_PER_MINUTE: limit };
}

/** Another process can still bind a chosen port first; starting again on new ports is the cure. */
const START_ATTEMPTS = 3;

/** More settings on top of the side's own, and more arguments for wrangler dev (the profile's). */
export interface SideExtras {
  vars?: Record<string, string>;
  args?: string[];
  /** More environment for the launcher (the profile's private dev registry). */
  env?: Record<string, string>;
  /** A state folder of the caller's (shared with another wrangler dev), kept when the side stops. */
  persistTo?: string;
}

export async function startSide(
  side: Side,
  setup: BenchSetup,
  apiKeys: string[],
  extras: SideExtras = {},
): Promise<BenchService> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(side, setup, apiKeys, extras);
    } catch (error) {
      const portTaken = /already in use|EADDRINUSE|is taken/.test(String(error));
      if (!portTaken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** As test/e2e/service.ts starts `npm start`, plus the baseline's `--config`. */
async function startOnce(side: Side, setup: BenchSetup, apiKeys: string[], extras: SideExtras): Promise<BenchService> {
  const [port, standInPort] = [await freePort(), await freePort()];
  const state = extras.persistTo ?? mkdtempSync(join(setup.stateDir, "flux-bench-"));
  const removeState = () => {
    if (!extras.persistTo) rmSync(state, { recursive: true, force: true });
  };
  const vars = Object.entries({ ...varsOf(side, apiKeys), ...extras.vars }).flatMap(([name, value]) => [
    "--var",
    `${name}:${value}`,
  ]);
  const config = side === "baseline" ? ["--config", "bench/baseline/wrangler.jsonc"] : [];
  const child = spawn(
    process.execPath,
    ["scripts/start.ts", "--persist-to", state, ...vars, ...config, ...(extras.args ?? [])],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...extras.env,
        ...(setup.localObservability ? {} : { X_LOCAL_OBSERVABILITY: "false" }),
        PORT: String(port),
        STAND_IN_PORT: String(standInPort),
        STAND_IN_LATENCY_MS: "0",
        // Offline on the stand-in, whatever credentials the shell has.
        CF_ACCOUNT_ID: "",
        CF_API_TOKEN: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so stop() also ends wrangler and workerd
    },
  );
  const pid = child.pid;
  if (pid === undefined) {
    removeState();
    throw new Error(`could not start npm start for the ${side}`);
  }
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const service: BenchService = {
    side,
    apiKeys,
    pid,
    baseUrl: `http://127.0.0.1:${port}`,
    standInUrl: `http://127.0.0.1:${standInPort}`,
    apiKey: apiKeys[0] ?? "",
    output: () => output,
    stop: async () => {
      await stopProcessGroup(child);
      removeState();
    },
  };
  try {
    await waitUntilReady(service.baseUrl, child, `npm start (${side})`, service.output);
  } catch (error) {
    await service.stop();
    throw new Error(`${String(error)}\n--- service output ---\n${output}`, { cause: error });
  }
  return service;
}

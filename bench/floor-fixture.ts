/**
 * Runs the memory-floor fixture (bench/floor/) under the project's
 * `wrangler dev`, set up like the bench's services: offline, the same local
 * trace store setting, state in the bench's state dir, its own process group.
 * (test/e2e/service.ts starts `npm start` rather than a bare wrangler, so only
 * its port, readiness and stop helpers fit here.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, stopProcessGroup, waitUntilReady } from "../test/e2e/service.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURE_DIR = join(PROJECT_ROOT, "bench/floor");

export interface RunningFixture {
  baseUrl: string;
  /** wrangler's launcher: the fixture's workerd processes run below it. */
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts the fixture on a free port and waits until it answers. */
export async function startFloorFixture(stateParent: string, localObservability: boolean): Promise<RunningFixture> {
  const port = await freePort();
  const state = mkdtempSync(join(stateParent, "flux-bench-floor-"));
  const args = [
    "dev",
    "--config",
    join(FIXTURE_DIR, "wrangler.toml"),
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    state,
  ];
  const child = spawn(join(PROJECT_ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: FIXTURE_DIR,
    env: {
      ...process.env,
      // wrangler's launcher runs whichever `node` is first on PATH: make it this one (22+).
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
      // The services' setting: the trace store's per-request memory belongs in the floor when they pay it too.
      ...(localObservability ? {} : { X_LOCAL_OBSERVABILITY: "false" }),
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() also ends wrangler's workerd processes
  });
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(state, { recursive: true, force: true });
    throw new Error("could not start wrangler dev for the memory-floor fixture");
  }
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const fixture: RunningFixture = {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    output: () => output,
    stop: async () => {
      await stopProcessGroup(child);
      rmSync(state, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilReady(fixture.baseUrl, child, "wrangler dev (memory-floor fixture)");
  } catch (error) {
    await fixture.stop();
    throw new Error(`${String(error)}\n--- fixture output ---\n${output}`, { cause: error });
  }
  return fixture;
}

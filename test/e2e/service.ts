/**
 * Starts the service exactly the way the README does (`npm start`, i.e.
 * `node scripts/start.ts`: wrangler dev + the stand-in upstream, offline), on
 * free ports and a private state folder, and stops it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const LOCAL_API_KEY = "sk-flux-local";

export interface RunningService {
  baseUrl: string;
  standInUrl: string;
  apiKey: string;
  /** Everything the service printed, for diagnosing a failed start. */
  output: () => string;
  stop: () => Promise<void>;
}

export interface ServiceOptions {
  /** `--var NAME:VALUE` overrides passed through to wrangler. */
  vars?: Record<string, string>;
  standInLatencyMs?: number;
  /** Extra environment for `npm start` (e.g. to test the credentials branch). */
  env?: Record<string, string>;
  /** Where the private state folder (wrangler's `--persist-to`) is made; default the OS temp folder. */
  stateParent?: string;
  /** Give the Worker's port as `npm start -- --port N --ip 127.0.0.1` instead of PORT. */
  portArgs?: boolean;
  /** The Worker's port (e.g. 8787, `npm start`'s own, for a screenshot); default a free one. */
  port?: number;
}

/**
 * A port that is free now, chosen below Linux's ephemeral range (32768–60999). A port from
 * listen(0) comes from that range, where the kernel keeps handing numbers to other processes'
 * outgoing connections and `:0` listeners (each workerd opens several), so a port freed for
 * wrangler could be taken before wrangler binds it; it happened in CI.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error("no free port between 20000 and 32000");
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Another process can still bind a chosen port first; starting again on new ports is the cure. */
const START_ATTEMPTS = 3;

export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServiceOnce(options);
    } catch (error) {
      const portTaken = /already in use|EADDRINUSE|is taken/.test(String(error));
      if (!portTaken || attempt >= START_ATTEMPTS || options.port !== undefined) throw error;
    }
  }
}

async function startServiceOnce(options: ServiceOptions): Promise<RunningService> {
  // A port asked for must be free: otherwise the readiness poll would find whatever answers there.
  if (options.port !== undefined && !(await canListen(options.port)))
    throw new Error(`port ${options.port} is in use: stop what runs there (an \`npm start\`?) and try again`);
  const [port, standInPort] = [options.port ?? (await freePort()), await freePort()];
  const state = mkdtempSync(join(options.stateParent ?? tmpdir(), "flux-e2e-"));
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const listen = options.portArgs ? ["--port", String(port), "--ip", "127.0.0.1"] : [];
  const child = spawn(process.execPath, ["scripts/start.ts", ...listen, "--persist-to", state, ...vars], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PORT: options.portArgs ? "1" : String(port), // with portArgs, a PORT that would fail shows the flag won
      STAND_IN_PORT: String(standInPort),
      STAND_IN_LATENCY_MS: String(options.standInLatencyMs ?? 0),
      CF_ACCOUNT_ID: options.env?.CF_ACCOUNT_ID ?? "",
      CF_API_TOKEN: options.env?.CF_API_TOKEN ?? "",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() also ends wrangler and workerd
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const service: RunningService = {
    baseUrl: `http://127.0.0.1:${port}`,
    standInUrl: `http://127.0.0.1:${standInPort}`,
    apiKey: LOCAL_API_KEY,
    output: () => output,
    stop: async () => {
      await stopProcessGroup(child);
      rmSync(state, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilReady(service.baseUrl, child, "the service", service.output);
  } catch (error) {
    await service.stop();
    throw new Error(`${String(error)}\n--- service output ---\n${output}`, { cause: error });
  }
  return service;
}

/**
 * Polls `GET /` (or `path`) until it answers 200; fails at once if `child` exits, or if its `output` says the
 * Worker did not build (wrangler then waits for a change instead of exiting). `what` names it in errors.
 */
export async function waitUntilReady(
  baseUrl: string,
  child: ChildProcess,
  what = "the service",
  output: () => string = () => "",
  path = "/",
): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (output().includes("Build failed")) throw new Error(`${what} did not build`);
    try {
      const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not become ready within 90 s`);
}

/** Ends the whole group, even when the launcher is already gone and its workerd processes linger. */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const leaderRunning = child.exitCode === null && child.signalCode === null;
  const exited = leaderRunning ? new Promise((resolve) => child.once("exit", resolve)) : Promise.resolve();
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return; // the whole group is gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs the memory-floor fixture (bench/floor/) under the project's
 * `wrangler dev`, set up like the bench's services: offline, the same local
 * trace store setting, state in the bench's state dir, its own process group;
 * as two Workers, its object apart (the profile's split floor); and any other plain `wrangler dev`
 * the bench needs (the profile's objects).
 * (test/e2e/service.ts starts `npm start` rather than a bare wrangler, so only
 * its port, readiness and stop helpers fit here.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, stopProcessGroup, waitUntilReady } from "../test/e2e/service.ts";
import { writeSplitConfigs } from "./split-configs.ts";

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
  const state = mkdtempSync(join(stateParent, "flux-bench-floor-"));
  try {
    const fixture = await startBareWranglerDev({
      config: join(FIXTURE_DIR, "wrangler.jsonc"),
      cwd: FIXTURE_DIR,
      state,
      localObservability,
      what: "wrangler dev (memory-floor fixture)",
    });
    return { ...fixture, stop: () => fixture.stop().finally(() => rmSync(state, { recursive: true, force: true })) };
  } catch (error) {
    rmSync(state, { recursive: true, force: true });
    throw error;
  }
}

/** A Worker split in two (split-configs.ts), both halves running. */
export interface SplitWorkers<Worker> {
  /** The Worker, whose objects run in the other process. */
  worker: Worker;
  objects: RunningFixture;
  /** Ends both and removes their folder. */
  stop: () => Promise<void>;
}

/** Where the Worker's half of a split runs from: its config, the shared state and the registry's environment. */
export interface SplitWorkerPaths {
  config: string;
  state: string;
  env: Record<string, string>;
}

export interface SplitOptions<Worker> {
  /** The wrangler config to split, and the folder it is run from. */
  config: string;
  cwd: string;
  /** Where the folder for the configs, the state and the dev registry is made. */
  stateParent: string;
  folderPrefix: string;
  localObservability: boolean;
  /** Names the objects' `wrangler dev` in errors. */
  what: string;
  /** What answers 200 once the objects' Worker is ready. */
  objectsReadyPath?: string;
  /** Starts the Worker's half once the objects' runs. */
  startWorker: (paths: SplitWorkerPaths) => Promise<Worker>;
}

/**
 * A Worker as Cloudflare runs it, apart from its objects: its config split in two in a fresh folder,
 * the objects' `wrangler dev` started first, then the Worker's, joined by a private dev registry
 * (no other wrangler dev finds them) and sharing one state folder. A start that fails stops what
 * started and removes the folder.
 */
export async function startSplitWorkers<Worker extends { stop: () => Promise<void> }>(
  options: SplitOptions<Worker>,
): Promise<SplitWorkers<Worker>> {
  const folder = mkdtempSync(join(options.stateParent, options.folderPrefix));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const state = join(folder, "state");
  const env = { WRANGLER_REGISTRY_PATH: join(folder, "registry") };
  try {
    const configs = writeSplitConfigs(options.config, folder);
    const objects = await startBareWranglerDev({
      config: configs.objects,
      cwd: options.cwd,
      state,
      localObservability: options.localObservability,
      what: options.what,
      readyPath: options.objectsReadyPath,
      args: ["--inspector-port", String(await freePort())],
      env,
    });
    const worker = await options.startWorker({ config: configs.worker, state, env }).catch(async (error: unknown) => {
      await objects.stop();
      throw error;
    });
    return { worker, objects, stop: () => worker.stop().finally(() => objects.stop().finally(remove)) };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The fixture as the profile's split run runs the project: its Worker in one `wrangler dev`, its
 * object in another. What the Worker's workerd spends calling an object elsewhere is then the floor
 * of the Worker's own CPU under `wrangler dev`.
 */
export async function startSplitFloorFixture(
  stateParent: string,
  localObservability: boolean,
): Promise<SplitWorkers<RunningFixture>> {
  return startSplitWorkers({
    config: join(FIXTURE_DIR, "wrangler.jsonc"),
    cwd: FIXTURE_DIR,
    stateParent,
    folderPrefix: "flux-bench-split-floor-",
    localObservability,
    what: "wrangler dev (the split floor's object)",
    startWorker: async ({ config, state, env }) =>
      startBareWranglerDev({
        config,
        cwd: FIXTURE_DIR,
        state,
        localObservability,
        env,
        what: "wrangler dev (the split floor's Worker)",
        args: ["--inspector-port", String(await freePort())],
      }),
  });
}

export interface BareDevOptions {
  config: string;
  cwd: string;
  /** wrangler's `--persist-to` folder; the caller's to remove. */
  state: string;
  /** The services' setting: the trace store's cost belongs in a figure when they pay it too. */
  localObservability: boolean;
  /** Names it in errors. */
  what: string;
  /** What answers 200 once it is ready. */
  readyPath?: string;
  args?: string[];
  env?: Record<string, string>;
}

/**
 * A plain `wrangler dev` (no launcher, no stand-in) on a free port, offline, in its own process
 * group; returns once `readyPath` answers.
 */
export async function startBareWranglerDev(options: BareDevOptions): Promise<RunningFixture> {
  const port = await freePort();
  const args = ["dev", "--config", options.config, "--port", String(port), "--ip", "127.0.0.1"];
  const child = spawn(
    join(PROJECT_ROOT, "node_modules/.bin/wrangler"),
    [...args, "--persist-to", options.state, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: {
        ...process.env,
        // wrangler's launcher runs whichever `node` is first on PATH: make it this one (22+).
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
        ...(options.localObservability ? {} : { X_LOCAL_OBSERVABILITY: "false" }),
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so stop() also ends wrangler's workerd processes
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.what}`);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const running: RunningFixture = {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    output: () => output,
    stop: () => stopProcessGroup(child),
  };
  try {
    await waitUntilReady(running.baseUrl, child, options.what, running.output, options.readyPath);
  } catch (error) {
    await running.stop();
    throw new Error(`${String(error)}\n--- output ---\n${output}`, { cause: error });
  }
  return running;
}

/**
 * Where the Worker's isolate spends its CPU, per kind of request: the project started as `npm start`
 * runs it (the rate limit and both daily budgets on, so every limit's path runs), warm-up jobs, then
 * `jobs` more at `clients` at a time for the workerd processes' CPU from /proc, then as many again
 * under V8's sampling profiler, over the inspector protocol.
 * Two ways to run it:
 * - "one isolate", as `npm start` runs: the Worker and its Durable Objects share one isolate under
 *   `wrangler dev`, so each sample is placed by the code on its stack (Worker, objects, either);
 * - "split": the same code as two Workers in two `wrangler dev` processes, the Worker's object
 *   bindings naming the second by `script_name` (wrangler's dev registry connects them), as
 *   Cloudflare runs a Worker apart from its objects; the Worker's workerd then does the Worker's
 *   work alone, so its process CPU per request is the Worker's own (the Free plan's 10 ms applies
 *   to it). One process is needed, not one isolate: workerd runs every isolate of a process on
 *   one thread, and a call into an object does some of the object's work inside the caller's
 *   frame, which the sampler then counts as the caller's.
 * bench/README.md says how to read it; profile.ts is its command line, run.ts its bench phase.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/e2e/service.ts";
import {
  startSplitFloorFixture,
  startSplitWorkers,
  type RunningFixture,
  type SplitWorkerPaths,
} from "./floor-fixture.ts";
import { sendRequests } from "./memory-floor.ts";
import { commandLine, descendantPids, readProcessStat } from "./processes.ts";
import type { BenchSetup } from "./setup.ts";
import { benchApiKeys, startSide, type BenchService } from "./sides.ts";
import { percentile, round } from "./stats.ts";
import { table } from "./table.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One kind of request: how to send one job of it, and what it is. */
interface Kind {
  name: string;
  label: string;
  send: (caller: Caller, index: number) => Promise<void>;
}

/** Who sends a kind's jobs: the service, the client's API key, and what its client accepts. */
interface Caller {
  service: BenchService;
  key: string;
  /**
   * The request's Accept-Encoding. "identity" unless `--compressed`: on Cloudflare the edge (FL)
   * compresses a Worker's answer, outside the Worker's CPU; under `wrangler dev` miniflare's entry
   * worker does it inside the Worker's workerd (ensureAcceptableEncoding in its entry.worker.js),
   * so a client that asks for gzip, as fetch does, adds the compression to the Worker's figure.
   */
  acceptEncoding: string;
  /** Each answer's size in bytes, as the client received it. */
  answerBytes: number[];
}

const LARGE = { n: 4, size: "1920x1920", model: "flux-2-klein-4b" } as const;

async function post(
  { service, key, acceptEncoding, answerBytes }: Caller,
  path: string,
  body: unknown,
): Promise<string> {
  const response = await fetch(`${service.baseUrl}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "application/json",
      "accept-encoding": acceptEncoding,
    },
    body: JSON.stringify(body),
  });
  const bytes = await response.arrayBuffer();
  const text = new TextDecoder().decode(bytes);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  answerBytes.push(bytes.byteLength);
  return text;
}

function chatKind(name: string, label: string, stream: boolean): Kind {
  return {
    name,
    label,
    send: async (caller, index) => {
      const text = await post(caller, "/v1/chat/completions", {
        model: "gpt-4o",
        stream,
        messages: [{ role: "user", content: `profile chat ${index}: a lighthouse at dusk` }],
      });
      if (!text.includes("/image/")) throw new Error(`${name}: no image link`);
    },
  };
}

/** A picture of the service's own, for the edits to change: made once, before the edits are profiled. */
let referenceUrl: string | undefined;

export const KINDS: Kind[] = [
  chatKind(
    "chat-json",
    "chat completion, not streamed (flux-1-schnell, optimiser on): what `npm run bench` sends",
    false,
  ),
  chatKind("chat", "chat completion, streamed (flux-1-schnell, optimiser on)", true),
  {
    name: "images-b64",
    label: "Images API, b64_json (1024×1024, flux-1-schnell)",
    send: async (caller, index) => {
      await post(caller, "/v1/images/generations", { prompt: `profile b64 ${index}: a fox`, n: 1 });
    },
  },
  {
    name: "images-url",
    label: "Images API, url (1024×1024, flux-1-schnell)",
    send: async (caller, index) => {
      await post(caller, "/v1/images/generations", {
        prompt: `profile url ${index}: a fox`,
        response_format: "url",
      });
    },
  },
  {
    name: "edit",
    label: "Images API edit of one of its own links (flux-2-klein-4b, url)",
    send: async (caller, index) => {
      referenceUrl ??= (
        JSON.parse(await post(caller, "/v1/images/generations", { prompt: "a garden", response_format: "url" })) as {
          data: { url: string }[];
        }
      ).data[0]?.url;
      await post(caller, "/v1/images/edits", {
        prompt: `profile edit ${index}: make it night`,
        model: "flux-2-klein-4b",
        images: [{ image_url: referenceUrl }],
        response_format: "url",
      });
    },
  },
  {
    name: "large-b64",
    label: "Images API, four 1920×1920 as b64_json (flux-2-klein-4b): the largest answer",
    send: async (caller, index) => {
      await post(caller, "/v1/images/generations", { prompt: `profile large ${index}: a city`, ...LARGE });
    },
  },
  {
    name: "mcp",
    label: "MCP generate_image (1024×1024, flux-1-schnell, picture inline)",
    send: async (caller, index) => {
      const text = await post(caller, "/mcp", {
        jsonrpc: "2.0",
        id: index,
        method: "tools/call",
        params: { name: "generate_image", arguments: { prompt: `profile mcp ${index}: a fox` } },
      });
      if (!text.includes('"image"')) throw new Error("mcp: no image part");
    },
  },
];

// --- the inspector ---------------------------------------------------------------------------

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Samples per source line (1-based) of the node's own time. */
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  private readonly socket: WebSocket;
  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  /**
   * `wake`: a request to the Worker. workerd reads inspector messages on the isolate's thread, so an
   * idle isolate leaves them unanswered until a request runs there.
   */
  private wake: () => Promise<unknown> = () => Promise.resolve();

  static async open(url: string, wake: () => Promise<unknown>): Promise<Inspector> {
    // Through wrangler's inspector proxy, which shares the runtime's one session (a second
    // connection straight to workerd's would take it from wrangler). It wants a local Origin;
    // Node's WebSocket (undici) takes headers as its second argument.
    const init = { headers: { origin: "http://localhost" } } as unknown as string[];
    const socket = new WebSocket(url, init);
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve);
      socket.addEventListener("error", () => reject(new Error(`cannot open the inspector at ${url}`)));
    });
    const inspector = new Inspector(socket);
    inspector.wake = wake;
    return inspector;
  }

  async send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    let answered = false;
    const answer = new Promise<T>((resolve) => {
      this.pending.set(id, (result) => {
        answered = true;
        resolve(result as T);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
    for (let tries = 0; !answered && tries < 50; tries++)
      await Promise.race([answer, this.wake().then(() => new Promise((resolve) => setTimeout(resolve, 100)))]);
    return answer;
  }

  close(): void {
    this.socket.close();
  }
}

/** The workerd below `rootPid` that runs a Worker: the one started with `--inspector-addr`. */
function workerPidBelow(rootPid: number): number {
  const pid = descendantPids(rootPid).find((candidate) => commandLine(candidate).includes("--inspector-addr="));
  if (pid === undefined)
    throw new Error("no workerd with --inspector-addr below wrangler dev: has wrangler dev changed?");
  return pid;
}

/** The bundle the isolate runs: which of our source files each line comes from (esbuild's `// src/…` markers), and its text. */
interface Bundle {
  moduleAt: (line: number) => string | undefined;
  /** Line `line` (0-based), trimmed. */
  text: (line: number) => string;
  source: string;
}

async function readBundle(inspector: Inspector, scriptId: string): Promise<Bundle> {
  const { scriptSource } = await inspector.send<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId });
  const lines = scriptSource.split("\n");
  const starts: { line: number; module: string }[] = [];
  lines.forEach((text, line) => {
    // `// src/lib/x.ts`, or with the path from the config's folder when the config lies elsewhere.
    const marker = /^\/\/ (?:\S*\/)?(src\/\S+\.ts|node_modules\/\S+)$/.exec(text);
    if (marker?.[1]) starts.push({ line, module: marker[1] });
  });
  return {
    moduleAt: (line) => {
      let found: string | undefined;
      for (const start of starts) {
        if (start.line > line) break;
        found = start.module;
      }
      return found;
    },
    text: (line) => (lines[line] ?? "").trim(),
    source: scriptSource,
  };
}

// --- starting the project ---------------------------------------------------------------------

/** Where the project's Worker runs from: the split run also gives it a config of its own. */
type ServicePaths = Omit<SplitWorkerPaths, "config"> & { config?: string };

interface StartedProject {
  service: BenchService;
  /** The objects' `wrangler dev` in the split run. */
  objectsWorker?: RunningFixture;
  stop: () => Promise<void>;
}

/**
 * As `npm start` runs it, its state in a folder of its own, and a private dev registry as the split
 * run's, so that no other wrangler dev (an `npm start` beside) finds it there.
 */
async function startOneProject(
  setup: BenchSetup,
  startService: (paths: ServicePaths) => Promise<BenchService>,
): Promise<StartedProject> {
  const folder = mkdtempSync(join(setup.stateDir, "flux-profile-"));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const paths = { state: join(folder, "state"), env: { WRANGLER_REGISTRY_PATH: join(folder, "registry") } };
  const service = await startService(paths).catch((error: unknown) => {
    remove();
    throw error;
  });
  return { service, stop: () => service.stop().finally(remove) };
}

/** The split run: the objects' Worker a plain `wrangler dev` (a job's settings travel with it). */
async function startSplitProject(
  setup: BenchSetup,
  startService: (paths: SplitWorkerPaths) => Promise<BenchService>,
): Promise<StartedProject> {
  const split = await startSplitWorkers({
    config: join(PROJECT_ROOT, "wrangler.jsonc"),
    cwd: PROJECT_ROOT,
    stateParent: setup.stateDir,
    folderPrefix: "flux-profile-",
    localObservability: setup.localObservability,
    what: "wrangler dev (the objects' Worker)",
    // Its router answers the API; its playground is the Worker's.
    objectsReadyPath: "/v1/service",
    startWorker: startService,
  });
  return { service: split.worker, objectsWorker: split.objects, stop: split.stop };
}

// --- reading a profile ------------------------------------------------------------------------

type Share = "worker" | "objects" | "lib" | "runtime";

/** Whose code a module is: the Worker's (routes, worker.ts), its objects', or lib (either's). */
function shareOf(module: string | undefined): Share | undefined {
  if (!module) return undefined;
  if (module.startsWith("src/objects/")) return "objects";
  if (module.startsWith("src/routes/") || module === "src/worker.ts") return "worker";
  return "lib";
}

export interface KindProfile {
  kind: string;
  label: string;
  jobs: number;
  isolates: Isolates;
  /** What the client asked for: "identity" leaves the dev server's compression out (see Caller). */
  acceptEncoding: string;
  /** The median answer's size in bytes, as sent (compressed when the client asked for it). */
  answerBytes: number;
  wallMs: number;
  /** Sampled CPU (not idle) per job, and its shares. */
  cpuMsPerJob: number;
  sharesMsPerJob: Record<Share, number>;
  /**
   * The Worker's workerd process's CPU per job (all its threads), from /proc, over as many jobs run
   * without the profiler: in the split run the Worker's own CPU per request, with the objects'
   * workerd's beside it.
   */
  processCpuMsPerJob: number | undefined;
  objectsProcessCpuMsPerJob?: number | undefined;
  top: { function: string; where: string; selfMsPerJob: number }[];
  /** Our own lines by self time: the line of the bundle, which module it is in, and its text. */
  hotLines: { where: string; line: number; code: string; selfMsPerJob: number }[];
}

/**
 * Self time per function, and each sample's share: the innermost frame of ours that is a route or an
 * object method says whose it is; a stack with only lib frames is "lib" (an async function resumed
 * after an await has no caller on its stack, so lib code running for either cannot be placed); a
 * stack with none of ours (GC, the runtime between callbacks) is "runtime".
 */
function readProfile(
  profile: CpuProfile,
  bundleOf: (node: ProfileNode) => Bundle | undefined,
  jobs: number,
  topCount: number,
): Pick<KindProfile, "cpuMsPerJob" | "sharesMsPerJob" | "top" | "hotLines"> {
  const moduleOf = (node: ProfileNode) => bundleOf(node)?.moduleAt(node.callFrame.lineNumber);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const shareOfNode = new Map<number, Share>();
  const shareFor = (id: number): Share => {
    const known = shareOfNode.get(id);
    if (known) return known;
    let sawLib = false;
    let share: Share | undefined;
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const node = byId.get(current);
      const own = node ? shareOf(moduleOf(node)) : undefined;
      if (own === "lib") sawLib = true;
      else if (own) {
        share = own;
        break;
      }
    }
    const result = share ?? (sawLib ? "lib" : "runtime");
    shareOfNode.set(id, result);
    return result;
  };
  const self = new Map<number, number>();
  const shares: Record<Share, number> = { worker: 0, objects: 0, lib: 0, runtime: 0 };
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index + 1] ?? 0;
    const name = byId.get(id)?.callFrame.functionName;
    if (name === "(idle)") return;
    self.set(id, (self.get(id) ?? 0) + micros);
    shares[shareFor(id)] += micros;
  });
  // One line per function (a function appears at several nodes of the tree).
  const perFunction = new Map<string, { function: string; where: string; micros: number }>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const name = node.callFrame.functionName || "(anonymous)";
    const where = moduleOf(node) ?? (node.callFrame.url || "runtime");
    const key = `${name} ${where}`;
    const entry = perFunction.get(key) ?? { function: name, where, micros: 0 };
    entry.micros += micros;
    perFunction.set(key, entry);
  }
  // A node's self time shared among its lines by their samples: which line of a function is the cost.
  const perLine = new Map<string, { where: string; line: number; code: string; micros: number }>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    const bundle = node && bundleOf(node);
    const where = node && moduleOf(node);
    const ticks = node?.positionTicks ?? [];
    const sum = ticks.reduce((total, entry) => total + entry.ticks, 0);
    if (!bundle || !where?.startsWith("src/") || sum === 0) continue;
    for (const { line, ticks: count } of ticks) {
      const key = `${node.callFrame.scriptId}:${line}`;
      const entry = perLine.get(key) ?? { where, line, code: bundle.text(line - 1).slice(0, 70), micros: 0 };
      entry.micros += (micros * count) / sum;
      perLine.set(key, entry);
    }
  }
  const total = [...self.values()].reduce((sum, micros) => sum + micros, 0);
  const perJob = (micros: number) => round(micros / 1000 / jobs, 2);
  return {
    cpuMsPerJob: perJob(total),
    sharesMsPerJob: {
      worker: perJob(shares.worker),
      objects: perJob(shares.objects),
      lib: perJob(shares.lib),
      runtime: perJob(shares.runtime),
    },
    top: [...perFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, topCount)
      .map((entry) => ({ function: entry.function, where: entry.where, selfMsPerJob: perJob(entry.micros) })),
    hotLines: [...perLine.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, topCount)
      .map((entry) => ({ where: entry.where, line: entry.line, code: entry.code, selfMsPerJob: perJob(entry.micros) })),
  };
}

/**
 * `--cpuprofile DIR`: the raw profile (Chrome DevTools' Performance panel opens it) and the bundle it
 * sampled, to look further than the tables do.
 */
function saveProfile(folder: string, kind: string, profile: CpuProfile, bundles: Map<string, Bundle>): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${kind}.cpuprofile`), JSON.stringify(profile));
  for (const [scriptId, bundle] of bundles) writeFileSync(join(folder, `bundle-${scriptId}.js`), bundle.source);
}

// --- the run ----------------------------------------------------------------------------------

async function runJobs(
  kind: Kind,
  callers: (clientIndex: number) => Caller,
  jobs: number,
  clients: number,
  from: number,
) {
  let next = 0;
  const client = async (clientIndex: number) => {
    const caller = callers(clientIndex);
    for (let index = next++; index < jobs; index = next++) await kind.send(caller, from + index);
  };
  await Promise.all(Array.from({ length: Math.min(clients, jobs) }, (_, index) => client(index)));
}

export type Isolates = "one" | "split";

export interface ProfileOptions {
  kinds: readonly Kind[];
  jobs: number;
  warmup: number;
  clients: number;
  top: number;
  isolates: Isolates;
  /** Ask for gzip as fetch does (`--compressed`): the dev server's compression counts then; see Caller. */
  compressed: boolean;
  /** Where to save each raw profile and its bundle (`--cpuprofile`); none when undefined. */
  cpuprofileDir?: string;
  /** Progress lines. */
  progress: (message: string) => void;
}

/** Starts the project with an inspector, profiles each kind, stops it again. */
export async function profileProject(setup: BenchSetup, options: ProfileOptions): Promise<KindProfile[]> {
  const keys = benchApiKeys(options.clients);
  const inspectorPort = await freePort();
  // The rate limit and both budgets on, far above what the run spends: every limit's path runs, none refuses.
  const startService = ({ config, state, env }: ServicePaths) =>
    startSide("project, rate limit on", setup, keys, {
      vars: { DAILY_NEURON_LIMIT: "100000000", DAILY_NEURON_LIMIT_TOTAL: "1000000000" },
      args: ["--inspector-port", String(inspectorPort), ...(config ? ["--config", config] : [])],
      env,
      persistTo: state,
    });
  const { service, objectsWorker, stop } =
    options.isolates === "split"
      ? await startSplitProject(setup, startService)
      : await startOneProject(setup, startService);
  const release = stopOnSignals(stop);
  const results: KindProfile[] = [];
  const acceptEncoding = options.compressed ? "gzip, deflate" : "identity";
  let answerBytes: number[] = [];
  const callers = (clientIndex: number): Caller => ({
    service,
    key: keys[clientIndex % keys.length] ?? "",
    acceptEncoding,
    answerBytes,
  });
  try {
    // The inspector answers once the isolate runs: one request starts it.
    await fetch(`${service.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${keys[0]}` } });
    const pid = workerPidBelow(service.pid);
    const objectsPid = objectsWorker && workerPidBelow(objectsWorker.pid);
    const cpuOf = (processId: number | undefined) =>
      processId === undefined ? undefined : readProcessStat(processId)?.cpuMs;
    const perJob = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? undefined : round((to - from) / options.jobs, 2);
    const inspector = await Inspector.open(`ws://127.0.0.1:${inspectorPort}/ws`, () =>
      fetch(`${service.baseUrl}/v1/service`).then((response) => response.arrayBuffer()),
    );
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.send("Debugger.enable");
    referenceUrl = undefined;
    for (const [position, kind] of options.kinds.entries()) {
      options.progress(
        `CPU profile (${options.isolates === "split" ? "the Worker apart from its objects" : "one isolate, as npm start runs"}): ${kind.name}, ${options.warmup} warm-up + ${options.jobs} measured + ${options.jobs} profiled jobs at ${options.clients} clients…`,
      );
      await runJobs(kind, callers, options.warmup, options.clients, position * 100_000);
      // The process CPU of a run without the profiler, whose sampling costs CPU of its own.
      const [before, objectsBefore] = [cpuOf(pid), cpuOf(objectsPid)];
      answerBytes = [];
      await runJobs(kind, callers, options.jobs, options.clients, position * 100_000 + 10_000);
      const [after, objectsAfter] = [cpuOf(pid), cpuOf(objectsPid)];
      const started = performance.now();
      await inspector.send("Profiler.start");
      await runJobs(kind, callers, options.jobs, options.clients, position * 100_000 + 20_000);
      const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
      const wallMs = performance.now() - started;
      const bundles = new Map<string, Bundle>();
      for (const node of profile.nodes) {
        const { scriptId, url: scriptUrl } = node.callFrame;
        if (scriptUrl.endsWith(".js") && !bundles.has(scriptId))
          bundles.set(scriptId, await readBundle(inspector, scriptId));
      }
      const bundleOf = (node: ProfileNode) => bundles.get(node.callFrame.scriptId);
      if (options.cpuprofileDir)
        saveProfile(options.cpuprofileDir, `${kind.name}-${options.isolates}`, profile, bundles);
      results.push({
        kind: kind.name,
        label: kind.label,
        jobs: options.jobs,
        isolates: options.isolates,
        acceptEncoding,
        answerBytes: percentile(answerBytes, 50),
        wallMs: round(wallMs, 0),
        ...readProfile(profile, bundleOf, options.jobs, options.top),
        processCpuMsPerJob: perJob(before, after),
        objectsProcessCpuMsPerJob: perJob(objectsBefore, objectsAfter),
      });
    }
    inspector.close();
  } finally {
    release();
    await stop();
  }
  return results;
}

/** What the Worker's workerd spends per request in the split setup when the Worker does nothing itself. */
export interface SplitFloor {
  clients: number;
  requests: number;
  /** A request that answers at once, and one that calls a fresh object (in the other process) that does nothing. */
  plainMsPerRequest: number | undefined;
  freshObjectMsPerRequest: number | undefined;
  /**
   * `/job-calls`: the Worker's side of a job's object calls with the rate limit on (the admission at
   * a key's account, then the job's fresh object); the settlement runs in the objects' process.
   */
  jobCallsMsPerRequest: number | undefined;
  /** A request answered at once with a body of `largeAnswerBytes` (the largest kind's answer), when one was given. */
  largeAnswerBytes?: number;
  largeAnswerMsPerRequest?: number | undefined;
}

/**
 * The split run's floor: bench/floor/ as two Workers, set up as the split run sets up the project
 * (split-configs.ts). Under `wrangler dev` a call to an object in another process also passes
 * through the dev registry's proxy object inside the caller's workerd (miniflare's
 * dev-registry-proxy.worker.js), which Cloudflare does not have: the project's Worker pays it for
 * each of its object calls (two per job in the split run: the admission and the job), and so does
 * this floor's `/job-calls`, which makes the same two.
 */
export async function measureSplitFloor(
  setup: BenchSetup,
  clients: number,
  requests: number,
  largeAnswerBytes?: number,
): Promise<SplitFloor> {
  const fixture = await startSplitFloorFixture(setup.stateDir, setup.localObservability);
  const release = stopOnSignals(fixture.stop);
  try {
    const pid = workerPidBelow(fixture.worker.pid);
    const perRequest = async (path: string) => {
      const url = `${fixture.worker.baseUrl}${path}`;
      await sendRequests(url, Math.min(requests, 50), clients);
      const before = readProcessStat(pid)?.cpuMs;
      const failures = await sendRequests(url, requests, clients);
      const after = readProcessStat(pid)?.cpuMs;
      if (failures > 0) throw new Error(`split floor ${path}: ${failures} of ${requests} requests failed`);
      return before === undefined || after === undefined ? undefined : round((after - before) / requests, 2);
    };
    return {
      clients,
      requests,
      plainMsPerRequest: await perRequest("/"),
      freshObjectMsPerRequest: await perRequest("/object"),
      jobCallsMsPerRequest: await perRequest("/job-calls"),
      ...(largeAnswerBytes
        ? { largeAnswerBytes, largeAnswerMsPerRequest: await perRequest(`/answer?bytes=${largeAnswerBytes}`) }
        : {}),
    };
  } finally {
    release();
    await fixture.stop();
  }
}

/**
 * Until `release()`, SIGINT or SIGTERM (stopped, or timed out) stops what `stop` stops before the
 * bench exits: the services' processes are groups of their own and would live on.
 */
function stopOnSignals(stop: () => Promise<void>): () => void {
  const onSignal = () => void stop().finally(() => process.exit(130));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, onSignal);
  return () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.off(signal, onSignal);
  };
}

/** A figure of /proc's, or "?" where the process was not found. */
const ms = (value: number | undefined) => (value === undefined ? "?" : String(value));

/** The Free plan's CPU limit per request, which applies to the Worker's own isolate. */
export const WORKER_CPU_LIMIT_MS = 10;

/** Whether the figures include the dev server's compression of the answers (see Caller). */
function compressionNote(results: KindProfile[]): string {
  return results.every((result) => result.acceptEncoding === "identity")
    ? "answers not compressed (on Cloudflare the edge compresses them, outside the Worker's CPU)"
    : "answers compressed by the dev server inside the Worker's workerd (--compressed: on Cloudflare the edge does it)";
}

/**
 * The split run's figures: the Worker's own CPU per request, per kind, against the Free plan's limit;
 * with the split floor, what is left above a Worker that calls one fresh object and does nothing.
 */
export function formatWorkerCpu(split: KindProfile[], floor?: SplitFloor): string {
  const base = floor?.jobCallsMsPerRequest;
  const aboveFloor = (value: number | undefined) =>
    value === undefined || base === undefined ? "?" : String(round(value - base, 2));
  const lines = [
    `The Worker's own CPU per request: the Worker's workerd, its objects in a workerd of their own (as on Cloudflare, apart), from /proc, without the profiler; ${compressionNote(split)}\n`,
    table(
      [
        "Kind",
        "Worker CPU/request (ms)",
        `under ${WORKER_CPU_LIMIT_MS} ms`,
        ...(floor ? ["above the floor (ms)"] : []),
        "answer (KB)",
        "its objects' CPU/job (ms)",
        "Worker's isolate, sampled (ms)",
      ],
      split.map((result) => [
        result.kind,
        ms(result.processCpuMsPerJob),
        result.processCpuMsPerJob === undefined ? "?" : result.processCpuMsPerJob < WORKER_CPU_LIMIT_MS ? "yes" : "NO",
        ...(floor ? [aboveFloor(result.processCpuMsPerJob)] : []),
        String(round(result.answerBytes / 1000, 1)),
        ms(result.objectsProcessCpuMsPerJob),
        String(result.cpuMsPerJob),
      ]),
    ),
  ];
  if (floor)
    lines.push(
      `\nThe floor, same setup (bench/floor/ as two Workers, ${floor.requests} requests at ${floor.clients} clients): the Worker's workerd spends ${ms(floor.plainMsPerRequest)} ms on a request it answers at once, ${ms(floor.freshObjectMsPerRequest)} ms on one that calls a fresh object elsewhere that does nothing, ${ms(base)} ms on one that makes a job's two calls (an admission at a key's account, then a fresh object), the floor above; the dev registry's proxy objects included, which Cloudflare does not have.${largeAnswerText(floor)}`,
    );
  return lines.join("\n");
}

/** What sending the largest answer costs a Worker that does nothing else, beside a plain request. */
function largeAnswerText(floor: SplitFloor): string {
  if (floor.largeAnswerBytes === undefined) return "";
  const { largeAnswerMsPerRequest: large, plainMsPerRequest: plain } = floor;
  // A small largest answer (a run of chat kinds only) can cost less than a plain one, in the noise.
  const difference =
    large === undefined || plain === undefined
      ? "? ms more than a plain one"
      : `${round(Math.abs(large - plain), 2)} ms ${large >= plain ? "more" : "less"} than a plain one`;
  return ` A request it answers at once with ${round(floor.largeAnswerBytes / 1000, 1)} KB of JSON (the largest answer above) costs it ${ms(large)} ms, ${difference}: the largest answer's "above the floor" includes that.`;
}

/**
 * The tables: per kind, the CPU per job and its split; then, for the one-isolate run, each kind's top
 * functions and lines. `split` results (the Worker alone) give the Worker's own CPU per request.
 */
export function formatProfile(
  results: KindProfile[],
  setupLabel: string,
  clients: number,
  splitFloor?: SplitFloor,
): string {
  const out: string[] = [];
  const shared = results.filter((result) => result.isolates === "one");
  const split = results.filter((result) => result.isolates === "split");
  if (shared.length > 0) {
    out.push(
      `CPU of the isolate that runs the Worker and its objects per job, as npm start runs them (one isolate), sampled every 0.1 ms (${setupLabel}; ${clients} clients; ${compressionNote(shared)})\n`,
      table(
        ["Kind", "CPU/job (ms)", "Worker", "objects", "lib (either)", "runtime", "workerd process CPU/job"],
        shared.map((result) => [
          result.kind,
          String(result.cpuMsPerJob),
          String(result.sharesMsPerJob.worker),
          String(result.sharesMsPerJob.objects),
          String(result.sharesMsPerJob.lib),
          String(result.sharesMsPerJob.runtime),
          ms(result.processCpuMsPerJob),
        ]),
      ),
    );
  }
  if (split.length > 0) out.push(`\n${formatWorkerCpu(split, splitFloor)}`);
  for (const result of results) {
    const where = result.isolates === "split" ? "the Worker's isolate alone" : "one isolate";
    out.push(
      `\n${result.label} (${where}): top functions by self time (ms per job)\n`,
      table(
        ["Self ms/job", "Function", "Where"],
        result.top.map((entry) => [String(entry.selfMsPerJob), entry.function, entry.where]),
      ),
      `\n${result.kind} (${where}): our hottest lines of the bundle by self time (ms per job)\n`,
      table(
        ["Self ms/job", "Bundle line", "Where", "Code"],
        result.hotLines.map((entry) => [String(entry.selfMsPerJob), String(entry.line), entry.where, entry.code]),
      ),
    );
  }
  return out.join("\n");
}

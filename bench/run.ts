/**
 * `npm run bench`: the project against the original Flux-API-Worker's design
 * (bench/baseline/: no Durable Object), in the same run, doing the same work
 * (flux-1-schnell with prompt optimisation, at the stand-in upstream), with
 * the project's rate limit on and off. Prints a table and JSON (also written
 * to bench/results/latest.json), with project ÷ baseline ratios checked
 * against issue 23's targets. `npm run bench -- --help` lists the flags.
 *
 * Every phase gets freshly started services (sides.ts), one per side: under
 * `wrangler dev` every finished job's Durable Object stays in memory, so a
 * service that had already run another phase would carry its memory into the
 * figure. So that a machine growing busier does not always favour the same
 * side, the latency phases run every side's service at once and visit them in
 * turn, and the throughput runs take the sides back to back, in alternating
 * order from one client count to the next.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { measureBase64InNode } from "./base64.ts";
import {
  formatWorkerCpu,
  KINDS,
  measureSplitFloor,
  profileProject,
  type KindProfile,
  type SplitFloor,
} from "./cpu-profile.ts";
import { measureMemoryFloor, type MemoryFloorFigures } from "./memory-floor.ts";
import { measureMemoryRounds, type MemoryRoundsFigures } from "./memory-rounds.ts";
import { parseBenchOptions, USAGE, type BenchOptions } from "./options.ts";
import { measureFirstByte, measureOverhead, measureThroughput, type ThroughputFigures } from "./phases.ts";
import { formatTables, jobStages, type BenchFigures } from "./report.ts";
import { beyondFloorKb } from "./report-memory.ts";
import { jobTimingsById, reloadCount } from "./service-log.ts";
import { describeSetup, type BenchSetup } from "./setup.ts";
import { benchApiKeys, RATE_LIMIT_ON_PER_MINUTE, SIDES, startSide, type BenchService, type Side } from "./sides.ts";
import { round } from "./stats.ts";
import { checkTargets, designFloorGaps, projectRatios, type SideFigures } from "./targets.ts";
import { auditUpstreamCalls, type UpstreamCallAudit } from "./upstream-calls.ts";
import { measureBase64InWorkerd } from "./workerd-base64.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

const benchStarted = performance.now();

/** A progress line on stderr, with the time since the start: where a long run spends it. */
function progress(message: string): void {
  process.stderr.write(`[bench +${Math.round((performance.now() - benchStarted) / 1000)} s] ${message}\n`);
}

/** Load averages: the figures are only as quiet as the machine was. */
function machineLoad(): { load1: number; load5: number; load15: number } {
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg().map((value) => round(value, 2));
  return { load1, load5, load15 };
}

interface ServiceSession<T> {
  side: Side;
  figures: T;
  output: string;
  startupMs: number;
  /** wrangler reloads while measuring: each one failed the requests in flight. */
  reloads: number;
}

/**
 * Starts a fresh service for each of `sides` (one after another, so no start
 * slows another), runs `measure` on them, and stops them all again; one
 * session per side, with `measure`'s figures in the same order.
 */
async function withServices<T>(
  sides: readonly Side[],
  setup: BenchSetup,
  apiKeys: string[],
  measure: (services: BenchService[]) => Promise<T[]>,
): Promise<ServiceSession<T>[]> {
  const started: { service: BenchService; startupMs: number; reloadsAtStart: number }[] = [];
  try {
    for (const side of sides) {
      const startedAt = performance.now();
      const service = await startSide(side, setup, apiKeys);
      started.push({
        service,
        startupMs: round(performance.now() - startedAt, 0),
        reloadsAtStart: reloadCount(service.output()),
      });
    }
    const figures = await measure(started.map((entry) => entry.service));
    return started.map(({ service, startupMs, reloadsAtStart }, index) => {
      const output = service.output();
      const result = figures[index];
      if (result === undefined) throw new Error(`no figures for the ${service.side}`);
      return { side: service.side, figures: result, output, startupMs, reloads: reloadCount(output) - reloadsAtStart };
    });
  } finally {
    for (const { service } of started) await service.stop();
  }
}

/** One fresh service for `side`, as withServices. */
async function withService<T>(
  side: Side,
  setup: BenchSetup,
  apiKeys: string[],
  measure: (service: BenchService) => Promise<T>,
): Promise<ServiceSession<T>> {
  const [session] = await withServices([side], setup, apiKeys, async ([service]) =>
    service ? [await measure(service)] : [],
  );
  if (!session) throw new Error(`the ${side} did not start`);
  return session;
}

/**
 * The memory floor, or why there is none: a fixture that fails to start must
 * not cost the rest of the figures.
 */
async function memoryFloor(options: BenchOptions): Promise<MemoryFloorFigures | string> {
  if (!options.memoryFloor) return "skipped (--no-floor)";
  progress(
    `memory floor: fixture Worker, ${options.floorWarmup} warm-up + ${options.floorRequests} requests per kind, ${options.floorConcurrency} at a time…`,
  );
  try {
    return await measureMemoryFloor({
      requests: options.floorRequests,
      warmup: options.floorWarmup,
      concurrency: options.floorConcurrency,
      stateParent: options.stateDir,
      localObservability: options.localObservability,
    });
  } catch (error) {
    progress(`memory floor failed: ${String(error)}`);
    return `failed: ${String(error).split("\n")[0] ?? ""}`;
  }
}

/**
 * All sides' services at once, idle but for the one being measured: the
 * upstream-call audit of each, the overhead pairs interleaved across them
 * (measureOverhead), then the first byte of the project with its rate limit on.
 */
async function latencySessions(options: BenchOptions, setup: BenchSetup, apiKeys: string[]) {
  progress(
    `fresh services for every side (${SIDES.join("; ")}); upstream calls of ${options.auditJobs} marked jobs each…`,
  );
  return withServices(SIDES, setup, apiKeys, async (services) => {
    const calls: UpstreamCallAudit[] = [];
    for (const service of services) calls.push(await auditUpstreamCalls(service, options.auditJobs));
    progress(
      `overhead: ${options.overheadWarmup} warm-up + ${options.overheadPairs} interleaved pairs per side, upstream 0 ms…`,
    );
    const overhead = await measureOverhead(services, options.overheadPairs, options.overheadWarmup);
    const firstByteService = services.find((service) => service.side === "project, rate limit on");
    progress(
      `first byte (project, rate limit on): ${options.firstByteRequests} streamed requests, upstream ${options.imageLatencyMs} ms…`,
    );
    const firstByte =
      firstByteService && (await measureFirstByte(firstByteService, options.firstByteRequests, options.imageLatencyMs));
    return services.map((service, index) => {
      const audit = calls[index];
      const pairs = overhead[index];
      if (!audit || !pairs) throw new Error(`no latency figures for the ${service.side}`);
      return { calls: audit, overhead: pairs, ...(service === firstByteService ? { firstByte } : {}) };
    });
  });
}

async function throughputSessions(options: BenchOptions, setup: BenchSetup, apiKeys: string[]) {
  const sessions: ServiceSession<ThroughputFigures>[] = [];
  for (const [index, clients] of options.clients.entries()) {
    for (const side of index % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      progress(
        `${side}: fresh service, throughput at ${clients} clients, upstream ${options.throughputLatencyMs} ms, ${options.throughputWarmupSeconds} s warm-up + ${options.throughputSeconds} s…`,
      );
      sessions.push(
        await withService(side, setup, apiKeys, (service) =>
          measureThroughput(
            service,
            clients,
            options.throughputLatencyMs,
            options.throughputSeconds,
            options.throughputWarmupSeconds,
          ),
        ),
      );
    }
  }
  return sessions;
}

/** The Worker-CPU phase's clients, and its split floor's. */
const WORKER_CPU_CLIENTS = 8;

/**
 * The Worker's own CPU per kind of request: its objects in a wrangler dev of their own, so the
 * Worker's workerd does the Worker's work alone (cpu-profile.ts), and the same setup's floor. Failing
 * costs only these figures.
 */
async function workerCpu(
  options: BenchOptions,
  setup: BenchSetup,
): Promise<{ kinds: KindProfile[]; splitFloor?: SplitFloor } | string> {
  if (!options.workerCpu) return "skipped (--no-worker-cpu)";
  try {
    const kinds = await profileProject(setup, {
      kinds: KINDS,
      jobs: options.workerCpuJobs,
      warmup: 5,
      clients: WORKER_CPU_CLIENTS,
      top: 12,
      isolates: "split",
      // As Cloudflare counts a Worker's CPU: its edge compresses answers, outside the Worker.
      compressed: false,
      progress,
    });
    progress("The split floor (bench/floor/ as two Workers)…");
    // Its own failure costs only the floor's column, not the kinds' figures.
    const largest = Math.max(0, ...kinds.map((kind) => kind.answerBytes));
    const splitFloor = await measureSplitFloor(setup, WORKER_CPU_CLIENTS, options.floorRequests, largest).catch(
      (error: unknown) => {
        progress(`split floor failed: ${String(error)}`);
        return undefined;
      },
    );
    return { kinds, splitFloor };
  } catch (error) {
    progress(`Worker CPU failed: ${String(error)}`);
    return `failed: ${String(error).split("\n")[0] ?? ""}`;
  }
}

/** The memory rounds: the project as users run it (rate limit on), then the baseline unless told not to. */
async function roundSessions(options: BenchOptions, setup: BenchSetup, apiKeys: string[]) {
  const sides: Side[] = !options.memoryRounds
    ? []
    : options.baselineRounds
      ? ["project, rate limit on", "baseline"]
      : ["project, rate limit on"];
  const sessions: ServiceSession<MemoryRoundsFigures>[] = [];
  for (const side of sides) {
    progress(
      `${side}: fresh service, ${options.rounds} memory rounds of ${options.roundJobs} jobs at ${options.roundClients} clients, ${options.roundPauseSeconds} s pause after each…`,
    );
    sessions.push(
      await withService(side, setup, apiKeys, (service) =>
        measureMemoryRounds(service, {
          rounds: options.rounds,
          jobsPerRound: options.roundJobs,
          clients: options.roundClients,
          pauseSeconds: options.roundPauseSeconds,
          upstreamLatencyMs: options.throughputLatencyMs,
        }),
      ),
    );
  }
  return sessions;
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const setup = describeSetup(options.stateDir, options.localObservability);
  const apiKeys = benchApiKeys(Math.max(...options.clients, options.roundClients));
  const loadBefore = machineLoad();
  progress(`load average before: ${loadBefore.load1} (1 min) on ${cpus().length} cores`);
  progress(`setup: ${setup.label}`);
  progress(`base64: decodeBase64 on a ${options.base64Bytes}-byte image, in Node and in workerd…`);
  const base64 = [
    measureBase64InNode(options.base64Bytes, options.base64Rounds),
    await measureBase64InWorkerd(options.base64Bytes, options.base64Rounds),
  ];
  const floor = await memoryFloor(options);
  const cpuByKind = await workerCpu(options, setup);
  const latency = await latencySessions(options, setup, apiKeys);
  const throughput = await throughputSessions(options, setup, apiKeys);
  const rounds = await roundSessions(options, setup, apiKeys);
  const workerCpuFigures = typeof cpuByKind === "string" ? [] : cpuByKind.kinds;

  const sides: SideFigures[] = latency.map(({ side, figures }) => ({
    side,
    ...figures,
    throughput: throughput.filter((session) => session.side === side).map((session) => session.figures),
    memoryRounds: rounds.find((session) => session.side === side)?.figures,
  }));
  for (const side of sides) side.throughput.sort((a, b) => a.clients - b.clients);
  const figures: BenchFigures = {
    setup,
    sides,
    base64,
    memoryFloor: typeof floor === "string" ? undefined : floor,
    apiKeys: apiKeys.length,
  };
  const ratios = projectRatios(sides);
  const targets = checkTargets(sides, ratios, figures.memoryFloor, workerCpuFigures);
  const gaps = designFloorGaps(sides, figures.memoryFloor);
  const sessions = [...latency, ...throughput, ...rounds];
  const reloads = sessions.reduce((sum, session) => sum + session.reloads, 0);
  const stages = jobStages(jobTimingsById(sessions.map((session) => session.output).join("\n")), sides);
  const stripIds = <T extends { jobIds: unknown }>({ jobIds, ...rest }: T) => rest;
  const result = {
    generatedAt: new Date().toISOString(),
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    durationSeconds: round((performance.now() - benchStarted) / 1000, 0),
    machine: { cores: cpus().length, node: process.version, loadBefore, loadAfter: machineLoad() },
    setup,
    options,
    rateLimitOn: { RATE_LIMIT_PER_MINUTE: RATE_LIMIT_ON_PER_MINUTE, apiKeys: apiKeys.length, keyPerClient: true },
    startupMs: sessions.map((session) => ({ side: session.side, ms: session.startupMs })),
    reloadsWhileMeasuring: reloads,
    ratios,
    targets,
    designFloorGaps: gaps,
    sides: sides.map((side) => ({
      side: side.side,
      calls: side.calls,
      overhead: stripIds(side.overhead),
      firstByte: side.firstByte && stripIds(side.firstByte),
      throughput: side.throughput.map(stripIds),
      memoryRounds: side.memoryRounds && {
        ...side.memoryRounds,
        beyondFloorKbPerJob: beyondFloorKb(side, figures.memoryFloor),
      },
    })),
    base64,
    memoryFloor: typeof floor === "string" ? { notMeasured: floor } : floor,
    workerCpu: typeof cpuByKind === "string" ? { notMeasured: cpuByKind } : cpuByKind,
    jobStages: stages,
  };
  console.log(formatTables(figures, ratios, targets, stages, gaps));
  if (typeof floor === "string") console.log(`\nMemory floor: ${floor}`);
  console.log(
    `\n${typeof cpuByKind === "string" ? `Worker CPU: ${cpuByKind}` : formatWorkerCpu(cpuByKind.kinds, cpuByKind.splitFloor)}`,
  );
  if (reloads > 0) {
    console.log(
      `\nWARNING: wrangler reloaded a Worker ${reloads} time(s) while measuring (a source file changed); requests in flight failed and the figures are not the code's. Run again on a quiet checkout.`,
    );
  }
  console.log(
    `\nload average ${loadBefore.load1} before, ${result.machine.loadAfter.load1} after (1 min, ${cpus().length} cores)\n`,
  );
  const json = JSON.stringify(result, null, 2);
  console.log(json);
  const outFile = resolve(PROJECT_ROOT, options.outFile);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${json}\n`);
  progress(`JSON written to ${outFile}`);
}

await main();

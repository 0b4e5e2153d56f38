/**
 * `npm run bench`: starts the service the way the README does (offline, on
 * the stand-in upstream, rate limit off), measures it against issue 5's
 * targets, and prints the figures as a table and as JSON (also written to
 * bench/results/latest.json). `npm run bench -- --help` lists the flags.
 *
 * Each throughput run gets a freshly started service: under `wrangler dev`
 * every finished job's Durable Object stays in memory, so a service that had
 * already run the other phases would carry their memory into the figure.
 * Each run also splits its CPU time and memory by process (process-usage.ts),
 * and a fixture Worker measures what a request with and without a fresh
 * Durable Object costs the Worker's workerd by itself (memory-floor.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startService, type RunningService } from "../test/e2e/service.ts";
import { measureBase64InNode } from "./base64.ts";
import { floorImplications, measureMemoryFloor, type MemoryFloorFigures } from "./memory-floor.ts";
import { parseBenchOptions, USAGE, type BenchOptions } from "./options.ts";
import { measureFirstByte, measureOverhead, measureThroughput, type ThroughputFigures } from "./phases.ts";
import { checkTargets, formatTables, jobStages, PEAK_WORKERD_TARGET_MB, type BenchFigures } from "./report.ts";
import { jobTimingsById, reloadCount } from "./service-log.ts";
import { round } from "./stats.ts";
import { measureBase64InWorkerd } from "./workerd-base64.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Load averages: the figures are only as quiet as the machine was. */
function machineLoad(): { load1: number; load5: number; load15: number } {
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg().map((value) => round(value, 2));
  return { load1, load5, load15 };
}

interface ServiceSession<T> {
  figures: T;
  output: string;
  startupMs: number;
  /** wrangler reloads while measuring: each one failed the requests in flight. */
  reloads: number;
}

/** Starts a fresh service, runs `measure` on it, and stops it again. */
async function withService<T>(
  options: BenchOptions,
  measure: (service: RunningService) => Promise<T>,
): Promise<ServiceSession<T>> {
  const startedAt = performance.now();
  const service = await startService({
    vars: { RATE_LIMIT_PER_MINUTE: "0" },
    standInLatencyMs: 0,
    stateParent: options.stateDir,
    env: options.localObservability ? undefined : { X_LOCAL_OBSERVABILITY: "false" },
  });
  const startupMs = round(performance.now() - startedAt, 0);
  const reloadsAtStart = reloadCount(service.output());
  try {
    const figures = await measure(service);
    const output = service.output();
    return { figures, output, startupMs, reloads: reloadCount(output) - reloadsAtStart };
  } finally {
    await service.stop();
  }
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
    });
  } catch (error) {
    progress(`memory floor failed: ${String(error)}`);
    return `failed: ${String(error).split("\n")[0] ?? ""}`;
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const loadBefore = machineLoad();
  progress(`load average before: ${loadBefore.load1} (1 min) on ${cpus().length} cores`);
  progress(`base64: decodeBase64 on a ${options.base64Bytes}-byte image, in Node and in workerd…`);
  const base64 = [
    measureBase64InNode(options.base64Bytes, options.base64Rounds),
    await measureBase64InWorkerd(options.base64Bytes, options.base64Rounds),
  ];
  const floor = await memoryFloor(options);

  progress("starting the service (npm start, offline, RATE_LIMIT_PER_MINUTE=0) for the latency phases…");
  const latency = await withService(options, async (service) => {
    progress(
      `overhead: ${options.overheadWarmup} warm-up + ${options.overheadPairs} interleaved pairs, upstream 0 ms…`,
    );
    const overhead = await measureOverhead(service, options.overheadPairs, options.overheadWarmup);
    progress(`first byte: ${options.firstByteRequests} streamed requests, upstream ${options.imageLatencyMs} ms…`);
    const firstByte = await measureFirstByte(service, options.firstByteRequests, options.imageLatencyMs);
    return { overhead, firstByte };
  });
  const throughputSessions: ServiceSession<ThroughputFigures>[] = [];
  for (const clients of options.clients) {
    progress(
      `throughput: fresh service, ${clients} clients, upstream ${options.throughputLatencyMs} ms, ${options.throughputWarmupSeconds} s warm-up + ${options.throughputSeconds} s…`,
    );
    throughputSessions.push(
      await withService(options, (service) =>
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

  const sessions = [latency, ...throughputSessions];
  const reloads = sessions.reduce((sum, session) => sum + session.reloads, 0);
  const figures: BenchFigures = {
    ...latency.figures,
    throughput: throughputSessions.map((session) => session.figures),
    base64,
    memoryFloor: typeof floor === "string" ? undefined : floor,
  };
  const targets = checkTargets(figures);
  const stages = jobStages(jobTimingsById(sessions.map((session) => session.output).join("\n")), figures);
  const stripIds = <T extends { jobIds: unknown }>({ jobIds, ...rest }: T) => rest;
  const result = {
    generatedAt: new Date().toISOString(),
    command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
    machine: { cores: cpus().length, node: process.version, loadBefore, loadAfter: machineLoad() },
    options,
    startupMs: sessions.map((session) => session.startupMs),
    reloadsWhileMeasuring: reloads,
    targets,
    firstByte: stripIds(figures.firstByte),
    overhead: stripIds(figures.overhead),
    throughput: figures.throughput.map(stripIds),
    base64,
    memoryFloor:
      typeof floor === "string"
        ? { notMeasured: floor }
        : { ...floor, implications: floorImplications(floor, figures.throughput, PEAK_WORKERD_TARGET_MB) },
    jobStages: stages,
  };
  console.log(formatTables(figures, targets, stages));
  if (typeof floor === "string") console.log(`\nMemory floor: ${floor}`);
  if (reloads > 0) {
    console.log(
      `\nWARNING: wrangler reloaded the Worker ${reloads} time(s) while measuring (a file under src/ changed); requests in flight failed and the figures are not the code's. Run again on a quiet checkout.`,
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

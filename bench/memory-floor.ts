/**
 * The memory floor: how much the Worker's workerd grows per request under
 * `wrangler dev` when the request does nothing, with and without a fresh
 * Durable Object (the fixture in bench/floor/), and its CPU and latency, also
 * with a job's two commits and with all of a job's object calls (/job-calls:
 * the design's floor, targets.ts designFloorGaps). One GenerationJob per job means
 * every job pays at least the "fresh Durable Object" figure while its object
 * stays in memory, whatever the project's code does; the memory rounds
 * (memory-rounds.ts) subtract it from each job's growth, and the baseline's,
 * with no object, the plain request's.
 */
import { startFloorFixture } from "./floor-fixture.ts";
import type { ProcessRole } from "./processes.ts";
import { sampleProcessUsage } from "./process-usage.ts";
import { round, summarize, type Summary } from "./stats.ts";

/** Sequential requests of each kind for its latency. */
const LATENCY_REQUESTS = 60;

export type FloorRequestKind =
  | "no Durable Object"
  | "fresh Durable Object"
  | "fresh Durable Object, two commits"
  | "a job's object calls, no admission"
  | "a job's object calls";

export interface FloorKindFigures {
  kind: FloorRequestKind;
  requests: number;
  failures: number;
  seconds: number;
  /** The Worker's workerd before the batch and at its peak during it, MiB. */
  workerMbBefore: number;
  workerMbPeak: number;
  /** (peak − before) ÷ requests, KiB: what each request left behind in the Worker's workerd. */
  workerKbPerRequest: number;
  /** The same for wrangler's proxy workerd, which every request crosses. */
  proxyKbPerRequest: number;
  /** The Worker's workerd CPU time (user + system) during the batch ÷ requests, ms: what the kind costs in CPU by itself. */
  workerCpuMsPerRequest: number;
  /** One request at a time, after the batch: the latency this kind of request costs by itself. */
  latency: Summary;
}

export interface MemoryFloorFigures {
  concurrency: number;
  warmupRequests: number;
  startupMs: number;
  kinds: FloorKindFigures[];
}

export interface FloorOptions {
  requests: number;
  concurrency: number;
  warmup: number;
  /** Parent of wrangler's `--persist-to` folder (the bench's state dir). */
  stateParent: string;
  localObservability: boolean;
}

/** Starts the fixture, measures each kind of request, and stops it again. */
export async function measureMemoryFloor(options: FloorOptions): Promise<MemoryFloorFigures> {
  const startedAt = performance.now();
  const fixture = await startFloorFixture(options.stateParent, options.localObservability);
  const startupMs = round(performance.now() - startedAt, 0);
  try {
    // Plain requests first: objects made earlier would be evicted during the plain batch and
    // their memory reused, hiding what plain requests cost.
    const kinds: FloorKindFigures[] = [];
    for (const [kind, path] of [
      ["no Durable Object", "/"],
      ["fresh Durable Object", "/object"],
      ["fresh Durable Object, two commits", "/two-commits"],
      // Every object call and commit a job makes (bench/floor/worker.ts), as the project with its
      // rate limit off, then on.
      ["a job's object calls, no admission", "/job-calls?admit=0"],
      ["a job's object calls", "/job-calls"],
    ] as const) {
      await sendRequests(`${fixture.baseUrl}${path}`, options.warmup, options.concurrency);
      kinds.push(await measureKind(kind, `${fixture.baseUrl}${path}`, options, fixture.pid));
    }
    return { concurrency: options.concurrency, warmupRequests: options.warmup, startupMs, kinds };
  } catch (error) {
    throw new Error(`${String(error)}\n--- fixture output ---\n${fixture.output()}`, { cause: error });
  } finally {
    await fixture.stop();
  }
}

/** `rootPid`: the fixture's wrangler, whose workerd processes are measured. */
async function measureKind(
  kind: FloorRequestKind,
  url: string,
  options: FloorOptions,
  rootPid: number,
): Promise<FloorKindFigures> {
  const sampler = sampleProcessUsage(50, rootPid);
  const started = performance.now();
  const failures = await sendRequests(url, options.requests, options.concurrency);
  const seconds = (performance.now() - started) / 1000;
  const usage = sampler.stop();
  const latency = await sequentialLatency(url, LATENCY_REQUESTS);
  const usageOf = (role: ProcessRole) => usage.roles.find((entry) => entry.role === role);
  const peakKb = (role: ProcessRole) => (usageOf(role)?.peakRssMb ?? 0) * 1024;
  const workerKbBefore = (usageOf("Worker (workerd)")?.rssMbAtStart ?? 0) * 1024;
  if (workerKbBefore === 0)
    throw new Error(
      "no workerd with --inspector-addr below the fixture's wrangler: has wrangler dev changed how it starts workerd?",
    );
  const proxyKbBefore = (usageOf("wrangler dev proxy (workerd)")?.rssMbAtStart ?? 0) * 1024;
  const perRequest = (peak: number, before: number) =>
    round(Math.max(0, peak - before) / Math.max(1, options.requests), 1);
  return {
    kind,
    requests: options.requests,
    failures,
    seconds: round(seconds, 2),
    workerMbBefore: round(workerKbBefore / 1024),
    workerMbPeak: round(peakKb("Worker (workerd)") / 1024),
    workerKbPerRequest: perRequest(peakKb("Worker (workerd)"), workerKbBefore),
    proxyKbPerRequest: perRequest(peakKb("wrangler dev proxy (workerd)"), proxyKbBefore),
    workerCpuMsPerRequest: round((usageOf("Worker (workerd)")?.cpuMs ?? 0) / Math.max(1, options.requests), 2),
    latency,
  };
}

/** `count` GETs one after another: milliseconds each, failures left out. */
async function sequentialLatency(url: string, count: number): Promise<Summary> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) samples.push(performance.now() - started);
    } catch {
      // counted by its absence
    }
  }
  return summarize(samples);
}

/** `count` GETs, `concurrency` at a time; returns how many failed. */
export async function sendRequests(url: string, count: number, concurrency: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const loop = async () => {
    while (next < count) {
      next += 1;
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (!response.ok) failures += 1;
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
  return failures;
}

/** The floor of one kind of request (KiB of the Worker's workerd per request), if measured. */
export function floorKbPerRequest(floor: MemoryFloorFigures | undefined, kind: FloorRequestKind): number | undefined {
  return floorKind(floor, kind)?.workerKbPerRequest;
}

/** One kind of request's floor figures, if the floor was measured. */
export function floorKind(floor: MemoryFloorFigures | undefined, kind: FloorRequestKind): FloorKindFigures | undefined {
  return floor?.kinds.find((entry) => entry.kind === kind);
}

/**
 * The bench's timed phases against a running service. Each returns plain
 * figures (milliseconds, jobs per second) and the job ids it made, so the
 * report can add the Durable Object's own stage timings.
 */
import type { BenchService } from "./sides.ts";
import {
  countFailures,
  directUpstreamCalls,
  plainChat,
  serviceInfo,
  setUpstreamLatency,
  streamedChat,
  type Timed,
} from "./requests.ts";
import { round, summarize, type Summary } from "./stats.ts";
import type { ProcessRole } from "./processes.ts";
import { sampleProcessUsage, type ProcessUsage } from "./process-usage.ts";

export interface FirstByteFigures {
  upstreamLatencyMs: number;
  firstByte: Summary;
  total: Summary;
  failures: number;
  /** The failures by reason (the API error's code, or the HTTP status). */
  failureReasons: Record<string, number>;
  jobIds: (string | undefined)[];
}

/** Sequential streamed chat completions: the first bytes must not wait for the upstream. */
export async function measureFirstByte(
  service: BenchService,
  requests: number,
  latencyMs: number,
): Promise<FirstByteFigures> {
  await setUpstreamLatency(service, latencyMs);
  await streamedChat(service, "bench warm-up for the first byte"); // the first request pays for module loading
  const results: Timed[] = [];
  for (let index = 0; index < requests; index++)
    results.push(await streamedChat(service, `bench first byte ${index}: a lighthouse at dusk`));
  const succeeded = results.filter((result) => result.ok);
  return {
    upstreamLatencyMs: latencyMs,
    firstByte: summarize(succeeded.flatMap((result) => (result.firstByteMs === undefined ? [] : [result.firstByteMs]))),
    total: summarize(succeeded.map((result) => result.totalMs)),
    failures: results.length - succeeded.length,
    failureReasons: countFailures(results),
    jobIds: succeeded.map((result) => result.jobId),
  };
}

export interface OverheadFigures {
  /** Per pair: through the Worker minus the same upstream calls made directly, with a zero-latency upstream. */
  overhead: Summary;
  throughWorker: Summary;
  direct: Summary;
  /** GET /v1/service through wrangler dev: the floor any request to the Worker pays. */
  proxyFloor: Summary;
  /** Pairs left out because either half failed, and why each failed half did (direct ones marked so). */
  failures: number;
  failureReasons: Record<string, number>;
  jobIds: (string | undefined)[];
}

/**
 * Interleaved pairs (the order alternates so neither half always runs on a
 * warmer machine): the job's upstream calls made directly (optimiser, then
 * image), and a non-streamed chat completion that makes the same calls
 * through the Worker. With several services running side by side, each pair
 * index visits every service in turn (in a rotating order), so a machine that
 * grows busier during the phase weighs on every side alike; one figure per
 * service, in the order given.
 */
export async function measureOverhead(
  services: BenchService[],
  pairs: number,
  warmup: number,
): Promise<OverheadFigures[]> {
  for (const service of services) await setUpstreamLatency(service, 0);
  for (let index = 0; index < warmup; index++) {
    for (const service of services) {
      await directUpstreamCalls(service, `bench warm-up ${index}`);
      await plainChat(service, `bench warm-up ${index}`);
      await serviceInfo(service);
    }
  }
  const samples = services.map(() => ({
    differences: [] as number[],
    through: [] as number[],
    direct: [] as number[],
    floor: [] as number[],
    jobIds: [] as (string | undefined)[],
    failures: 0,
    failed: [] as Timed[],
  }));
  for (let index = 0; index < pairs; index++) {
    const prompt = `bench overhead ${index}: a lighthouse at dusk`;
    const directFirst = index % 2 === 0;
    for (let turn = 0; turn < services.length; turn++) {
      const which = (index + turn) % services.length;
      const service = services[which];
      const sample = samples[which];
      if (!service || !sample) continue;
      const first = directFirst ? await directUpstreamCalls(service, prompt) : await plainChat(service, prompt);
      const second = directFirst ? await plainChat(service, prompt) : await directUpstreamCalls(service, prompt);
      const [viaDirect, viaWorker] = directFirst ? [first, second] : [second, first];
      const smallest = await serviceInfo(service);
      if (smallest.ok) sample.floor.push(smallest.totalMs);
      if (!viaDirect.ok || !viaWorker.ok) {
        sample.failures += 1;
        if (!viaWorker.ok) sample.failed.push(viaWorker);
        if (!viaDirect.ok) sample.failed.push({ ...viaDirect, failure: `direct: ${viaDirect.failure ?? "unknown"}` });
        continue;
      }
      sample.differences.push(viaWorker.totalMs - viaDirect.totalMs);
      sample.through.push(viaWorker.totalMs);
      sample.direct.push(viaDirect.totalMs);
      sample.jobIds.push(viaWorker.jobId);
    }
  }
  return samples.map((sample) => ({
    overhead: summarize(sample.differences),
    throughWorker: summarize(sample.through),
    direct: summarize(sample.direct),
    proxyFloor: summarize(sample.floor),
    failures: sample.failures,
    failureReasons: countFailures(sample.failed),
    jobIds: sample.jobIds,
  }));
}

export interface ThroughputFigures {
  clients: number;
  upstreamLatencyMs: number;
  /** From the first request to the window's opening: the warm-up time, or longer if the first jobs were slower. */
  warmupMs: number;
  jobsPerSecond: number;
  idealJobsPerSecond: number;
  /** jobsPerSecond ÷ ideal. */
  shareOfIdeal: number;
  latency: Summary;
  /** Jobs finished inside the measured window. */
  completed: number;
  failures: number;
  /** Every failed job of the run (warm-up and drain included), by reason. */
  failureReasons: Record<string, number>;
  /** Every job of the run, warm-up and drain included. */
  jobsRun: number;
  /** (peak − start) ÷ jobsRun: wrangler dev keeps each finished job's Durable Object in memory. */
  workerdMbGrowthPerJob?: number;
  /** workerd's resident memory when the run began, and its peak during the run (MiB). */
  workerdMbAtStart?: number;
  peakWorkerdMb?: number;
  /** Where the run's CPU time and memory went, by process role (warm-up and drain included). */
  processRoles: RoleFigures[];
  jobIds: (string | undefined)[];
}

export interface RoleFigures {
  role: ProcessRole | "total";
  processes: number;
  /** CPU time (user + system) during the run ÷ jobsRun. */
  cpuMsPerJob: number;
  /** Peak RSS of this role's processes (for "total": of all of them at once), MiB. */
  peakRssMb: number;
}

/** Client `index`'s own API key. */
export function clientKey(service: BenchService, index: number): string {
  return service.apiKeys[index % service.apiKeys.length] ?? service.apiKey;
}

/** Per-role figures per job, plus a total row; roles with no process are left out. */
function roleFigures(usage: ProcessUsage, jobsRun: number): RoleFigures[] {
  const perJob = (cpuMs: number) => round(cpuMs / Math.max(1, jobsRun), 2);
  const roles = usage.roles.filter((role) => role.processes > 0);
  const totalCpuMs = roles.reduce((sum, role) => sum + role.cpuMs, 0);
  return [
    ...roles.map((role) => ({
      role: role.role,
      processes: role.processes,
      cpuMsPerJob: perJob(role.cpuMs),
      peakRssMb: round(role.peakRssMb),
    })),
    {
      role: "total",
      processes: roles.reduce((sum, role) => sum + role.processes, 0),
      cpuMsPerJob: perJob(totalCpuMs),
      peakRssMb: round(usage.peakTotalRssMb),
    },
  ];
}

/**
 * `clients` loops, each making non-streamed chat completions back to back with
 * its own API key. Jobs finishing inside the measured window count; ideal is
 * every client finishing one job per upstream latency. The window opens when
 * the warm-up time has passed and every client has finished its first job: a
 * fresh service's first burst (code loading, every client's first objects) is
 * slow, and on a busy machine can outlast a fixed warm-up, which would leave
 * a window of cold jobs, or none.
 */
export async function measureThroughput(
  service: BenchService,
  clients: number,
  latencyMs: number,
  windowSeconds: number,
  warmupSeconds: number,
): Promise<ThroughputFigures> {
  await setUpstreamLatency(service, latencyMs);
  const started = performance.now();
  // Set once the last client has finished its first job; until then no job counts and every client goes on.
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let warmClients = 0;
  const inWindow: Timed[] = [];
  const failed: Timed[] = [];
  let failures = 0;
  let jobsRun = 0;
  const sampler = sampleProcessUsage(100);
  const client = async (clientIndex: number) => {
    const apiKey = clientKey(service, clientIndex);
    for (let index = 0; performance.now() < windowEnd; index++) {
      const result = await plainChat(
        service,
        `bench throughput ${clients}/${clientIndex}/${index}: a lighthouse at dusk`,
        apiKey,
      );
      jobsRun += 1;
      if (!result.ok) failed.push(result);
      if (index === 0 && ++warmClients === clients) {
        windowStart = Math.max(performance.now(), started + warmupSeconds * 1000);
        windowEnd = windowStart + windowSeconds * 1000;
      }
      const finished = performance.now();
      if (finished < windowStart || finished > windowEnd) continue;
      if (result.ok) inWindow.push(result);
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  const usage = sampler.stop();
  const { workerdMbAtStart } = usage;
  const jobsPerSecond = inWindow.length / windowSeconds;
  const idealJobsPerSecond = clients / (latencyMs / 1000);
  return {
    clients,
    upstreamLatencyMs: latencyMs,
    warmupMs: round(windowStart - started, 0),
    jobsPerSecond: round(jobsPerSecond),
    idealJobsPerSecond: round(idealJobsPerSecond),
    shareOfIdeal: round(jobsPerSecond / idealJobsPerSecond, 3),
    latency: summarize(inWindow.map((result) => result.totalMs)),
    completed: inWindow.length,
    failures,
    failureReasons: countFailures(failed),
    jobsRun,
    workerdMbGrowthPerJob:
      usage.peakWorkerdMb === undefined || workerdMbAtStart === undefined
        ? undefined
        : round((usage.peakWorkerdMb - workerdMbAtStart) / Math.max(1, jobsRun), 3),
    workerdMbAtStart: workerdMbAtStart === undefined ? undefined : round(workerdMbAtStart),
    peakWorkerdMb: usage.peakWorkerdMb === undefined ? undefined : round(usage.peakWorkerdMb),
    processRoles: roleFigures(usage, jobsRun),
    jobIds: inWindow.map((result) => result.jobId),
  };
}

/**
 * Memory over time on one service: rounds of jobs with a pause after each,
 * and the Worker's workerd RSS before, at its peak during, and after the pause
 * of every round. Under `wrangler dev` each job's Durable Object stays in
 * memory until about 10 s after its last request, and workerd reuses freed
 * memory rather than returning it, so the RSS after a round is not expected to
 * fall; it must stop rising: the last round may end at most 10 % above round
 * 2 (round 1 starts from an empty process). Round 1, on a fresh service, also
 * gives the growth per job, which the report sets against the memory floor
 * (bench/memory-floor.ts) of an object that does nothing.
 */
import { clientKey } from "./phases.ts";
import { sampleProcessUsage } from "./process-usage.ts";
import { rolePids, roleRssMb } from "./processes.ts";
import { closeIdleConnections, countFailures, plainChat, setUpstreamLatency, type Timed } from "./requests.ts";
import type { BenchService, Side } from "./sides.ts";
import { round } from "./stats.ts";

export interface MemoryRound {
  round: number;
  jobs: number;
  failures: number;
  /** The failures by reason (the API error's code, or the HTTP status). */
  failureReasons: Record<string, number>;
  seconds: number;
  /** The Worker's workerd, MiB: before the round, its peak during it, and after the pause that follows. */
  workerMbBefore: number;
  workerMbPeak: number;
  workerMbAfterPause: number;
  /** The Worker's workerd was not the same process after the pause as before the round: its RSS figures mix two processes. */
  workerRestarted: boolean;
}

export interface MemoryRoundsFigures {
  side: Side;
  clients: number;
  jobsPerRound: number;
  pauseSeconds: number;
  upstreamLatencyMs: number;
  rounds: MemoryRound[];
  /** Round 1: (peak − before) ÷ jobs, KiB; what each job left in memory while its object lived. */
  growthKbPerJob: number;
  /** The last round's RSS after its pause ≤ round 2's + 10 %; undefined with fewer than 3 rounds. */
  levelsOff?: { laterRound: number; laterMb: number; round2Mb: number; limitMb: number; pass: boolean };
}

export interface RoundOptions {
  rounds: number;
  jobsPerRound: number;
  clients: number;
  pauseSeconds: number;
  upstreamLatencyMs: number;
}

/** An idle Durable Object leaves memory about this long after its last request: shorter pauses cannot show reuse. */
export const OBJECT_IDLE_SECONDS = 10;

/** How much the last round may end above round 2. */
export const LEVEL_OFF_TOLERANCE = 0.1;

export async function measureMemoryRounds(service: BenchService, options: RoundOptions): Promise<MemoryRoundsFigures> {
  await setUpstreamLatency(service, options.upstreamLatencyMs);
  // One job per client first: the code loads, and each key's rate-limiter object (one per client, kept for
  // good) is made, so neither counts as growth per job in round 1.
  await runJobs(service, options.clients, options.clients, 0);
  const rounds: MemoryRound[] = [];
  for (let index = 1; index <= options.rounds; index++) {
    closeIdleConnections();
    const pidsBefore = rolePids("Worker (workerd)").join();
    const sampler = sampleProcessUsage(100);
    const started = performance.now();
    const results = await runJobs(service, options.jobsPerRound, options.clients, index);
    const seconds = (performance.now() - started) / 1000;
    const worker = sampler.stop().roles.find((role) => role.role === "Worker (workerd)");
    await new Promise((resolve) => setTimeout(resolve, options.pauseSeconds * 1000));
    rounds.push({
      round: index,
      jobs: options.jobsPerRound,
      failures: results.filter((result) => !result.ok).length,
      failureReasons: countFailures(results),
      seconds: round(seconds, 1),
      workerMbBefore: round(worker?.rssMbAtStart ?? 0),
      workerMbPeak: round(worker?.peakRssMb ?? 0),
      workerMbAfterPause: round(roleRssMb("Worker (workerd)")),
      workerRestarted: (worker?.processes ?? 0) > 1 || rolePids("Worker (workerd)").join() !== pidsBefore,
    });
  }
  const first = rounds[0];
  const second = rounds[1];
  const last = rounds.at(-1);
  const growthKbPerJob = first
    ? round(((first.workerMbPeak - first.workerMbBefore) * 1024) / Math.max(1, first.jobs - first.failures), 1)
    : 0;
  const levelsOff =
    second && last && last.round >= 3
      ? {
          laterRound: last.round,
          laterMb: last.workerMbAfterPause,
          round2Mb: second.workerMbAfterPause,
          limitMb: round(second.workerMbAfterPause * (1 + LEVEL_OFF_TOLERANCE)),
          // A restarted Worker starts from nothing again: its lower RSS proves nothing.
          pass:
            !rounds.some((entry) => entry.workerRestarted) &&
            last.workerMbAfterPause <= second.workerMbAfterPause * (1 + LEVEL_OFF_TOLERANCE),
        }
      : undefined;
  return {
    side: service.side,
    clients: options.clients,
    jobsPerRound: options.jobsPerRound,
    pauseSeconds: options.pauseSeconds,
    upstreamLatencyMs: options.upstreamLatencyMs,
    rounds,
    growthKbPerJob,
    levelsOff,
  };
}

/** `jobs` non-streamed chat completions, `clients` at a time, each client with its own key. */
async function runJobs(service: BenchService, jobs: number, clients: number, roundNumber: number): Promise<Timed[]> {
  let started = 0;
  const results: Timed[] = [];
  const client = async (clientIndex: number) => {
    const apiKey = clientKey(service, clientIndex);
    while (started < jobs) {
      const index = started++;
      results.push(await plainChat(service, `bench memory ${roundNumber}/${index}: a lighthouse at dusk`, apiKey));
    }
  };
  await Promise.all(Array.from({ length: Math.min(clients, jobs) }, (_, index) => client(index)));
  return results;
}

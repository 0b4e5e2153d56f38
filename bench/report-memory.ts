/**
 * The report's memory and CPU tables: the memory rounds (the Worker's RSS
 * round after round, and each job's growth against the memory floor), where
 * each throughput run's CPU time and memory went, by process, and the
 * measured floor of a request with and without a fresh Durable Object.
 */
import { floorKbPerRequest, type MemoryFloorFigures } from "./memory-floor.ts";
import { round } from "./stats.ts";
import { table } from "./table.ts";
import type { SideFigures } from "./targets.ts";

const mb = (value: number | undefined) => (value === undefined ? "n/a" : `${value} MB`);

/** A job's growth beyond the floor of its kind of request: a fresh object for the project, none for the baseline. */
export function beyondFloorKb(figures: SideFigures, floor: MemoryFloorFigures | undefined): number | undefined {
  const rounds = figures.memoryRounds;
  const floorKb = floorKbPerRequest(floor, figures.side === "baseline" ? "no Durable Object" : "fresh Durable Object");
  return rounds === undefined || floorKb === undefined ? undefined : round(rounds.growthKbPerJob - floorKb, 1);
}

export function formatRoundsTable(sides: SideFigures[], floor: MemoryFloorFigures | undefined): string {
  const rows: string[][] = [];
  const perJob: string[] = [];
  for (const figures of sides) {
    const rounds = figures.memoryRounds;
    if (!rounds) continue;
    for (const entry of rounds.rounds) {
      rows.push([
        entry.round === 1 ? figures.side : "",
        `${entry.round}`,
        `${entry.jobs} (${entry.failures} failed) in ${entry.seconds} s`,
        mb(entry.workerMbBefore),
        mb(entry.workerMbPeak),
        mb(entry.workerMbAfterPause) + (entry.workerRestarted ? " (Worker restarted!)" : ""),
      ]);
    }
    const kind = figures.side === "baseline" ? "a plain request's" : "a fresh Durable Object's";
    const floorKb = floorKbPerRequest(
      floor,
      figures.side === "baseline" ? "no Durable Object" : "fresh Durable Object",
    );
    const beyond = beyondFloorKb(figures, floor);
    const levels = rounds.levelsOff;
    perJob.push(
      `  ${figures.side}: +${rounds.growthKbPerJob} KB per job in round 1` +
        (beyond === undefined ? " (no floor measured)" : `, ${beyond} KB beyond ${kind} floor of ${floorKb} KB`) +
        (levels
          ? `; after round 2 → after round ${levels.laterRound}: +${round(levels.laterMb - levels.round2Mb)} MB`
          : ""),
    );
  }
  const first = sides.find((figures) => figures.memoryRounds)?.memoryRounds;
  return [
    `Memory rounds (one service per side, ${first?.jobsPerRound ?? "?"} jobs a round at ${first?.clients ?? "?"} clients, upstream ${first?.upstreamLatencyMs ?? "?"} ms, ${first?.pauseSeconds ?? "?"} s pause after each; the Worker's workerd RSS):`,
    table(["side", "round", "jobs", "before", "peak", "after the pause"], rows),
    "Growth per job, round 1 ((peak − before) ÷ jobs) less the floor of the same kind of request, and the growth after round 2 (the baseline has no Durable Object: its growth is the dev server's and the runtime's own):",
    ...perJob,
  ].join("\n");
}

export function formatProcessTable(sides: SideFigures[]): string {
  const rows = sides.flatMap((figures) =>
    figures.throughput.flatMap((run) =>
      run.processRoles.map((role, index) => [
        index === 0 ? `${figures.side}, ${run.clients} clients, ${run.jobsRun} jobs` : "",
        role.role,
        `${role.processes}`,
        role.cpuMsPerJob.toFixed(2),
        mb(role.peakRssMb),
      ]),
    ),
  );
  return [
    "Where each throughput run's CPU and memory went (CPU: user + system over the whole run, warm-up included, ÷ jobs run; the bench client includes its own sampling):",
    table(["run", "process", "procs", "CPU ms/job", "peak RSS"], rows),
  ].join("\n");
}

export function formatFloorTable(floor: MemoryFloorFigures): string {
  const kindRows = floor.kinds.map((kind) => [
    kind.kind,
    `${kind.requests} (${kind.failures} failed) in ${kind.seconds} s`,
    `+${kind.workerKbPerRequest} KB`,
    `+${kind.proxyKbPerRequest} KB`,
    `${kind.workerMbBefore} → ${kind.workerMbPeak} MB`,
    `${kind.latency.p50} ms`,
  ]);
  return [
    `Memory floor (bench/floor/: requests that do nothing, ${floor.concurrency} at a time after ${floor.warmupRequests} warm-up; RSS growth per request):`,
    table(
      ["request", "sent", "Worker workerd", "proxy workerd", "Worker workerd RSS", "latency p50, one at a time"],
      kindRows,
    ),
  ].join("\n");
}

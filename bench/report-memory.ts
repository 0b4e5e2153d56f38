/**
 * The report's memory and CPU tables: where each throughput run's CPU time
 * and memory went, by process, and the measured memory floor of a request
 * with and without a fresh Durable Object, with what that floor implies for
 * each throughput run.
 */
import { floorImplications, type MemoryFloorFigures } from "./memory-floor.ts";
import type { ThroughputFigures } from "./phases.ts";
import { table } from "./table.ts";

const mb = (value: number | undefined) => (value === undefined ? "n/a" : `${value} MB`);

export function formatProcessTable(runs: ThroughputFigures[]): string {
  const rows = runs.flatMap((run) =>
    run.processRoles.map((role, index) => [
      index === 0 ? `${run.clients} clients, ${run.jobsRun} jobs` : "",
      role.role,
      `${role.processes}`,
      role.cpuMsPerJob.toFixed(2),
      mb(role.peakRssMb),
    ]),
  );
  return [
    "Where each throughput run's CPU and memory went (CPU: user + system over the whole run, warm-up included, ÷ jobs run; the bench client includes its own sampling):",
    table(["run", "process", "procs", "CPU ms/job", "peak RSS"], rows),
  ].join("\n");
}

export function formatFloorTables(floor: MemoryFloorFigures, runs: ThroughputFigures[], targetMb: number): string {
  const kindRows = floor.kinds.map((kind) => [
    kind.kind,
    `${kind.requests} (${kind.failures} failed) in ${kind.seconds} s`,
    `+${kind.workerKbPerRequest} KB`,
    `+${kind.proxyKbPerRequest} KB`,
    `${kind.workerMbBefore} → ${kind.workerMbPeak} MB`,
  ]);
  const implicationRows = floorImplications(floor, runs, targetMb).map((implication) => [
    `${implication.clients} clients`,
    `${implication.jobsRun}`,
    mb(implication.objectFloorMb),
    implication.workerdMbAtStart === undefined
      ? "n/a"
      : mb(Math.round(implication.workerdMbAtStart + implication.objectFloorMb)),
    mb(implication.peakWorkerdMb),
    mb(implication.workerPeakMb),
    `≤ ${targetMb} MB: ~${implication.objectsUnderTarget ?? "n/a"} objects fit`,
  ]);
  return [
    `Memory floor (bench/floor/: requests that do nothing, ${floor.concurrency} at a time after ${floor.warmupRequests} warm-up; RSS growth per request):`,
    table(["request", "sent", "Worker workerd", "proxy workerd", "Worker workerd RSS"], kindRows),
    "",
    "What the fresh-object floor alone implies (jobs run × per-object growth, if every job's object is still in memory at the peak):",
    table(
      [
        "run",
        "jobs run",
        "object floor",
        "workerd at start + floor",
        "measured peak (both workerd)",
        "Worker workerd peak",
        "target (from the start)",
      ],
      implicationRows,
    ),
  ].join("\n");
}

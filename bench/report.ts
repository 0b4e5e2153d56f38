/**
 * The bench's results: the targets from issue 5 checked against the figures,
 * printed as a table and kept as JSON (bench/results/latest.json).
 */
import type { Base64Figure } from "./base64.ts";
import type { MemoryFloorFigures } from "./memory-floor.ts";
import type { JobTimings } from "./service-log.ts";
import { stageSamples } from "./service-log.ts";
import type { FirstByteFigures, OverheadFigures, ThroughputFigures } from "./phases.ts";
import { formatFloorTables, formatProcessTable } from "./report-memory.ts";
import { summarize, type Summary } from "./stats.ts";
import { table } from "./table.ts";

export interface TargetCheck {
  name: string;
  target: string;
  actual: number | undefined;
  unit: string;
  pass: boolean;
}

export interface BenchFigures {
  firstByte: FirstByteFigures;
  overhead: OverheadFigures;
  throughput: ThroughputFigures[];
  base64: Base64Figure[];
  /** Undefined when skipped (`--no-floor`) or when the fixture failed. */
  memoryFloor?: MemoryFloorFigures;
}

/** Issue 5's memory target: both workerd processes together, at 128 clients. */
export const PEAK_WORKERD_TARGET_MB = 400;

/** Issue 5's targets for this 2-core machine. */
export function checkTargets(figures: BenchFigures): TargetCheck[] {
  const at = (clients: number) => figures.throughput.find((run) => run.clients === clients);
  const atMost = (name: string, actual: number | undefined, limit: number, unit: string): TargetCheck => ({
    name,
    target: `≤ ${limit} ${unit}`,
    actual,
    unit,
    pass: actual !== undefined && Number.isFinite(actual) && actual <= limit,
  });
  const share32 = at(32)?.shareOfIdeal;
  return [
    atMost("first byte p50", figures.firstByte.firstByte.p50, 50, "ms"),
    atMost("overhead p50", figures.overhead.overhead.p50, 8, "ms"),
    {
      name: "throughput at 32 clients",
      target: "≥ 93 % of ideal",
      actual: share32 === undefined ? undefined : Math.round(share32 * 1000) / 10,
      unit: "%",
      pass: share32 !== undefined && share32 >= 0.93,
    },
    atMost("peak workerd RSS at 128 clients", at(128)?.peakWorkerdMb, PEAK_WORKERD_TARGET_MB, "MB"),
  ];
}

/** The Durable Object's own stage timings (from its log lines) for each phase's jobs. */
export function jobStages(
  timings: Map<string, JobTimings>,
  figures: BenchFigures,
): Record<string, Record<string, Summary>> {
  const summarizeStages = (ids: (string | undefined)[]) =>
    Object.fromEntries(
      Object.entries(stageSamples(timings, ids)).map(([stage, samples]) => [stage, summarize(samples)]),
    );
  const stages: Record<string, Record<string, Summary>> = {
    firstByte: summarizeStages(figures.firstByte.jobIds),
    overhead: summarizeStages(figures.overhead.jobIds),
  };
  for (const run of figures.throughput) stages[`throughput${run.clients}`] = summarizeStages(run.jobIds);
  return stages;
}

const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "n/a" : `${value} ms`);

export function formatTables(
  figures: BenchFigures,
  targets: TargetCheck[],
  stages: Record<string, Record<string, Summary>>,
): string {
  const { firstByte, overhead } = figures;
  const measured: string[][] = [
    [
      "first streamed byte",
      `upstream ${firstByte.upstreamLatencyMs} ms, ${firstByte.firstByte.count} sequential`,
      ms(firstByte.firstByte.p50),
      ms(firstByte.firstByte.p99),
      `${firstByte.failures}`,
    ],
    ["  whole streamed reply", "", ms(firstByte.total.p50), ms(firstByte.total.p99), ""],
    [
      "Worker overhead (pairwise)",
      `upstream 0 ms, ${overhead.overhead.count} pairs`,
      ms(overhead.overhead.p50),
      ms(overhead.overhead.p99),
      `${overhead.failures}`,
    ],
    [
      "  through the Worker",
      "non-stream chat completion",
      ms(overhead.throughWorker.p50),
      ms(overhead.throughWorker.p99),
      "",
    ],
    ["  direct upstream call", "same multipart ai/run", ms(overhead.direct.p50), ms(overhead.direct.p99), ""],
    [
      "  GET /v1/service (proxy floor)",
      "wrangler dev round trip",
      ms(overhead.proxyFloor.p50),
      ms(overhead.proxyFloor.p99),
      "",
    ],
  ];
  for (const run of figures.throughput) {
    measured.push([
      `throughput, ${run.clients} clients`,
      `upstream ${run.upstreamLatencyMs} ms: ${run.jobsPerSecond}/${run.idealJobsPerSecond} jobs/s = ${(run.shareOfIdeal * 100).toFixed(1)} %`,
      ms(run.latency.p50),
      ms(run.latency.p99),
      `${run.failures}`,
    ]);
    const mb = (value: number | undefined) => (value === undefined ? "n/a" : `${value} MB`);
    const growth =
      run.workerdMbGrowthPerJob === undefined
        ? ""
        : `, +${run.workerdMbGrowthPerJob} MB per job over ${run.jobsRun} jobs`;
    measured.push([
      "  workerd RSS",
      `${mb(run.workerdMbAtStart)} at the start${growth}`,
      `peak ${mb(run.peakWorkerdMb)}`,
      "",
      "",
    ]);
  }
  for (const figure of figures.base64) {
    measured.push([
      `base64 decode ${(figure.imageBytes / 2 ** 20).toFixed(1)} MiB`,
      `${figure.runtime}: ${figure.path}`,
      `${figure.mbPerSecond} MB/s`,
      `${figure.msPerDecode} ms each`,
      "",
    ]);
  }
  const stageRows = Object.entries(stages).flatMap(([phase, byStage]) =>
    Object.entries(byStage).map(([stage, summary]) => [phase, stage, ms(summary.p50), ms(summary.p99)]),
  );
  return [
    table(["measure", "conditions", "p50 / value", "p99", "failed"], measured),
    "",
    table(
      ["target", "wanted", "measured", "result"],
      targets.map((check) => [
        check.name,
        check.target,
        check.actual === undefined ? "n/a" : `${check.actual} ${check.unit}`,
        check.pass ? "PASS" : "FAIL",
      ]),
    ),
    "",
    "Inside the GenerationJob (its log lines; the rest of a request's time is the Worker, the RPC, the relay and wrangler's proxy):",
    table(["phase", "stage", "p50", "p99"], stageRows),
    "",
    formatProcessTable(figures.throughput),
    ...(figures.memoryFloor
      ? ["", formatFloorTables(figures.memoryFloor, figures.throughput, PEAK_WORKERD_TARGET_MB)]
      : []),
  ].join("\n");
}

/**
 * The bench's printed report: the setup and the work, the upstream calls each
 * side made, every side's figures, the project ÷ baseline ratios and issue
 * 23's targets (targets.ts), then the tables that explain the figures
 * (report-memory.ts). The same figures are kept as JSON by run.ts.
 */
import type { Base64Figure } from "./base64.ts";
import { floorKind, type FloorKindFigures, type MemoryFloorFigures } from "./memory-floor.ts";
import type { JobTimings } from "./service-log.ts";
import { stageSamples } from "./service-log.ts";
import { formatFloorTable, formatProcessTable, formatRoundsTable } from "./report-memory.ts";
import type { BenchSetup } from "./setup.ts";
import { RATE_LIMIT_ON_PER_MINUTE, PROJECT_SIDES } from "./sides.ts";
import { round, summarize, type Summary } from "./stats.ts";
import { table } from "./table.ts";
import {
  CPU_RATIO_TARGET,
  JOBS_RATIO_TARGET,
  OVERHEAD_ALLOWANCE_MS,
  type DesignFloorGap,
  type FloorGap,
  type Ratio,
  type SideFigures,
  type TargetCheck,
} from "./targets.ts";
import { BENCH_MODEL } from "./requests.ts";

export interface BenchFigures {
  setup: BenchSetup;
  sides: SideFigures[];
  base64: Base64Figure[];
  /** Undefined when skipped (`--no-floor`) or when the fixture failed. */
  memoryFloor?: MemoryFloorFigures;
  apiKeys: number;
}

/** The GenerationJob's own stage timings (from its log lines) for each project phase's jobs. */
export function jobStages(
  timings: Map<string, JobTimings>,
  sides: SideFigures[],
): Record<string, Record<string, Summary>> {
  const summarizeStages = (ids: (string | undefined)[]) =>
    Object.fromEntries(
      Object.entries(stageSamples(timings, ids)).map(([stage, samples]) => [stage, summarize(samples)]),
    );
  const stages: Record<string, Record<string, Summary>> = {};
  for (const side of sides) {
    if (side.side === "baseline") continue;
    if (side.firstByte) stages[`${side.side}: first byte`] = summarizeStages(side.firstByte.jobIds);
    stages[`${side.side}: overhead`] = summarizeStages(side.overhead.jobIds);
    for (const run of side.throughput) stages[`${side.side}: ${run.clients} clients`] = summarizeStages(run.jobIds);
  }
  return stages;
}

const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "n/a" : `${value} ms`);

export function formatTables(
  figures: BenchFigures,
  ratios: Ratio[],
  targets: TargetCheck[],
  stages: Record<string, Record<string, Summary>>,
  gaps: DesignFloorGap[],
): string {
  const { sides } = figures;
  return [
    `Setup: ${figures.setup.label}.`,
    `Work, on every side: ${BENCH_MODEL} (JSON, 1024×1024) with PROMPT_OPTIMIZATION=true (Workers AI's chat model), both at the stand-in.`,
    `Rate limit on: RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_ON_PER_MINUTE} with API_KEY a list of ${figures.apiKeys} keys, one per client (the limiter runs on every request, one object per key, and never refuses); off: RATE_LIMIT_PER_MINUTE=0, the same keys.`,
    "",
    formatCallsTable(sides),
    "",
    table(["side", "measure", "conditions", "p50 / value", "p99", "failed"], sides.flatMap(sideRows)),
    ...failureLines(sides),
    "",
    formatRatioTable(ratios, figures.setup.tuned),
    ...designFloorLines(figures, gaps),
    "",
    table(
      ["target", "wanted", "measured", "result"],
      targets.map((check) => [
        check.name,
        check.target,
        check.actual,
        check.notChecked ? `not checked: ${check.notChecked}` : check.pass ? "PASS" : "FAIL",
      ]),
    ),
    ...(sides.some((side) => side.memoryRounds) ? ["", formatRoundsTable(sides, figures.memoryFloor)] : []),
    "",
    "Inside the GenerationJob (its log lines; the rest of a request's time is the Worker, the RPC, the relay and wrangler's proxy):",
    table(
      ["phase", "stage", "p50", "p99"],
      Object.entries(stages).flatMap(([phase, byStage]) =>
        Object.entries(byStage).map(([stage, summary]) => [phase, stage, ms(summary.p50), ms(summary.p99)]),
      ),
    ),
    "",
    formatProcessTable(sides),
    ...(figures.memoryFloor ? ["", formatFloorTable(figures.memoryFloor)] : []),
    "",
    table(
      ["base64 decode", "runtime: path", "speed", "per decode"],
      figures.base64.map((figure) => [
        `${(figure.imageBytes / 2 ** 20).toFixed(1)} MiB`,
        `${figure.runtime}: ${figure.path}`,
        `${figure.mbPerSecond} MB/s`,
        `${figure.msPerDecode} ms`,
      ]),
    ),
  ].join("\n");
}

/**
 * What the one-object-per-job design costs before the project's code runs, next to the gap it is
 * asked to close: the floor fixture's latencies (same setup, one request at a time) and the
 * difference between the project's overhead and the baseline's.
 */
function designFloorLines(figures: BenchFigures, gaps: DesignFloorGap[]): string[] {
  const plain = floorKind(figures.memoryFloor, "no Durable Object");
  const fresh = floorKind(figures.memoryFloor, "fresh Durable Object");
  const committed = floorKind(figures.memoryFloor, "fresh Durable Object, two commits");
  const overheadOf = (side: string) => figures.sides.find((entry) => entry.side === side)?.overhead.overhead.p50;
  const baseline = overheadOf("baseline");
  const project = overheadOf("project, rate limit on");
  if (!plain || !fresh || !committed) return [];
  const plus = (kind: FloorKindFigures) =>
    `${round(kind.latency.p50, 1)} ms (+${round(kind.latency.p50 - plain.latency.p50, 1)})`;
  const gap =
    baseline === undefined || project === undefined
      ? ""
      : ` The project's overhead p50 exceeds the baseline's by ${round(project - baseline, 1)} ms (rate limit on).`;
  const lines = [
    `What one object per job costs by itself in this setup (bench/floor/, one request at a time, p50): a plain request ${plain.latency.p50} ms; one that calls a fresh Durable Object ${plus(fresh)}; one whose fresh object also makes a job's two commits ${plus(committed)}.${gap} In the Worker's workerd CPU per request (${figures.memoryFloor?.concurrency} at a time): ${plain.workerCpuMsPerRequest} ms plain, ${fresh.workerCpuMsPerRequest} ms with a fresh object, ${committed.workerCpuMsPerRequest} ms with its two commits.`,
  ];
  if (gaps.length > 0) {
    const shown = (gap: FloorGap | undefined) => (gap ? `${gap.gap} − ${gap.floor} = ${gap.beyond} ms` : "n/a");
    lines.push(
      "",
      "Above the baseline, less what the design's object calls cost by themselves (the floor fixture's /job-calls less its plain request: the admission when on, the job's object and its two commits, the settlement at the key's account and the service's):",
      table(
        ["project", "floor kind", "Worker workerd CPU per job at 32 clients", "overhead p50"],
        gaps.map((entry) => [entry.project, entry.floorKind, shown(entry.cpuMsPerJob), shown(entry.overheadMs)]),
      ),
    );
  }
  return lines;
}

function formatCallsTable(sides: SideFigures[]): string {
  const rows = sides.map(({ side, calls }) => [
    side,
    `${calls.jobs} (${calls.failures} failed)`,
    `${calls.optimiserCallsPerJob}`,
    `${calls.imageCallsPerJob}`,
    calls.imageModels.join(", ") || "none",
    calls.sameAsDirect ? "yes" : "NO",
    calls.imageServed ? "yes" : "NO",
  ]);
  const first = sides[0]?.calls.signatures.join("\n");
  const alike = sides.every((side) => side.calls.signatures.join("\n") === first);
  return [
    "Upstream calls per job (the stand-in's call log for marked jobs; bodies compared with their prompts taken out):",
    table(
      ["side", "jobs", "optimiser calls/job", "image calls/job", "image model", "same calls as direct", "image served"],
      rows,
    ),
    alike
      ? "Every side made the same upstream calls (method, URL, headers, body)."
      : "WARNING: the sides' upstream calls differ (see calls.signatures in the JSON): the comparison is not of the same work.",
  ].join("\n");
}

function sideRows(figures: SideFigures): string[][] {
  const { side, overhead, firstByte } = figures;
  const rows: string[][] = [];
  if (firstByte) {
    rows.push([
      side,
      "first streamed byte",
      `upstream ${firstByte.upstreamLatencyMs} ms, ${firstByte.firstByte.count} sequential`,
      ms(firstByte.firstByte.p50),
      ms(firstByte.firstByte.p99),
      `${firstByte.failures}`,
    ]);
  }
  rows.push(
    [
      side,
      "Worker overhead (pairwise)",
      `upstream 0 ms, ${overhead.overhead.count} pairs`,
      ms(overhead.overhead.p50),
      ms(overhead.overhead.p99),
      `${overhead.failures}`,
    ],
    [
      "",
      "  through the Worker",
      "non-stream chat completion",
      ms(overhead.throughWorker.p50),
      ms(overhead.throughWorker.p99),
      "",
    ],
    ["", "  direct upstream calls", "optimiser, then image", ms(overhead.direct.p50), ms(overhead.direct.p99), ""],
    ["", "  GET /v1/service", "proxy floor", ms(overhead.proxyFloor.p50), ms(overhead.proxyFloor.p99), ""],
  );
  for (const run of figures.throughput) {
    rows.push([
      "",
      `throughput, ${run.clients} clients`,
      `upstream ${run.upstreamLatencyMs} ms, after ${(run.warmupMs / 1000).toFixed(1)} s warm-up: ${run.jobsPerSecond}/${run.idealJobsPerSecond} jobs/s = ${(run.shareOfIdeal * 100).toFixed(1)} %`,
      ms(run.latency.p50),
      ms(run.latency.p99),
      `${run.failures}`,
    ]);
  }
  return rows;
}

/** Why requests failed, per side and phase; nothing when none did. */
function failureLines(sides: SideFigures[]): string[] {
  const lines: string[] = [];
  const add = (where: string, reasons: Record<string, number> | undefined) => {
    const entries = Object.entries(reasons ?? {});
    if (entries.length > 0)
      lines.push(`  ${where}: ${entries.map(([reason, count]) => `${reason} ×${count}`).join(", ")}`);
  };
  for (const side of sides) {
    add(`${side.side}, first byte`, side.firstByte?.failureReasons);
    add(`${side.side}, overhead`, side.overhead.failureReasons);
    for (const run of side.throughput) add(`${side.side}, ${run.clients} clients (whole run)`, run.failureReasons);
    for (const entry of side.memoryRounds?.rounds ?? [])
      add(`${side.side}, memory round ${entry.round}`, entry.failureReasons);
  }
  return lines.length === 0 ? [] : ["Failed requests, by reason:", ...lines];
}

function formatRatioTable(ratios: Ratio[], tuned: boolean): string {
  const measures = [...new Set(ratios.map((entry) => entry.measure))];
  const cell = (measure: string, project: string) => {
    const entry = ratios.find((ratio) => ratio.measure === measure && ratio.project === project);
    if (!entry) return "not run";
    const value = (figure: number | undefined) => (figure === undefined ? "n/a" : `${figure}`);
    return `${entry.ratio === undefined ? "n/a" : `${entry.ratio}×`} (${value(entry.projectValue)} ÷ ${value(entry.baselineValue)} ${entry.unit})`;
  };
  const wanted = (measure: string) =>
    measure === "overhead p50"
      ? `− baseline ≤ floor + ${OVERHEAD_ALLOWANCE_MS} ms`
      : measure === "jobs/s at 32 clients"
        ? `≥ ${JOBS_RATIO_TARGET}×`
        : measure === "Worker workerd CPU per job at 32 clients"
          ? `≤ ${CPU_RATIO_TARGET}×`
          : "—";
  return [
    `Project ÷ baseline, same run${tuned ? " (TUNED setup: not what npm start runs)" : ""}:`,
    table(
      ["measure", ...PROJECT_SIDES, "target"],
      measures.map((measure) => [measure, ...PROJECT_SIDES.map((project) => cell(measure, project)), wanted(measure)]),
    ),
  ].join("\n");
}

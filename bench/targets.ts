/**
 * Issue 13's targets: the project against the baseline (the original's design,
 * bench/baseline/) measured in the same run on the same machine, as ratios, so
 * that a slow or busy machine moves both sides alike. Checked for the project
 * with its rate limit on and off. Issue 5's absolute targets (overhead ≤ 8 ms,
 * throughput ≥ 93 % of ideal, peak workerd ≤ 400 MB) are withdrawn.
 */
import type { FirstByteFigures, OverheadFigures, ThroughputFigures } from "./phases.ts";
import { OBJECT_IDLE_SECONDS, type MemoryRoundsFigures } from "./memory-rounds.ts";
import type { UpstreamCallAudit } from "./upstream-calls.ts";
import { PROJECT_SIDES, type ProjectSide, type Side } from "./sides.ts";
import { round } from "./stats.ts";

export interface SideFigures {
  side: Side;
  calls: UpstreamCallAudit;
  overhead: OverheadFigures;
  /** Measured for the project with its rate limit on only (the limiter runs before the first byte). */
  firstByte?: FirstByteFigures;
  throughput: ThroughputFigures[];
  memoryRounds?: MemoryRoundsFigures;
}

export interface Ratio {
  measure: string;
  project: ProjectSide;
  projectValue: number | undefined;
  baselineValue: number | undefined;
  unit: string;
  /** project ÷ baseline; undefined when either is missing or the baseline's is not positive. */
  ratio: number | undefined;
}

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
  /** For a target with a stretch goal: whether that was met too. */
  stretchMet?: boolean;
  /** Why the figure cannot decide the target in this run (e.g. `--quick`'s short pauses); `pass` is then false. */
  notChecked?: string;
}

/** First streamed byte p50, ms (the project, rate limit on). */
export const FIRST_BYTE_TARGET_MS = 15;

/** project ÷ baseline for each comparable figure, for each rate-limit setting. */
export function projectRatios(sides: SideFigures[]): Ratio[] {
  const baseline = sides.find((entry) => entry.side === "baseline");
  const rows: Ratio[] = [];
  for (const project of PROJECT_SIDES) {
    const figures = sides.find((entry) => entry.side === project);
    if (!figures || !baseline) continue;
    const add = (measure: string, unit: string, of: (side: SideFigures) => number | undefined) => {
      const projectValue = finite(of(figures));
      const baselineValue = finite(of(baseline));
      const ratio =
        projectValue === undefined || baselineValue === undefined || baselineValue <= 0
          ? undefined
          : round(projectValue / baselineValue, 2);
      rows.push({ measure, project, projectValue, baselineValue, unit, ratio });
    };
    add("overhead p50", "ms", (side) => side.overhead.overhead.p50);
    add("overhead p99", "ms", (side) => side.overhead.overhead.p99);
    for (const run of figures.throughput) {
      const at = (side: SideFigures) => side.throughput.find((entry) => entry.clients === run.clients)?.jobsPerSecond;
      add(`jobs/s at ${run.clients} clients`, "jobs/s", at);
    }
  }
  return rows;
}

export function checkTargets(sides: SideFigures[], ratios: Ratio[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratioOf = (project: ProjectSide, measure: string) =>
    ratios.find((entry) => entry.project === project && entry.measure === measure)?.ratio;
  const shown = (ratio: number | undefined) => (ratio === undefined ? "n/a" : `${ratio}×`);
  for (const project of PROJECT_SIDES) {
    if (!sides.some((entry) => entry.side === project)) continue;
    const overhead = ratioOf(project, "overhead p50");
    checks.push({
      name: `overhead p50 ÷ baseline (${project})`,
      target: "≤ 1.0× (stretch ≤ 0.8×)",
      actual: shown(overhead),
      pass: overhead !== undefined && overhead <= 1.0,
      stretchMet: overhead !== undefined && overhead <= 0.8,
    });
    const jobs32 = ratioOf(project, "jobs/s at 32 clients");
    checks.push({
      name: `jobs/s at 32 clients ÷ baseline (${project})`,
      target: "≥ 1.0× (stretch ≥ 1.2×)",
      actual: shown(jobs32),
      pass: jobs32 !== undefined && jobs32 >= 1.0,
      stretchMet: jobs32 !== undefined && jobs32 >= 1.2,
    });
  }
  const firstByte = finite(sides.find((entry) => entry.firstByte)?.firstByte?.firstByte.p50);
  checks.push({
    name: "first streamed byte p50 (project, rate limit on)",
    target: `≤ ${FIRST_BYTE_TARGET_MS} ms`,
    actual: firstByte === undefined ? "n/a" : `${firstByte} ms`,
    pass: firstByte !== undefined && firstByte <= FIRST_BYTE_TARGET_MS,
  });
  for (const entry of sides) {
    const rounds = entry.memoryRounds;
    const levels = rounds?.levelsOff;
    if (!rounds || !levels || entry.side === "baseline") continue;
    checks.push({
      name: `Worker RSS levels off (${entry.side}): round ${levels.laterRound} ≤ round 2 + 10 %`,
      target: `≤ ${levels.limitMb} MB`,
      actual: `${levels.laterMb} MB (round 2: ${levels.round2Mb} MB)`,
      pass: levels.pass,
      ...(rounds.pauseSeconds < OBJECT_IDLE_SECONDS
        ? { notChecked: `pauses of ${rounds.pauseSeconds} s keep every round's objects alive` }
        : {}),
    });
  }
  return checks;
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

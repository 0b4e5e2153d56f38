/**
 * Issue 23's targets: the project against the baseline (the original's design,
 * bench/baseline/) measured in the same run on the same machine, as ratios or
 * differences, so that a slow or busy machine moves both sides alike; checked
 * for the project with its rate limit on and off. The overhead is allowed what
 * one object per job costs by itself (the floor fixture's fresh object with a
 * job's two commits) and 2 ms more. Issue 13's ratio targets (overhead ≤ 1.0×,
 * jobs/s ≥ 1.0×), which left no room for that floor, and issue 5's absolute
 * ones are withdrawn.
 */
import { WORKER_CPU_LIMIT_MS, type KindProfile } from "./cpu-profile.ts";
import { floorKind, type FloorRequestKind, type MemoryFloorFigures } from "./memory-floor.ts";
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
  /** Why the figure cannot decide the target in this run (e.g. `--quick`'s short pauses); `pass` is then false. */
  notChecked?: string;
}

/** First streamed byte p50, ms (the project, rate limit on). */
export const FIRST_BYTE_TARGET_MS = 15;
/** The Worker's workerd CPU per job at 32 clients, project ÷ baseline. */
export const CPU_RATIO_TARGET = 1.5;
/** The overhead p50 may exceed the baseline's by the floor's fresh object with two commits, and this. */
export const OVERHEAD_ALLOWANCE_MS = 2;
/** Jobs per second at 32 clients, project ÷ baseline. */
export const JOBS_RATIO_TARGET = 0.8;

/** The Worker's workerd CPU per job in the throughput run at `clients`. */
export function workerCpuPerJob(side: SideFigures, clients: number): number | undefined {
  const run = side.throughput.find((entry) => entry.clients === clients);
  return run?.processRoles.find((role) => role.role === "Worker (workerd)")?.cpuMsPerJob;
}

/** What a fresh object with a job's two commits adds to a plain request's latency (floor fixture, p50). */
export function designFloor(floor: MemoryFloorFigures | undefined): { latencyMs: number } | undefined {
  const plain = floorKind(floor, "no Durable Object");
  const committed = floorKind(floor, "fresh Durable Object, two commits");
  if (!plain || !committed) return undefined;
  return { latencyMs: round(committed.latency.p50 - plain.latency.p50, 1) };
}

/** One figure's gap to the baseline, what the design's object calls account for, and what is left. */
export interface FloorGap {
  gap: number;
  floor: number;
  beyond: number;
}

/** Per project side: its CPU per job and overhead, against the design's own floor. */
export interface DesignFloorGap {
  project: ProjectSide;
  /** The floor fixture's kind that makes the same object calls and commits as this side's jobs. */
  floorKind: FloorRequestKind;
  cpuMsPerJob?: FloorGap;
  overheadMs?: FloorGap;
}

/**
 * How far each project side is above the baseline, and how much of that the design's object calls
 * and commits cost by themselves: the floor fixture's request that makes a job's calls and nothing
 * else (bench/floor/worker.ts, /job-calls), less its plain request. What is left is the project's
 * own code, plus the difference in concurrency (the fixture runs its requests at its own).
 */
export function designFloorGaps(sides: SideFigures[], floor: MemoryFloorFigures | undefined): DesignFloorGap[] {
  const plain = floorKind(floor, "no Durable Object");
  const baseline = sides.find((entry) => entry.side === "baseline");
  if (!plain || !baseline) return [];
  const gapOf = (project: number | undefined, base: number | undefined, floorCost: number): FloorGap | undefined =>
    project === undefined || base === undefined
      ? undefined
      : { gap: round(project - base, 2), floor: round(floorCost, 2), beyond: round(project - base - floorCost, 2) };
  const gaps: DesignFloorGap[] = [];
  for (const project of PROJECT_SIDES) {
    const figures = sides.find((entry) => entry.side === project);
    const callsKind: FloorRequestKind =
      project === "project, rate limit on" ? "a job's object calls" : "a job's object calls, no admission";
    const calls = floorKind(floor, callsKind);
    if (!figures || !calls) continue;
    gaps.push({
      project,
      floorKind: callsKind,
      cpuMsPerJob: gapOf(
        workerCpuPerJob(figures, 32),
        workerCpuPerJob(baseline, 32),
        calls.workerCpuMsPerRequest - plain.workerCpuMsPerRequest,
      ),
      overheadMs: gapOf(
        figures.overhead.overhead.p50,
        baseline.overhead.overhead.p50,
        calls.latency.p50 - plain.latency.p50,
      ),
    });
  }
  return gaps;
}

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
    add("Worker workerd CPU per job at 32 clients", "ms", (side) => workerCpuPerJob(side, 32));
    add("overhead p99", "ms", (side) => side.overhead.overhead.p99);
    for (const run of figures.throughput) {
      const at = (side: SideFigures) => side.throughput.find((entry) => entry.clients === run.clients)?.jobsPerSecond;
      add(`jobs/s at ${run.clients} clients`, "jobs/s", at);
    }
  }
  return rows;
}

export function checkTargets(
  sides: SideFigures[],
  ratios: Ratio[],
  floor?: MemoryFloorFigures,
  workerCpu: KindProfile[] = [],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratioOf = (project: ProjectSide, measure: string) =>
    ratios.find((entry) => entry.project === project && entry.measure === measure);
  const shown = (ratio: number | undefined) => (ratio === undefined ? "n/a" : `${ratio}×`);
  const design = designFloor(floor);
  for (const project of PROJECT_SIDES) {
    if (!sides.some((entry) => entry.side === project)) continue;
    const cpu = ratioOf(project, "Worker workerd CPU per job at 32 clients");
    checks.push({
      name: `Worker workerd CPU per job at 32 clients ÷ baseline (${project})`,
      target: `≤ ${CPU_RATIO_TARGET}×`,
      actual: `${shown(cpu?.ratio)} (${cpu?.projectValue ?? "?"} ÷ ${cpu?.baselineValue ?? "?"} ms)`,
      pass: cpu?.ratio !== undefined && cpu.ratio <= CPU_RATIO_TARGET,
    });
    const overhead = ratioOf(project, "overhead p50");
    const excess =
      overhead?.projectValue === undefined || overhead.baselineValue === undefined
        ? undefined
        : round(overhead.projectValue - overhead.baselineValue, 1);
    const allowed = design === undefined ? undefined : round(design.latencyMs + OVERHEAD_ALLOWANCE_MS, 1);
    checks.push({
      name: `overhead p50 − baseline's (${project})`,
      target:
        allowed === undefined
          ? `≤ floor + ${OVERHEAD_ALLOWANCE_MS} ms`
          : `≤ ${allowed} ms (floor ${design?.latencyMs} + ${OVERHEAD_ALLOWANCE_MS})`,
      actual: excess === undefined ? "n/a" : `${excess} ms (${overhead?.projectValue} − ${overhead?.baselineValue} ms)`,
      pass: excess !== undefined && allowed !== undefined && excess <= allowed,
      ...(allowed === undefined ? { notChecked: "the floor fixture was not measured" } : {}),
    });
    const jobs32 = ratioOf(project, "jobs/s at 32 clients")?.ratio;
    checks.push({
      name: `jobs/s at 32 clients ÷ baseline (${project})`,
      target: `≥ ${JOBS_RATIO_TARGET}×`,
      actual: shown(jobs32),
      pass: jobs32 !== undefined && jobs32 >= JOBS_RATIO_TARGET,
    });
  }
  for (const kind of workerCpu) {
    const ms = kind.processCpuMsPerJob;
    checks.push({
      name: `the Worker's own CPU per request: ${kind.kind}`,
      target: `< ${WORKER_CPU_LIMIT_MS} ms`,
      actual: ms === undefined ? "n/a" : `${ms} ms`,
      pass: ms !== undefined && ms < WORKER_CPU_LIMIT_MS,
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

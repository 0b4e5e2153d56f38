/**
 * `npm run bench -- [flags]`: how many requests each phase makes, how slow the
 * stand-in upstream is in each, and how the dev server is set up. The
 * defaults measure what users run (state on disk, wrangler's local trace store
 * on) and finish in about ten minutes on this 2-core machine; `--quick` in
 * about two and a half (noisier figures).
 */
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Sequential streamed chat completions for the first-byte figure (project, rate limit on). */
  firstByteRequests: number;
  imageLatencyMs: number;
  /** Interleaved pairs (direct upstream calls, same calls through the Worker) after the warm-up. */
  overheadPairs: number;
  overheadWarmup: number;
  /** Marked jobs per side whose upstream calls are counted and compared at the stand-in. */
  auditJobs: number;
  /** Concurrent client counts for the throughput phase. */
  clients: number[];
  throughputLatencyMs: number;
  /** Measured window per client count, after the warm-up time and every client's first job. */
  throughputSeconds: number;
  throughputWarmupSeconds: number;
  /** Memory rounds on one project service (and the baseline's unless `--no-baseline-rounds`). */
  memoryRounds: boolean;
  baselineRounds: boolean;
  rounds: number;
  roundJobs: number;
  roundClients: number;
  roundPauseSeconds: number;
  /** Image size for the base64 decoding figure. */
  base64Bytes: number;
  base64Rounds: number;
  /** Where the JSON goes (besides stdout). */
  outFile: string;
  /**
   * Parent folder of wrangler's local state (each service's `--persist-to`). Default the OS temp
   * folder: on disk, as `npm start` keeps `.wrangler/state`. `--state-dir /dev/shm` measures a
   * tuned setup (no fsync per storage commit), and the report says so.
   */
  stateDir: string;
  /** wrangler's local trace store, on as in `npm start`; `--no-local-observability` is a tuned setup. */
  localObservability: boolean;
  /** Measure the floor (bench/floor/: a plain request, a fresh Durable Object, its two commits, a job's object calls). */
  memoryFloor: boolean;
  /** Requests of each kind for the floor, after a warm-up, `floorConcurrency` at a time; the split floor's too. */
  floorRequests: number;
  floorWarmup: number;
  floorConcurrency: number;
  /** Measure the Worker's own CPU per kind of request (cpu-profile.ts, its objects in a process of their own). */
  workerCpu: boolean;
  /** Jobs of each kind for it (and as many profiled), after 5 warm-up jobs, 8 at a time. */
  workerCpuJobs: number;
}

const DEFAULTS: BenchOptions = {
  firstByteRequests: 50,
  imageLatencyMs: 1500,
  overheadPairs: 200,
  overheadWarmup: 20,
  auditJobs: 5,
  clients: [32, 128],
  throughputLatencyMs: 300,
  throughputSeconds: 10,
  throughputWarmupSeconds: 2,
  memoryRounds: true,
  baselineRounds: true,
  rounds: 4,
  roundJobs: 1000,
  roundClients: 64,
  roundPauseSeconds: 15,
  base64Bytes: 2 * 1024 * 1024,
  base64Rounds: 20,
  outFile: "bench/results/latest.json",
  stateDir: tmpdir(),
  localObservability: true,
  memoryFloor: true,
  floorRequests: 1000,
  floorWarmup: 50,
  floorConcurrency: 16,
  workerCpu: true,
  workerCpuJobs: 30,
};

/**
 * Enough to see that every phase works and roughly where the ratios lie. The memory rounds are too short and
 * their pause too brief for the level-off check (objects live 10 s after their last request), and the baseline's
 * rounds are left out.
 */
const QUICK: Partial<BenchOptions> = {
  firstByteRequests: 8,
  overheadPairs: 40,
  overheadWarmup: 5,
  auditJobs: 2,
  throughputSeconds: 3,
  throughputWarmupSeconds: 1,
  roundJobs: 100,
  roundPauseSeconds: 2,
  baselineRounds: false,
  base64Rounds: 5,
  floorRequests: 200,
  floorWarmup: 20,
  workerCpuJobs: 10,
};

const USAGE = `npm run bench -- [--quick] [--state-dir DIR] [--no-local-observability] [--out FILE]
  [--first-byte-requests N] [--image-latency-ms MS] [--overhead-pairs N] [--overhead-warmup N] [--audit-jobs N]
  [--clients 32,128] [--throughput-latency-ms MS] [--throughput-seconds S] [--throughput-warmup-seconds S]
  [--no-rounds] [--no-baseline-rounds] [--rounds N] [--round-jobs N] [--round-clients N] [--round-pause-seconds S]
  [--base64-bytes N] [--base64-rounds N] [--no-floor] [--floor-requests N] [--floor-warmup N] [--floor-concurrency N]
  [--no-worker-cpu] [--worker-cpu-jobs N]

Defaults measure what \`npm start\` runs: state in the OS temp folder (${tmpdir()}, on disk) and
wrangler's local trace store on. --state-dir /dev/shm and --no-local-observability measure a tuned
setup; the report then labels every figure TUNED.`;

export function parseBenchOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      quick: { type: "boolean" },
      "first-byte-requests": { type: "string" },
      "image-latency-ms": { type: "string" },
      "overhead-pairs": { type: "string" },
      "overhead-warmup": { type: "string" },
      "audit-jobs": { type: "string" },
      clients: { type: "string" },
      "throughput-latency-ms": { type: "string" },
      "throughput-seconds": { type: "string" },
      "throughput-warmup-seconds": { type: "string" },
      "no-rounds": { type: "boolean" },
      "no-baseline-rounds": { type: "boolean" },
      rounds: { type: "string" },
      "round-jobs": { type: "string" },
      "round-clients": { type: "string" },
      "round-pause-seconds": { type: "string" },
      "base64-bytes": { type: "string" },
      "base64-rounds": { type: "string" },
      out: { type: "string" },
      "state-dir": { type: "string" },
      "no-local-observability": { type: "boolean" },
      "no-floor": { type: "boolean" },
      "floor-requests": { type: "string" },
      "floor-warmup": { type: "string" },
      "floor-concurrency": { type: "string" },
      "no-worker-cpu": { type: "boolean" },
      "worker-cpu-jobs": { type: "string" },
    },
  });
  if (values.help) return "help";
  const base: BenchOptions = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  const number = (name: keyof typeof values, fallback: number, min = 0): number => {
    const raw = values[name];
    if (typeof raw !== "string") return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed < min)
      throw new Error(`--${name} must be a number ≥ ${min}, not "${raw}".\n${USAGE}`);
    return parsed;
  };
  const whole = (name: keyof typeof values, fallback: number, min = 0): number => {
    const parsed = number(name, fallback, min);
    if (!Number.isInteger(parsed)) throw new Error(`--${name} must be a whole number, not "${parsed}".\n${USAGE}`);
    return parsed;
  };
  const clients =
    values.clients === undefined ? base.clients : values.clients.split(",").map((part) => Number(part.trim()));
  if (clients.length === 0 || clients.some((count) => !Number.isInteger(count) || count < 1)) {
    throw new Error(`--clients must be positive integers separated by commas, not "${values.clients}".\n${USAGE}`);
  }
  return {
    firstByteRequests: whole("first-byte-requests", base.firstByteRequests, 1),
    imageLatencyMs: number("image-latency-ms", base.imageLatencyMs),
    overheadPairs: whole("overhead-pairs", base.overheadPairs, 1),
    overheadWarmup: whole("overhead-warmup", base.overheadWarmup),
    auditJobs: whole("audit-jobs", base.auditJobs, 1),
    clients,
    throughputLatencyMs: number("throughput-latency-ms", base.throughputLatencyMs, 1),
    throughputSeconds: number("throughput-seconds", base.throughputSeconds, 0.5),
    throughputWarmupSeconds: number("throughput-warmup-seconds", base.throughputWarmupSeconds),
    memoryRounds: values["no-rounds"] ? false : base.memoryRounds,
    baselineRounds: values["no-baseline-rounds"] ? false : base.baselineRounds,
    rounds: whole("rounds", base.rounds, 1),
    roundJobs: whole("round-jobs", base.roundJobs, 1),
    roundClients: whole("round-clients", base.roundClients, 1),
    roundPauseSeconds: number("round-pause-seconds", base.roundPauseSeconds),
    base64Bytes: whole("base64-bytes", base.base64Bytes, 4),
    base64Rounds: whole("base64-rounds", base.base64Rounds, 1),
    outFile: values.out ?? base.outFile,
    stateDir: values["state-dir"] ?? base.stateDir,
    localObservability: !(values["no-local-observability"] ?? false),
    memoryFloor: !(values["no-floor"] ?? false),
    floorRequests: whole("floor-requests", base.floorRequests, 1),
    floorWarmup: whole("floor-warmup", base.floorWarmup),
    floorConcurrency: whole("floor-concurrency", base.floorConcurrency, 1),
    workerCpu: !(values["no-worker-cpu"] ?? false),
    workerCpuJobs: whole("worker-cpu-jobs", base.workerCpuJobs, 1),
  };
}

export { USAGE };

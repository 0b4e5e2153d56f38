/**
 * `npm run bench -- [flags]`: how many requests each phase makes and how slow
 * the stand-in upstream is in each. Defaults finish in about three minutes on
 * this 2-core machine; `--quick` in well under one (noisier figures).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Sequential streamed chat completions for the first-byte figure. */
  firstByteRequests: number;
  imageLatencyMs: number;
  /** Interleaved pairs (direct upstream call, same call through the Worker) after the warm-up. */
  overheadPairs: number;
  overheadWarmup: number;
  /** Concurrent client counts for the throughput phase. */
  clients: number[];
  throughputLatencyMs: number;
  /** Measured window per client count, after a warm-up of one upstream round or more. */
  throughputSeconds: number;
  throughputWarmupSeconds: number;
  /** Image size for the base64 decoding figure. */
  base64Bytes: number;
  base64Rounds: number;
  /** Where the JSON goes (besides stdout). */
  outFile: string;
  /**
   * Parent folder of wrangler's local state (Durable Object SQLite files, KV).
   * Default `/dev/shm` (memory) where it exists: on disk, every local storage
   * commit is an fsync, which measures this machine's disk, not the Worker (on
   * Cloudflare, storage is not a local file). `--state-dir /tmp` measures it
   * the way `npm start` runs (`.wrangler/state` on disk).
   */
  stateDir?: string;
  /**
   * Keep wrangler's local trace store on (`npm start`'s default). Off by default
   * here (X_LOCAL_OBSERVABILITY=false): it writes and fsyncs a SQLite row for
   * every request and log line, a cost of the dev server, not of the Worker.
   */
  localObservability: boolean;
  /** Measure the memory floor (bench/floor/: a request with and without a fresh Durable Object). */
  memoryFloor: boolean;
  /** Requests of each kind for the floor, after a warm-up, `floorConcurrency` at a time. */
  floorRequests: number;
  floorWarmup: number;
  floorConcurrency: number;
}

const DEFAULTS: BenchOptions = {
  firstByteRequests: 50,
  imageLatencyMs: 1500,
  overheadPairs: 200,
  overheadWarmup: 20,
  clients: [32, 128],
  throughputLatencyMs: 300,
  throughputSeconds: 10,
  throughputWarmupSeconds: 2,
  base64Bytes: 2 * 1024 * 1024,
  base64Rounds: 20,
  outFile: "bench/results/latest.json",
  stateDir: existsSync("/dev/shm") ? "/dev/shm" : undefined,
  localObservability: false,
  memoryFloor: true,
  floorRequests: 1000,
  floorWarmup: 50,
  floorConcurrency: 16,
};

const QUICK: Partial<BenchOptions> = {
  firstByteRequests: 12,
  overheadPairs: 60,
  overheadWarmup: 10,
  throughputSeconds: 4,
  throughputWarmupSeconds: 1,
  base64Rounds: 5,
  floorRequests: 300,
  floorWarmup: 20,
};

const USAGE = `npm run bench -- [--quick] [--first-byte-requests N] [--image-latency-ms MS]
  [--overhead-pairs N] [--overhead-warmup N] [--clients 32,128] [--throughput-latency-ms MS]
  [--throughput-seconds S] [--throughput-warmup-seconds S] [--base64-bytes N] [--base64-rounds N]
  [--state-dir DIR] [--local-observability] [--out FILE]
  [--no-floor] [--floor-requests N] [--floor-warmup N] [--floor-concurrency N]`;

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
      clients: { type: "string" },
      "throughput-latency-ms": { type: "string" },
      "throughput-seconds": { type: "string" },
      "throughput-warmup-seconds": { type: "string" },
      "base64-bytes": { type: "string" },
      "base64-rounds": { type: "string" },
      out: { type: "string" },
      "state-dir": { type: "string" },
      "local-observability": { type: "boolean" },
      "no-floor": { type: "boolean" },
      "floor-requests": { type: "string" },
      "floor-warmup": { type: "string" },
      "floor-concurrency": { type: "string" },
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
  const clients =
    values.clients === undefined ? base.clients : values.clients.split(",").map((part) => Number(part.trim()));
  if (clients.length === 0 || clients.some((count) => !Number.isInteger(count) || count < 1)) {
    throw new Error(`--clients must be positive integers separated by commas, not "${values.clients}".\n${USAGE}`);
  }
  return {
    firstByteRequests: number("first-byte-requests", base.firstByteRequests, 1),
    imageLatencyMs: number("image-latency-ms", base.imageLatencyMs),
    overheadPairs: number("overhead-pairs", base.overheadPairs, 1),
    overheadWarmup: number("overhead-warmup", base.overheadWarmup),
    clients,
    throughputLatencyMs: number("throughput-latency-ms", base.throughputLatencyMs, 1),
    throughputSeconds: number("throughput-seconds", base.throughputSeconds, 0.5),
    throughputWarmupSeconds: number("throughput-warmup-seconds", base.throughputWarmupSeconds),
    base64Bytes: number("base64-bytes", base.base64Bytes, 4),
    base64Rounds: number("base64-rounds", base.base64Rounds, 1),
    outFile: values.out ?? base.outFile,
    stateDir: values["state-dir"] ?? base.stateDir,
    localObservability: values["local-observability"] ?? false,
    memoryFloor: !(values["no-floor"] ?? false),
    floorRequests: number("floor-requests", base.floorRequests, 1),
    floorWarmup: number("floor-warmup", base.floorWarmup),
    floorConcurrency: number("floor-concurrency", base.floorConcurrency, 1),
  };
}

export { USAGE };

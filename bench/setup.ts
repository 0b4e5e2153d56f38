/**
 * How the dev server under measurement is set up, and whether that is what
 * users run. `npm start` keeps wrangler's local state on disk (`.wrangler/state`)
 * with wrangler's local trace store on; the bench does the same by default
 * (state in the OS temp folder). State in memory (`--state-dir /dev/shm`) or
 * the trace store off (`--no-local-observability`) measure a tuned setup, and
 * the report must say so: on disk every local storage commit is an fsync, and
 * the trace store writes a SQLite row for every request and log line.
 */
import { readFileSync, realpathSync } from "node:fs";

export interface BenchSetup {
  /** Parent folder of each service's `--persist-to` state folder. */
  stateDir: string;
  /** Its filesystem type (ext4, tmpfs, …), from /proc/mounts; "unknown" off Linux. */
  stateFilesystem: string;
  /** wrangler's local trace store (X_LOCAL_OBSERVABILITY), on unless `--no-local-observability`. */
  localObservability: boolean;
  /** True when either differs from `npm start`'s: the figures are then not what users run. */
  tuned: boolean;
  /** One line for the report. */
  label: string;
}

/** Filesystems that live in memory: state there skips the fsyncs a disk pays. */
const MEMORY_FILESYSTEMS = new Set(["tmpfs", "ramfs"]);

export function describeSetup(stateDir: string, localObservability: boolean): BenchSetup {
  const stateFilesystem = filesystemOf(stateDir);
  const inMemory = MEMORY_FILESYSTEMS.has(stateFilesystem);
  const tuned = inMemory || !localObservability;
  const state = `state in ${stateDir} (${stateFilesystem})`;
  const trace = `wrangler's local trace store ${localObservability ? "on" : "off"}`;
  const label = tuned
    ? `TUNED setup, not what \`npm start\` runs: ${state}, ${trace}`
    : `as \`npm start\` runs: ${state}, ${trace}`;
  return { stateDir, stateFilesystem, localObservability, tuned, label };
}

/** The type of the filesystem `path` is on: the longest mount point that contains it. */
function filesystemOf(path: string): string {
  try {
    const real = realpathSync(path);
    let best = { mountPoint: "", type: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, mountPoint = "", type = ""] = line.split(" ");
      const contains = real === mountPoint || real.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
      if (contains && mountPoint.length >= best.mountPoint.length) best = { mountPoint, type };
    }
    return best.type;
  } catch {
    return "unknown";
  }
}

/**
 * Peak resident memory of the service's workerd process(es), read from /proc
 * (Linux only): the bench's descendants named `workerd`, VmRSS summed, sampled
 * on an interval while a phase runs.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface MemorySampler {
  /** Stops sampling; the peak in MB (MiB: VmRSS is in kB), or undefined when no workerd was found. */
  stop(): { peakMb: number | undefined; samples: number; processes: number };
}

/** pid → parent pid for every process we may read. */
function parentsByPid(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name sits in parentheses and may contain spaces: the parent pid follows the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  return parents;
}

/** The pids of processes named `workerd` below `rootPid`. */
export function findWorkerdPids(rootPid: number): number[] {
  const parents = parentsByPid();
  const isDescendant = (pid: number): boolean => {
    for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current)) {
      if (current === rootPid) return true;
    }
    return false;
  };
  return [...parents.keys()].filter((pid) => isDescendant(pid) && processName(pid) === "workerd");
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

function residentKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The current total RSS of the service's workerd processes, in MiB. */
export function currentWorkerdMb(rootPid = process.pid): number | undefined {
  const pids = findWorkerdPids(rootPid);
  return pids.length === 0 ? undefined : pids.reduce((sum, pid) => sum + residentKb(pid), 0) / 1024;
}

/** workerd restarts when wrangler reloads the Worker: look for its pids again now and then. */
const RESCAN_EVERY_SAMPLES = 20;

export function sampleWorkerdMemory(intervalMs = 100, rootPid = process.pid): MemorySampler {
  let pids = findWorkerdPids(rootPid);
  const seen = new Set(pids);
  let peakKb = 0;
  let samples = 0;
  const sample = () => {
    if (samples % RESCAN_EVERY_SAMPLES === 0 && samples > 0) {
      pids = findWorkerdPids(rootPid);
      for (const pid of pids) seen.add(pid);
    }
    peakKb = Math.max(peakKb, pids.reduce((sum, pid) => sum + residentKb(pid), 0));
    samples += 1;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakMb: seen.size === 0 ? undefined : peakKb / 1024, samples, processes: seen.size };
    },
  };
}

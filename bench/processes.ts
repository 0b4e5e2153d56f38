/**
 * The bench's view of its process tree, read from /proc (Linux only): which
 * processes run below the bench, what each one is (by its command line), and
 * how much CPU time and resident memory each has used.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** What a process is for, from the bench's point of view (see roleOf). */
export const PROCESS_ROLES = [
  "Worker (workerd)",
  "wrangler dev proxy (workerd)",
  "wrangler (node)",
  "npm start + stand-in (node)",
  "bench client (node)",
  "other",
] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** /proc/<pid>/stat's CPU times are in clock ticks; 100 per second on every Linux we expect, but ask. */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

export interface ProcessStat {
  parentPid: number;
  /** utime + stime, all threads, in milliseconds. */
  cpuMs: number;
  /** When the process started (clock ticks since boot): with the pid, it tells a reused pid apart. */
  startTicks: number;
}

/** The fields of /proc/<pid>/stat the bench uses, or undefined when the process is gone. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name sits in parentheses and may contain spaces: field 3 (state) follows the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const field = (number: number) => Number(fields[number - 3]);
    return {
      parentPid: field(4),
      cpuMs: ((field(14) + field(15)) * 1000) / CLOCK_TICKS_PER_SECOND,
      startTicks: field(22),
    };
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** pid → parent pid for every process we may read. */
function parentsByPid(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcessStat(Number(entry));
    if (stat) parents.set(Number(entry), stat.parentPid);
  }
  return parents;
}

/** The pids of every process below `rootPid` (and `rootPid` itself when asked). */
export function descendantPids(rootPid: number, { includeRoot = false } = {}): number[] {
  const parents = parentsByPid();
  const isDescendant = (pid: number): boolean => {
    for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current)) {
      if (current === rootPid) return true;
    }
    return false;
  };
  const below = [...parents.keys()].filter(isDescendant);
  return includeRoot ? [rootPid, ...below] : below;
}

export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** VmRSS in kB, 0 when the process is gone. */
export function residentKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * What a process is, from how `wrangler dev` starts its processes: the proxy
 * workerd listens on the public port (`--socket-addr=entry=…`) and has no
 * inspector; the workerd that runs the Worker and its Durable Objects is the
 * one with `--inspector-addr`; wrangler itself is a launcher (`.bin/wrangler`)
 * plus `wrangler-dist/cli.js`.
 */
export function roleOf(pid: number, benchPid: number): ProcessRole {
  if (pid === benchPid) return "bench client (node)";
  const name = processName(pid);
  const command = commandLine(pid);
  if (name === "workerd") {
    if (command.includes("--inspector-addr")) return "Worker (workerd)";
    if (command.includes("--socket-addr=entry=")) return "wrangler dev proxy (workerd)";
    return "other";
  }
  if (/wrangler-dist\/cli\.js|wrangler\/bin\/|\.bin\/wrangler\b/.test(command)) return "wrangler (node)";
  if (command.includes("scripts/start.ts")) return "npm start + stand-in (node)";
  return "other";
}

/** The processes of `role` below `rootPid` at this moment. */
export function rolePids(role: ProcessRole, rootPid = process.pid): number[] {
  return descendantPids(rootPid).filter((pid) => roleOf(pid, rootPid) === role);
}

/** The summed RSS (MiB) of the processes of `role` below `rootPid` at this moment. */
export function roleRssMb(role: ProcessRole, rootPid = process.pid): number {
  return rolePids(role, rootPid).reduce((sum, pid) => sum + residentKb(pid), 0) / 1024;
}

/**
 * CPU time and resident memory of every process below the bench while a
 * phase runs, grouped by role (processes.ts): which part of the dev setup
 * spends the machine's two cores, and which one holds the memory. Sampled on
 * an interval, so a process that ends between two samples loses at most one
 * interval of CPU time.
 */
import {
  descendantPids,
  PROCESS_ROLES,
  processName,
  readProcessStat,
  residentKb,
  roleOf,
  type ProcessRole,
} from "./processes.ts";

export interface RoleUsage {
  role: ProcessRole;
  /** Processes of this role seen during the run. */
  processes: number;
  /** CPU time (user + system) spent during the run, in ms. */
  cpuMs: number;
  /** This role's summed RSS at the first sample, and its peak, in MiB. */
  rssMbAtStart: number;
  peakRssMb: number;
}

export interface ProcessUsage {
  /** The summed RSS of every workerd at the first sample and its peak (the memory target's figure); undefined when none was found. */
  workerdMbAtStart: number | undefined;
  peakWorkerdMb: number | undefined;
  workerdProcesses: number;
  /** Peak of the summed RSS of every process below the bench, the bench included. */
  peakTotalRssMb: number;
  samples: number;
  roles: RoleUsage[];
}

export interface ProcessUsageSampler {
  stop(): ProcessUsage;
}

interface TrackedProcess {
  pid: number;
  startTicks: number;
  role: ProcessRole;
  isWorkerd: boolean;
  cpuAtStartMs: number;
  lastCpuMs: number;
  ended: boolean;
}

/** workerd restarts when wrangler reloads the Worker: look for new processes now and then. */
const RESCAN_EVERY_SAMPLES = 20;

export function sampleProcessUsage(intervalMs = 100, rootPid = process.pid): ProcessUsageSampler {
  const tracked = new Map<string, TrackedProcess>();
  const peakRssKbByRole = new Map<ProcessRole, number>();
  let rssKbByRoleAtStart = new Map<ProcessRole, number>();
  let workerdKbAtStart = 0;
  let peakWorkerdKb = 0;
  let peakTotalKb = 0;
  let samples = 0;

  /** `beganDuringRun`: a process first seen after the start spent all its CPU time during the run. */
  const scan = (beganDuringRun: boolean) => {
    for (const pid of descendantPids(rootPid, { includeRoot: true })) {
      const stat = readProcessStat(pid);
      if (!stat || tracked.has(`${pid}:${stat.startTicks}`)) continue;
      tracked.set(`${pid}:${stat.startTicks}`, {
        pid,
        startTicks: stat.startTicks,
        role: roleOf(pid, rootPid),
        isWorkerd: processName(pid) === "workerd",
        cpuAtStartMs: beganDuringRun ? 0 : stat.cpuMs,
        lastCpuMs: stat.cpuMs,
        ended: false,
      });
    }
  };

  const sample = () => {
    if (samples % RESCAN_EVERY_SAMPLES === 0 && samples > 0) scan(true);
    const rssKbByRole = new Map<ProcessRole, number>();
    let workerdKb = 0;
    let totalKb = 0;
    for (const entry of tracked.values()) {
      if (entry.ended) continue;
      const stat = readProcessStat(entry.pid);
      if (!stat || stat.startTicks !== entry.startTicks) {
        entry.ended = true; // keeps the CPU time of its last sample
        continue;
      }
      entry.lastCpuMs = stat.cpuMs;
      const rssKb = residentKb(entry.pid);
      rssKbByRole.set(entry.role, (rssKbByRole.get(entry.role) ?? 0) + rssKb);
      if (entry.isWorkerd) workerdKb += rssKb;
      totalKb += rssKb;
    }
    if (samples === 0) {
      rssKbByRoleAtStart = rssKbByRole;
      workerdKbAtStart = workerdKb;
    }
    for (const [role, kb] of rssKbByRole) peakRssKbByRole.set(role, Math.max(peakRssKbByRole.get(role) ?? 0, kb));
    peakWorkerdKb = Math.max(peakWorkerdKb, workerdKb);
    peakTotalKb = Math.max(peakTotalKb, totalKb);
    samples += 1;
  };

  scan(false);
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const all = [...tracked.values()];
      const workerdProcesses = all.filter((entry) => entry.isWorkerd).length;
      const roles = PROCESS_ROLES.map((role): RoleUsage => {
        const ofRole = all.filter((entry) => entry.role === role);
        return {
          role,
          processes: ofRole.length,
          cpuMs: ofRole.reduce((sum, entry) => sum + (entry.lastCpuMs - entry.cpuAtStartMs), 0),
          rssMbAtStart: (rssKbByRoleAtStart.get(role) ?? 0) / 1024,
          peakRssMb: (peakRssKbByRole.get(role) ?? 0) / 1024,
        };
      });
      return {
        workerdMbAtStart: workerdProcesses === 0 ? undefined : workerdKbAtStart / 1024,
        peakWorkerdMb: workerdProcesses === 0 ? undefined : peakWorkerdKb / 1024,
        workerdProcesses,
        peakTotalRssMb: peakTotalKb / 1024,
        samples,
        roles,
      };
    },
  };
}

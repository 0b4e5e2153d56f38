/**
 * The service's workerd processes: the bench's descendants named `workerd`
 * (wrangler dev runs two: its proxy and the one running the Worker). Their
 * summed RSS is the figure issue 5's memory target is about.
 */
import { descendantPids, processName, residentKb } from "./processes.ts";

/** The pids of processes named `workerd` below `rootPid`. */
export function findWorkerdPids(rootPid: number): number[] {
  return descendantPids(rootPid).filter((pid) => processName(pid) === "workerd");
}

/** The current total RSS of the service's workerd processes, in MiB (VmRSS is in kB). */
export function currentWorkerdMb(rootPid = process.pid): number | undefined {
  const pids = findWorkerdPids(rootPid);
  return pids.length === 0 ? undefined : pids.reduce((sum, pid) => sum + residentKb(pid), 0) / 1024;
}

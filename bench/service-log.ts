/**
 * What the service's output tells the bench:
 * - the GenerationJob's own timings, from the one JSON log line it prints per
 *   job (`{"event":"job", …, "ms": {total, generate, store}}`): they split the
 *   time a request took into work inside the Durable Object and everything
 *   around it (the Worker, the RPC, the relay, wrangler's proxy);
 * - wrangler's reloads: `wrangler dev` restarts the Worker whenever a source
 *   file changes, failing requests in flight ("Your worker restarted
 *   mid-request"), so figures taken while someone edits src/ are not the code's.
 */

/** How often wrangler reloaded the Worker, as far as `output` goes. */
export function reloadCount(output: string): number {
  return output.match(/Reloading local server/g)?.length ?? 0;
}

export type JobTimings = Record<string, number>;

/** Job id → its stage timings, for every job line in the service's output. */
export function jobTimingsById(output: string): Map<string, JobTimings> {
  const timings = new Map<string, JobTimings>();
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"event":"job"');
    if (start < 0) continue;
    try {
      const parsed: unknown = JSON.parse(line.slice(start));
      if (typeof parsed !== "object" || parsed === null) continue;
      const { job, ms } = parsed as { job?: unknown; ms?: unknown };
      if (typeof job === "string" && typeof ms === "object" && ms !== null) timings.set(job, ms as JobTimings);
    } catch {
      // a line cut by interleaved output
    }
  }
  return timings;
}

/** Each stage's samples over the given jobs (stages missing from a job are skipped). */
export function stageSamples(
  timings: Map<string, JobTimings>,
  jobIds: Iterable<string | undefined>,
): Record<string, number[]> {
  const samples: Record<string, number[]> = {};
  for (const id of jobIds) {
    const stages = id === undefined ? undefined : timings.get(id);
    if (!stages) continue;
    for (const [stage, ms] of Object.entries(stages)) (samples[stage] ??= []).push(ms);
  }
  return samples;
}

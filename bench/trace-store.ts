/**
 * `npm run bench:trace-store`: what wrangler's local trace store (on by default in `wrangler dev`,
 * `X_LOCAL_OBSERVABILITY`) costs a job, per side. Each side runs twice at once, as `npm start`
 * runs it and with the trace store off, and the two take turns: one non-streamed chat completion
 * to each, one after the other, so a machine that slows down or speeds up during the run moves
 * both alike (the whole bench's TUNED run cannot compare that way: it runs minutes later). The
 * store writes rows for every invocation and log line, and a job of the project is several (the
 * Worker's request, the admission, the job's object, the settlement at the key's account and the
 * service's, the job's log line) where the baseline's is one. Cloudflare has no such store.
 */
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { plainChat, setUpstreamLatency } from "./requests.ts";
import { describeSetup } from "./setup.ts";
import { benchApiKeys, SIDES, startSide, type BenchService, type Side } from "./sides.ts";
import { round, summarize } from "./stats.ts";
import { table } from "./table.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "150" },
    warmup: { type: "string", default: "10" },
    "state-dir": { type: "string" },
  },
});
const jobs = Number(values.jobs);
const warmup = Number(values.warmup);
const stateDir = values["state-dir"] ?? tmpdir();
const keys = benchApiKeys(1);

/** Latencies of `jobs` chat completions to each service, sent in turn; failures are thrown. */
async function inTurn(services: BenchService[]): Promise<number[][]> {
  const samples = services.map((): number[] => []);
  for (let index = 0; index < warmup + jobs; index++)
    for (const [position, service] of services.entries()) {
      const timed = await plainChat(service, `trace store ${index}: a lighthouse`);
      if (!timed.ok) throw new Error(`${service.side}: ${timed.failure ?? "failed"}`);
      if (index >= warmup) samples[position]?.push(timed.totalMs);
    }
  return samples;
}

const rows: string[][] = [];
for (const side of SIDES as readonly Side[]) {
  process.stderr.write(`${side}: ${warmup} + ${jobs} jobs to each, trace store on and off, in turn…\n`);
  const on = await startSide(side, describeSetup(stateDir, true), keys);
  const off = await startSide(side, describeSetup(stateDir, false), keys).catch(async (error: unknown) => {
    await on.stop();
    throw error;
  });
  try {
    for (const service of [on, off]) await setUpstreamLatency(service, 0);
    const [withStore = [], withoutStore = []] = await inTurn([on, off]);
    const [a, b] = [summarize(withStore), summarize(withoutStore)];
    rows.push([side, `${a.p50} ms`, `${b.p50} ms`, `${round(a.p50 - b.p50, 1)} ms`, `${a.p99} / ${b.p99} ms`]);
  } finally {
    await on.stop();
    await off.stop();
  }
}
console.log(
  `\nA non-streamed chat completion (flux-1-schnell, optimiser on, upstream 0 ms), one at a time, the two services in turn:\n\n${table(
    ["side", "trace store on (npm start) p50", "off p50", "what the store costs", "p99 on / off"],
    rows,
  )}`,
);

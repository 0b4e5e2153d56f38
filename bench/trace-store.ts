/**
 * `npm run bench:trace-store`: what wrangler's local trace store (on by default in `wrangler dev`,
 * `X_LOCAL_OBSERVABILITY`) costs a job, per side. Each side runs twice at once, as `npm start`
 * runs it and with the trace store off, and the two are measured by the bench's own overhead phase
 * (phases.ts measureOverhead: interleaved pairs, the services visited in turn, the order rotating),
 * so a machine that slows down or speeds up during the run moves both alike (the whole bench's
 * TUNED run cannot compare that way: it runs minutes later). The store writes rows for every
 * invocation and log line, and a job of the project is several (the Worker's request, the
 * admission, the job's object, the settlement at the key's account and the service's, the job's log
 * line) where the baseline's is one. Cloudflare has no such store.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { measureOverhead, type OverheadFigures } from "./phases.ts";
import { describeSetup } from "./setup.ts";
import { benchApiKeys, SIDES, startSide } from "./sides.ts";
import { round } from "./stats.ts";
import { table } from "./table.ts";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "150" },
    warmup: { type: "string", default: "10" },
    "state-dir": { type: "string" },
    out: { type: "string" },
  },
});
const pairs = Number(values.pairs);
const warmup = Number(values.warmup);
const stateDir = values["state-dir"] ?? tmpdir();
const keys = benchApiKeys(1);
const [withStore, withoutStore] = [describeSetup(stateDir, true), describeSetup(stateDir, false)];

type Figures = Omit<OverheadFigures, "jobIds">;
const results: { side: string; on: Figures; off: Figures }[] = [];
for (const side of SIDES) {
  process.stderr.write(`${side}: ${warmup} + ${pairs} pairs to each, trace store on and off, in turn…\n`);
  const on = await startSide(side, withStore, keys);
  try {
    const off = await startSide(side, withoutStore, keys);
    try {
      const [onFigures, offFigures] = await measureOverhead([on, off], pairs, warmup);
      if (!onFigures || !offFigures) throw new Error(`${side}: no figures`);
      const strip = ({ jobIds, ...rest }: OverheadFigures): Figures => rest;
      results.push({ side, on: strip(onFigures), off: strip(offFigures) });
    } finally {
      await off.stop();
    }
  } finally {
    await on.stop();
  }
}
console.log(
  `\nOverhead of a non-streamed chat completion (flux-1-schnell, optimiser on, upstream 0 ms; through the Worker minus the same calls made directly), ${pairs} pairs, the two services in turn:\n\n${table(
    ["side", "trace store on (npm start) p50", "off p50", "what the store costs", "p99 on / off", "failed pairs"],
    results.map(({ side, on, off }) => [
      side,
      `${on.overhead.p50} ms`,
      `${off.overhead.p50} ms`,
      `${round(on.overhead.p50 - off.overhead.p50, 1)} ms`,
      `${on.overhead.p99} / ${off.overhead.p99} ms`,
      `${on.failures} / ${off.failures}`,
    ]),
  )}`,
);
if (values.out)
  writeFileSync(values.out, `${JSON.stringify({ generatedAt: new Date().toISOString(), results }, null, 2)}\n`);

/**
 * `npm run bench:profile`: where the Worker's isolate spends its CPU, per kind of request
 * (cpu-profile.ts does the work; bench/README.md says how to read it). By default both runs: one
 * isolate as `npm start` runs (the split between the Worker and its objects, the top functions and
 * lines), then the Worker in a process apart from its objects (its own CPU per request). Its client
 * asks for uncompressed answers unless `--compressed` (cpu-profile.ts, Caller, says why).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import {
  formatProfile,
  KINDS,
  measureSplitFloor,
  profileProject,
  type Isolates,
  type KindProfile,
  type SplitFloor,
} from "./cpu-profile.ts";
import { describeSetup } from "./setup.ts";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "60" },
    warmup: { type: "string", default: "15" },
    clients: { type: "string", default: "8" },
    kinds: { type: "string" },
    top: { type: "string", default: "12" },
    isolates: { type: "string", default: "one,split" },
    "state-dir": { type: "string" },
    "no-local-observability": { type: "boolean" },
    out: { type: "string" },
    cpuprofile: { type: "string" },
    compressed: { type: "boolean" },
    "floor-requests": { type: "string", default: "300" },
  },
});

const wanted = flags.kinds?.split(",") ?? KINDS.map((kind) => kind.name);
const unknown = wanted.filter((name) => !KINDS.some((kind) => kind.name === name));
if (unknown.length > 0)
  throw new Error(`unknown kind(s) ${unknown.join(", ")}; kinds: ${KINDS.map((kind) => kind.name).join(", ")}`);
const setup = describeSetup(flags["state-dir"] ?? tmpdir(), !flags["no-local-observability"]);
const results: KindProfile[] = [];
const runs = flags.isolates.split(",") as Isolates[];
for (const isolates of runs) {
  results.push(
    ...(await profileProject(setup, {
      kinds: KINDS.filter((kind) => wanted.includes(kind.name)),
      jobs: Number(flags.jobs),
      warmup: Number(flags.warmup),
      clients: Number(flags.clients),
      top: Number(flags.top),
      isolates,
      compressed: flags.compressed ?? false,
      cpuprofileDir: flags.cpuprofile,
      progress: (message) => process.stderr.write(`${message}\n`),
    })),
  );
}
// The split run's floor: what the Worker's workerd spends when the Worker only calls an object elsewhere.
let splitFloor: SplitFloor | undefined;
if (runs.includes("split")) {
  process.stderr.write("The split floor (bench/floor/ as two Workers)…\n");
  // Its failure costs only the floor's column: the kinds' figures are printed and saved regardless.
  const largest = Math.max(0, ...results.map((result) => result.answerBytes));
  splitFloor = await measureSplitFloor(setup, Number(flags.clients), Number(flags["floor-requests"]), largest).catch(
    (error: unknown) => {
      process.stderr.write(`split floor failed: ${String(error)}\n`);
      return undefined;
    },
  );
}
console.log(`\n${formatProfile(results, setup.label, Number(flags.clients), splitFloor)}`);
if (flags.out) writeFileSync(flags.out, `${JSON.stringify({ kinds: results, splitFloor }, null, 2)}\n`);

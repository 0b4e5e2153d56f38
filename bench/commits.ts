/**
 * `npm run bench:commits`: counts the durable writes each kind of job makes, as `npm start`
 * runs it (wrangler's state on disk), by tracing workerd's fsync calls with strace. Under
 * wrangler dev every SQLite commit is an fsync of the file it wrote (a Durable Object's own
 * database, the alarm index, KV, the local trace store), so counting fsyncs per file counts
 * commits, where estimating them from the code would only repeat what the code intends.
 *
 * Needs `strace` (Linux; `apt install strace`) and permission to trace child processes; it
 * says so and stops otherwise. It is a measurement, not a test: the suite does not depend on it.
 */
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { startService, type RunningService } from "../test/e2e/service.ts";
import { table } from "./table.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10" },
    "state-dir": { type: "string" },
    optimizer: { type: "boolean", default: false },
  },
});
const JOBS = Number(values.jobs);

interface JobKind {
  name: string;
  run: (service: RunningService, index: number) => Promise<boolean>;
}

function post(service: RunningService, path: string, body: unknown): Promise<Response> {
  return fetch(`${service.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const chat = (prompt: string, stream: boolean) => ({
  model: "flux",
  stream,
  messages: [{ role: "user", content: prompt }],
});

const KINDS: JobKind[] = [
  {
    name: "chat, streamed",
    run: async (service, index) => {
      const response = await post(service, "/v1/chat/completions", chat(`commits ${index}: a lighthouse`, true));
      return (await response.text()).includes("/image/");
    },
  },
  {
    name: "chat, one reply",
    run: async (service, index) =>
      (await post(service, "/v1/chat/completions", chat(`commits ${index}: a harbour`, false))).ok,
  },
  {
    name: "images API, n=2, url",
    run: async (service, index) =>
      (await post(service, "/v1/images/generations", { prompt: `commits ${index}`, n: 2, response_format: "url" })).ok,
  },
  {
    name: "images API, b64_json",
    run: async (service, index) =>
      (await post(service, "/v1/images/generations", { prompt: `commits ${index}`, response_format: "b64_json" })).ok,
  },
  {
    name: "failed (upstream refuses: NSFW)",
    run: async (service, index) =>
      (await post(service, "/v1/chat/completions", chat(`commits ${index} #fault=nsfw`, false))).status === 400,
  },
];

/** The group of a job's own database's write-ahead log. */
const JOB_WAL = "do/flux-api-worker-GenerationJob/<id>.sqlite-wal";

/** What a traced file is, with the ids taken out so that every job's object counts together. */
function fileGroup(path: string): string {
  return path
    .replace(/^.*\/v3\//, "")
    .replace(/[0-9a-f]{32,}/g, "<id>")
    .replace(/\.sqlite(-wal|-journal|-shm)?$/, (_match, suffix: string | undefined) => `.sqlite${suffix ?? ""}`);
}

async function countFsyncs(service: RunningService, kind: JobKind): Promise<Map<string, number>> {
  const pids = spawnSync("pgrep", ["-f", "workerd"]).stdout.toString().trim().split("\n").filter(Boolean);
  const tracer = spawn("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync", ...pids.flatMap((pid) => ["-p", pid])], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let trace = "";
  tracer.stderr.on("data", (chunk: Buffer) => (trace += chunk.toString()));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // strace attaches to every thread first
  for (let index = 0; index < JOBS; index++) {
    if (!(await kind.run(service, index))) throw new Error(`a "${kind.name}" job did not give the expected answer`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1500)); // commits of the last job's end
  tracer.kill("SIGINT");
  await new Promise((resolve) => tracer.once("exit", resolve));
  const counts = new Map<string, number>();
  for (const line of trace.split("\n")) {
    const match = /f(?:data)?sync\(\d+<([^>]*)>\) = 0/.exec(line);
    if (!match?.[1]?.includes("/v3/")) continue;
    const group = fileGroup(match[1]);
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

async function main(): Promise<void> {
  if (spawnSync("strace", ["-V"]).status !== 0) {
    console.error("bench:commits needs strace (e.g. `sudo apt install strace`); nothing was measured.");
    process.exit(1);
  }
  // The limiter on (as by default) but never reached, so its writes are counted and no job is refused.
  const service = await startService({
    stateParent: values["state-dir"] ?? tmpdir(),
    vars: { RATE_LIMIT_PER_MINUTE: "100000", PROMPT_OPTIMIZATION: values.optimizer ? "true" : "false" },
  });
  try {
    await KINDS[0]?.run(service, -1); // the first job pays for module loading and the namespaces' own files
    const rows: string[][] = [];
    for (const kind of KINDS) {
      const counts = await countFsyncs(service, kind);
      for (const [group, count] of [...counts].sort()) rows.push([kind.name, group, String(count / JOBS)]);
      const wal = counts.get(JOB_WAL);
      if (wal !== undefined) rows.push([kind.name, "→ commits in the job's own database", String(wal / JOBS - 1)]);
    }
    const optimizer = values.optimizer ? "on" : "off";
    console.log(
      `fsyncs per job under wrangler dev (state on disk, optimiser ${optimizer}), ${JOBS} jobs of each kind:\n`,
    );
    console.log(table(["job", "file (ids replaced)", "fsyncs per job"], rows));
    console.log(`
A new object's database costs fsyncs of its own before any transaction: four when workerd creates
it (the journal twice, the folder, the file: its switch to WAL mode), and the folder and the WAL's
header when the WAL is made. After that each commit is one fsync of the WAL; hence "commits" =
WAL fsyncs − 1. metadata.sqlite is the local alarm index (one write per setAlarm).`);
  } finally {
    await service.stop();
  }
}

await main();

// `npm run size`: builds the Worker as `wrangler deploy` would (a dry run, nothing uploaded),
// prints its raw and gzip size and what it is made of, and fails when the offline stand-in or
// test code has slipped into it. `--outdir <dir>` keeps the build (worker.js and its map).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorker, contributorOf, forbiddenSources, kib, largest, sourceSizes } from "./bundle-report.ts";

const TOP_FILES = 12;

const outDirArg = process.argv.indexOf("--outdir");
const keptDir = outDirArg >= 0 ? process.argv[outDirArg + 1] : undefined;
const outDir = keptDir ?? (await mkdtemp(join(tmpdir(), "flux-worker-size-")));

try {
  const bundle = await buildWorker(outDir);
  const raw = Buffer.byteLength(bundle.code);
  const gzip = gzipSync(bundle.code).byteLength;
  const sizes = sourceSizes(bundle.code, bundle.map, bundle.sources);
  const share = (bytes: number) => `${((100 * bytes) / raw).toFixed(1).padStart(5)} %`;
  const row = ({ name, bytes }: { name: string; bytes: number }) =>
    `  ${kib(bytes).padStart(10)} ${share(bytes)}  ${name}`;

  console.log(`Worker bundle (wrangler deploy --dry-run): ${kib(raw)} raw, ${kib(gzip)} gzip (${raw} / ${gzip} bytes)`);
  console.log("\nBy package or folder (raw bytes, from the source map):");
  for (const entry of largest(sizes, contributorOf)) console.log(row(entry));
  console.log(`\nLargest ${TOP_FILES} sources:`);
  for (const entry of largest(sizes).slice(0, TOP_FILES)) console.log(row(entry));

  const forbidden = forbiddenSources(bundle.sources);
  if (forbidden.length > 0) {
    console.error(`\nFAIL: the Worker bundle contains offline stand-in or test code: ${forbidden.join(", ")}`);
    process.exitCode = 1;
  } else {
    console.log(`\nOK: none of the bundle's ${bundle.sources.length} sources is stand-in or test code.`);
  }
  if (keptDir) console.log(`Build kept in ${keptDir}`);
} catch (error) {
  console.error(`FAIL: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  if (!keptDir) await rm(outDir, { recursive: true, force: true });
}

// What `npm run size` measures: the Worker as `wrangler deploy` would upload it, and which
// sources it is made of (read from its source map), so a stray import of the offline stand-in
// or of test code, or a heavy dependency, shows up before it ships.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The parts of a source map (v3) this report reads. */
export interface SourceMap {
  sources: string[];
  sourceRoot?: string;
  mappings: string;
}

export interface Bundle {
  code: string;
  map: SourceMap;
  /** Each source as a path from the project root with `/`, e.g. `src/worker.ts`, `node_modules/itty-router/…`. */
  sources: string[];
}

/** Builds the Worker with wrangler's dry run into `outDir` (worker.js and worker.js.map) and reads it. */
export async function buildWorker(outDirArg: string): Promise<Bundle> {
  const outDir = resolve(outDirArg);
  const wrangler = join(PROJECT_ROOT, "node_modules", ".bin", "wrangler");
  try {
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--outdir", outDir], {
      cwd: PROJECT_ROOT,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        ...process.env,
        // wrangler's launcher runs whichever `node` is first on PATH: make it the one running us (22+).
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
        WRANGLER_SEND_METRICS: "false",
      },
    });
  } catch (error) {
    const output = error instanceof Error && "stderr" in error ? String(error.stderr) : String(error);
    throw new Error(`wrangler deploy --dry-run failed:\n${output}`, { cause: error });
  }
  const code = await readFile(join(outDir, "worker.js"), "utf8");
  const map = JSON.parse(await readFile(join(outDir, "worker.js.map"), "utf8")) as SourceMap;
  const base = resolve(outDir, map.sourceRoot ?? "");
  const sources = map.sources.map((source) => relative(PROJECT_ROOT, resolve(base, source)).split(sep).join("/"));
  return { code, map, sources };
}

/** Sources that must never reach the Worker: the offline stand-in upstream and test code. */
export function forbiddenSources(sources: readonly string[]): string[] {
  return sources.filter(
    (source) =>
      source.startsWith("tools/stand-in/") ||
      source.startsWith("test/") ||
      /\.(test|spec)\.[cm]?[jt]s$/.test(source) ||
      /(^|\/)node_modules\/(vitest|@vitest\/[^/]+|@cloudflare\/vitest-plugin)\//.test(source),
  );
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
export const UNMAPPED = "(unmapped)";

/**
 * Bytes of generated code that come from each source (index into `map.sources`), read from
 * the mappings: a segment's bytes run to the next segment or the end of the line. Code no
 * segment covers counts as UNMAPPED. The figures add up to the code's size in bytes.
 */
export function sourceSizes(code: string, map: SourceMap, names: readonly string[] = map.sources): Map<string, number> {
  const sizes = new Map<string, number>();
  const add = (name: string, text: string) =>
    sizes.set(name, (sizes.get(name) ?? 0) + new TextEncoder().encode(text).byteLength);
  const lines = code.split("\n");
  const mappingLines = map.mappings.split(";");
  let sourceIndex = 0; // source indices are deltas that carry over from line to line
  lines.forEach((line, lineIndex) => {
    let column = 0;
    let current = UNMAPPED;
    let start = 0;
    for (const segment of (mappingLines[lineIndex] ?? "").split(",").filter(Boolean)) {
      const fields = decodeVlq(segment);
      column += fields[0] ?? 0;
      add(current, line.slice(start, column));
      if (fields.length > 1) sourceIndex += fields[1] ?? 0;
      current = fields.length > 1 ? (names[sourceIndex] ?? UNMAPPED) : UNMAPPED;
      start = column;
    }
    add(current, line.slice(start) + (lineIndex < lines.length - 1 ? "\n" : ""));
  });
  for (const [name, bytes] of sizes) if (bytes === 0) sizes.delete(name);
  return sizes;
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  return values;
}

/** What a source is counted under: its npm package, or its folder in this project. */
export function contributorOf(source: string): string {
  const packageMatch = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
  if (packageMatch) return `npm: ${packageMatch[1] ?? source}`;
  const slash = source.lastIndexOf("/");
  return slash < 0 ? source : `${source.slice(0, slash)}/`;
}

/** Sizes added up by `group`, largest first. */
export function largest(sizes: ReadonlyMap<string, number>, group: (source: string) => string = (s) => s) {
  const totals = new Map<string, number>();
  for (const [source, bytes] of sizes) totals.set(group(source), (totals.get(group(source)) ?? 0) + bytes);
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

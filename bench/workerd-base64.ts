/**
 * The same decodeBase64 measured where it really runs: in workerd (the
 * project's own binary), loaded from src/lib/storage/image-bytes.ts with its types
 * stripped. workerd's clock stands still while code runs (a Spectre
 * mitigation), so the time is taken from outside: requests that decode N
 * times minus requests that decode none, divided by N.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/e2e/service.ts";
import type { Base64Figure } from "./base64.ts";
import { sampleImageBase64 } from "./base64.ts";
import { percentile, round } from "./stats.ts";

const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
const DECODES_PER_REQUEST = 10;

/** The workerd wrangler runs: npm may keep it inside wrangler's own node_modules rather than at the top. */
function workerdBinary(): string {
  const wranglerRequire = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  return join(dirname(wranglerRequire.resolve("workerd/package.json")), "bin/workerd");
}

const ENTRY_MODULE = `
import { decodeBase64 } from "./image-bytes.js";
let text = "";
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/load") { text = await request.text(); return new Response("loaded"); }
    const rounds = Number(url.searchParams.get("rounds") ?? "1");
    let decodedBytes = 0;
    for (let i = 0; i < rounds; i++) decodedBytes += decodeBase64(text)?.length ?? 0;
    const path = typeof Uint8Array.fromBase64 === "function" ? "native Uint8Array.fromBase64" : "atob loop";
    return Response.json({ decodedBytes, path });
  },
};`;

function capnpConfig(port: number, compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .decoder)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const decoder :Workerd.Worker = (
  modules = [(name = "main.js", esModule = embed "main.js"), (name = "image-bytes.js", esModule = embed "image-bytes.js")],
  compatibilityDate = "${compatibilityDate}",
);
`;
}

function projectCompatibilityDate(): string {
  const match = /"compatibility_date":\s*"([^"]+)"/.exec(readFileSync(join(PROJECT_ROOT, "wrangler.jsonc"), "utf8"));
  if (!match?.[1]) throw new Error("wrangler.jsonc has no compatibility_date");
  return match[1];
}

async function waitForListening(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error("workerd exited at start");
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("workerd did not start within 15 s");
}

async function timedGet(url: string): Promise<{ ms: number; path: string; decodedBytes: number }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = (await response.json()) as { path: string; decodedBytes: number };
  return { ms: performance.now() - started, ...body };
}

export async function measureBase64InWorkerd(imageBytes: number, rounds: number): Promise<Base64Figure> {
  const folder = mkdtempSync(join(tmpdir(), "flux-bench-workerd-"));
  const port = await freePort();
  const source = readFileSync(join(PROJECT_ROOT, "src/lib/storage/image-bytes.ts"), "utf8");
  writeFileSync(join(folder, "image-bytes.js"), stripTypeScriptTypes(source));
  writeFileSync(join(folder, "main.js"), ENTRY_MODULE);
  writeFileSync(join(folder, "config.capnp"), capnpConfig(port, projectCompatibilityDate()));
  const workerd = spawn(workerdBinary(), ["serve", join(folder, "config.capnp")], {
    stdio: "ignore",
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForListening(`${baseUrl}/decode?rounds=0`, () => workerd.exitCode !== null);
    const { base64 } = sampleImageBase64(imageBytes);
    await (await fetch(`${baseUrl}/load`, { method: "POST", body: base64 })).arrayBuffer();
    const check = await timedGet(`${baseUrl}/decode?rounds=1`);
    if (check.decodedBytes !== imageBytes)
      throw new Error(`workerd decoded ${check.decodedBytes} bytes, expected ${imageBytes}`);
    const empty: number[] = [];
    const full: number[] = [];
    for (let round = 0; round < rounds; round++) {
      empty.push((await timedGet(`${baseUrl}/decode?rounds=0`)).ms);
      full.push((await timedGet(`${baseUrl}/decode?rounds=${DECODES_PER_REQUEST}`)).ms);
    }
    const msPerDecode = Math.max(0.001, (percentile(full, 50) - percentile(empty, 50)) / DECODES_PER_REQUEST);
    return {
      runtime: "workerd (the project's)",
      path: check.path === "native Uint8Array.fromBase64" ? "native Uint8Array.fromBase64" : "atob loop",
      imageBytes,
      msPerDecode: round(msPerDecode, 2),
      mbPerSecond: round(imageBytes / 1e6 / (msPerDecode / 1000)),
    };
  } finally {
    if (workerd.exitCode === null && workerd.pid !== undefined) {
      const exited = new Promise((resolve) => workerd.once("exit", resolve));
      process.kill(workerd.pid, "SIGTERM");
      await exited;
    }
    rmSync(folder, { recursive: true, force: true });
  }
}

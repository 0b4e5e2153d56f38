// `npm start`: wrangler dev against Cloudflare when credentials exist; otherwise against a
// local stand-in for Workers AI (tools/stand-in), announced loudly so nobody mistakes its
// placeholder pictures for Flux. It checks the settings and its ports first, so a mistake is
// one clear line before anything starts, not an error on every request.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { constants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseJsonc } from "jsonc-parser";
import { startStandIn } from "../tools/stand-in/server.ts";
import type { StandIn } from "../tools/stand-in/server.ts";
import {
  LOCAL_API_KEY,
  hasCloudflareCredentials,
  parseDotenv,
  portProblem,
  readSettings,
  settingsProblem,
  settingsSummary,
  takeListenArgs,
  varsOfArgs,
  withoutBindingsTable,
  wranglerDevArgs,
} from "./start-config.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const devVarsPath = join(projectRoot, ".dev.vars");
const devVarsText = existsSync(devVarsPath) ? readFileSync(devVarsPath, "utf8") : undefined;
const settings = readSettings(devVarsText, process.env);

let listen: ReturnType<typeof takeListenArgs>;
try {
  listen = takeListenArgs(process.argv.slice(2));
} catch (error) {
  stop(`npm start: ${error instanceof Error ? error.message : String(error)} (e.g. npm start -- --port 9000).`);
}
// A key given as `npm start -- --var API_KEY:…` is configured too: npm start must not add its own.
const keyOfArgs = varsOfArgs(listen.rest).API_KEY;
if (keyOfArgs) settings.configured.API_KEY = keyOfArgs;
const port = listen.port ?? (process.env.PORT || "8787");
const ip = listen.ip ?? "127.0.0.1";
const standInPortText = process.env.STAND_IN_PORT || "8788";
const configVars =
  (parseJsonc(readFileSync(join(projectRoot, "wrangler.jsonc"), "utf8")) as { vars?: Record<string, unknown> }).vars ??
  {};
const problem =
  portProblem(port, listen.port ? "--port" : "PORT") ??
  portProblem(standInPortText, "STAND_IN_PORT") ??
  // The settings as the developer wrote them, before offline mode fills in the stand-in's.
  settingsProblem(configVars, devVarsText, wranglerDevArgs({ settings, port, ip, extraArgs: listen.rest }));
if (problem) stop(problem);

const standInPort = Number(standInPortText);
const offline = !hasCloudflareCredentials(settings);
const plannedStandIn = offline
  ? { url: `http://127.0.0.1:${standInPort}`, cfApiBase: `http://127.0.0.1:${standInPort}/client/v4` }
  : undefined;
const args = wranglerDevArgs({ settings, port, ip, standIn: plannedStandIn, extraArgs: listen.rest });

const workerPortFree = await portIsFree(Number(port), ip);
const standInPortFree = !offline || (await portIsFree(standInPort, "127.0.0.1"));
if (!workerPortFree && !standInPortFree) {
  stop(
    `Ports ${port} and ${standInPort} are taken (another npm start?). Set both, e.g. PORT=8797 STAND_IN_PORT=8798 npm start.`,
  );
}
if (!workerPortFree) stop(`Port ${port} is taken (another npm start?). Set PORT or use npm start -- --port N.`);
if (!standInPortFree) stop(`Port ${standInPort} for the offline stand-in is taken. Set STAND_IN_PORT.`);

let standIn: StandIn | undefined;
if (offline) {
  standIn = await startStandIn({ port: standInPort, latencyMs: Number(process.env.STAND_IN_LATENCY_MS || 0) });
  const shown = ip === "0.0.0.0" ? `http://127.0.0.1:${port} (and this machine's LAN address)` : `http://${ip}:${port}`;
  const apiKeyLine = settings.configured.API_KEY ? "API key: the API_KEY you configured" : `API key: ${LOCAL_API_KEY}`;
  const bearer = settings.configured.API_KEY ? "$API_KEY" : LOCAL_API_KEY;
  console.log(`
================================================================================
  OFFLINE MODE: images come from a local stand-in for Workers AI (${standIn.url}),
  NOT from Flux. They are placeholder pictures.
  For real images set CF_ACCOUNT_ID and CF_API_TOKEN in .dev.vars and restart.

  Worker: ${shown}    ${apiKeyLine}
  curl http://127.0.0.1:${port}/v1/images/generations \\
    -H "Authorization: Bearer ${bearer}" -H "Content-Type: application/json" \\
    -d '{"prompt":"a lighthouse at dusk","response_format":"url"}'
================================================================================
`);
}
const devVars = devVarsText === undefined ? {} : parseDotenv(devVarsText);
const stringVars = Object.fromEntries(Object.entries(configVars).map(([name, value]) => [name, String(value)]));
console.log(
  settingsSummary({
    vars: { ...stringVars, ...devVars, ...varsOfArgs(args) },
    fromDevVars: new Set(Object.keys(devVars)),
    standInUrl: standIn?.url,
    localApiKey: offline && !settings.configured.API_KEY,
  }).join("\n"),
);

const wrangler = spawn(join(projectRoot, "node_modules", ".bin", "wrangler"), args, {
  cwd: projectRoot,
  // Its output passes through us, without its bindings table (the summary above says it in words).
  stdio: ["inherit", "pipe", "inherit"],
  env: {
    ...process.env,
    ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
    // wrangler's launcher runs whichever `node` is first on PATH: make it the one running us (22+).
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
  },
});

const keepLine = withoutBindingsTable();
createInterface({ input: wrangler.stdout }).on("line", (line) => {
  if (keepLine(line)) console.log(line);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => wrangler.kill(signal));

wrangler.on("error", (error) => {
  console.error(`Could not start wrangler: ${error.message}`);
  void exitAfterCleanup(1);
});
wrangler.on("exit", (code, signal) => void exitAfterCleanup(code ?? 128 + (signal ? constants.signals[signal] : 0)));

let exiting = false;
async function exitAfterCleanup(code: number): Promise<void> {
  if (exiting) return; // 'error' and 'exit' can both fire
  exiting = true;
  await standIn?.close();
  process.exit(code);
}

/** Stops `npm start` with one line, before anything was started. */
function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

/** False when something already listens on `port`; stops at once on any other failure to listen there. */
async function portIsFree(portNumber: number, host: string): Promise<boolean> {
  const failure = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(portNumber, host, () => probe.close(() => resolve(undefined)));
  });
  if (failure === "EADDRINUSE") return false;
  if (failure) stop(`Cannot listen on ${host}:${portNumber} (${failure}).`);
  return true;
}

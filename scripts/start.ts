// `npm start`: wrangler dev against Cloudflare when credentials exist; otherwise against a
// local stand-in for Workers AI (tools/stand-in), announced loudly so nobody mistakes its
// placeholder pictures for Flux.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startStandIn } from "../tools/stand-in/server.ts";
import type { StandIn } from "../tools/stand-in/server.ts";
import { LOCAL_API_KEY, hasCloudflareCredentials, readSettings, wranglerDevArgs } from "./start-config.ts";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));
const devVarsPath = join(projectRoot, ".dev.vars");
const settings = readSettings(existsSync(devVarsPath) ? readFileSync(devVarsPath, "utf8") : undefined, process.env);
const port = process.env.PORT || "8787";

let standIn: StandIn | undefined;
if (!hasCloudflareCredentials(settings)) {
  standIn = await startStandIn({
    port: Number(process.env.STAND_IN_PORT || 8788),
    latencyMs: Number(process.env.STAND_IN_LATENCY_MS || 0),
  });
  const apiKeyLine = settings.configured.API_KEY ? "API key: the API_KEY you configured" : `API key: ${LOCAL_API_KEY}`;
  const bearer = settings.configured.API_KEY ? "$API_KEY" : LOCAL_API_KEY;
  console.log(`
================================================================================
  OFFLINE MODE: images come from a local stand-in for Workers AI (${standIn.url}),
  NOT from Flux. They are placeholder pictures.
  For real images set CF_ACCOUNT_ID and CF_API_TOKEN in .dev.vars and restart.

  Worker: http://127.0.0.1:${port}    ${apiKeyLine}
  curl http://127.0.0.1:${port}/v1/images/generations \\
    -H "Authorization: Bearer ${bearer}" -H "Content-Type: application/json" \\
    -d '{"prompt":"a lighthouse at dusk","response_format":"b64_json"}'
================================================================================
`);
}

const wrangler = spawn(
  join(projectRoot, "node_modules", ".bin", "wrangler"),
  wranglerDevArgs({ settings, port, standIn, extraArgs: process.argv.slice(2) }),
  {
    cwd: projectRoot,
    stdio: "inherit",
    env: {
      ...process.env,
      // wrangler's launcher runs whichever `node` is first on PATH: make it the one running us (22+).
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
    },
  },
);

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

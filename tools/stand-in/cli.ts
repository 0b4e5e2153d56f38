// Runs the stand-in on its own:
//   node tools/stand-in/cli.ts --port 8788 --host 127.0.0.1 --latency-ms 0 --failure-rate 0
import { parseArgs } from "node:util";
import { startStandIn } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8788" },
    host: { type: "string", default: "127.0.0.1" },
    "latency-ms": { type: "string", default: "0" },
    "failure-rate": { type: "string", default: "0" },
    quiet: { type: "boolean", default: false },
  },
});

const standIn = await startStandIn({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values["latency-ms"]),
  failureRate: Number(values["failure-rate"]),
  quiet: values.quiet,
});

console.log(`
  ┌──────────────────────────────────────────────────────────────────────┐
  │  LOCAL STAND-IN — this is NOT Cloudflare and NOT Flux.               │
  │  It imitates Workers AI's REST API and an OpenAI chat API for        │
  │  development and tests; its images are generated placeholders.       │
  └──────────────────────────────────────────────────────────────────────┘
  Workers AI base (CF_API_BASE):        ${standIn.cfApiBase}
  Chat API base (EXTERNAL_API_BASE):    ${standIn.url}/v1
  Recorded requests:                    ${standIn.url}/__stand-in/requests
  Faults: put #fault=capacity, #fault=nsfw*2, #delay=500 … in a prompt.
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void standIn.close().then(() => process.exit(0)));
}

/**
 * `npm run bench:worst-inputs`: what the inputs an attacker would send cost
 * the service as `npm start` runs it. Each worst input is sent once while a
 * second client asks `GET /v1/service` 100 ms later: the first column is how
 * long the attack took to be answered, the second how long the bystander
 * waited (a Worker isolate runs one request's JavaScript at a time). An
 * ordinary request of the same endpoint, in the same run, is the baseline.
 * Then a flood of image links that miss KV: fresh keys (the job's object is
 * asked), old and made-up keys (it is not), against plain 404s.
 */
import { startService, type RunningService } from "../test/e2e/service.ts";

const NEAR_LIMIT = 39_000_000;

interface Case {
  name: string;
  path: string;
  body: () => string | FormData;
  contentType?: string;
}

const chat = (assistant: string, user: string) =>
  JSON.stringify({
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: assistant },
      { role: "user", content: user },
    ],
  });
const filling = (unit: string, bytes: number) => unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)));
const manyParts = (count: number) =>
  Array.from({ length: count }, (_, i) => `--b\r\ncontent-disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join("") +
  "--b--\r\n";

const CASES: Case[] = [
  { name: "chat, ordinary (baseline)", path: "/v1/chat/completions", body: () => chat("ok", "a cat") },
  { name: "chat, 1.2 MB of `![](`", path: "/v1/chat/completions", body: () => chat("![](".repeat(300_000), "a cat") },
  {
    name: "chat, 39 MB of `![](`",
    path: "/v1/chat/completions",
    body: () => chat(filling("![](", NEAR_LIMIT), "a cat"),
  },
  {
    name: "chat, 39 MB prompt of accents",
    path: "/v1/chat/completions",
    body: () => chat("ok", filling("a\u0301\u0316", NEAR_LIMIT)),
  },
  {
    name: "chat, 16 KB prompt of accents",
    path: "/v1/chat/completions",
    body: () => chat("ok", `a${"\u0301\u0316".repeat(8_000)} cat`),
  },
  {
    name: "chat, 39 MB prompt of `--seed 1 `",
    path: "/v1/chat/completions",
    body: () => chat("ok", filling("--seed 1 ", NEAR_LIMIT)),
  },
  {
    name: "edits, 300,000 form parts (17.9 MB)",
    path: "/v1/images/edits",
    body: () => manyParts(300_000),
    contentType: "multipart/form-data; boundary=b",
  },
];

async function timed(
  service: RunningService,
  path: string,
  init: RequestInit,
): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(`${service.baseUrl}${path}`, init);
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

async function runCase(service: RunningService, item: Case): Promise<string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${service.apiKey}`,
    "content-type": item.contentType ?? "application/json",
  };
  const attack = timed(service, item.path, { method: "POST", headers, body: item.body() });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const bystander = await timed(service, "/v1/service", {});
  const answered = await attack;
  return `| ${item.name} | ${answered.status} | ${answered.ms.toFixed(0)} ms | ${bystander.ms.toFixed(0)} ms |`;
}

/** `count` GETs of `path(i)`, eight at a time; the mean milliseconds each. */
async function flood(service: RunningService, count: number, path: (index: number) => string): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) await timed(service, path(next++), {});
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return (performance.now() - started) / count;
}

/** The id of a real job, as anyone who saw one of its links knows it (a made-up id wakes no object). */
async function realJobId(service: RunningService): Promise<string> {
  const response = await fetch(`${service.baseUrl}/v1/images/generations`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a lighthouse", response_format: "url" }),
  });
  await response.arrayBuffer();
  return response.headers.get("x-job-id") ?? "";
}

const hex = (value: number, length: number) => value.toString(16).padStart(length, "0").slice(-length);

const service = await startService();
try {
  console.log(`Service as npm start runs it: ${service.baseUrl}\n`);
  await runCase(service, CASES[0] ?? { name: "", path: "/", body: () => "" }); // warms the Worker and its objects
  console.log("| worst input | status | answered in | GET /v1/service sent 100 ms later waited |");
  console.log("| --- | --- | --- | --- |");
  for (const item of CASES) console.log(await runCase(service, item));

  const jobId = await realJobId(service);
  const keyMadeAt = (seconds: number, index: number) => `${jobId}.${hex(seconds, 8)}${hex(index, 24)}`;
  const now = Math.floor(Date.now() / 1000);
  const count = 400;
  const plain = await flood(service, count, (i) => `/no-such-route-${i}`);
  const old = await flood(service, count, (i) => `/image/${keyMadeAt(now - 3600, i)}`);
  const fresh = await flood(service, count, (i) => `/image/${keyMadeAt(now, i)}`);
  console.log(`\n${count} image links that miss KV, 8 at a time (mean per request):`);
  console.log(`| plain 404 route | ${plain.toFixed(2)} ms | 1.00× |`);
  console.log(
    `| key made an hour ago (the object is not asked) | ${old.toFixed(2)} ms | ${(old / plain).toFixed(2)}× |`,
  );
  console.log(`| key made now (the object is asked) | ${fresh.toFixed(2)} ms | ${(fresh / plain).toFixed(2)}× |`);
} finally {
  await service.stop();
}

/**
 * `npm start` with no Cloudflare credentials: the service runs offline against
 * the stand-in upstream and says so loudly, in the terminal and on its page.
 * Before it starts anything it checks its settings and ports, and a mistake is
 * one clear line and a non-zero exit, not a stack trace or a broken service.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "./service.ts";
import { useService } from "./with-service.ts";

const FLUX_MODELS = [
  "@cf/black-forest-labs/flux-2-klein-4b",
  "@cf/black-forest-labs/flux-2-klein-9b",
  "@cf/black-forest-labs/flux-2-dev",
  "@cf/black-forest-labs/flux-1-schnell",
];
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Its port comes as `npm start -- --port N --ip 127.0.0.1`, with a PORT that would fail if used.
const live = useService({ portArgs: true });

describe("npm start without Cloudflare credentials", () => {
  it("prints the OFFLINE MODE banner naming the stand-in, the Worker URL and the local API key", () => {
    const output = live.service.output();
    expect(output).toContain("OFFLINE MODE");
    expect(output).toContain(`local stand-in for Workers AI (${live.service.standInUrl})`);
    expect(output).toContain(`Worker: ${live.service.baseUrl}`);
    expect(output).toContain(`API key: ${live.service.apiKey}`);
  });

  it("says on its home page that it runs in offline mode", async () => {
    const response = await fetch(`${live.service.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toMatch(/offline mode/i);
  });

  it("lists the four Flux models through the openai client", async () => {
    const ids: string[] = [];
    for await (const model of live.client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual([...FLUX_MODELS].sort());
  });
});

interface Exit {
  code: number | null;
  output: string;
}

/** Runs `npm start` (node scripts/start.ts) expecting it to give up on its own, quickly. */
function startExpectingExit(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/start.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CF_ACCOUNT_ID: "", CF_API_TOKEN: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm start did not give up within 20 s:\n${output}`));
    }, 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const listeners: Server[] = [];
afterEach(() => {
  for (const server of listeners.splice(0)) server.close();
});

async function occupy(): Promise<number> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  listeners.push(server);
  return port;
}

describe("npm start refusing to start", () => {
  it("stops on a malformed setting with the Worker's own message, before serving anything", async () => {
    const exit = await startExpectingExit(["--var", "IMAGE_EXPIRATION:abc"], { PORT: String(await freePort()) });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe(
      "Setting IMAGE_EXPIRATION must be a whole number from 60 to 31536000. Fix it in wrangler.jsonc, .dev.vars or the Worker's secrets.",
    );
  });

  it("says in one line which variable to set when the Worker's port is taken", async () => {
    const port = await occupy();
    const exit = await startExpectingExit([], { PORT: String(port) });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe(
      `Port ${port} is taken (another npm start?). Set PORT or use npm start -- --port N.`,
    );
  });

  it("says so too when the stand-in's port is taken", async () => {
    const standInPort = await occupy();
    const exit = await startExpectingExit([], { PORT: String(await freePort()), STAND_IN_PORT: String(standInPort) });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe(`Port ${standInPort} for the offline stand-in is taken. Set STAND_IN_PORT.`);
  });

  it("asks for a value when --port has none", async () => {
    const exit = await startExpectingExit(["--port"], {});
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe("npm start: --port needs a value (e.g. npm start -- --port 9000).");
  });
});

/**
 * `npm start` with no Cloudflare credentials: the service runs offline against
 * the stand-in upstream and says so loudly, in the terminal and on its page;
 * the page itself is public/ served as static assets, the way Cloudflare
 * serves it after a deploy. Before it starts anything it checks its settings
 * and ports, and a mistake is one clear line and a non-zero exit, not a stack
 * trace or a broken service.
 */
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "./service.ts";
import { useService } from "./with-service.ts";

/** Workers AI's eleven native image models, with the short names a person types. */
const MODELS = {
  "@cf/black-forest-labs/flux-2-klein-4b": "flux-2-klein-4b",
  "@cf/black-forest-labs/flux-2-klein-9b": "flux-2-klein-9b",
  "@cf/black-forest-labs/flux-2-dev": "flux-2-dev",
  "@cf/black-forest-labs/flux-1-schnell": "flux-1-schnell",
  "@cf/leonardo/lucid-origin": "lucid-origin",
  "@cf/leonardo/phoenix-1.0": "phoenix",
  "@cf/stabilityai/stable-diffusion-xl-base-1.0": "sdxl",
  "@cf/bytedance/stable-diffusion-xl-lightning": "sdxl-lightning",
  "@cf/lykon/dreamshaper-8-lcm": "dreamshaper",
  "@cf/runwayml/stable-diffusion-v1-5-img2img": "sd-img2img",
  "@cf/runwayml/stable-diffusion-v1-5-inpainting": "sd-inpainting",
};
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The policy public/_headers gives the page: nothing inline, nothing from other sites. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

  it("says what it runs with in words: settings with their values, no wrangler table of (hidden) and not supported", () => {
    const output = live.service.output();
    expect(output).toMatch(/FLUX_MODEL +@cf\/black-forest-labs\/flux-2-klein-4b/);
    expect(output).toMatch(/API_KEY +sk-flux-local/);
    expect(output).toContain("Workers AI: the stand-in at");
    expect(output).not.toContain("(hidden)");
    expect(output).not.toContain("not supported");
    expect(output).not.toContain("has access to the following bindings");
  });

  it("gives an example in its banner that answers with a link, not a screenful of base64", async () => {
    const body = /-d '(\{.*\})'/.exec(live.service.output())?.[1] ?? "";
    expect(JSON.parse(body)).toMatchObject({ response_format: "url" });
    const response = await fetch(`${live.service.baseUrl}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${live.service.apiKey}`, "content-type": "application/json" },
      body,
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text.length).toBeLessThan(1000);
    expect(JSON.parse(text)).toMatchObject({ data: [{ url: expect.stringContaining("/image/") as unknown }] });
  });

  it("tells its page that it runs in offline mode, through GET /v1/service", async () => {
    const response = await fetch(`${live.service.baseUrl}/v1/service`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: "service", offline: true });
  });

  it("lists every model through the openai client, by full id and by short name", async () => {
    const ids: string[] = [];
    for await (const model of live.client.models.list()) ids.push(model.id);
    expect(ids).toEqual([...Object.keys(MODELS), ...Object.values(MODELS)]);
  });
});

interface Exit {
  code: number | null;
  output: string;
}

/**
 * Runs `npm start` (node scripts/start.ts) expecting it to give up on its own, quickly. The stand-in
 * gets a free port unless the test names one: the default 8788 is taken while a developer's own
 * `npm start` runs beside the suite.
 */
async function startExpectingExit(args: string[], env: Record<string, string>): Promise<Exit> {
  const standInPort = String(await freePort());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/start.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CF_ACCOUNT_ID: "", CF_API_TOKEN: "", STAND_IN_PORT: standInPort, ...env },
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

  it("names both variables when both the Worker's and the stand-in's ports are taken", async () => {
    const [port, standInPort] = [await occupy(), await occupy()];
    const exit = await startExpectingExit([], { PORT: String(port), STAND_IN_PORT: String(standInPort) });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe(
      `Ports ${port} and ${standInPort} are taken (another npm start?). Set both, e.g. PORT=8797 STAND_IN_PORT=8798 npm start.`,
    );
  });

  it("refuses a PORT that is not a port number in one line", async () => {
    const exit = await startExpectingExit([], { PORT: "abc" });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe("PORT must be a port number from 1 to 65535.");
  });

  it("refuses half the Cloudflare credentials instead of quietly going offline", async () => {
    const exit = await startExpectingExit([], { PORT: String(await freePort()), CF_ACCOUNT_ID: "abc" });
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toMatch(/^Setting CF_API_TOKEN is missing: CF_ACCOUNT_ID and CF_API_TOKEN go together/);
  });

  it("asks for a value when --port has none", async () => {
    const exit = await startExpectingExit(["--port"], {});
    expect(exit.code).toBe(1);
    expect(exit.output.trim()).toBe("npm start: --port needs a value (e.g. npm start -- --port 9000).");
  });
});

describe("the playground's files, as npm start serves them from public/", () => {
  const get = (path: string, init?: RequestInit) => fetch(`${live.service.baseUrl}${path}`, init);

  it("serves / as index.html with the headers of public/_headers", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toBe(PAGE_POLICY);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toContain("The service is running");
  });

  it("holds no inline script or style: everything the page runs is a file of its own", async () => {
    const html = await (await get("/")).text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts).toEqual(['<script type="module" src="/playground/main.js">']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/);
  });

  it.each([
    ["/playground/main.js", /^(text|application)\/javascript/],
    ["/playground.css", /^text\/css/],
    ["/favicon.svg", /^image\/svg\+xml/],
  ])("serves %s with its type and the same headers", async (path, type) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(type);
    expect(response.headers.get("content-security-policy")).toBe(PAGE_POLICY);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("leaves any other path to the Worker, which answers with the API's 404", async () => {
    for (const path of ["/no/such/page", "/favicon.ico", "/v1/no-such-endpoint"]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "not_found", type: "invalid_request_error" } });
    }
  });

  it("sends /v1/ to the Worker even for methods static files refuse: 405 with Allow", async () => {
    const response = await get("/v1/service", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("the Worker over a real connection, as clients reach it", () => {
  const auth = () => ({ authorization: `Bearer ${live.service.apiKey}` });

  it("answers HEAD like GET without a body, and a 401 with its Bearer challenge", async () => {
    for (const path of ["/v1/models", "/v1/models/flux-2-dev", "/v1/service"]) {
      const response = await fetch(`${live.service.baseUrl}${path}`, { method: "HEAD", headers: auth() });
      const got = await fetch(`${live.service.baseUrl}${path}`, { headers: auth() });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      // The length GET's body has, as RFC 9110 asks of a HEAD that gives one (not 0).
      expect(response.headers.get("content-length"), path).toBe(String((await got.arrayBuffer()).byteLength));
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(await response.text()).toBe("");
    }
    const refused = await fetch(`${live.service.baseUrl}/v1/models`, { headers: { authorization: "Bearer sk-wrong" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="flux-api-worker", error="invalid_token"');
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });

  it("logs an upload the client aborts as request_aborted, not as an unexpected error", async () => {
    const { hostname, port } = new URL(live.service.baseUrl);
    const request = httpRequest({
      host: hostname,
      port,
      path: "/v1/images/generations",
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
    });
    request.on("error", () => undefined); // the reset this test causes
    request.write('{"prompt": "a lighthouse');
    await new Promise((resolve) => setTimeout(resolve, 300));
    request.destroy();
    const deadline = Date.now() + 10_000;
    while (!live.service.output().includes('"event":"request_aborted"') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(live.service.output()).toContain('{"event":"request_aborted","path":"/v1/images/generations"');
    expect(live.service.output()).not.toContain("unexpected_error");
  });
});

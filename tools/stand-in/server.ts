// DEVELOPMENT AID: a local stand-in for Cloudflare Workers AI's REST API and for an
// OpenAI-compatible chat API. It answers with generated pictures, not Flux images; `npm start`
// uses it when no Cloudflare credentials are configured, and the tests use it always.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleChatCompletion, handleModelList } from "./chat.ts";
import { createFaultCounter } from "./faults.ts";
import { readBody, sendJson } from "./http.ts";
import { handleAiRun } from "./workers-ai.ts";
import type { RecordedRequest, StandIn, StandInOptions } from "./types.ts";

export type { RecordedRequest, StandIn, StandInOptions } from "./types.ts";

const MAX_RECORDED_REQUESTS = 2000;
const AI_RUN_PATH = /^\/client\/v4\/accounts\/[^/]+\/ai\/run\/(.+)$/;
const CHAT_PATHS = /^(?:\/v1|\/client\/v4\/accounts\/[^/]+\/ai\/v1)\/chat\/completions$/;
const MODELS_PATHS = /^(?:\/v1|\/client\/v4\/accounts\/[^/]+\/ai\/v1)\/models$/;

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const settings = { latencyMs: 0, failureRate: 0, quiet: false };
  const requests: RecordedRequest[] = [];
  const faultFor = createFaultCounter();

  function setOptions(changes: Partial<StandInOptions>): void {
    if (changes.latencyMs !== undefined) settings.latencyMs = Math.max(0, changes.latencyMs);
    if (changes.failureRate !== undefined) settings.failureRate = Math.min(1, Math.max(0, changes.failureRate));
    if (changes.quiet !== undefined) settings.quiet = changes.quiet;
  }
  setOptions(options);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const path = url.pathname;
    if (path.startsWith("/__stand-in/")) return handleControl(req, res, url);

    const record: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? "GET",
      path,
      status: 0,
      contentType: req.headers["content-type"] ?? "",
      authorization: req.headers.authorization ?? "",
    };
    requests.push(record);
    if (requests.length > MAX_RECORDED_REQUESTS) requests.splice(0, requests.length - MAX_RECORDED_REQUESTS);
    res.on("finish", () => {
      record.status = res.statusCode;
      if (!settings.quiet)
        console.log(`[stand-in] ${record.method} ${path} → ${res.statusCode} (${Date.now() - record.at} ms)`);
    });

    const body = await readBody(req);
    const ex = {
      req,
      res,
      url,
      body,
      record,
      latencyMs: settings.latencyMs,
      failureRate: settings.failureRate,
      faultFor,
    };
    const aiRun = AI_RUN_PATH.exec(path);
    if (aiRun && req.method === "POST") return handleAiRun(ex, decodeURIComponent(aiRun[1] ?? ""));
    if (CHAT_PATHS.test(path) && req.method === "POST") return handleChatCompletion(ex);
    if (MODELS_PATHS.test(path) && req.method === "GET") return handleModelList(ex);
    if (path.startsWith("/client/v4/")) {
      return sendJson(res, 404, {
        result: null,
        success: false,
        errors: [{ code: 7000, message: "No route for that URI" }],
        messages: [],
      });
    }
    sendJson(res, 404, {
      error: {
        message: `Unknown path ${req.method} ${path}`,
        type: "invalid_request_error",
        param: null,
        code: "not_found",
      },
    });
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /__stand-in/health") return sendJson(res, 200, { ok: true });
    if (route === "GET /__stand-in/requests") {
      const contains = url.searchParams.get("contains");
      return sendJson(res, 200, contains === null ? requests : requests.filter((r) => r.prompt?.includes(contains)));
    }
    if (route === "POST /__stand-in/options") {
      const body = await readBody(req);
      let changes: Partial<StandInOptions>;
      try {
        changes = JSON.parse(body.bytes.toString("utf8")) as Partial<StandInOptions>;
      } catch {
        return sendJson(res, 400, { error: 'body must be JSON like {"latencyMs":200,"failureRate":0.1,"quiet":true}' });
      }
      const numberOrUndefined = (value: unknown) =>
        typeof value === "number" && Number.isFinite(value) ? value : undefined;
      const quiet = typeof changes.quiet === "boolean" ? changes.quiet : undefined;
      setOptions({
        latencyMs: numberOrUndefined(changes.latencyMs),
        failureRate: numberOrUndefined(changes.failureRate),
        quiet,
      });
      return sendJson(res, 200, {
        latencyMs: settings.latencyMs,
        failureRate: settings.failureRate,
        quiet: settings.quiet,
      });
    }
    sendJson(res, 404, { error: `Unknown stand-in control path ${route}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("[stand-in] handler failed:", error);
      if (!res.headersSent) sendJson(res, 500, { error: "stand-in failure", detail: String(error) });
      else res.destroy();
    });
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;

  return {
    url,
    cfApiBase: `${url}/client/v4`,
    requests,
    setOptions,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging answers (the `hang` fault) and keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

// Decisions behind `npm start`, kept free of side effects so they can be tested.
import { ApiError } from "../src/lib/http/errors.ts";
import { readSettings as readWorkerSettings } from "../src/lib/settings.ts";

/** The settings `npm start` cares about; wrangler itself reads the rest of .dev.vars. */
export const PROJECT_KEYS = [
  "CF_ACCOUNT_ID",
  "CF_API_TOKEN",
  "EXTERNAL_API_BASE",
  "EXTERNAL_API_KEY",
  "API_KEY",
] as const;
export type ProjectKey = (typeof PROJECT_KEYS)[number];

export const LOCAL_API_KEY = "sk-flux-local";

export interface Settings {
  /** Each project key set (non-empty) in .dev.vars or the environment. */
  configured: Partial<Record<ProjectKey, string>>;
  /** Keys set only in the environment: wrangler reads .dev.vars but not these, so we pass them on. */
  environmentOnly: Partial<Record<ProjectKey, string>>;
}

/** dotenv syntax: KEY=value, optional `export `, '…' or "…" quotes, # comments. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const [, key = "", raw = ""] = match;
    if (raw.startsWith('"') && raw.lastIndexOf('"') > 0)
      values[key] = raw.slice(1, raw.lastIndexOf('"')).replace(/\\n/g, "\n");
    else if (raw.startsWith("'") && raw.lastIndexOf("'") > 0) values[key] = raw.slice(1, raw.lastIndexOf("'"));
    else values[key] = raw.replace(/\s+#.*$/, "");
  }
  return values;
}

export function readSettings(devVarsText: string | undefined, env: Record<string, string | undefined>): Settings {
  const devVars = devVarsText === undefined ? {} : parseDotenv(devVarsText);
  const settings: Settings = { configured: {}, environmentOnly: {} };
  for (const key of PROJECT_KEYS) {
    const fromFile = devVars[key] || undefined;
    const fromEnv = env[key] || undefined;
    const value = fromEnv ?? fromFile;
    if (value !== undefined) settings.configured[key] = value;
    if (fromEnv !== undefined && fromFile === undefined) settings.environmentOnly[key] = fromEnv;
  }
  return settings;
}

export function hasCloudflareCredentials(settings: Settings): boolean {
  return Boolean(settings.configured.CF_ACCOUNT_ID && settings.configured.CF_API_TOKEN);
}

export interface DevArgsInput {
  settings: Settings;
  port: string;
  /** The address to listen on: 127.0.0.1 unless asked (0.0.0.0 lets a phone on the LAN in). */
  ip: string;
  /** Present in offline mode: the Worker is pointed at it instead of Cloudflare. */
  standIn?: { url: string; cfApiBase: string };
  extraArgs: string[];
}

export function wranglerDevArgs({ settings, port, ip, standIn, extraArgs }: DevArgsInput): string[] {
  const vars: Record<string, string> = { ...settings.environmentOnly };
  if (standIn) {
    Object.assign(vars, {
      CF_API_BASE: standIn.cfApiBase,
      CF_ACCOUNT_ID: "stand-in-account",
      CF_API_TOKEN: "stand-in-token",
      OFFLINE_MODE: "true",
    });
    // No EXTERNAL_API_BASE: with PROMPT_OPTIMIZATION on, the optimiser then calls Workers AI's own
    // chat endpoint under CF_API_BASE (the stand-in answers it), as a Cloudflare-only user's would.
    if (!settings.configured.API_KEY) vars.API_KEY = LOCAL_API_KEY;
  }
  const varArgs = Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  // Extra args come last so `npm start -- --var NAME:value` overrides ours.
  // --local: remote bindings off (the AI binding would otherwise ask for a Cloudflare login).
  return ["dev", "--local", "--port", port, "--ip", ip, ...varArgs, ...extraArgs];
}

export interface ListenArgs {
  port?: string;
  ip?: string;
  /** Everything else, passed on to wrangler as given. */
  rest: string[];
}

/**
 * `--port N` and `--ip A` (or `--port=N`) taken out of `npm start -- …`: npm start needs them itself
 * (the banner, the stand-in's address, the check that the port is free), and wrangler must get each once.
 */
export function takeListenArgs(args: readonly string[]): ListenArgs {
  const taken: ListenArgs = { rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const match = /^--(port|ip)(?:=(.*))?$/.exec(arg);
    if (!match) {
      taken.rest.push(arg);
      continue;
    }
    const name = match[1] === "port" ? "port" : "ip";
    const value = match[2] ?? args[++i];
    if (value === undefined || value === "" || value.startsWith("--")) throw new Error(`${arg} needs a value`);
    taken[name] = value;
  }
  return taken;
}

/** A port number as `npm start` takes it from `name`, or what is wrong with it. */
export function portProblem(value: string, name: string): string | undefined {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return port >= 1 && port <= 65_535 ? undefined : `${name} must be a port number from 1 to 65535.`;
}

/** `NAME:value` of every `--var` in wrangler's arguments (`--var A:1 B:2` or `--var A:1 --var B:2`). */
export function varsOfArgs(args: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  let inVar = false;
  for (const arg of args) {
    if (arg.startsWith("--")) {
      inVar = arg === "--var";
      continue;
    }
    const colon = arg.indexOf(":");
    if (inVar && colon > 0) vars[arg.slice(0, colon)] = arg.slice(colon + 1);
  }
  return vars;
}

/**
 * The Worker's own check of its settings, run on the vars it will see (merged as wrangler merges
 * them: the config's vars, then .dev.vars, then `--var`): its message when one is malformed, so
 * `npm start` can stop before serving anything.
 */
export function settingsProblem(
  configVars: Record<string, unknown>,
  devVarsText: string | undefined,
  wranglerArgs: readonly string[],
): string | undefined {
  const devVars = devVarsText === undefined ? {} : parseDotenv(devVarsText);
  try {
    readWorkerSettings({ ...configVars, ...devVars, ...varsOfArgs(wranglerArgs) });
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error.message;
    throw error;
  }
}

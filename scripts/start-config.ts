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

/** Settings whose values are secrets: `npm start` says whether they are set, never what they are. */
const SECRET_SETTINGS = new Set(["API_KEY", "CF_API_TOKEN", "EXTERNAL_API_KEY"]);
/** What `npm start` sets to point the Worker at the stand-in: described in words, not listed. */
const STAND_IN_SETTINGS = new Set(["CF_API_BASE", "CF_ACCOUNT_ID", "CF_API_TOKEN", "OFFLINE_MODE"]);

export interface SummaryInput {
  /** The values the Worker will see, merged as wrangler merges them (config, .dev.vars, --var). */
  vars: Record<string, string>;
  /** Names that come from .dev.vars, which may hold secrets of the developer's own. */
  fromDevVars: ReadonlySet<string>;
  standInUrl: string | undefined;
  /** Whether npm start chose the API key (none was configured). */
  localApiKey: boolean;
}

/**
 * What `npm start` tells a developer it runs with, instead of wrangler's table (which shows the
 * AI binding as "not supported" and every `--var` as "(hidden)"): each setting with its value,
 * secrets only as set, and in words how Workers AI is reached.
 */
export function settingsSummary({ vars, fromDevVars, standInUrl, localApiKey }: SummaryInput): string[] {
  const names = Object.keys(vars)
    .filter((name) => !(standInUrl !== undefined && STAND_IN_SETTINGS.has(name)))
    .sort();
  const width = Math.max(...names.map((name) => name.length));
  const shown = (name: string): string => {
    if (name === "API_KEY" && localApiKey)
      return `${LOCAL_API_KEY} (npm start's local key; set API_KEY in .dev.vars for yours)`;
    if (SECRET_SETTINGS.has(name) || (fromDevVars.has(name) && !KNOWN_PUBLIC.has(name))) return "(secret, set)";
    return vars[name] === "" ? '""' : (vars[name] ?? "");
  };
  const upstream =
    standInUrl !== undefined
      ? [
          `  Workers AI: the stand-in at ${standInUrl}, through the REST API with placeholder credentials.`,
          "  (Offline there is no AI binding: it needs a Cloudflare account.)",
        ]
      : [`  Workers AI: your account ${vars.CF_ACCOUNT_ID ?? ""}, through the REST API (real Flux images, billed).`];
  return [
    "  Settings (wrangler.jsonc, then .dev.vars, then --var):",
    ...names.map((name) => `    ${name.padEnd(width)}  ${shown(name)}`),
    ...upstream,
    "  KV, Durable Objects and the Images binding run locally (state in .wrangler/).",
  ];
}

/** Settings that are never secrets, so a value from .dev.vars is shown too. */
const KNOWN_PUBLIC = new Set([
  "CF_ACCOUNT_ID",
  "CF_API_BASE",
  "CHAT_EDITS",
  "CORS_ORIGINS",
  "DAILY_NEURON_LIMIT",
  "DAILY_NEURON_LIMIT_TOTAL",
  "EXTERNAL_API_BASE",
  "EXTERNAL_MODEL",
  "FLUX_MODEL",
  "FLUX_NUM_STEPS",
  "IMAGE_EXPIRATION",
  "IMAGE_TIMEOUT",
  "OPTIMIZER_TIMEOUT",
  "PROGRESS_MODE",
  "PROMPT_OPTIMIZATION",
  "PUBLIC_URL",
  "RATE_LIMIT_PER_MINUTE",
  "REPLY_LANGUAGE",
  "SYSTEM_MESSAGE",
]);

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * A line filter for wrangler's output that drops its bindings table (the summary above replaces
 * it): the title line, the header and the `env.…` rows after it. Anything else passes, so if
 * wrangler changes its format the table simply shows again.
 */
export function withoutBindingsTable(): (line: string) => boolean {
  let inTable = false;
  return (line) => {
    const text = line.replace(ANSI, "").trim();
    if (text.endsWith("has access to the following bindings:")) return !(inTable = true);
    if (inTable && (text.startsWith("Binding") || text.startsWith("env.") || text.startsWith("- "))) return false;
    inTable = false;
    return true;
  };
}

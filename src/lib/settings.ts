/**
 * Reads the Worker's settings (wrangler vars, secrets, `.dev.vars`) into one
 * typed object. A malformed value is an error that names the setting, so a
 * deployer sees what to fix instead of odd behaviour, but never repeats the
 * value: the error reaches every caller, and a value may be a secret.
 */
import { ApiError } from "./http/errors.ts";
import { IMAGE_MODELS, findModel, type ImageModel } from "./generation/models.ts";
import { LANGUAGES, type Language } from "./i18n/strings.ts";

export const DEFAULT_CF_API_BASE = "https://api.cloudflare.com/client/v4";
/**
 * The optimiser model when EXTERNAL_API_BASE is unset: Cloudflare's recommended current chat model
 * (changelog 2026-05-08), multilingual (100+ languages, strong Chinese → English), on the Free plan
 * and served by the OpenAI-compatible endpoint. It reasons by default; the optimiser turns that off.
 */
export const DEFAULT_WORKERS_AI_CHAT_MODEL = "@cf/zai-org/glm-4.7-flash";
export const DEFAULT_SYSTEM_MESSAGE =
  "You are a prompt engineer for the FLUX image model. Rewrite the user's request as one vivid, " +
  "detailed English image prompt: subject, setting, composition, lighting, style. Translate from any " +
  "language. Keep every detail the user asked for and add nothing they did not imply. Reply with the " +
  "prompt only: no preamble, no quotes, no markdown.";

export interface UpstreamSettings {
  /** How Workers AI is reached: the REST API when CF_ACCOUNT_ID and CF_API_TOKEN are set, else the AI binding. */
  via: "rest" | "binding";
  cfApiBase: string;
  cfAccountId: string;
  cfApiToken: string;
  fluxNumSteps: number;
  imageTimeoutMs: number;
}

export interface OptimizerSettings {
  enabled: boolean;
  /** OpenAI-compatible base URL; absent means Workers AI's own chat endpoint. */
  externalApiBase: string | undefined;
  externalApiKey: string | undefined;
  model: string;
  systemMessage: string;
  timeoutMs: number;
}

/**
 * What a GenerationJob needs to run; passed to it with every job, so only this: every job's RPC
 * message carries it (the whole Settings would carry every API key and the model table's functions).
 */
export interface JobSettings {
  upstream: UpstreamSettings;
  optimizer: OptimizerSettings;
  imageExpirationSeconds: number;
  language: Language;
}

/** One key of API_KEY: its name (what usage is reported by, never the secret) and its own daily budget. */
export interface ApiKey {
  name: string;
  key: string;
  /** Neurons a UTC day; undefined: DAILY_NEURON_LIMIT's. */
  dailyNeuronLimit?: number;
}

/** Daily neuron budgets; undefined is off. */
export interface BudgetSettings {
  /** DAILY_NEURON_LIMIT: each key's, unless API_KEY gives it its own. */
  perKey: number | undefined;
  /** DAILY_NEURON_LIMIT_TOTAL: the whole service's, however many keys. */
  total: number | undefined;
}

export interface Settings extends JobSettings {
  /** The same values as the fields above, as one object that holds nothing else: what a job spec carries. */
  job: JobSettings;
  apiKeys: ApiKey[];
  budget: BudgetSettings;
  defaultModel: ImageModel;
  progressMode: "reasoning" | "content";
  rateLimitPerMinute: number;
  /** `["*"]` allows every origin. */
  corsOrigins: string[];
  /** True when `npm start` runs us against the local stand-in upstream. */
  offline: boolean;
  /** Whether a chat follow-up may edit the conversation's last image (`--edit`, or as the optimiser judges). */
  chatEdits: boolean;
  /** PUBLIC_URL as an origin: where image links point; absent means the origin each request was sent to. */
  publicOrigin: string | undefined;
}

type EnvLike = Readonly<Record<string, unknown>>;

const settingsCache = new WeakMap<object, Settings>();

/** `readSettings`, parsed once per env object: the runtime reuses it across requests. */
export function settingsOf(env: object): Settings {
  let settings = settingsCache.get(env);
  if (!settings) {
    settings = readSettings(env);
    settingsCache.set(env, settings);
  }
  return settings;
}

/** Parses all settings (from the Worker's env or any plain object); throws an ApiError naming the first malformed one. */
export function readSettings(source: object): Settings {
  const env = source as EnvLike;
  const timeoutSeconds = (name: string, fallback: number) => readNumber(env, name, fallback, { min: 0.001, max: 900 });
  const cfApiBase = trimSlash(readString(env, "CF_API_BASE") ?? DEFAULT_CF_API_BASE);
  const externalApiBase = readString(env, "EXTERNAL_API_BASE");
  const cfAccountId = readString(env, "CF_ACCOUNT_ID") ?? "";
  const cfApiToken = readString(env, "CF_API_TOKEN") ?? "";
  if (Boolean(cfAccountId) !== Boolean(cfApiToken)) {
    const missing = cfAccountId ? "CF_API_TOKEN" : "CF_ACCOUNT_ID";
    throw settingError(
      missing,
      "is missing: CF_ACCOUNT_ID and CF_API_TOKEN go together (both for the REST API, neither for the AI binding)",
    );
  }
  const job: JobSettings = {
    upstream: {
      via: cfApiToken ? "rest" : "binding",
      cfApiBase: readUrl("CF_API_BASE", cfApiBase),
      cfAccountId,
      cfApiToken,
      fluxNumSteps: readNumber(env, "FLUX_NUM_STEPS", 4, { min: 1, max: 50, integer: true }),
      imageTimeoutMs: timeoutSeconds("IMAGE_TIMEOUT", 60) * 1000,
    },
    optimizer: {
      enabled: readBoolean(env, "PROMPT_OPTIMIZATION", false),
      externalApiBase:
        externalApiBase === undefined ? undefined : readUrl("EXTERNAL_API_BASE", trimSlash(externalApiBase)),
      externalApiKey: readString(env, "EXTERNAL_API_KEY"),
      model: readString(env, "EXTERNAL_MODEL") ?? (externalApiBase ? "gpt-4o-mini" : DEFAULT_WORKERS_AI_CHAT_MODEL),
      systemMessage: readString(env, "SYSTEM_MESSAGE") ?? DEFAULT_SYSTEM_MESSAGE,
      timeoutMs: timeoutSeconds("OPTIMIZER_TIMEOUT", 15) * 1000,
    },
    imageExpirationSeconds: readNumber(env, "IMAGE_EXPIRATION", 1800, { min: 60, max: 31_536_000, integer: true }),
    language: readChoice(env, "REPLY_LANGUAGE", LANGUAGES, "en"),
  };
  return {
    ...job,
    job,
    apiKeys: readApiKeys(env),
    budget: {
      perKey: readLimit(env, "DAILY_NEURON_LIMIT"),
      total: readLimit(env, "DAILY_NEURON_LIMIT_TOTAL"),
    },
    defaultModel: readModel(env),
    progressMode: readChoice(env, "PROGRESS_MODE", ["reasoning", "content"] as const, "reasoning"),
    rateLimitPerMinute: readNumber(env, "RATE_LIMIT_PER_MINUTE", 60, { min: 0, max: 1_000_000, integer: true }),
    corsOrigins: (readString(env, "CORS_ORIGINS") ?? "*")
      .split(",")
      .map((origin) => trimSlash(origin.trim()))
      .filter(Boolean),
    offline: readBoolean(env, "OFFLINE_MODE", false),
    chatEdits: readChoice(env, "CHAT_EDITS", ["on", "off"] as const, "on") === "on",
    publicOrigin: readOrigin(env, "PUBLIC_URL"),
  };
}

/**
 * API_KEY: keys separated by commas, each `key`, `name:key` or `name:key:limit` (neurons a UTC day).
 * A key without a name is `key-1`, `key-2`… by its place, so usage is never reported by the secret.
 */
function readApiKeys(env: EnvLike): ApiKey[] {
  const entries = (readString(env, "API_KEY") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const keys = entries.map((entry, index): ApiKey => {
    const parts = entry.split(":").map((part) => part.trim());
    if (parts.length === 1) return { name: `key-${index + 1}`, key: entry };
    const [name = "", key = "", limit] = parts;
    if (parts.length > 3 || !/^[\w.-]{1,40}$/.test(name) || key === "")
      throw settingError(
        "API_KEY",
        "has an entry that is neither key, name:key nor name:key:limit (a name is letters, digits, - _ .)",
      );
    if (limit === undefined) return { name, key };
    const dailyNeuronLimit = Number(limit);
    if (limit === "" || !Number.isFinite(dailyNeuronLimit) || dailyNeuronLimit < 0)
      throw settingError("API_KEY", `gives the key named ${name} a limit that is not a number of neurons`);
    // 0 is off, as for DAILY_NEURON_LIMIT.
    return dailyNeuronLimit === 0 ? { name, key } : { name, key, dailyNeuronLimit };
  });
  const names = keys.map((entry) => entry.name);
  if (new Set(names).size !== names.length) throw settingError("API_KEY", "names two keys the same");
  const secrets = keys.map((entry) => entry.key);
  if (new Set(secrets).size !== secrets.length) throw settingError("API_KEY", "lists the same key twice");
  return keys;
}

/** A daily neuron budget: unset, empty or 0 is off. */
function readLimit(env: EnvLike, name: string): number | undefined {
  const limit = readNumber(env, name, 0, { min: 0, max: 1e12 });
  return limit === 0 ? undefined : limit;
}

function settingError(name: string, problem: string): ApiError {
  return new ApiError(500, `Setting ${name} ${problem}. Fix it in wrangler.jsonc, .dev.vars or the Worker's secrets.`, {
    code: "invalid_setting",
    param: name,
  });
}

/** A non-empty string value; an empty string counts as unset. */
function readString(env: EnvLike, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === null) return undefined;
  // The config's vars may hold unquoted numbers and booleans (`"IMAGE_EXPIRATION": 1800`): read them as written.
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
    throw settingError(name, "must be a string");
  const trimmed = String(value).trim();
  return trimmed === "" ? undefined : trimmed;
}

function readNumber(
  env: EnvLike,
  name: string,
  fallback: number,
  rule: { min: number; max: number; integer?: boolean },
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = rule.integer ? "a whole number" : "a number";
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    throw settingError(name, `must be ${kind} from ${rule.min} to ${rule.max}`);
  }
  return value;
}

function readBoolean(env: EnvLike, name: string, fallback: boolean): boolean {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw settingError(name, `must be "true" or "false"`);
}

function readChoice<T extends string>(env: EnvLike, name: string, choices: readonly T[], fallback: T): T {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  const choice = choices.find((candidate) => candidate === raw);
  if (choice === undefined) throw settingError(name, `must be one of ${choices.join(", ")}`);
  return choice;
}

function readModel(env: EnvLike): ImageModel {
  const raw = readString(env, "FLUX_MODEL") ?? "@cf/black-forest-labs/flux-2-klein-4b";
  const model = findModel(raw);
  // img2img and inpainting change a picture: as the default, every request of words alone would fail.
  const painters = IMAGE_MODELS.filter((known) => !known.source);
  if (!model || model.source)
    throw settingError(
      "FLUX_MODEL",
      `must be a model that paints from words: one of ${painters.map((known) => known.short).join(", ")} (or its full id, such as ${IMAGE_MODELS[0]?.id})`,
    );
  return model;
}

function readUrl(name: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw settingError(name, "must be an http(s) URL");
  return value;
}

/**
 * An http(s) origin (`https://images.example.com`, a trailing slash allowed). Not a path: the
 * Worker answers `/image/<key>` at the root of its host, so a link under a path would only work
 * behind a proxy that rewrites paths, which nothing else here (the API, the playground) supports.
 */
function readOrigin(env: EnvLike, name: string): string | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  const isOrigin =
    url !== undefined &&
    /^https?:$/.test(url.protocol) &&
    url.username === "" &&
    url.password === "" &&
    url.pathname === "/" &&
    url.search === "" &&
    url.hash === "";
  if (!isOrigin) {
    throw settingError(name, "must be an http(s) origin such as https://images.example.com, with no path or query");
  }
  return url.origin;
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, "");
}

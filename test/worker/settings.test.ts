import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/http/errors.ts";
import {
  DEFAULT_CF_API_BASE,
  DEFAULT_SYSTEM_MESSAGE,
  DEFAULT_WORKERS_AI_CHAT_MODEL,
  readSettings,
} from "../../src/lib/settings.ts";

function settingErrorOf(source: Record<string, unknown>): ApiError {
  try {
    readSettings(source);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`readSettings accepted ${JSON.stringify(source)}`);
}

describe("default settings", () => {
  it("match the documented defaults when nothing is set", () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({
      apiKeys: [],
      upstream: {
        via: "binding",
        cfApiBase: DEFAULT_CF_API_BASE,
        cfAccountId: "",
        cfApiToken: "",
        fluxNumSteps: 4,
        imageTimeoutMs: 60_000,
      },
      optimizer: {
        enabled: false,
        externalApiBase: undefined,
        model: DEFAULT_WORKERS_AI_CHAT_MODEL,
        systemMessage: DEFAULT_SYSTEM_MESSAGE,
        timeoutMs: 15_000,
      },
      imageExpirationSeconds: 1800,
      language: "en",
      progressMode: "reasoning",
      rateLimitPerMinute: 60,
      corsOrigins: ["*"],
      offline: false,
      publicOrigin: undefined,
    });
    expect(settings.defaultModel.id).toBe("@cf/black-forest-labs/flux-2-klein-4b");
  });

  it("treat an empty value as unset", () => {
    expect(readSettings({ IMAGE_EXPIRATION: "  ", FLUX_MODEL: "" }).imageExpirationSeconds).toBe(1800);
  });
});

describe("settings a deployer sets", () => {
  it("read API_KEY as a comma-separated list, ignoring blanks", () => {
    expect(readSettings({ API_KEY: "sk-one, sk-two ,,sk-three" }).apiKeys).toEqual([
      { name: "key-1", key: "sk-one" },
      { name: "key-2", key: "sk-two" },
      { name: "key-3", key: "sk-three" },
    ]);
  });

  it("names keys and gives one its own daily budget: name:key and name:key:limit", () => {
    expect(readSettings({ API_KEY: "sk-owner, alice:sk-alice:2000, bob:sk-bob" }).apiKeys).toEqual([
      { name: "key-1", key: "sk-owner" },
      { name: "alice", key: "sk-alice", dailyNeuronLimit: 2000 },
      { name: "bob", key: "sk-bob" },
    ]);
    // 0 is off, as for DAILY_NEURON_LIMIT.
    expect(readSettings({ API_KEY: "alice:sk-a:0" }).apiKeys).toEqual([{ name: "alice", key: "sk-a" }]);
    for (const bad of [
      "alice:sk-a:lots",
      "alice:sk-a:-1",
      "a b:sk-a",
      "alice:",
      "a:b:1:2",
      "alice:sk-a, alice:sk-b",
      "alice:sk-a, bob:sk-a",
    ]) {
      expect(settingErrorOf({ API_KEY: bad }).param, bad).toBe("API_KEY");
      expect(settingErrorOf({ API_KEY: bad }).message).not.toContain("sk-");
    }
  });

  it("reads the daily neuron budgets; unset or 0 is off", () => {
    expect(readSettings({}).budget).toEqual({ perKey: undefined, total: undefined });
    expect(readSettings({ DAILY_NEURON_LIMIT: "3000", DAILY_NEURON_LIMIT_TOTAL: "10000" }).budget).toEqual({
      perKey: 3000,
      total: 10000,
    });
    expect(readSettings({ DAILY_NEURON_LIMIT: "0" }).budget.perKey).toBeUndefined();
    expect(settingErrorOf({ DAILY_NEURON_LIMIT: "a lot" }).param).toBe("DAILY_NEURON_LIMIT");
    expect(settingErrorOf({ DAILY_NEURON_LIMIT_TOTAL: "-1" }).param).toBe("DAILY_NEURON_LIMIT_TOTAL");
  });

  it("read every value", () => {
    const settings = readSettings({
      CF_API_BASE: "http://127.0.0.1:9999/client/v4/",
      CF_ACCOUNT_ID: "acct",
      CF_API_TOKEN: "tok",
      FLUX_NUM_STEPS: "8",
      IMAGE_TIMEOUT: "30",
      PROMPT_OPTIMIZATION: "TRUE",
      EXTERNAL_API_BASE: "https://api.openai.com/v1/",
      EXTERNAL_API_KEY: "sk-ext",
      SYSTEM_MESSAGE: "Be brief.",
      OPTIMIZER_TIMEOUT: "0.5",
      IMAGE_EXPIRATION: "60",
      REPLY_LANGUAGE: "zh-CN",
      FLUX_MODEL: "flux-1-schnell",
      PROGRESS_MODE: "content",
      RATE_LIMIT_PER_MINUTE: "0",
      CORS_ORIGINS: "https://a.example/, https://b.example",
      OFFLINE_MODE: "true",
      PUBLIC_URL: "HTTPS://Images.Example.com:443/",
    });
    expect(settings).toMatchObject({
      upstream: {
        cfApiBase: "http://127.0.0.1:9999/client/v4",
        cfAccountId: "acct",
        cfApiToken: "tok",
        fluxNumSteps: 8,
        imageTimeoutMs: 30_000,
      },
      optimizer: {
        enabled: true,
        externalApiBase: "https://api.openai.com/v1",
        externalApiKey: "sk-ext",
        model: "gpt-4o-mini",
        systemMessage: "Be brief.",
        timeoutMs: 500,
      },
      imageExpirationSeconds: 60,
      language: "zh-cn",
      progressMode: "content",
      rateLimitPerMinute: 0,
      corsOrigins: ["https://a.example", "https://b.example"],
      offline: true,
      publicOrigin: "https://images.example.com",
    });
    expect(settings.defaultModel.id).toBe("@cf/black-forest-labs/flux-1-schnell");
  });

  it("accept numbers and booleans written without quotes in the Wrangler config", () => {
    const settings = readSettings({ IMAGE_EXPIRATION: 600, FLUX_NUM_STEPS: 6, PROMPT_OPTIMIZATION: true });
    expect(settings.imageExpirationSeconds).toBe(600);
    expect(settings.upstream.fluxNumSteps).toBe(6);
    expect(settings.optimizer.enabled).toBe(true);
  });
});

describe("a malformed setting", () => {
  it.each([
    ["FLUX_NUM_STEPS", "abc"],
    ["FLUX_NUM_STEPS", "2.5"],
    ["FLUX_NUM_STEPS", "0"],
    ["IMAGE_TIMEOUT", "-1"],
    ["OPTIMIZER_TIMEOUT", "soon"],
    ["IMAGE_EXPIRATION", "59"],
    ["IMAGE_EXPIRATION", "30m"],
    ["PROMPT_OPTIMIZATION", "yes please"],
    ["OFFLINE_MODE", "maybe"],
    ["REPLY_LANGUAGE", "klingon"],
    ["PROGRESS_MODE", "loud"],
    ["FLUX_MODEL", "dall-e-3"],
    // They change a picture: as the default, every request of words alone would fail.
    ["FLUX_MODEL", "sd-img2img"],
    ["FLUX_MODEL", "@cf/runwayml/stable-diffusion-v1-5-inpainting"],
    ["RATE_LIMIT_PER_MINUTE", "-5"],
    ["CF_API_BASE", "not a url"],
    ["CF_API_BASE", "ftp://files.example"],
    ["EXTERNAL_API_BASE", "api.openai.com"],
    ["PUBLIC_URL", "images.example.com"],
    ["PUBLIC_URL", "ftp://images.example.com"],
    ["PUBLIC_URL", "https://images.example.com/flux"],
    ["PUBLIC_URL", "https://images.example.com/?host=evil"],
    ["PUBLIC_URL", "https://user:secret@images.example.com"],
    ["API_KEY", { key: "object" }],
  ])("%s = %j is refused with an error that names it", (name, value) => {
    const error = settingErrorOf({ [name]: value });
    expect(error.param).toBe(name);
    expect(error.code).toBe("invalid_setting");
    expect(error.message).toContain(`Setting ${name} `);
    expect(error.status).toBe(500);
  });

  it("takes any model that paints from words as FLUX_MODEL, by short name or full id", () => {
    expect(readSettings({ FLUX_MODEL: "sdxl" }).defaultModel.id).toBe("@cf/stabilityai/stable-diffusion-xl-base-1.0");
    expect(readSettings({ FLUX_MODEL: "@cf/leonardo/phoenix-1.0" }).defaultModel.short).toBe("phoenix");
  });

  it("says what is allowed but never repeats the value: every caller sees the error, and values can be secrets", () => {
    const tooShort = settingErrorOf({ IMAGE_EXPIRATION: "59" });
    expect(tooShort.message).toContain("from 60 to 31536000");
    expect(tooShort.message).not.toContain("59");
    expect(settingErrorOf({ REPLY_LANGUAGE: "xx" }).message).toContain("en, zh-cn");
    for (const [name, value] of [
      ["CF_API_BASE", "https//secret-host.example"],
      ["FLUX_MODEL", "my-secret-model"],
      ["PROMPT_OPTIMIZATION", "secret-word"],
    ]) {
      expect(settingErrorOf({ [name as string]: value }).message).not.toContain(value);
    }
  });

  it.each([
    [{ CF_ACCOUNT_ID: "acct" }, "CF_API_TOKEN"],
    [{ CF_API_TOKEN: "tok" }, "CF_ACCOUNT_ID"],
  ])("%j alone is refused, naming the missing one", (source, missing) => {
    const error = settingErrorOf(source);
    expect(error.param).toBe(missing);
    expect(error.message).toContain("go together");
  });
});

describe("how Workers AI is reached", () => {
  it("is the AI binding when neither CF_ACCOUNT_ID nor CF_API_TOKEN is set", () => {
    expect(readSettings({}).upstream.via).toBe("binding");
  });

  it("is the REST API when both are set", () => {
    expect(readSettings({ CF_ACCOUNT_ID: "acct", CF_API_TOKEN: "tok" }).upstream.via).toBe("rest");
  });
});

describe("what a job carries", () => {
  it("is what the job reads and nothing else: no API key, no model table", () => {
    const settings = readSettings({
      API_KEY: "alice:sk-secret-one,sk-secret-two",
      REPLY_LANGUAGE: "de",
      IMAGE_EXPIRATION: "600",
    });
    expect(Object.keys(settings.job).sort()).toEqual(["imageExpirationSeconds", "language", "optimizer", "upstream"]);
    expect(settings.job).toEqual({
      upstream: settings.upstream,
      optimizer: settings.optimizer,
      imageExpirationSeconds: 600,
      language: "de",
    });
    // Every job's RPC message carries it: the keys and the model table's price functions stay in the Worker.
    expect(JSON.stringify(settings.job)).not.toContain("sk-secret");
    expect(structuredClone(settings.job)).toEqual(settings.job);
  });
});

// `npm start` must choose offline mode exactly when Cloudflare credentials are missing, and must
// never override what the developer configured.
import { describe, expect, it } from "vitest";
import {
  hasCloudflareCredentials,
  parseDotenv,
  portProblem,
  readSettings,
  settingsProblem,
  settingsSummary,
  takeListenArgs,
  varsOfArgs,
  withoutBindingsTable,
  wranglerDevArgs,
} from "../../scripts/start-config.ts";

const standIn = { url: "http://127.0.0.1:8788", cfApiBase: "http://127.0.0.1:8788/client/v4" };

function varsOf(args: string[]): string[] {
  return args.flatMap((arg, i) => (args[i - 1] === "--var" ? [arg] : []));
}

describe("parseDotenv", () => {
  it("reads quotes, export, comments and blank lines", () => {
    const text =
      "# comment\nexport CF_ACCOUNT_ID=abc\nCF_API_TOKEN=\"t o k\"\nAPI_KEY='sk-1'\nX=plain # note\n\nEMPTY=\n";
    expect(parseDotenv(text)).toEqual({
      CF_ACCOUNT_ID: "abc",
      CF_API_TOKEN: "t o k",
      API_KEY: "sk-1",
      X: "plain",
      EMPTY: "",
    });
  });
});

describe("readSettings", () => {
  it("needs both credentials, from either source, for online mode", () => {
    expect(hasCloudflareCredentials(readSettings("CF_ACCOUNT_ID=a\nCF_API_TOKEN=t", {}))).toBe(true);
    expect(hasCloudflareCredentials(readSettings("CF_ACCOUNT_ID=a", { CF_API_TOKEN: "t" }))).toBe(true);
    expect(hasCloudflareCredentials(readSettings("CF_ACCOUNT_ID=a\nCF_API_TOKEN=", {}))).toBe(false);
    expect(hasCloudflareCredentials(readSettings(undefined, {}))).toBe(false);
  });

  it("remembers which keys only the environment holds (wrangler would not see them)", () => {
    expect(readSettings("CF_ACCOUNT_ID=a", { CF_API_TOKEN: "t", CF_ACCOUNT_ID: "b" }).environmentOnly).toEqual({
      CF_API_TOKEN: "t",
    });
  });
});

describe("wranglerDevArgs", () => {
  it("online: plain wrangler dev, passing environment-only credentials and extra args", () => {
    const settings = readSettings("CF_ACCOUNT_ID=a", { CF_API_TOKEN: "t" });
    expect(
      wranglerDevArgs({ settings, port: "8787", ip: "127.0.0.1", extraArgs: ["--var", "PROMPT_OPTIMIZATION:true"] }),
    ).toEqual([
      "dev",
      "--local",
      "--port",
      "8787",
      "--ip",
      "127.0.0.1",
      "--var",
      "CF_API_TOKEN:t",
      "--var",
      "PROMPT_OPTIMIZATION:true",
    ]);
  });

  it("offline: points the Worker at the stand-in and sets a local API key", () => {
    const args = wranglerDevArgs({
      settings: readSettings(undefined, {}),
      port: "9000",
      ip: "127.0.0.1",
      standIn,
      extraArgs: [],
    });
    expect(args.slice(0, 6)).toEqual(["dev", "--local", "--port", "9000", "--ip", "127.0.0.1"]);
    expect(varsOf(args)).toEqual([
      "CF_API_BASE:http://127.0.0.1:8788/client/v4",
      "CF_ACCOUNT_ID:stand-in-account",
      "CF_API_TOKEN:stand-in-token",
      "OFFLINE_MODE:true",
      "API_KEY:sk-flux-local",
    ]);
  });

  it("offline: sets no second optimiser provider, so optimisation goes through Workers AI on the stand-in like a Cloudflare-only setup", () => {
    const vars = varsOf(
      wranglerDevArgs({ settings: readSettings(undefined, {}), port: "9000", ip: "127.0.0.1", standIn, extraArgs: [] }),
    );
    expect(vars.filter((v) => v.startsWith("EXTERNAL_"))).toEqual([]);
    expect(vars).toContain(`CF_API_BASE:${standIn.cfApiBase}`);
  });

  it("offline: keeps a configured optimiser and API key", () => {
    const settings = readSettings("EXTERNAL_API_BASE=https://api.openai.com/v1\nAPI_KEY=sk-mine\nCF_ACCOUNT_ID=a", {});
    const vars = varsOf(wranglerDevArgs({ settings, port: "8787", ip: "127.0.0.1", standIn, extraArgs: [] }));
    expect(vars.some((v) => v.startsWith("EXTERNAL_API_") || v.startsWith("API_KEY"))).toBe(false);
    expect(vars).toContain("CF_ACCOUNT_ID:stand-in-account");
  });
});

describe("takeListenArgs", () => {
  it("takes --port and --ip out of npm start's arguments, one value each, in either spelling", () => {
    expect(takeListenArgs(["--port", "9000", "--ip=0.0.0.0", "--var", "A:1"])).toEqual({
      port: "9000",
      ip: "0.0.0.0",
      rest: ["--var", "A:1"],
    });
    expect(takeListenArgs(["--port=9001"])).toEqual({ port: "9001", rest: [] });
    expect(takeListenArgs(["--persist-to", "/tmp/x"])).toEqual({ rest: ["--persist-to", "/tmp/x"] });
  });

  it("refuses a flag without its value", () => {
    expect(() => takeListenArgs(["--port"])).toThrow("--port needs a value");
    expect(() => takeListenArgs(["--ip", "--port", "1"])).toThrow("--ip needs a value");
  });

  it("gives wrangler the address asked for", () => {
    const args = wranglerDevArgs({
      settings: readSettings(undefined, {}),
      port: "9000",
      ip: "0.0.0.0",
      standIn,
      extraArgs: [],
    });
    expect(args.slice(0, 6)).toEqual(["dev", "--local", "--port", "9000", "--ip", "0.0.0.0"]);
  });
});

describe("portProblem", () => {
  it("takes a port number from 1 to 65535 and names the variable otherwise", () => {
    expect(portProblem("8787", "PORT")).toBeUndefined();
    for (const bad of ["abc", "0", "65536", "80.5", "-1", ""])
      expect(portProblem(bad, "STAND_IN_PORT")).toBe("STAND_IN_PORT must be a port number from 1 to 65535.");
  });
});

describe("settingsProblem", () => {
  const configVars = { IMAGE_EXPIRATION: "1800", FLUX_MODEL: "@cf/black-forest-labs/flux-2-klein-4b" };

  it("is none for the defaults", () => {
    expect(settingsProblem(configVars, undefined, ["dev"])).toBeUndefined();
  });

  it("is the Worker's own message for a bad value, from .dev.vars or --var, the later winning", () => {
    const message =
      "Setting IMAGE_EXPIRATION must be a whole number from 60 to 31536000. Fix it in wrangler.jsonc, .dev.vars or the Worker's secrets.";
    expect(settingsProblem(configVars, "IMAGE_EXPIRATION=abc", ["dev"])).toBe(message);
    expect(settingsProblem(configVars, undefined, ["dev", "--var", "IMAGE_EXPIRATION:abc"])).toBe(message);
    expect(
      settingsProblem(configVars, "IMAGE_EXPIRATION=abc", ["dev", "--var", "IMAGE_EXPIRATION:600"]),
    ).toBeUndefined();
  });

  it("reads every `--var`, in both of wrangler's spellings", () => {
    expect(varsOfArgs(["dev", "--var", "A:1", "B:x:y", "--port", "1", "--var", "C:3"])).toEqual({
      A: "1",
      B: "x:y",
      C: "3",
    });
  });
});

describe("what npm start says it runs with", () => {
  const offline = {
    vars: {
      FLUX_MODEL: "@cf/black-forest-labs/flux-2-dev",
      PROMPT_OPTIMIZATION: "true",
      API_KEY: "sk-flux-local",
      CF_API_BASE: standIn.cfApiBase,
      CF_ACCOUNT_ID: "stand-in-account",
      CF_API_TOKEN: "stand-in-token",
      OFFLINE_MODE: "true",
      EXTERNAL_API_KEY: "sk-secret-of-mine",
      MY_OWN: "private",
    },
    fromDevVars: new Set(["EXTERNAL_API_KEY", "MY_OWN"]),
    standInUrl: standIn.url,
    localApiKey: true,
  };

  it("shows each setting's value, secrets only as set, and says in words how Workers AI is reached", () => {
    const text = settingsSummary(offline).join("\n");
    expect(text).toMatch(/FLUX_MODEL +@cf\/black-forest-labs\/flux-2-dev/);
    expect(text).toMatch(/PROMPT_OPTIMIZATION +true/);
    expect(text).toMatch(/API_KEY +sk-flux-local \(npm start's local key/);
    expect(text).toMatch(/EXTERNAL_API_KEY +\(secret, set\)/);
    expect(text).toMatch(/MY_OWN +\(secret, set\)/);
    expect(text).not.toContain("sk-secret-of-mine");
    expect(text).not.toContain("private");
    expect(text).toContain(`Workers AI: the stand-in at ${standIn.url}`);
    // What npm start set for the stand-in is said in words, not listed as if the user had set it.
    expect(text).not.toMatch(/CF_ACCOUNT_ID|CF_API_TOKEN|OFFLINE_MODE|CF_API_BASE/);
  });

  it("with credentials, names the account and hides the token", () => {
    const text = settingsSummary({
      vars: { CF_ACCOUNT_ID: "0123abcd", CF_API_TOKEN: "tok-123", API_KEY: "sk-mine" },
      fromDevVars: new Set(["CF_ACCOUNT_ID", "CF_API_TOKEN", "API_KEY"]),
      standInUrl: undefined,
      localApiKey: false,
    }).join("\n");
    expect(text).toMatch(/CF_ACCOUNT_ID +0123abcd/);
    expect(text).toContain("Workers AI: your account 0123abcd");
    expect(text).not.toContain("tok-123");
    expect(text).not.toContain("sk-mine");
  });

  it("drops wrangler's bindings table and nothing else", () => {
    const keep = withoutBindingsTable();
    const output = [
      " ⛅️ wrangler 4.164.0",
      "Your Worker has access to the following bindings:",
      "Binding                      Resource        Mode",
      "\x1b[2menv.GENERATION_JOB (GenerationJob)\x1b[22m   Durable Object  local",
      'env.API_KEY ("(hidden)")     Environment Variable  local',
      "",
      "⎔ Starting local server...",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "env.NOT_A_TABLE_LINE must still show",
    ];
    expect(output.filter(keep)).toEqual([
      " ⛅️ wrangler 4.164.0",
      "",
      "⎔ Starting local server...",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "env.NOT_A_TABLE_LINE must still show",
    ]);
  });
});

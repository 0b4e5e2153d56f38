// `npm start` must choose offline mode exactly when Cloudflare credentials are missing, and must
// never override what the developer configured.
import { describe, expect, it } from "vitest";
import { hasCloudflareCredentials, parseDotenv, readSettings, wranglerDevArgs } from "../../scripts/start-config.ts";

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
    expect(wranglerDevArgs({ settings, port: "8787", extraArgs: ["--var", "PROMPT_OPTIMIZATION:true"] })).toEqual([
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
    const args = wranglerDevArgs({ settings: readSettings(undefined, {}), port: "9000", standIn, extraArgs: [] });
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
      wranglerDevArgs({ settings: readSettings(undefined, {}), port: "9000", standIn, extraArgs: [] }),
    );
    expect(vars.filter((v) => v.startsWith("EXTERNAL_"))).toEqual([]);
    expect(vars).toContain(`CF_API_BASE:${standIn.cfApiBase}`);
  });

  it("offline: keeps a configured optimiser and API key", () => {
    const settings = readSettings("EXTERNAL_API_BASE=https://api.openai.com/v1\nAPI_KEY=sk-mine\nCF_ACCOUNT_ID=a", {});
    const vars = varsOf(wranglerDevArgs({ settings, port: "8787", standIn, extraArgs: [] }));
    expect(vars.some((v) => v.startsWith("EXTERNAL_API_") || v.startsWith("API_KEY"))).toBe(false);
    expect(vars).toContain("CF_ACCOUNT_ID:stand-in-account");
  });
});

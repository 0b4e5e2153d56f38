/** Which Chromium the browser test picks on each kind of machine (chromium.ts), decided without starting one. */
import { describe, expect, it } from "vitest";
import { chooseChromium, type ChromiumHost } from "./chromium.ts";

function host(overrides: Partial<ChromiumHost> & { installed?: string[] }): ChromiumHost {
  const installed = new Set(overrides.installed ?? []);
  return {
    env: {},
    platform: "linux",
    arch: "x64",
    home: "/home/dev",
    exists: (path) => installed.has(path),
    ...overrides,
  };
}

describe("choosing a Chromium for the browser test", () => {
  it("takes CHROMIUM_PATH over an installed one", () => {
    const choice = chooseChromium(
      host({
        env: { CHROMIUM_PATH: "/opt/mine/chrome" },
        installed: ["/opt/mine/chrome", "/usr/bin/chromium"],
      }),
    );
    expect(choice).toEqual({
      kind: "path",
      executablePath: "/opt/mine/chrome",
      source: "CHROMIUM_PATH",
    });
  });

  it("says in one line that CHROMIUM_PATH points nowhere, instead of quietly using another", () => {
    const choice = chooseChromium(
      host({
        env: { CHROMIUM_PATH: "/nowhere/chrome" },
        installed: ["/usr/bin/chromium"],
      }),
    );
    expect(choice.kind).toBe("none");
    expect(choice.kind === "none" && choice.message).toMatch(
      /^CHROMIUM_PATH is \/nowhere\/chrome, which does not exist/,
    );
  });

  it("finds Debian's or Google's build on Linux, Debian's first", () => {
    expect(chooseChromium(host({ installed: ["/usr/bin/google-chrome", "/usr/bin/chromium"] }))).toMatchObject({
      executablePath: "/usr/bin/chromium",
      source: "system",
    });
    expect(chooseChromium(host({ installed: ["/usr/bin/google-chrome"] }))).toMatchObject({
      executablePath: "/usr/bin/google-chrome",
    });
  });

  it("finds the app bundles on macOS, the user's own Applications folder too", () => {
    const chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    expect(chooseChromium(host({ platform: "darwin", arch: "arm64", installed: [chrome] }))).toMatchObject({
      executablePath: chrome,
    });
    const own = "/Users/dev/Applications/Chromium.app/Contents/MacOS/Chromium";
    expect(chooseChromium(host({ platform: "darwin", home: "/Users/dev", installed: [own] }))).toMatchObject({
      executablePath: own,
    });
  });

  it("finds Chrome under Program Files on Windows", () => {
    const chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
    const windows = host({
      platform: "win32",
      env: { PROGRAMFILES: "C:\\Program Files" },
      installed: [chrome],
    });
    expect(chooseChromium(windows)).toMatchObject({ executablePath: chrome });
  });

  it("falls back to the npm package's binary on Linux x64 with no browser installed", () => {
    expect(chooseChromium(host({}))).toEqual({ kind: "package" });
  });

  it("where the package has no build (Linux on ARM, a Mac without Chrome), says what to set", () => {
    for (const machine of [host({ arch: "arm64" }), host({ platform: "darwin", arch: "arm64" })]) {
      const choice = chooseChromium(machine);
      expect(choice.kind).toBe("none");
      const message = choice.kind === "none" ? choice.message : "";
      expect(message).toContain("set CHROMIUM_PATH");
      expect(message).not.toContain("\n");
    }
  });
});

/**
 * Which Chromium the browser test drives, found without a system package
 * manager (playwright cannot download browsers on a machine without internet):
 * CHROMIUM_PATH when set; else a Chrome or Chromium installed where this
 * system puts them; else, on Linux x64, the binary shipped inside the npm
 * package @sparticuz/chromium, unpacked to the temp folder on first use.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Headless, and quiet on a closed network: no component updates, sync, first-run or background
 * fetches (each would only wait for a timeout here). No sandbox: CI runs as root, where Chromium's
 * sandbox refuses to start.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];

/** What the choice depends on, passed in so it can be tested for any system. */
export interface ChromiumHost {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  arch: string;
  home: string;
  exists: (path: string) => boolean;
}

export type ChromiumChoice =
  | { kind: "path"; executablePath: string; source: "CHROMIUM_PATH" | "system" }
  | { kind: "package" } // @sparticuz/chromium
  | { kind: "none"; message: string };

/** Where each system's installers put Chrome and Chromium, most likely first. */
export function systemChromiumPaths(host: Pick<ChromiumHost, "env" | "platform" | "home">): string[] {
  switch (host.platform) {
    case "linux":
      return [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable",
        "/opt/google/chrome/chrome",
        "/snap/bin/chromium",
      ];
    case "darwin":
      return ["/Applications", join(host.home, "Applications")].flatMap((folder) => [
        `${folder}/Google Chrome.app/Contents/MacOS/Google Chrome`,
        `${folder}/Chromium.app/Contents/MacOS/Chromium`,
      ]);
    case "win32":
      return [host.env.PROGRAMFILES, host.env["PROGRAMFILES(X86)"], host.env.LOCALAPPDATA]
        .filter((folder) => folder !== undefined && folder !== "")
        .map((folder) => `${folder}\\Google\\Chrome\\Application\\chrome.exe`);
    default:
      return [];
  }
}

/** Decides which Chromium to use, without starting or unpacking anything. */
export function chooseChromium(host: ChromiumHost): ChromiumChoice {
  const configured = host.env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== "") {
    return host.exists(configured)
      ? { kind: "path", executablePath: configured, source: "CHROMIUM_PATH" }
      : {
          kind: "none",
          message: `CHROMIUM_PATH is ${configured}, which does not exist: set it to a Chrome or Chromium binary.`,
        };
  }
  const candidates = systemChromiumPaths(host);
  const installed = candidates.find((path) => host.exists(path));
  if (installed !== undefined) return { kind: "path", executablePath: installed, source: "system" };
  // The package ships a Linux x64 build only.
  if (host.platform === "linux" && host.arch === "x64") return { kind: "package" };
  const looked = candidates.length > 0 ? ` (looked at ${candidates.join(", ")})` : "";
  return {
    kind: "none",
    message: `No Chrome or Chromium found for the browser test${looked}: set CHROMIUM_PATH to a Chrome or Chromium binary.`,
  };
}

export interface FoundChromium {
  executablePath: string;
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
}

/** The Chromium for this machine; rejects with one line that says what to set when there is none. */
export async function findChromium(): Promise<FoundChromium> {
  const choice = chooseChromium({
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    home: homedir(),
    exists: existsSync,
  });
  if (choice.kind === "none") throw new Error(choice.message);
  if (choice.kind === "path") return { executablePath: choice.executablePath, source: choice.source };
  // Imported only when needed. The first call unpacks about 210 MB into the temp folder (/tmp/chromium,
  // 1.4 s here); later calls find it there.
  const { default: packaged } = await import("@sparticuz/chromium");
  return {
    executablePath: await packaged.executablePath(),
    source: "@sparticuz/chromium",
  };
}

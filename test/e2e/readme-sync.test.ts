/**
 * README.zh-cn.md is a translation of README.md that Chinese-speaking users
 * rely on. These checks make the two fail loudly when one gains a section, a
 * setting or an endpoint that the other does not have, instead of silently
 * drifting apart. The prose is free to differ; the structure and the names
 * a user copies into a config or a request must not.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const english = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const chinese = readFileSync(new URL("../../README.zh-cn.md", import.meta.url), "utf8");

interface Section {
  heading: string;
  body: string;
}

/** The text outside fenced code blocks, so that a `## ` inside a code sample is not a heading. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

/** The `## ` and `### ` sections in order, each with the text up to the next heading. */
function sections(markdown: string): Section[] {
  const found: Section[] = [];
  for (const line of markdown.split("\n")) {
    const heading = /^#{2,3} /.test(line) ? line : undefined;
    const current = found.at(-1);
    if (heading !== undefined) found.push({ heading, body: "" });
    else if (current) current.body += `${line}\n`;
  }
  return found;
}

/** The heading levels only (`##`, `###`): what must match one for one between the languages. */
function outline(markdown: string): string[] {
  return sections(withoutCodeBlocks(markdown)).map((section) => section.heading.split(" ")[0] ?? "");
}

/**
 * The settings section of a README, found by position: the English one is
 * "## Settings", and the translation has the same outline, so its section at
 * the same index is the translated settings section.
 */
function settingsSection(markdown: string): string {
  const englishIndex = sections(withoutCodeBlocks(english)).findIndex((section) => section.heading === "## Settings");
  const section = sections(withoutCodeBlocks(markdown))[englishIndex];
  if (!section) throw new Error("no settings section at the position of the English '## Settings'");
  return section.body;
}

/** The rows of the first markdown table in `text`, header and separator left out. */
function tableRows(text: string): string[] {
  const table = text.split("\n").filter((line) => line.startsWith("|"));
  return table.slice(2);
}

/** Every `` `UPPER_SNAKE` `` token, e.g. `API_KEY`, `CF_API_TOKEN`. */
function settingNames(text: string): Set<string> {
  return new Set([...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((match) => match[1] ?? ""));
}

/** The setting each table row is about (its first column), in table order. */
function settingColumn(rows: string[]): string[] {
  return rows.map((row) => row.split("|")[1]?.trim() ?? "");
}

/** Every path the service answers on that a README mentions: `/v1/…`, `/image/…`. */
function endpointPaths(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/\/(?:v1|image)(?:\/[\w:<>-]+)*/g)].map((match) => match[0]));
}

describe("README.zh-cn.md kept in step with README.md", () => {
  it("links each README to the other", () => {
    expect(english).toContain("(README.zh-cn.md)");
    expect(chinese).toContain("(README.md)");
  });

  it("has the same sections and subsections, in the same order", () => {
    const englishOutline = outline(english);
    expect(englishOutline.length).toBeGreaterThan(0);
    expect(outline(chinese)).toEqual(englishOutline);
  });

  it("lists the same settings, in the same order, in its settings table", () => {
    const englishRows = tableRows(settingsSection(english));
    const chineseRows = tableRows(settingsSection(chinese));
    expect(englishRows.length).toBeGreaterThan(0);
    expect(settingColumn(chineseRows)).toEqual(settingColumn(englishRows));
  });

  it("mentions every setting name of the English settings table in the Chinese one", () => {
    const englishNames = settingNames(tableRows(settingsSection(english)).join("\n"));
    const chineseNames = settingNames(tableRows(settingsSection(chinese)).join("\n"));
    expect(englishNames).toContain("API_KEY");
    expect([...englishNames].filter((name) => !chineseNames.has(name))).toEqual([]);
  });

  it("mentions the same endpoint paths", () => {
    const englishPaths = endpointPaths(english);
    expect(englishPaths).toContain("/v1/chat/completions");
    expect([...endpointPaths(chinese)].sort()).toEqual([...englishPaths].sort());
  });
});

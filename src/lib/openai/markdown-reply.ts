/**
 * The text a chat user reads: the progress lines and the final reply, in the
 * reply language, with the user's own words escaped so that a prompt cannot
 * add links, images or HTML to what a chat client renders.
 */
import type { Language } from "../i18n/strings.ts";
import { translate } from "../i18n/translate.ts";

export interface ReplyFacts {
  originalPrompt: string;
  /** The optimiser model, or undefined when the original prompt was used. */
  promptModel: string | undefined;
  promptUsed: string;
  width: number;
  height: number;
  imageUrl: string;
  /** The seed the picture was painted with, when the model takes one. */
  seed: number | undefined;
  /** Why there is no seed although one was asked for. */
  seedNote: string | undefined;
  /** Extra size notes (a ratio mapped to the nearest, a model with a fixed size). */
  sizeNotes: string[];
  /** Extra tip lines, e.g. the suggestion to enable optimisation. */
  tips: string[];
}

// Markdown and HTML punctuation; CommonMark lets any ASCII punctuation be backslash-escaped.
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>&~:"]/g;

/** Escapes user text so it renders as the same text, never as markup or a link. */
export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN_SPECIAL, (char) => `\\${char}`);
}

/** The final reply of a chat completion (what the original project showed, plus honest size notes). */
export function buildReply(language: Language, facts: ReplyFacts): string {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
    translate(language, key, params);
  const size = `${facts.width}×${facts.height}${facts.sizeNotes.length ? ` (${facts.sizeNotes.join("; ")})` : ""}`;
  const lines = [
    `🎨 ${t("originalPrompt")}: ${escapeMarkdown(facts.originalPrompt)}`,
    `💬 ${t("promptModel")}: ${facts.promptModel ? escapeMarkdown(facts.promptModel) : t("noPromptModel")}`,
    `🌐 ${t("promptUsed")}: ${escapeMarkdown(facts.promptUsed)}`,
    `📐 ${t("size")}: ${size}`,
    ...(facts.seed !== undefined ? [`🎲 ${t("seed")}: ${facts.seed}`] : []),
    ...(facts.seedNote !== undefined ? [`🎲 ${t("seed")}: — (${facts.seedNote})`] : []),
    `🌟 ${t("success")}`,
    ...facts.tips.map((tip) => `💡 ${tip}`),
    "",
    `![${t("imageAlt")}](${facts.imageUrl})`,
  ];
  return lines.join("\n");
}

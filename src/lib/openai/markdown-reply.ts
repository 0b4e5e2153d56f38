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
  /** The short name of the model that painted. */
  model: string;
  /** The parameters sent, as the chat flags that would ask for them again (`--steps 8 --no text`). */
  optionFlags: string | undefined;
  /** Parameters the user gave that the model does not take, each with why. */
  unusedNotes: string[];
  width: number;
  height: number;
  imageUrl: string;
  /** The seed the picture was painted with, when the model takes one. */
  seed: number | undefined;
  /** Why there is no seed although one was asked for. */
  seedNote: string | undefined;
  /** What the picture cost, as a sentence in the reply language (cost-text.ts). */
  cost?: string;
  /** Extra size notes (a ratio mapped to the nearest, a model with a fixed size). */
  sizeNotes: string[];
  /** Extra tip lines, e.g. the suggestion to enable optimisation. */
  tips: string[];
}

/**
 * Escapes, in the user's words, only what could make them markup in a chat client (CommonMark with
 * GitHub's extensions), so they render as the same text and a plain-text client shows few
 * backslashes: link and image brackets, HTML and `<…>` links, code spans, entities, emphasis and
 * strikethrough delimiters that could pair, and a backslash that would escape what follows. `!`,
 * `(`, `)`, `:`, `.`, `-`, `#`, `>` and `|` start nothing in the middle of a line (a prompt has no
 * line breaks, and never starts a line of the reply), and with `[` escaped, `!` and `(` cannot make
 * an image or a link. Bare links and e-mail addresses become code spans: renderers link them by
 * themselves whatever is escaped around or inside them (remark-gfm links "猫https://…" and reads
 * `https\://` as "https://"), and a code span is never linked.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(LINK_OR_MARKUP, (found: string, link: string | undefined, at: number) => {
    if (link !== undefined) return codeSpan(link);
    return isIdleDelimiterRun(text, found, at) ? found : found.replace(/[\s\S]/g, "\\$&");
  });
}

// What renderers link without brackets: URLs with a scheme, "www." names, e-mail addresses (also as
// mailto: or xmpp:, which marked links). Bare domains ("example.com") are linked only by renderers
// with fuzzy linking (markdown-it's linkify), which the common chat clients do not use.
// A link ends before white space, `<` or `>`, and before the punctuation that renderers leave out of
// it at its end (`)`, `.`, `,`…), which then stays outside the code span, as written.
// Linear in the text: the scheme and an address's local part are bounded (32 and 64 characters, more
// than any real one), so each start reads a fixed number of characters before it fails; unbounded, a
// prompt of 2,048 letters was read to its end from every letter (4.7 ms, on a 10 ms CPU budget). The
// link's end is its last character that is not such punctuation, found by backtracking once, not by
// a lookahead at every character.
const BARE_LINK =
  /(?:[a-z][a-z\d+.-]{0,31}:\/\/|www\.)(?:[^\s<>]*[^\s<>)\].,:;!?'"*_~])?|(?:(?:mailto|xmpp):)?[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+/;

// A backslash before ASCII punctuation, at the end (before the reply's line break) or before a bare
// link (whose code span's backtick it would escape), a code span's backtick, brackets, a `<` that
// can open a tag, a comment or an autolink (a letter, `/`, `!` or `?` follows: "3 < 4" cannot), an
// entity's `&`, and runs of emphasis (`*`, `_`) or strikethrough (`~`).
const MARKUP_START = new RegExp(
  `\\\\(?=[!-/:-@[-\`{-~]|$|${BARE_LINK.source})|[\`[\\]]|<(?=[a-z/!?])|&(?=#?[0-9a-z]+;)|\\*+|_+|~+`,
);

const LINK_OR_MARKUP = new RegExp(`(${BARE_LINK.source})|${MARKUP_START.source}`, "giu");

/** `text` as a code span: fenced by more backticks than any run inside it, so nothing in it ends it. */
function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  // A span that starts or ends with a backtick needs a space between it and the fence (stripped again).
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * A run of `*`, `_` or `~` that can neither open nor close emphasis, so it needs no escape: one with
 * white space on both sides ("2 * 3"), or `_` inside a word ("snake_case"). The ends of the text count
 * as neither: the reply's own words follow, and one paragraph holds several of the user's lines.
 */
function isIdleDelimiterRun(text: string, run: string, at: number): boolean {
  if (!/^[*_~]/.test(run)) return false;
  const before = text.charAt(at - 1);
  const after = text.charAt(at + run.length);
  if (/\s/.test(before) && /\s/.test(after)) return true;
  // Surrogate halves are neither, so `_` next to a letter outside the BMP is escaped: harmless.
  return run.startsWith("_") && /[\p{L}\p{N}\p{M}]/u.test(before) && /[\p{L}\p{N}\p{M}]/u.test(after);
}

/** The final reply of a chat completion (what the original project showed, plus honest size notes). */
export function buildReply(language: Language, facts: ReplyFacts): string {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
    translate(language, key, params);
  const size = `${facts.width}×${facts.height}${facts.sizeNotes.length ? ` (${facts.sizeNotes.join("; ")})` : ""}`;
  const lines = [
    `🎨 ${t("originalPrompt")}: ${escapeMarkdown(facts.originalPrompt)}`,
    // The model is the operator's setting, not the user's words: shown as it is named.
    `💬 ${t("promptModel")}: ${facts.promptModel ?? t("noPromptModel")}`,
    `🌐 ${t("promptUsed")}: ${escapeMarkdown(facts.promptUsed)}`,
    `🖼️ ${t("model")}: ${facts.model}`,
    `📐 ${t("size")}: ${size}`,
    ...(facts.optionFlags !== undefined ? [`⚙️ ${facts.optionFlags}`] : []),
    ...facts.unusedNotes.map((note) => `⚠️ ${note}`),
    ...(facts.seed !== undefined ? [`🎲 ${t("seed")}: ${facts.seed}`] : []),
    ...(facts.seedNote !== undefined ? [`🎲 ${t("seed")}: — (${facts.seedNote})`] : []),
    ...(facts.cost !== undefined ? [`💰 ${facts.cost}`] : []),
    `🌟 ${t("success")}`,
    ...facts.tips.map((tip) => `💡 ${tip}`),
    "",
    `![${t("imageAlt")}](${facts.imageUrl})`,
  ];
  return lines.join("\n");
}

/**
 * Turns what a chat client sends into the prompt we draw: the last user
 * message (plain string or content parts), cleaned of the noise chat clients
 * and users add.
 */
import { ApiError } from "../http/errors.ts";
import { MAX_PROMPT_CHARS } from "./models.ts";

export interface ChatMessageLike {
  role: string;
  content?: unknown;
}

/**
 * The words of the last user message, or undefined when there is none with text. Context a client
 * added on its own (LobeChat's file list) is not the user's words, and is left out.
 */
export function lastUserText(messages: readonly ChatMessageLike[]): string | undefined {
  const last = lastUserIndex(messages);
  const text = last === undefined ? undefined : textOf(messages[last]?.content);
  return text === undefined ? undefined : withoutClientContext(text);
}

/**
 * LobeChat appends what it knows about attached files (names, links), or the page being edited,
 * to the user's text between these markers. Drawn, it would put file names into the picture; the
 * images themselves still arrive as image parts. A block left open runs to the end.
 */
const CLIENT_CONTEXT_START = "<!-- SYSTEM CONTEXT (NOT PART OF USER QUERY) -->";
const CLIENT_CONTEXT_END = "<!-- END SYSTEM CONTEXT -->";

/** The text without the blocks of context a chat client injected; found by search, so linear. */
export function withoutClientContext(text: string): string {
  let kept = "";
  let from = 0;
  for (let start = text.indexOf(CLIENT_CONTEXT_START); start >= 0; start = text.indexOf(CLIENT_CONTEXT_START, from)) {
    kept += text.slice(from, start);
    const end = text.indexOf(CLIENT_CONTEXT_END, start + CLIENT_CONTEXT_START.length);
    if (end < 0) return kept;
    from = end + CLIENT_CONTEXT_END.length;
  }
  return kept + text.slice(from);
}

/** An `image_url` part of the last user message, with the request field it sits in. */
export interface ImageUrlPart {
  url: string;
  param: string;
}

/** The images attached to the last user message, in order (`{type: "image_url", image_url: {url}}`). */
export function lastUserImageUrls(messages: readonly ChatMessageLike[]): ImageUrlPart[] {
  const last = lastUserIndex(messages);
  const content = last === undefined ? undefined : messages[last]?.content;
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: unknown, index) => {
    const url = imageUrlOf(part);
    return url === undefined ? [] : [{ url, param: `messages[${last}].content[${index}].image_url.url` }];
  });
}

function lastUserIndex(messages: readonly ChatMessageLike[]): number | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === "user") return i;
  return undefined;
}

/** The URL of an image part: `image_url` is `{url}` in OpenAI's shape, a bare string in some older clients. */
function imageUrlOf(part: unknown): string | undefined {
  if (typeof part !== "object" || part === null || !("type" in part) || part.type !== "image_url") return undefined;
  const value = "image_url" in part ? part.image_url : undefined;
  if (typeof value === "string") return value;
  const url = typeof value === "object" && value !== null && "url" in value ? value.url : undefined;
  return typeof url === "string" ? url : undefined;
}

/** The text of a message's content: the string, or its `text` parts joined; undefined when it has none. */
export function textOf(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.flatMap((part: unknown) => (isTextPart(part) ? [part.text] : []));
  return texts.length > 0 ? texts.join("\n") : undefined;
}

function isTextPart(part: unknown): part is { type: "text"; text: string } {
  return (
    typeof part === "object" &&
    part !== null &&
    "type" in part &&
    part.type === "text" &&
    "text" in part &&
    typeof part.text === "string"
  );
}

/**
 * Normalises a prompt so Flux reads the words the user saw: controls and line
 * breaks become spaces (Flux reads one prompt, not a document), characters
 * that have no width go, runs of white space fold, and the ends are trimmed.
 */
export function cleanPrompt(text: string): string {
  return text
    .replace(LONE_SURROGATE, "")
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, " ")
    .replace(INVISIBLE_FORMAT, "")
    .replace(TAG_RUN, flagTags)
    .replace(IDLE_JOINER, "")
    .replace(MARK_PILE, "$1")
    .normalize("NFC")
    .replace(/\s+/gu, " ")
    .trim();
}

/**
 * Half of a surrogate pair, e.g. an emoji a client cut in two: it is no character, and the upstream
 * receives it as bytes that are not UTF-8 (three of them, so a prompt at the limit goes over it).
 * Dropped rather than made U+FFFD (what toWellFormed does): a replacement mark would be drawn, echoed
 * and counted for nothing the user wrote. In `u` mode a surrogate class matches only unpaired halves,
 * since a pair is one code point.
 */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

/**
 * Characters with no width that change how text is shown, never what it says (Unicode's "default
 * ignorable" code points): zero-width space, soft hyphen, bidi marks, embeddings, overrides and
 * isolates (which can show a prompt in another order than it is read), word joiner and invisible
 * operators, the byte-order mark, Hangul fillers, the combining grapheme joiner, and tag characters,
 * which can hide a whole sentence no one sees from the optimiser (ASCII smuggling). Dropped, not
 * made spaces: the user saw no gap there. Kept, because they do change what is shown: ZWNJ and ZWJ
 * (see IDLE_JOINER), variation selectors (❤️ vs ❤, the ideograph variants of CJK names), Mongolian
 * variation selectors, and the tags of a subdivision flag (see flagTags).
 */
const INVISIBLE_FORMAT =
  /(?!\u200c|\u200d|[\u180b-\u180f]|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}]|[\u{e0020}-\u{e007f}])\p{Default_Ignorable_Code_Point}/gu;

/** Runs of tag characters: kept only as a subdivision flag's (🏴 then lower-case letters and digits, then CANCEL TAG). */
const TAG_RUN = /[\u{e0020}-\u{e007f}]+/gu;
const FLAG_TAGS = /^[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{1,6}\u{e007f}$/u;
const BLACK_FLAG = "\u{1f3f4}";

function flagTags(tags: string, at: number, text: string): string {
  const isFlag = text.slice(at - BLACK_FLAG.length, at) === BLACK_FLAG && FLAG_TAGS.test(tags);
  return isFlag ? tags : "";
}

/**
 * ZWNJ (U+200C) and ZWJ (U+200D) where they join nothing. Between two letters or emoji they are part
 * of the text: ZWNJ spells Persian words (the "mi-" prefix of a verb stays unjoined) and Indic
 * half-forms, ZWJ makes one emoji of a sequence (woman + ZWJ + laptop is the woman technologist, a
 * skin tone or U+FE0F may come before it) and one letter of a Malayalam chillu. Next to a space, at
 * an end, or doubled, they do nothing.
 */
const JOINABLE = String.raw`[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}]`;
const IDLE_JOINER = new RegExp(String.raw`(?<!${JOINABLE})[\u200c\u200d]|[\u200c\u200d](?!${JOINABLE})`, "gu");

/**
 * More than 30 combining marks on one letter (Zalgo text), cut to 30, the bound of Unicode's
 * Stream-Safe Text Format (UAX #15): normalisation sorts each run of marks, and a long run of
 * alternating classes costs the square of its length (16,384 marks took 50 ms, a megabyte minutes).
 * No script stacks that many on a letter, and a picture cannot show them. Linear: a run shorter than
 * 30 fails within 30 steps at each of its marks.
 */
const MARK_PILE = /(\p{M}{30})\p{M}+/gu;

/**
 * Cleaning can take much out of a text (invisible characters, flags, a ratio, white space), so the
 * length limit is checked after it; a text far over the limit is refused before, so no work is spent
 * on it. Eight times the limit leaves room for anything a person writes.
 */
export const MAX_RAW_PROMPT_CHARS = 8 * MAX_PROMPT_CHARS;

/** Refuses, before any work on it, a text that cannot be a prompt of the allowed length after cleaning. */
export function refuseFarTooLong(text: string, param: string): void {
  if (text.length > MAX_RAW_PROMPT_CHARS) {
    throw new ApiError(400, `The prompt is ${text.length} characters long; the limit is ${MAX_PROMPT_CHARS}.`, {
      param,
      code: "prompt_too_long",
    });
  }
}

/** Refuses an empty prompt, or one longer than the models accept; `param` names the request field it came from. */
export function checkPromptLength(prompt: string, param: string): void {
  if (prompt === "")
    throw new ApiError(400, "The prompt is empty: describe the image you want.", { param, code: "empty_prompt" });
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new ApiError(400, `The prompt is ${prompt.length} characters long; the limit is ${MAX_PROMPT_CHARS}.`, {
      param,
      code: "prompt_too_long",
    });
  }
}

/**
 * The first `limit` UTF-16 units of a clean prompt (the unit the length check counts), cut at a code
 * point: never between the two halves of an emoji, which would leave a lone surrogate. Cleaned again,
 * so a cut just after a joiner or a space leaves neither at the end.
 */
export function cutPrompt(prompt: string, limit = MAX_PROMPT_CHARS): string {
  if (prompt.length <= limit) return prompt;
  const lastKept = prompt.charCodeAt(limit - 1);
  const end = lastKept >= 0xd800 && lastKept <= 0xdbff ? limit - 1 : limit;
  return cleanPrompt(prompt.slice(0, end));
}

/** True when most letters of the text are not Latin script (e.g. Chinese, Cyrillic). */
export function isMostlyNonLatin(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const latin = letters.filter((letter) => /\p{Script=Latin}/u.test(letter)).length;
  return latin / letters.length < 0.5;
}

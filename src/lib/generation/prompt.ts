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

/** The text of the last user message, or undefined when there is none with text. */
export function lastUserText(messages: readonly ChatMessageLike[]): string | undefined {
  const last = lastUserIndex(messages);
  return last === undefined ? undefined : textOf(messages[last]?.content);
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
 * Normalises a prompt: strips control characters and invisible marks, folds
 * runs of white space, and trims. Line breaks become spaces because Flux reads
 * one prompt, not a document.
 */
export function cleanPrompt(text: string): string {
  return text
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
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

/** True when most letters of the text are not Latin script (e.g. Chinese, Cyrillic). */
export function isMostlyNonLatin(text: string): boolean {
  const letters = text.match(/\p{L}/gu) ?? [];
  if (letters.length === 0) return false;
  const latin = letters.filter((letter) => /\p{Script=Latin}/u.test(letter)).length;
  return latin / letters.length < 0.5;
}

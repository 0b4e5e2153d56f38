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
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== "user") continue;
    return textOf(message.content);
  }
  return undefined;
}

function textOf(content: unknown): string | undefined {
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

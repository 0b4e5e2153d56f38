/**
 * Follow-up edits in a chat: the picture this Worker made for the conversation's
 * latest assistant message, found by its `/image/<key>` link, and the `--edit`
 * marker a user writes (like `--ar`) to edit it rather than start anew.
 */
import { ownImageKey } from "../images/intake.ts";
import { textOf, type ChatMessageLike } from "./prompt.ts";

export interface PreviousImage {
  key: string;
  /** The request field it was found in, for errors. */
  param: string;
}

/** This Worker's image in the latest assistant message before the last user message, if any. */
export function previousImage(messages: readonly ChatMessageLike[], origin: string): PreviousImage | undefined {
  let lastUser = messages.length - 1;
  while (lastUser >= 0 && messages[lastUser]?.role !== "user") lastUser--;
  for (let index = lastUser - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== "assistant") continue;
    const urls = [...(textOf(message.content) ?? "").matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map(
      (match) => match[1] ?? "",
    );
    const key = urls.map((url) => ownImageKey(url, origin)).findLast((found) => found !== undefined);
    return key === undefined ? undefined : { key, param: `messages[${index}].content` };
  }
  return undefined;
}

/** Takes a leading `--edit` off a message; whether it was there. */
export function takeEditFlag(text: string): { text: string; edit: boolean } {
  const match = /^\s*--edit(?:\s+|$)/u.exec(text);
  return match ? { text: text.slice(match[0].length), edit: true } : { text, edit: false };
}

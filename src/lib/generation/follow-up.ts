/**
 * Follow-up edits in a chat: the picture this Worker made for the conversation's
 * latest assistant message, found by its `/image/<key>` link, and the `--edit`
 * marker a user writes (like `--ar`) to edit it rather than start anew.
 */
import { IMAGE_KEY_LENGTH, jobIdOfImageKey } from "../storage/image-store.ts";
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
    const key = lastOwnImageKey(textOf(message.content) ?? "", origin);
    return key === undefined ? undefined : { key, param: `messages[${index}].content` };
  }
  return undefined;
}

/** Longer than the alt text of any picture this Worker links (the reply's "Generated image", translated). */
const MAX_ALT_CHARS = 100;

/**
 * The key of the last markdown image in `text` that is `![…](<origin>/image/<key>)`, found by searching
 * for that literal link from the end and checking a fixed number of characters around each hit, so
 * the cost is linear in the text whatever it holds. (A pattern for any image link,
 * `!\[[^\]]*\]\(([^)\s]+)\)`, restarted at every `![](` of `![](![](…` and ran to the end each
 * time: a 1.2 MB message kept the Worker busy for minutes.)
 */
function lastOwnImageKey(text: string, origin: string): string | undefined {
  const link = `](${origin}/image/`;
  for (let at = text.lastIndexOf(link); at >= 0; at = at === 0 ? -1 : text.lastIndexOf(link, at - 1)) {
    const start = at + link.length;
    const key = text.slice(start, start + IMAGE_KEY_LENGTH);
    const closed = text.charAt(start + IMAGE_KEY_LENGTH) === ")";
    if (closed && jobIdOfImageKey(key) !== undefined && opensImage(text, at)) return key;
  }
  return undefined;
}

/** Whether the `]` at `close` ends an image's alt text: `![` shortly before it, with no bracket in between. */
function opensImage(text: string, close: number): boolean {
  const from = Math.max(0, close - MAX_ALT_CHARS);
  const open = text.slice(from, close).lastIndexOf("[");
  if (open < 0) return false;
  const alt = text.slice(from + open + 1, close);
  return text.charAt(from + open - 1) === "!" && !alt.includes("]");
}

/** Takes a leading `--edit` off a message; whether it was there. */
export function takeEditFlag(text: string): { text: string; edit: boolean } {
  const match = /^\s*--edit(?:\s+|$)/u.exec(text);
  return match ? { text: text.slice(match[0].length), edit: true } : { text, edit: false };
}

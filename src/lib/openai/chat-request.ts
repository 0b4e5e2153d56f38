/**
 * What a chat completion asks to draw: the last user message's words (with its
 * `--edit`, `--seed` and ratio markers taken out), its attached images, and, in
 * a conversation with this Worker's picture, whether a follow-up may edit it.
 */
import { ApiError } from "../http/errors.ts";
import { previousImage, takeEditFlag, type PreviousImage } from "../generation/follow-up.ts";
import type { FluxModel } from "../generation/models.ts";
import {
  checkPromptLength,
  cleanPrompt,
  lastUserImageUrls,
  lastUserText,
  refuseFarTooLong,
} from "../generation/prompt.ts";
import { takeSeedFlag } from "../generation/seeds.ts";
import { parseSizeSuffix, type ParsedPrompt } from "../generation/sizes.ts";
import { addImageUrl, addStored, noReferences, refuseUnusedReferences, type References } from "../images/intake.ts";
import type { ChatRequest } from "./request-body.ts";

export interface ChatAsk extends ParsedPrompt {
  seed?: number;
  references: References;
  /** A follow-up the optimiser should judge: edit this picture, or draw a new one. */
  followUp?: PreviousImage;
}

export interface ChatAskOptions {
  model: FluxModel;
  /** This Worker's origin: links to it are its own images. */
  origin: string;
  chatEdits: boolean;
  optimizerEnabled: boolean;
}

/** What the chat request asks to draw; throws a 400 for a message that cannot be drawn. */
export function readChatAsk(body: ChatRequest, options: ChatAskOptions): ChatAsk {
  const text = lastUserText(body.messages);
  if (text === undefined)
    throw new ApiError(400, "No user message with text was found in 'messages'.", {
      param: "messages",
      code: "invalid_request",
    });
  refuseFarTooLong(text, "messages");
  const edit = takeEditFlag(cleanPrompt(text));
  const flagged = takeSeedFlag(edit.text);
  const parsed = parseSizeSuffix(flagged.text);
  checkPromptLength(parsed.prompt, "messages");

  const references = noReferences();
  const previous = options.chatEdits ? previousImage(body.messages, options.origin) : undefined;
  if (edit.edit && options.chatEdits) {
    if (!previous) {
      throw new ApiError(
        400,
        "--edit edits the picture of this service in the conversation's latest answer, and that answer has none: attach the image to edit instead.",
        { param: "messages", code: "nothing_to_edit" },
      );
    }
    addStored(references, previous.key, previous.param);
  }
  for (const { url, param } of lastUserImageUrls(body.messages)) addImageUrl(references, url, param, options.origin);
  refuseUnusedReferences(options.model, references, "messages");
  // Without `--edit` and attachments, a follow-up is judged by the optimiser when it is on.
  const judged = previous !== undefined && !edit.edit && references.sources.length === 0 && options.optimizerEnabled;
  return {
    ...parsed,
    seed: flagged.seed,
    references,
    ...(judged && options.model.takesSeedAndReferences ? { followUp: previous } : {}),
  };
}

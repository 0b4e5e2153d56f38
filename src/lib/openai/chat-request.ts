/**
 * What a chat completion asks to draw: the last user message's words (with its
 * `--edit`, `--seed` and ratio markers taken out), its attached images, and, in
 * a conversation with this Worker's picture, whether a follow-up may edit it.
 */
import { ApiError } from "../http/errors.ts";
import { previousImage, takeEditFlag, type PreviousImage } from "../generation/follow-up.ts";
import { effectiveSize, ratioSize, type ImageModel } from "../generation/models.ts";
import {
  checkOptions,
  takeOptionFlags,
  unusedOptions,
  withoutUnused,
  type GenerationOptions,
  type OptionName,
} from "../generation/options.ts";
import {
  checkPromptLength,
  cleanPrompt,
  lastUserImageUrls,
  lastUserText,
  refuseFarTooLong,
} from "../generation/prompt.ts";
import { takeSeedFlag } from "../generation/seeds.ts";
import { parseSizeSuffix, type ParsedPrompt } from "../generation/sizes.ts";
import { addImageUrl, addStored, checkImagesFor, noReferences, type References } from "../images/intake.ts";
import type { ChatRequest } from "./request-body.ts";

export interface ChatAsk extends ParsedPrompt {
  /** The size to paint before the model's range is applied: a written ratio at the model's long side, or `--size`. */
  wanted: { width: number; height: number };
  seed?: number;
  /** The parameter flags the model takes. */
  options: GenerationOptions;
  /** The ones it does not: the picture is made without them, and the reply says so. */
  unused: OptionName[];
  references: References;
  /** A follow-up the optimiser should judge: edit this picture, or draw a new one. */
  followUp?: PreviousImage;
}

export interface ChatAskOptions {
  model: ImageModel;
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
  // The model's flags first: `--no` runs to the next flag, whichever it is.
  const optionFlags = takeOptionFlags(cleanPrompt(text));
  const edit = takeEditFlag(optionFlags.text);
  const flagged = takeSeedFlag(edit.text);
  const parsed = parseSizeSuffix(flagged.text);
  checkPromptLength(parsed.prompt, "messages");
  const { model } = options;
  checkOptions(model, optionFlags.options, () => "messages");

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
  checkImagesFor(model, references, "messages");
  // Without `--edit` and attachments, a follow-up is judged by the optimiser when it is on.
  const judged = previous !== undefined && !edit.edit && references.sources.length === 0 && options.optimizerEnabled;
  return {
    ...parsed,
    ...(optionFlags.size
      ? { ratioWritten: true, requestedRatio: undefined, wanted: optionFlags.size }
      : wantedSize(model, parsed)),
    seed: flagged.seed,
    options: withoutUnused(model, optionFlags.options),
    unused: unusedOptions(model, optionFlags.options),
    references,
    ...(judged && model.references > 0 ? { followUp: previous } : {}),
  };
}

/**
 * The size a chat message asks of this model: a written ratio painted exactly at the model's long
 * side (`4:3` is 1024×768), since every model but schnell paints any size; the six presets as they
 * are (scaled for a model with another long side, e.g. Stable Diffusion 1.5's 768). Only a ratio that
 * cannot be one (`0:5`) keeps its note that the default was used.
 */
function wantedSize(
  model: ImageModel,
  parsed: ParsedPrompt,
): { wanted: { width: number; height: number }; requestedRatio?: string } {
  const [w = 0, h = 0] = (parsed.requestedRatio ?? "").split(":").map(Number);
  if (parsed.requestedRatio && w > 0 && h > 0) return { wanted: ratioSize(model, w / h), requestedRatio: undefined };
  const { width, height } = parsed.size;
  const scale = "fixed" in model.size ? 1 : model.size.longSide / 1024;
  return {
    wanted: scale === 1 ? { width, height } : effectiveSize(model, width * scale, height * scale),
    requestedRatio: parsed.requestedRatio,
  };
}

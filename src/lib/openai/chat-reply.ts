/**
 * Turns a job's events into what a chat client sees: SSE frames while
 * streaming, or the final reply text. Pure, so the exact frames are testable.
 */
import type { Language } from "../i18n/strings.ts";
import { costText } from "../i18n/cost-text.ts";
import { errorText, translate } from "../i18n/translate.ts";
import type { JobEvent, JobResult } from "../jobs.ts";
import { chatChunk, estimateUsage, usageChunk, type CompletionMeta } from "./shapes.ts";
import { findModel } from "../generation/models.ts";
import { modelsTaking, OPTIONS, takesOption, type GenerationOptions, type OptionName } from "../generation/options.ts";
import { isMostlyNonLatin } from "../generation/prompt.ts";
import { buildReply, escapeMarkdown } from "./markdown-reply.ts";
import { sseData, SSE_DONE } from "./sse.ts";

export interface ChatReplyContext {
  meta: CompletionMeta;
  language: Language;
  progressMode: "reasoning" | "content";
  includeUsage: boolean;
  /** The user's prompt (cleaned), for the reply and the usage estimate. */
  prompt: string;
  /** Set when the user's ratio was not in the table. */
  requestedRatio?: string;
  nearestRatio: string;
  /** The size the user asked for, to say so when the model makes another; or that it follows the reference. */
  requestedSize: { width: number; height: number } | "reference";
  optimizationEnabled: boolean;
  /** The user wrote `--seed`: a model without seeds must say it could not honour it. */
  seedGiven: boolean;
  /** Flags the user wrote that the model does not take (the picture is made without them). */
  unusedOptions: readonly OptionName[];
}

/** The final markdown reply for a finished job. */
export function replyContent(result: JobResult, context: ChatReplyContext): string {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
    translate(context.language, key, params);
  const image = result.images[0];
  const painter = findModel(result.model)?.short ?? result.model;
  const width = image?.width ?? 0;
  const height = image?.height ?? 0;
  const sizeNotes: string[] = [];
  if (context.requestedRatio)
    sizeNotes.push(t("ratioMapped", { ratio: context.requestedRatio, nearest: context.nearestRatio }));
  const requested = context.requestedSize;
  if (requested === "reference") {
    // A judged follow-up that became a new picture has the default size, and no note.
    if (result.referenceCount) sizeNotes.push(t("followsReference"));
  } else if (width !== requested.width || height !== requested.height) {
    const fixed = findModel(result.model)?.size;
    sizeNotes.push(t(fixed && "fixed" in fixed ? "fixedSize" : "sizeFitted", { model: painter, width, height }));
  }
  const tips = !context.optimizationEnabled && isMostlyNonLatin(context.prompt) ? [t("suggestOptimization")] : [];
  // Said in the reply itself too: a non-streaming client never sees the progress line that said it.
  if (result.optimizationFailure !== undefined) tips.push(t("optimizeFailed", { reason: result.optimizationFailure }));
  return buildReply(context.language, {
    originalPrompt: result.originalPrompt,
    promptModel: result.promptModel,
    promptUsed: result.promptUsed,
    model: painter,
    optionFlags: optionFlags(result.options),
    unusedNotes: context.unusedOptions.map((name) =>
      t("optionUnused", {
        model: painter,
        flag: OPTIONS[name].flag,
        models: modelsTaking((model) => takesOption(model, name)),
      }),
    ),
    width,
    height,
    imageUrl: image?.url ?? "",
    seed: image?.seed,
    seedNote:
      image?.seed === undefined && context.seedGiven ? t("seedUnsupported", { model: result.model }) : undefined,
    sizeNotes,
    tips,
    ...(result.cost ? { cost: costText(context.language, result.cost) } : {}),
  });
}

/** The parameters sent, written as the flags that ask for them (the negative prompt is the user's words, escaped). */
function optionFlags(options: GenerationOptions | undefined): string | undefined {
  if (!options) return undefined;
  const flags = (["steps", "guidance", "strength"] as const).flatMap((name) =>
    options[name] === undefined ? [] : [`${OPTIONS[name].flag} ${options[name]}`],
  );
  if (options.negativePrompt !== undefined) flags.push(`--no ${escapeMarkdown(options.negativePrompt)}`);
  return flags.length > 0 ? flags.join(" ") : undefined;
}

/** The first frame, sent before any upstream answers: the assistant's role. */
export function openingFrame(context: ChatReplyContext): string {
  return sseData(chatChunk(context.meta, { role: "assistant", content: "" }));
}

/** The SSE frames for one job event (progress, final reply or error, then [DONE]). */
export function eventFrames(event: JobEvent, context: ChatReplyContext): string[] {
  const { meta } = context;
  if (event.result) {
    const content = replyContent(event.result, context);
    const frames = [sseData(chatChunk(meta, { content })), sseData(chatChunk(meta, {}, "stop"))];
    if (context.includeUsage) frames.push(sseData(usageChunk(meta, estimateUsage(context.prompt, content))));
    return [...frames, SSE_DONE];
  }
  if (event.failure) {
    const { error } = event.failure;
    // The whole story in this one line (what failed, what to do, and the code to quote): after the
    // error chunk below, some clients (LobeChat) show only a generic network error beside it.
    const reason = errorText(context.language, error.code, error.message);
    const line = `❌ ${translate(context.language, "failed", { reason })}${error.code ? ` (${error.code})` : ""}`;
    const frames = [sseData(chatChunk(meta, { content: line }))];
    if (error.code === "content_filter") frames.push(sseData(chatChunk(meta, {}, "content_filter")));
    return [...frames, sseData({ error }), SSE_DONE];
  }
  if (!event.message) return [];
  const line = `${event.message}\n\n`;
  const delta = context.progressMode === "content" ? { content: line } : { reasoning_content: line };
  return [sseData(chatChunk(meta, delta))];
}

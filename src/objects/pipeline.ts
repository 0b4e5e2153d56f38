/**
 * The stages of one generation: read the reference images (edits) → optimise →
 * generate → store. Each stage reports progress; a failure anywhere throws, and
 * the store stage undoes its partial writes so a failed job leaves nothing behind.
 */
import { ApiError } from "../lib/http/errors.ts";
import type { MessageKey } from "../lib/i18n/strings.ts";
import { translate } from "../lib/i18n/translate.ts";
import { ImageStore, type StoredImageMeta } from "../lib/storage/image-store.ts";
import type { JobImage, JobResult, JobSpec, JobStatus } from "../lib/jobs.ts";
import { effectiveSize, findModel, type ImageModel } from "../lib/generation/models.ts";
import { totalCost } from "../lib/generation/cost.ts";
import { resolvedOptions } from "../lib/generation/options.ts";
import { sizeForReference } from "../lib/generation/sizes.ts";
import { gatherReferences, notArrived, readOriginal, type GatherDeps } from "../lib/images/gather.ts";
import { toOutputFormat } from "../lib/images/convert.ts";
import type { Box, ImagesBinding, ReferenceImage } from "../lib/images/downscale.ts";
import { encodeBase64 } from "../lib/storage/image-bytes.ts";
import { toInpaintingMask } from "../lib/images/mask.ts";
import { judgeFollowUp, optimizePrompt } from "../lib/upstream/optimizer.ts";
import type { ReferenceSource } from "../lib/images/intake.ts";
import { escapeMarkdown } from "../lib/openai/markdown-reply.ts";
import { generateImage, type GeneratedImage } from "../lib/upstream/workers-ai.ts";
import { workersAi, type AiBinding } from "../lib/upstream/transport.ts";

export interface PipelineDeps {
  kv: KVNamespace;
  /** The Workers AI binding; unused when the settings choose the REST API. */
  ai: AiBinding | undefined;
  /** How reference images are read and shrunk: needed only by an edit (spec.references). */
  gather?: GatherDeps;
  /** The Images binding, to convert a picture to the output_format asked. */
  images?: ImagesBinding;
  /** The prompt an earlier picture of this Worker was painted from, for a follow-up's judgement. */
  previousPrompt?: (key: string) => Promise<string | undefined>;
  expiresAt: number;
  newImageKey: () => string;
  progress: (status: JobStatus, message: string, extra?: { optimizedPrompt?: string }) => void;
  /** Keeps the bytes in the job's own storage: the fallback while KV catches up. */
  keepBytes: (key: string, bytes: Uint8Array, meta: StoredImageMeta) => void;
  forgetBytes: (key: string) => void;
}

/** A generated image with the seed it was painted with (none for a model without seeds). */
type SeededImage = GeneratedImage & { seed?: number };

export interface PipelineOutcome {
  result: JobResult;
  /** The images as base64, for `b64_json` delivery (or `alsoBase64`). */
  base64?: string[];
  timings: Record<string, number>;
}

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** What a job has paid for so far, in neurons: the caller's, so it is known even when a stage throws. */
export interface Spending {
  neurons: number;
}

/** `timings` and `spending` are the caller's, so the time spent in each stage and what was paid are known even when a stage throws. */
export async function runPipeline(
  spec: JobSpec,
  deps: PipelineDeps,
  timings: Record<string, number> = {},
  spending: Spending = { neurons: 0 },
): Promise<PipelineOutcome> {
  const t: Translate = (key, params) => translate(spec.settings.language, key, params);
  const model = findModel(spec.model);
  if (!model) throw new ApiError(400, `Unsupported model ${spec.model}.`, { param: "model" });
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await work();
    } finally {
      timings[stage] = Date.now() - start;
    }
  };
  const { upstream } = spec.settings;
  const ai = workersAi(upstream, deps.ai); // before any work: a deployment that cannot reach Workers AI fails at once

  // A follow-up the optimiser judged to be an edit adds the earlier picture as the first reference.
  const judged = spec.followUp ? await timed("judge", () => judgeStage(spec, deps, t)) : undefined;
  const sources = [...(judged?.reference ? [judged.reference] : []), ...(spec.references ?? [])];
  let references: ReferenceImage[] = [];
  let mask: Uint8Array | undefined;
  if (sources.length > 0) {
    deps.progress("reading", t("readingReferences", { count: sources.length }));
    const gather = deps.gather;
    if (!gather) throw new ApiError(500, "This job cannot read reference images.", { code: "internal_error" });
    ({ references, mask } = await timed("references", () => gatherStage(spec, model, sources, gather)));
  }
  const size = sizeOf(spec, model, references[0]?.original);
  const optimized =
    judged?.optimized ??
    (spec.settings.optimizer.enabled
      ? await timed("optimize", () => optimizeStage(spec, deps, t, references.length))
      : { promptUsed: spec.prompt });

  const action = references.length > 0 ? "editing" : "generating";
  deps.progress("generating", t(action, { ...size, model: model.id }));
  const options = resolvedOptions(model, spec.options ?? {}, upstream.fluxNumSteps);
  // img2img and inpainting change their one picture; FLUX.2 combines its references.
  const request = model.source
    ? { model, prompt: optimized.promptUsed, ...size, options, source: references[0]?.bytes, mask }
    : { model, prompt: optimized.promptUsed, ...size, options, references };
  const onRetry = (attempt: number, max: number, cause: ApiError) =>
    deps.progress("generating", t("retrying", { attempt, max, reason: t(retryReason(cause)) }));
  let generated: SeededImage[] = await timed("generate", () =>
    allOrFirstFailure(
      Array.from({ length: spec.count }, async (_, index) => {
        const seed = spec.seeds?.[index];
        const onSpent = (neurons: number) => (spending.neurons += neurons);
        return { ...(await generateImage({ ...request, seed }, ai, upstream, { onRetry, onSpent })), seed };
      }),
    ),
  );

  if (spec.output) {
    const output = spec.output;
    const converted = await timed("convert", () =>
      Promise.all(generated.map((image) => toOutputFormat(image, output, deps.images))),
    );
    generated = generated.map((image, index) => {
      const picture = converted[index] ?? image;
      return picture.bytes === image.bytes ? image : { ...image, ...picture, base64: encodeBase64(picture.bytes) };
    });
  }
  // Its cost arrives with the final event (the chat reply's 💰 line): a progress event of its own would only repeat it.
  const cost = totalCost(generated.map((image) => image.cost));
  let images: JobImage[];
  if (spec.delivery === "url") {
    deps.progress("storing", t("storing"));
    images = await timed("store", () => storeAll(spec, deps, generated));
  } else {
    images = generated.map(({ width, height, contentType, seed, cost }) => ({
      width,
      height,
      contentType,
      seed,
      cost,
    }));
  }
  const result: JobResult = {
    model: model.id,
    originalPrompt: spec.prompt,
    ...optimized,
    images,
    expires_at: Math.floor(deps.expiresAt / 1000),
    cost,
    ...(references.length > 0 ? { referenceCount: references.length } : {}),
    ...(mask ? { masked: true } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
  const handBack = spec.delivery === "b64_json" || spec.alsoBase64 === true;
  return { result, base64: handBack ? generated.map((image) => image.base64) : undefined, timings };
}

/**
 * The size to paint. img2img and inpainting keep their picture's shape (a size asked sets its long
 * side): the model fits the picture to the size it is given, so another shape would stretch what is
 * kept. Another edit that asked for no size takes the first image's shape at the model's size.
 */
function sizeOf(spec: JobSpec, model: ImageModel, first: Box | undefined): { width: number; height: number } {
  if (!first || (!spec.sizeFromReference && !model.source)) return { width: spec.width, height: spec.height };
  const modelLongSide = "fixed" in model.size ? model.size.fixed : model.size.longSide;
  const wanted = model.source
    ? sizeForReference(
        first.width,
        first.height,
        "long-side",
        spec.sizeFromReference ? modelLongSide : Math.max(spec.width, spec.height),
      )
    : sizeForReference(first.width, first.height, spec.sizeFromReference ?? "long-side", modelLongSide);
  return effectiveSize(model, wanted.width, wanted.height);
}

/**
 * The images ready for the model, and an inpainting edit's mask in the model's kind. FLUX.2's
 * references shrink below 512×512; the picture img2img or inpainting changes, to the size it is
 * painted (its bytes travel as JSON numbers), and its mask to the same size.
 */
async function gatherStage(
  spec: JobSpec,
  model: ImageModel,
  sources: ReferenceSource[],
  gather: GatherDeps,
): Promise<{ references: ReferenceImage[]; mask?: Uint8Array }> {
  // The mask's upload, when it is one, travels after the images'.
  const uploads = [...gather.uploads];
  const maskUpload = spec.mask?.kind === "upload" ? uploads.pop() : undefined;
  try {
    const fit = model.source
      ? { boxFor: (original: Box) => sizeOf(spec, model, original), maxBytesAsIs: MAX_SOURCE_BYTES_AS_IS }
      : undefined;
    const references = await gatherReferences(sources, { ...gather, uploads }, fit);
    const [source] = references;
    if (!spec.mask || !source) return { references };
    const original = await readOriginal(spec.mask, gather, () => maskUpload);
    if (original === undefined) throw notArrived(spec.mask);
    const mask = await toInpaintingMask(original, source.original, source, spec.mask.param);
    return { references, mask: mask.bytes };
  } finally {
    // Read, or no longer needed after a failure: either way let go of it.
    void maskUpload?.cancel().catch(() => undefined);
  }
}

/** An image of 1 MB travels as about 3.6 MB of JSON numbers, once per picture: a larger one is re-encoded even when it fits. */
const MAX_SOURCE_BYTES_AS_IS = 1_000_000;

interface Optimized {
  promptUsed: string;
  promptModel?: string;
  optimizationFailure?: string;
}

interface Judged {
  optimized: Optimized;
  reference?: ReferenceSource;
}

/**
 * A chat follow-up to one of this Worker's pictures, while it still exists: the optimiser says
 * whether the message edits it or asks for a new one, and writes the prompt. Undefined (a new
 * picture, optimised as usual) when the picture is gone or the answer is not the expected form;
 * when the optimiser did not answer at all, a new picture from the user's words, without asking
 * it a second time.
 */
async function judgeStage(spec: JobSpec, deps: PipelineDeps, t: Translate): Promise<Judged | undefined> {
  const previous = spec.followUp;
  const { optimizer, upstream } = spec.settings;
  if (!previous || !deps.previousPrompt) return undefined;
  // Only a picture that has not expired has a prompt to give: no need to read its bytes here.
  const previousPrompt = await deps.previousPrompt(previous.key);
  if (previousPrompt === undefined) return undefined;
  deps.progress("optimizing", t("optimizing", { model: optimizer.model }));
  const verdict = await judgeFollowUp(spec.prompt, previousPrompt, optimizer, upstream, deps.ai);
  if (!verdict.ok && verdict.answered) return undefined;
  const optimized = reportRewrite(verdict, spec, deps, t);
  if (!verdict.ok || verdict.action === "new") return { optimized };
  return { optimized, reference: { kind: "stored", key: previous.key, param: previous.param } };
}

/** The prompt rewritten by the optimiser (which is on); the user's own when it fails. */
async function optimizeStage(
  spec: JobSpec,
  deps: PipelineDeps,
  t: Translate,
  referenceCount: number,
): Promise<Optimized> {
  const { optimizer, upstream } = spec.settings;
  deps.progress("optimizing", t("optimizing", { model: optimizer.model }));
  const outcome = await optimizePrompt(spec.prompt, optimizer, upstream, deps.ai, { referenceCount });
  return reportRewrite(outcome, spec, deps, t);
}

/** Says how the optimiser's rewrite went, and the prompt the job draws with: its rewrite, or the user's own. */
function reportRewrite(
  outcome: { ok: true; prompt: string; model: string } | { ok: false; reason: string },
  spec: JobSpec,
  deps: PipelineDeps,
  t: Translate,
): Optimized {
  if (!outcome.ok) {
    deps.progress("optimizing", t("optimizeFailed", { reason: outcome.reason }));
    return { promptUsed: spec.prompt, optimizationFailure: outcome.reason };
  }
  // Chat clients render progress lines as markdown, and the rewrite echoes the user's words.
  deps.progress("optimizing", t("optimized", { prompt: escapeMarkdown(outcome.prompt) }), {
    optimizedPrompt: outcome.prompt,
  });
  return { promptUsed: outcome.prompt, promptModel: outcome.model };
}

/** Writes every image to KV and the job's storage; on any failure removes what was written. */
async function storeAll(spec: JobSpec, deps: PipelineDeps, generated: SeededImage[]): Promise<JobImage[]> {
  const store = new ImageStore(deps.kv);
  const written: string[] = [];
  // allSettled, not all: cleaning up while another put is still in flight would leave that one behind.
  const outcomes = await Promise.allSettled(
    generated.map(async (image) => {
      const key = deps.newImageKey();
      const meta: StoredImageMeta = {
        contentType: image.contentType,
        width: image.width,
        height: image.height,
        expiresAt: deps.expiresAt,
      };
      written.push(key);
      deps.keepBytes(key, image.bytes, meta);
      await store.put(key, image.bytes, meta, spec.settings.imageExpirationSeconds);
      return {
        key,
        url: `${spec.origin}/image/${key}`,
        width: image.width,
        height: image.height,
        contentType: image.contentType,
        seed: image.seed,
        cost: image.cost,
      };
    }),
  );
  const failure = outcomes.find((outcome) => outcome.status === "rejected");
  if (failure) {
    await Promise.allSettled(written.map((key) => deps.kv.delete(key)));
    for (const key of written) deps.forgetBytes(key);
    throw new ApiError(502, `Could not store the image: ${String(failure.reason)}.`, { code: "storage_error" });
  }
  return outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
}

/** What went wrong before a retry, in the user's words: only capacity, server errors and the network are retried. */
function retryReason(cause: ApiError): "retryCapacity" | "retryServerError" | "retryUnreachable" {
  if (cause.code === "upstream_capacity") return "retryCapacity";
  if (cause.code === "upstream_unreachable") return "retryUnreachable";
  return "retryServerError";
}

/**
 * Every picture, or the first failure once all have ended: not at once, as Promise.all would, so
 * that what the others were paid for is counted before the job settles.
 */
async function allOrFirstFailure<T>(pictures: Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(pictures);
  const failure = outcomes.find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
  return outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
}

/**
 * The stages of one generation: optimise → generate → store. Each stage
 * reports progress; a failure anywhere throws, and the store stage undoes its
 * partial writes so a failed job leaves nothing behind.
 */
import { ApiError } from "../lib/http/errors.ts";
import type { MessageKey } from "../lib/i18n/strings.ts";
import { translate } from "../lib/i18n/translate.ts";
import { ImageStore, type StoredImageMeta } from "../lib/storage/image-store.ts";
import type { JobImage, JobResult, JobSpec, JobStatus } from "../lib/jobs.ts";
import { findModel } from "../lib/generation/models.ts";
import { optimizePrompt } from "../lib/upstream/optimizer.ts";
import { escapeMarkdown } from "../lib/openai/markdown-reply.ts";
import { generateImage, type GeneratedImage } from "../lib/upstream/workers-ai.ts";
import { workersAi, type AiBinding } from "../lib/upstream/transport.ts";

export interface PipelineDeps {
  kv: KVNamespace;
  /** The Workers AI binding; unused when the settings choose the REST API. */
  ai: AiBinding | undefined;
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
  /** The images as base64, for `b64_json` delivery. */
  base64?: string[];
  timings: Record<string, number>;
}

/** `timings` is the caller's, so the time spent in each stage is known even when a stage throws. */
export async function runPipeline(
  spec: JobSpec,
  deps: PipelineDeps,
  timings: Record<string, number> = {},
): Promise<PipelineOutcome> {
  const t = (key: MessageKey, params?: Record<string, string | number>) =>
    translate(spec.settings.language, key, params);
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

  let promptUsed = spec.prompt;
  let promptModel: string | undefined;
  let optimizationFailure: string | undefined;
  const { optimizer, upstream } = spec.settings;
  const ai = workersAi(upstream, deps.ai); // before any work: a deployment that cannot reach Workers AI fails at once
  if (optimizer.enabled) {
    deps.progress("optimizing", t("optimizing", { model: optimizer.model }));
    const outcome = await timed("optimize", () => optimizePrompt(spec.prompt, optimizer, upstream, deps.ai));
    if (outcome.ok) {
      promptUsed = outcome.prompt;
      promptModel = outcome.model;
      // Chat clients render progress lines as markdown, and the rewrite echoes the user's words.
      deps.progress("optimizing", t("optimized", { prompt: escapeMarkdown(outcome.prompt) }), {
        optimizedPrompt: outcome.prompt,
      });
    } else {
      optimizationFailure = outcome.reason;
      deps.progress("optimizing", t("optimizeFailed", { reason: outcome.reason }));
    }
  }

  deps.progress("generating", t("generating", { width: spec.width, height: spec.height, model: model.id }));
  const request = { model, prompt: promptUsed, width: spec.width, height: spec.height };
  const onRetry = (attempt: number, max: number) => deps.progress("generating", t("retrying", { attempt, max }));
  const generated = await timed("generate", () =>
    Promise.all(
      Array.from({ length: spec.count }, async (_, index) => {
        const seed = spec.seeds?.[index];
        return { ...(await generateImage({ ...request, seed }, ai, upstream, { onRetry })), seed };
      }),
    ),
  );

  let images: JobImage[];
  if (spec.delivery === "url") {
    deps.progress("storing", t("storing"));
    images = await timed("store", () => storeAll(spec, deps, generated));
  } else {
    images = generated.map(({ width, height, contentType, seed }) => ({ width, height, contentType, seed }));
  }
  const result: JobResult = {
    model: model.id,
    originalPrompt: spec.prompt,
    promptUsed,
    promptModel,
    optimizationFailure,
    images,
    expiresAt: deps.expiresAt,
  };
  return { result, base64: spec.delivery === "b64_json" ? generated.map((image) => image.base64) : undefined, timings };
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

/**
 * GenerationJob: one Durable Object per generation.
 *
 * Responsibilities:
 * - run the job: optimise the prompt (optional) → generate the image(s) → store them;
 * - push each progress event to whoever is listening (the request that started
 *   it, or a later `GET /v1/jobs/:id/events` by the same API key), replaying past
 *   events first;
 * - record the job in its SQLite storage in two commits (job-record.ts): the
 *   job when it starts, its events and images when it ends;
 * - keep the image bytes until they expire, so an image URL works even where
 *   KV has not caught up yet;
 * - delete everything when the images expire (an alarm).
 *
 * The job never depends on its listeners: a client that disconnects only
 * removes a listener, and the job runs to the end.
 */
import { DurableObject } from "cloudflare:workers";
import { ApiError, toApiError } from "../lib/http/errors.ts";
import { errorText, translate } from "../lib/i18n/translate.ts";
import { fetchImage } from "../lib/images/fetch-image.ts";
import { findImage } from "../lib/storage/find-image.ts";
import { jobIdOfImageKey, newImageKey, type StoredImage } from "../lib/storage/image-store.ts";
import {
  encodeEvent,
  failedEvent,
  findJob,
  type JobEvent,
  type JobImage,
  type JobResult,
  type JobSpec,
  type JobView,
} from "../lib/jobs.ts";
import type { JobSummary, Settlement } from "../lib/budget/ledger.ts";
import { JobRecord } from "./job-record.ts";
import { reportedCost } from "../lib/generation/cost.ts";
import { runPipeline, type Spending } from "./pipeline.ts";

interface Listener {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** The caller that started the job gets `b64_json` images on the final event. */
  owner: boolean;
  /** The last event the reader has seen (`Last-Event-ID`): it gets only later ones, live ones too. */
  afterId: number;
}

export class GenerationJob extends DurableObject<Env> {
  private readonly record = new JobRecord(this.ctx.storage);
  private readonly listeners = new Set<Listener>();

  /**
   * Starts the job and returns its event stream (NDJSON), from the first event on. `uploads` are
   * the uploaded reference images, one stream each (a whole photo is too big for one RPC message).
   */
  async start(spec: JobSpec, uploads: ReadableStream<Uint8Array>[] = []): Promise<ReadableStream<Uint8Array>> {
    const expiresAt = await this.prepare(spec);
    const stream = this.openStream(0, true);
    void this.launch(spec, uploads, expiresAt);
    return stream;
  }

  /** Runs the job to its end and returns its final event: for callers that wait rather than stream. */
  async complete(spec: JobSpec, uploads: ReadableStream<Uint8Array>[] = []): Promise<JobEvent> {
    return this.launch(spec, uploads, await this.prepare(spec));
  }

  /**
   * Replays the events after `afterId`, then streams live ones until the job ends. Null for a job
   * that does not exist or that another API key started (`owner`: the caller's key digest).
   */
  events(afterId: number, owner: string | undefined): ReadableStream<Uint8Array> | null {
    if (!this.record.ownedBy(owner)) return null;
    return this.openStream(afterId, false);
  }

  view(owner: string | undefined): JobView | null {
    if (!this.record.ownedBy(owner)) return null;
    return this.record.view(this.ctx.id.toString());
  }

  /** The bytes of one of this job's images, for when KV misses. */
  image(key: string): StoredImage | null {
    return this.record.image(key) ?? null;
  }

  /**
   * The prompt the job that made image `key` painted from (a follow-up's judgement needs it);
   * undefined once its images have expired, as the image store judges them.
   */
  private async previousPrompt(key: string, owner: string | undefined): Promise<string | undefined> {
    const jobId = jobIdOfImageKey(key);
    const job = jobId === undefined ? undefined : findJob(this.env.GENERATION_JOB, jobId);
    // The same key's picture only: another key's job answers null, like one that has expired. A
    // lookup that fails is a picture that cannot be followed up: the message is then a new picture.
    const result = (await job?.view(owner).catch(() => null))?.result;
    return result && result.expires_at * 1000 > Date.now() ? result.promptUsed : undefined;
  }

  /** One of this Worker's images, for an edit: from KV, else from the job that made it (KV may lag). */
  private async readStoredImage(key: string): Promise<Uint8Array | undefined> {
    const image = await findImage(this.env, key);
    return image ? new Uint8Array(image.bytes) : undefined;
  }

  override async alarm(): Promise<void> {
    // A job can outlast a short IMAGE_EXPIRATION (60 s) with a long IMAGE_TIMEOUT and retries:
    // removing it mid-way would cut its stream short and leave its end nowhere. Look again later.
    if (this.record.isRunning()) return this.ctx.storage.setAlarm(Date.now() + 60_000);
    this.closeListeners();
    await this.ctx.storage.deleteAll();
    this.record.cleared();
  }

  /** Records the job and schedules its cleanup; returns when its images expire. */
  private async prepare(spec: JobSpec): Promise<number> {
    if (this.record.exists()) throw new ApiError(409, "This job has already started.", { code: "job_exists" });
    const expiresAt = Date.now() + spec.settings.imageExpirationSeconds * 1000;
    // The job's first commit: its row and its cleanup alarm, written together (no await between),
    // before any work, so even a job that crashes is removed.
    this.record.create(spec);
    await this.ctx.storage.setAlarm(expiresAt);
    return expiresAt;
  }

  /** Runs the job under waitUntil, so it finishes even when nobody waits for it any more. */
  private launch(spec: JobSpec, uploads: ReadableStream<Uint8Array>[], expiresAt: number): Promise<JobEvent> {
    this.emit({ status: "queued" });
    const finished = this.run(this.ctx.id.toString(), spec, uploads, expiresAt);
    this.ctx.waitUntil(finished);
    return finished;
  }

  /** Returns the final event as the job's own caller gets it (with `b64_json` images). */
  private async run(
    jobId: string,
    spec: JobSpec,
    uploads: ReadableStream<Uint8Array>[],
    expiresAt: number,
  ): Promise<JobEvent> {
    const started = Date.now();
    const timings: Record<string, number> = {}; // filled stage by stage, so a failure's log shows where the time went
    const spending: Spending = { neurons: 0 }; // what was paid, even by a job that fails after painting
    try {
      const outcome = await runPipeline(
        spec,
        {
          kv: this.env.FLUX_CF_KV,
          ai: this.env.AI,
          gather: {
            uploads,
            readStoredImage: (key) => this.readStoredImage(key),
            fetchImage: (url, param) => fetchImage(url, param),
            images: this.env.IMAGES,
          },
          images: this.env.IMAGES,
          previousPrompt: (key) => this.previousPrompt(key, spec.owner),
          expiresAt,
          newImageKey: () => newImageKey(jobId),
          progress: (status, message, extra) => this.emit({ status, message, ...extra }),
          keepBytes: (key, bytes, meta) => this.record.keepImage(key, bytes, meta),
          forgetBytes: (key) => this.record.forgetImage(key),
        },
        timings,
        spending,
      );
      const final = await this.succeed(outcome.result, outcome.base64);
      const first = outcome.result.images[0];
      log(jobId, spec, "succeeded", started, timings, undefined, first && `${first.width}x${first.height}`);
      this.ctx.waitUntil(this.settle(jobId, spec, started, expiresAt, final, spending));
      return final;
    } catch (error) {
      const apiError = toApiError(error);
      // The person-readable line follows REPLY_LANGUAGE; the error body stays English.
      const reason = errorText(spec.settings.language, apiError.code, apiError.message);
      const message = translate(spec.settings.language, "failed", { reason });
      const final = this.fail(failedEvent(apiError, message));
      log(jobId, spec, "failed", started, timings, apiError.code ?? String(apiError.status));
      this.ctx.waitUntil(this.settle(jobId, spec, started, expiresAt, final, spending));
      return final;
    } finally {
      this.closeListeners();
    }
  }

  /**
   * Ends the job with its result: stored, then sent. A result that cannot be stored is not half
   * kept: its images leave KV again, and the job fails with storage_error instead.
   */
  private async succeed(result: JobResult, base64: string[] | undefined): Promise<JobEvent> {
    let final: JobEvent;
    try {
      final = this.record.finish({ status: "succeeded", result });
    } catch (error) {
      const keys = result.images.flatMap((image) => (image.key ? [image.key] : []));
      await Promise.allSettled(keys.map((key) => this.env.FLUX_CF_KV.delete(key)));
      console.error(JSON.stringify({ event: "job_record_failed", error: String(error) }));
      throw new ApiError(502, "Could not record the job's result. Try again.", { code: "storage_error" });
    }
    return this.send(final, base64);
  }

  /** Ends the job with a failure: stored with its events; if even that cannot be stored, still sent. */
  private fail(failed: Omit<JobEvent, "id" | "at">): JobEvent {
    let final: JobEvent;
    try {
      final = this.record.finish(failed);
    } catch {
      final = this.record.abandon(failed);
    }
    return this.send(final);
  }

  /**
   * After the answer: tells the key's account what the job spent (replacing its reservation) and
   * lists it in the key's history. A failure here must not lose a picture already delivered: it is
   * logged, and the reservation lapses with its day.
   */
  private async settle(
    jobId: string,
    spec: JobSpec,
    started: number,
    expiresAt: number,
    final: JobEvent,
    spending: Spending,
  ): Promise<void> {
    const account = spec.account;
    if (!account) return;
    const result = final.result;
    const settlement: Settlement = {
      reservation: account.reservation,
      day: account.day,
      model: spec.model,
      // A failed job counts what it paid for before failing (pictures painted, tries Workers AI billed).
      neurons: result?.cost?.neurons ?? spending.neurons,
      pictures: result?.images.length ?? 0,
    };
    const first = result?.images[0];
    const job: JobSummary = {
      id: jobId,
      created_at: Math.floor(started / 1000),
      status: result ? "succeeded" : "failed",
      model: spec.model,
      size: first ? `${first.width}x${first.height}` : `${spec.width}x${spec.height}`,
      prompt: spec.prompt,
      images: result?.images.flatMap((image) => (image.url ? [image.url] : [])) ?? [],
      seeds: result?.images.map((image) => image.seed ?? null) ?? [],
      neurons: result?.cost?.neurons ?? (result ? null : spending.neurons),
      usd: result?.cost?.usd ?? (result ? null : reportedCost(spending.neurons).usd),
      estimated: result?.cost?.estimated ?? false,
      expires_at: Math.floor(expiresAt / 1000),
      ...(final.failure?.error.code ? { error: final.failure.error.code } : {}),
    };
    try {
      await this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(account.digest)).settle(
        settlement,
        job,
        started,
      );
    } catch (error) {
      console.error(JSON.stringify({ event: "settle_failed", job: jobId, error: String(error) }));
    }
  }

  /** Records a progress event and pushes it to every listener. */
  private emit(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    return this.send(this.record.appendEvent(partial));
  }

  /** Pushes an event to every listener; returns it as the job's own caller sees it (`b64_json` images). */
  private send(event: JobEvent, base64?: string[]): JobEvent {
    const ownerEvent = base64 && event.result ? { ...event, result: withBase64(event.result, base64) } : event;
    if (this.listeners.size === 0) return ownerEvent;
    const stored = encodeEvent(event);
    const forOwner = ownerEvent === event ? stored : encodeEvent(ownerEvent);
    for (const listener of this.listeners) {
      if (event.id <= listener.afterId) continue;
      try {
        listener.controller.enqueue(listener.owner ? forOwner : stored);
      } catch {
        this.listeners.delete(listener); // the reader went away
      }
    }
    return ownerEvent;
  }

  private openStream(afterId: number, owner: boolean): ReadableStream<Uint8Array> {
    let listener: Listener | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const { events, over } = this.record.eventsAfter(afterId);
        for (const event of events) controller.enqueue(encodeEvent(event));
        // A job that is over ends the stream even when the reader has seen every event already.
        if (over) return controller.close();
        listener = { controller, owner, afterId };
        this.listeners.add(listener);
      },
      cancel: () => {
        if (listener) this.listeners.delete(listener);
      },
    });
  }

  private closeListeners(): void {
    for (const listener of this.listeners) {
      try {
        listener.controller.close();
      } catch {
        // already closed or cancelled
      }
    }
    this.listeners.clear();
  }
}

function withBase64(result: JobResult, base64: string[]): JobResult {
  const images: JobImage[] = result.images.map((image, index) => ({ ...image, b64_json: base64[index] }));
  return { ...result, images };
}

/** One structured line per job: what ran and how long each stage took; never prompts or keys. */
function log(
  jobId: string,
  spec: JobSpec,
  outcome: string,
  started: number,
  timings: Record<string, number>,
  error?: string,
  /** What was painted, when known: an edit may take its size from a reference. */
  size = `${spec.width}x${spec.height}`,
): void {
  console.log(
    JSON.stringify({
      event: "job",
      job: jobId,
      kind: spec.kind,
      model: spec.model,
      size,
      count: spec.count,
      references: spec.references?.length,
      outcome,
      error,
      ms: { total: Date.now() - started, ...timings },
    }),
  );
}

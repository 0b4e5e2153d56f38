/**
 * A GenerationJob's record: the job row, its events, and its images' bytes.
 *
 * Storage is written twice per job, no more: when the job starts (the row, in the same
 * commit as the cleanup alarm the caller sets) and when it ends (every event, the images
 * and the final state in one transaction). Every durable write is a commit, which on
 * Cloudflare holds the object's outgoing messages until it is confirmed and under
 * `wrangler dev` is an fsync; progress lines do not need to survive a crash, because a job
 * whose object restarts is lost anyway. So while the job runs, its events and images live
 * in memory, where this same object answers replays and lookups from.
 *
 * A row or BLOB may hold at most 2 MB, so image bytes are split into parts.
 */
import type { StoredImage, StoredImageMeta } from "../lib/storage/image-store.ts";
import { failedEvent, isFinal, jobLostError, type JobEvent, type JobSpec, type JobView } from "../lib/jobs.ts";

/** Under the 2 MB row limit with room for the key and part number. */
const IMAGE_PART_BYTES = 1_000_000;

/**
 * `events` is null until the job ends: then it holds all of them, as a JSON array. The table is
 * not called `job`: objects made before the two-commit record hold a `job` table of another shape,
 * and must read as unknown jobs (404), not fail on a missing column, until their alarm removes them.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS job_record (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    owner TEXT, model TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    created_at INTEGER NOT NULL, events TEXT);
  CREATE TABLE IF NOT EXISTS image_parts (key TEXT NOT NULL, part INTEGER NOT NULL, meta TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (key, part));
`;

type JobRow = {
  /** The digest of the API key that started the job (null only for a job made without one, in tests). */
  owner: string | null;
  model: string;
  width: number;
  height: number;
  /** Epoch milliseconds. */
  created_at: number;
  events: string | null;
};

/** The job this object is running now: everything it will store when it ends. */
interface RunningJob {
  row: JobRow;
  events: JobEvent[];
  images: Map<string, { bytes: Uint8Array; meta: StoredImageMeta }>;
}

/** Where a job stands for a reader: the events it can replay, and whether more will come. */
export interface JobEvents {
  events: JobEvent[];
  over: boolean;
}

/**
 * Tables are created only when a job starts, so that probing an id (an image fallback, a job
 * lookup) leaves no storage behind, and after `clear()` the object holds nothing at all.
 */
export class JobRecord {
  private readonly storage: DurableObjectStorage;
  private running: RunningJob | undefined;
  /** Whether the tables exist; looked up once, on first need (a starting job never needs to look). */
  private tablesExist: boolean | undefined;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private hasTables(): boolean {
    this.tablesExist ??=
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_record'").toArray().length > 0;
    return this.tablesExist;
  }

  private storedRow(): JobRow | undefined {
    if (!this.hasTables()) return undefined;
    return this.sql.exec<JobRow>("SELECT owner, model, width, height, created_at, events FROM job_record").toArray()[0];
  }

  private row(): JobRow | undefined {
    return this.running?.row ?? this.storedRow();
  }

  exists(): boolean {
    return this.row() !== undefined;
  }

  /** Whether `owner` (a key digest) may see this job. */
  ownedBy(owner: string | undefined): boolean {
    const row = this.row();
    return row !== undefined && row.owner === (owner ?? null);
  }

  /** Whether a job is running in this object now (it has not ended, and was not lost). */
  isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Forgets everything after the storage was deleted. */
  cleared(): void {
    this.tablesExist = false;
    this.running = undefined;
  }

  /**
   * Stores what the job is and who started it; the settings (which hold credentials) are
   * deliberately not stored. The first of the job's two commits.
   */
  create(spec: JobSpec): void {
    const row: JobRow = {
      owner: spec.owner ?? null,
      model: spec.model,
      width: spec.width,
      height: spec.height,
      created_at: Date.now(),
      events: null,
    };
    this.sql.exec(SCHEMA);
    this.tablesExist = true;
    this.sql.exec(
      "INSERT INTO job_record (singleton, owner, model, width, height, created_at) VALUES (1, ?, ?, ?, ?, ?)",
      row.owner,
      row.model,
      row.width,
      row.height,
      row.created_at,
    );
    this.running = { row, events: [], images: new Map() };
  }

  /** A progress event of the running job: kept in memory until the job ends. */
  appendEvent(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    const event = this.nextEvent(partial);
    this.running?.events.push(event);
    return event;
  }

  private nextEvent(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    return { id: (this.running?.events.length ?? 0) + 1, at: Date.now() / 1000, ...partial };
  }

  /** Keeps an image's bytes until the job ends (they are stored with its final event). */
  keepImage(key: string, bytes: Uint8Array, meta: StoredImageMeta): void {
    this.running?.images.set(key, { bytes, meta });
  }

  forgetImage(key: string): void {
    this.running?.images.delete(key);
  }

  /**
   * The job's final event: it, every earlier event and, for a job that succeeded, the kept
   * images are stored in one transaction (the job's second commit), and from then on are read
   * from storage. If that transaction fails, nothing of it is kept and the job is still running,
   * so the caller can end it otherwise (`finish` with a failure, or `abandon`).
   */
  finish(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    const running = this.running;
    const final = this.nextEvent(partial);
    if (!running) return final; // cleared while running: the job's storage is gone, and stays so
    this.storage.transactionSync(() => {
      this.sql.exec("UPDATE job_record SET events = ?", JSON.stringify([...running.events, final]));
      if (final.status !== "succeeded") return; // a failed job's images are never served
      for (const [key, image] of running.images) this.saveImage(key, image.bytes, image.meta);
    });
    this.running = undefined;
    return final;
  }

  /**
   * Ends a job whose end could not be stored: its final event still reaches its listeners and
   * caller, and later lookups find it lost, which is the truth about what storage holds.
   */
  abandon(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    const final = this.nextEvent(partial);
    this.running = undefined;
    return final;
  }

  /**
   * The events after `afterId`. A job that is neither running here nor finished was lost: its
   * object restarted mid-way (a deploy, a crash), so it ends with a `job_lost` failure.
   */
  eventsAfter(afterId: number): JobEvents {
    if (this.running) return { events: this.running.events.filter((event) => event.id > afterId), over: false };
    return { events: this.endedEvents(this.storedRow(), afterId), over: true };
  }

  /**
   * A job's stored events after `afterId`; for a lost job, the one event that says so, numbered
   * after whatever the reader has seen (it may have followed the job live before it was lost).
   */
  private endedEvents(row: JobRow | undefined, afterId: number): JobEvent[] {
    if (!row) return [];
    if (row.events !== null) return (JSON.parse(row.events) as JobEvent[]).filter((event) => event.id > afterId);
    return [{ id: afterId + 1, at: row.created_at / 1000, ...failedEvent(jobLostError()) }];
  }

  view(jobId: string): JobView | null {
    const row = this.row();
    if (!row) return null;
    const events = this.running?.events ?? this.endedEvents(row, 0);
    const final = events.find(isFinal);
    // What was painted, once known: an edit may take its size from its first reference.
    const painted = final?.result?.images[0];
    return {
      id: jobId,
      object: "generation.job",
      status: events.at(-1)?.status ?? "queued",
      created_at: Math.floor(row.created_at / 1000), // stored in milliseconds, shown in seconds like every time here
      model: row.model,
      width: painted?.width ?? row.width,
      height: painted?.height ?? row.height,
      events,
      result: final?.result ?? null,
      error: final?.failure?.error ?? null,
    };
  }

  /** Each part carries the image's meta, so that an image is one kind of row (one statement per part, none besides). */
  saveImage(key: string, bytes: Uint8Array, meta: StoredImageMeta): void {
    const metaText = JSON.stringify(meta);
    for (let part = 0; part * IMAGE_PART_BYTES < bytes.length; part++) {
      const slice = bytes.subarray(part * IMAGE_PART_BYTES, (part + 1) * IMAGE_PART_BYTES);
      this.sql.exec(
        "INSERT OR REPLACE INTO image_parts (key, part, meta, bytes) VALUES (?, ?, ?, ?)",
        key,
        part,
        metaText,
        slice,
      );
    }
  }

  image(key: string): StoredImage | undefined {
    if (!this.hasTables()) return undefined;
    const parts = this.sql
      .exec<{ meta: string; bytes: ArrayBuffer }>(
        "SELECT meta, bytes FROM image_parts WHERE key = ? ORDER BY part",
        key,
      )
      .toArray();
    const first = parts[0];
    if (!first) return undefined;
    const meta = JSON.parse(first.meta) as StoredImageMeta;
    if (meta.expiresAt <= Date.now()) return undefined;
    const total = parts.reduce((sum, part) => sum + part.bytes.byteLength, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      bytes.set(new Uint8Array(part.bytes), offset);
      offset += part.bytes.byteLength;
    }
    return { bytes, meta };
  }
}

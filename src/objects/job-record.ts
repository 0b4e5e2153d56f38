/**
 * A GenerationJob's storage (SQLite in the Durable Object): the job row, its
 * events, and its images' bytes. Bytes are split into parts because a row or
 * BLOB may hold at most 2 MB.
 */
import type { StoredImage, StoredImageMeta } from "../lib/storage/image-store.ts";
import { isFinal, type JobEvent, type JobSpec, type JobView } from "../lib/jobs.ts";

/** Under the 2 MB row limit with room for the key and part number. */
const IMAGE_PART_BYTES = 1_000_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS job (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    job_id TEXT NOT NULL, model TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS image_parts (key TEXT NOT NULL, part INTEGER NOT NULL, meta TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (key, part));
`;

type JobRow = { job_id: string; model: string; width: number; height: number; created_at: number };

/**
 * Tables are created only when a job starts, so that probing an id (an image
 * fallback, a job lookup) leaves no storage behind, and after `clear()` the
 * object holds nothing at all.
 */
export class JobRecord {
  private readonly sql: SqlStorage;
  private lastEventId = 0;
  /** Whether the tables exist; looked up once, on first need (a starting job never needs to look). */
  private tablesExist: boolean | undefined;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  private hasTables(): boolean {
    this.tablesExist ??=
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job'").toArray().length > 0;
    return this.tablesExist;
  }

  exists(): boolean {
    return this.hasTables() && this.sql.exec("SELECT 1 FROM job").toArray().length > 0;
  }

  /** Forgets the tables after the storage was deleted. */
  cleared(): void {
    this.tablesExist = false;
    this.lastEventId = 0;
  }

  /** Stores what the job is; the settings (which hold credentials) are deliberately not stored. */
  create(jobId: string, spec: JobSpec, expiresAt: number): void {
    this.sql.exec(SCHEMA);
    this.tablesExist = true;
    this.lastEventId = 0;
    this.sql.exec(
      "INSERT INTO job (singleton, job_id, model, width, height, created_at, expires_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
      jobId,
      spec.model,
      spec.width,
      spec.height,
      Date.now(),
      expiresAt,
    );
  }

  /** One statement per event: the job's status, result and error are its events' (see `view`), so no row update. */
  appendEvent(partial: Omit<JobEvent, "id" | "at">): JobEvent {
    const event: JobEvent = { id: ++this.lastEventId, at: Date.now(), ...partial };
    this.sql.exec("INSERT INTO events (id, at, body) VALUES (?, ?, ?)", event.id, event.at, JSON.stringify(event));
    return event;
  }

  eventsAfter(afterId: number): JobEvent[] {
    if (!this.hasTables()) return [];
    return this.sql
      .exec<{ body: string }>("SELECT body FROM events WHERE id > ? ORDER BY id", afterId)
      .toArray()
      .map((row) => JSON.parse(row.body) as JobEvent);
  }

  view(jobId: string): JobView | null {
    if (!this.hasTables()) return null;
    const row = this.sql.exec<JobRow>("SELECT * FROM job").toArray()[0];
    if (!row) return null;
    const events = this.eventsAfter(0);
    const final = events.find(isFinal);
    // What was painted, once known: an edit may take its size from its first reference.
    const painted = final?.result?.images[0];
    return {
      id: jobId,
      object: "generation.job",
      status: events.at(-1)?.status ?? "queued",
      created_at: Math.floor(row.created_at / 1000),
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

  deleteImage(key: string): void {
    this.sql.exec("DELETE FROM image_parts WHERE key = ?", key);
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

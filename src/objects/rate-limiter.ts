/**
 * RateLimiter: one Durable Object per API key (named by the key's SHA-256, never the key), and one
 * named "service" for the whole service. A key's object is its account: its rate limit
 * (rate-limit.ts), what it spends each UTC day in neurons and its budget (lib/budget/ledger.ts),
 * and the history of its jobs (GET /v1/jobs). The service's object counts the whole service's day.
 *
 * A Durable Object rather than the Rate Limiting binding: the binding's limit is fixed in the
 * Wrangler config and counts per location, eventually consistent, while RATE_LIMIT_PER_MINUTE and
 * the budgets are runtime settings that must hold wherever a key's requests land; and one object
 * runs one request at a time, so concurrent requests cannot overspend.
 *
 * Its first call is on every generation's path, so it is kept small: the rate state is one number
 * and today's commitments a sum, held in memory while the object lives and read from storage only
 * when it starts. What admitting changes is written after the answer has gone: a write pending when
 * an answer is sent holds that answer until it is durable (the output gate; `allowUnconfirmed` is
 * not implemented for SQLite-backed objects, as workerd's actor-sqlite.c++ says), which put a storage
 * commit before every generation's first byte. Were the object to crash in that moment, the key
 * would get back the images or the reservation it was just given: a few at most. Settling, which
 * happens after the job, writes at once.
 */
import { DurableObject } from "cloudflare:workers";
import {
  addToDay,
  emptyDay,
  fitsBudget,
  KEPT_DAYS,
  type BudgetDecision,
  type DayUsage,
  type JobSummary,
  type Reservation,
  type Settlement,
} from "../lib/budget/ledger.ts";
import { utcDay } from "../lib/generation/utc-day.ts";
import { checkRate, WINDOW_MS, type RateDecision } from "../lib/http/rate-limit.ts";

/** Not the earlier "window" key: objects from before the change hold a different shape there. */
const STATE_KEY = "tat";
/** The object that counts the whole service. Keys' objects are named by 64 hex digits, so never this. */
export const SERVICE_ACCOUNT = "service";

export interface AdmitRequest {
  rate?: { limit: number; images: number };
  budget?: { reservation: Reservation; keyLimit?: number; totalLimit?: number };
}

export type AdmitDecision =
  | { allowed: true }
  | { allowed: false; reason: "rate"; retryAfterSeconds: number }
  /** The service's budget could not be asked: refused rather than risk overspending. */
  | { allowed: false; reason: "unavailable" }
  | ({ allowed: false; reason: "budget" } & Extract<BudgetDecision, { allowed: false }>);

export interface UsageReport {
  /** Today's settled figures, and what running jobs have reserved on top. */
  today: DayUsage;
  reserved: number;
  /** The last KEPT_DAYS days with any use, newest first (today included). */
  days: DayUsage[];
}

/** How often settling also removes the days and jobs that have aged out: a scan of the tables, not needed per job. */
const PRUNE_EVERY_MS = 60_000;

export class RateLimiter extends DurableObject<Env> {
  private tat: number | undefined;
  private reservations: Map<string, Reservation> | undefined;
  /** Reservations made or let go since the last write: the id, and the reservation or null for gone. */
  private readonly changedReservations = new Map<string, Reservation | null>();
  private writeScheduled = false;
  private lastPruned = 0;
  private serviceStub: DurableObjectStub<RateLimiter> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS usage (day TEXT, model TEXT, neurons REAL, pictures INTEGER, PRIMARY KEY (day, model))`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, day TEXT, neurons REAL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, started INTEGER, expires_at INTEGER, summary TEXT)`,
    );
  }

  /** Counts `cost` images if they fit in `limit` a minute; otherwise says why not and how long to wait. */
  take(limit: number, cost: number): RateDecision {
    this.tat ??= this.ctx.storage.kv.get<number>(STATE_KEY) ?? 0;
    const decision = checkRate(this.tat, limit, cost, Date.now());
    if (decision.allowed) {
      this.tat = decision.tat;
      this.writeSoon();
    }
    return decision;
  }

  /**
   * The one call before a job: its images against the rate limit, and its estimate against the
   * key's and the service's budgets, reserved if it fits. Nothing is counted for a request refused.
   */
  async admit(request: AdmitRequest): Promise<AdmitDecision> {
    const { rate, budget } = request;
    if (rate) {
      const decision = this.take(rate.limit, rate.images);
      if (!decision.allowed) return { allowed: false, reason: "rate", retryAfterSeconds: decision.retryAfterSeconds };
    }
    if (!budget) return { allowed: true };
    // Gives back this request's own share of the rate only: others may have been admitted meanwhile.
    const undoRate = () => {
      if (!rate || this.tat === undefined) return;
      this.tat -= rate.images * (WINDOW_MS / rate.limit);
      this.writeSoon();
    };
    const own = this.reserve(budget.reservation, budget.keyLimit);
    if (!own.allowed) {
      undoRate();
      return { ...own, reason: "budget", scope: "key" };
    }
    if (budget.totalLimit === undefined) return { allowed: true };
    // Reserved here first: while the service answers, this key's other requests see it.
    let total: BudgetDecision;
    try {
      total = await this.service().reserve(budget.reservation, budget.totalLimit);
    } catch (error) {
      console.error(JSON.stringify({ event: "service_budget_unreachable", error: String(error) }));
      this.release(budget.reservation.id);
      undoRate();
      return { allowed: false, reason: "unavailable" };
    }
    if (total.allowed) return { allowed: true };
    this.release(budget.reservation.id);
    undoRate();
    return { ...total, reason: "budget", scope: "service" };
  }

  /** Lets go of a reservation here and at the service's: its job never ran (its object was lost). */
  async releaseEverywhere(id: string): Promise<void> {
    this.release(id);
    await this.service().release(id);
  }

  private service(): DurableObjectStub<RateLimiter> {
    this.serviceStub ??= this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(SERVICE_ACCOUNT));
    return this.serviceStub;
  }

  /** Reserves `reservation` if it fits in `limit` beside the day's spending and other reservations. */
  reserve(reservation: Reservation, limit: number | undefined): BudgetDecision {
    if (limit !== undefined) {
      const committed = this.committed(reservation.day);
      if (!fitsBudget(committed, reservation.neurons, limit)) {
        const reserved = this.reservedOn(reservation.day);
        return {
          allowed: false,
          scope: "key",
          spent: committed - reserved,
          reserved,
          limit,
          estimate: reservation.neurons,
        };
      }
    }
    this.held().set(reservation.id, reservation);
    this.changedReservations.set(reservation.id, reservation);
    this.writeSoon();
    return { allowed: true };
  }

  release(id: string): void {
    if (!this.held().delete(id)) return;
    this.changedReservations.set(id, null);
    this.writeSoon();
  }

  /**
   * A job's end: its reservation replaced by what it spent, its summary added to the history
   * (a key's object), and the same figures passed on to the service's object.
   */
  /** `startedMs` orders the key's jobs (several start within a second). */
  async settle(settlement: Settlement, job?: JobSummary, startedMs = Date.now()): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (settlement.reservation) {
      this.held().delete(settlement.reservation);
      this.changedReservations.delete(settlement.reservation);
      sql.exec(`DELETE FROM reservations WHERE id = ?`, settlement.reservation);
    }
    sql.exec(
      `INSERT INTO usage (day, model, neurons, pictures) VALUES (?, ?, ?, ?)
       ON CONFLICT (day, model) DO UPDATE SET neurons = neurons + excluded.neurons, pictures = pictures + excluded.pictures`,
      settlement.day,
      settlement.model,
      settlement.neurons,
      settlement.pictures,
    );
    const prune = Date.now() - this.lastPruned >= PRUNE_EVERY_MS;
    if (prune) {
      this.lastPruned = Date.now();
      sql.exec(`DELETE FROM usage WHERE day < ?`, utcDay(Date.now() - KEPT_DAYS * 86_400_000));
      // An earlier day's reservation no longer counts (held() leaves it out): its job ended or was lost.
      sql.exec(`DELETE FROM reservations WHERE day < ?`, utcDay());
      // Read with `expires_at >= now` anyway (jobs()): removing them is only tidying.
      sql.exec(`DELETE FROM jobs WHERE expires_at < ?`, Math.floor(Date.now() / 1000));
    }
    if (job) {
      sql.exec(
        `INSERT OR REPLACE INTO jobs (id, started, expires_at, summary) VALUES (?, ?, ?, ?)`,
        job.id,
        startedMs,
        job.expires_at,
        JSON.stringify(job),
      );
      await this.service().settle(settlement);
    }
  }

  /** Today's figures and the last days', for GET /v1/usage. */
  usage(): UsageReport {
    const rows = this.ctx.storage.sql
      .exec<{ day: string; model: string; neurons: number; pictures: number }>(
        `SELECT day, model, neurons, pictures FROM usage WHERE day >= ? ORDER BY day DESC`,
        utcDay(Date.now() - (KEPT_DAYS - 1) * 86_400_000),
      )
      .toArray();
    const byDay = new Map<string, DayUsage>();
    for (const row of rows) {
      const day = byDay.get(row.day) ?? emptyDay(row.day);
      byDay.set(
        row.day,
        addToDay(day, { day: row.day, model: row.model, neurons: row.neurons, pictures: row.pictures }),
      );
    }
    const today = utcDay();
    return {
      today: byDay.get(today) ?? emptyDay(today),
      reserved: this.reservedOn(today),
      days: [...byDay.values()],
    };
  }

  /** The key's jobs, newest first, `limit` at a time: those after job `after` in that order (OpenAI's list cursor). */
  jobs(limit: number, after?: string): JobSummary[] {
    const now = Math.floor(Date.now() / 1000);
    const sql = this.ctx.storage.sql;
    const cursor = after
      ? sql.exec<{ started: number }>(`SELECT started FROM jobs WHERE id = ?`, after).toArray()[0]
      : undefined;
    // A cursor whose job is gone (expired): nothing after it can be told, so no page rather than the first again.
    if (after && !cursor) return [];
    const rows = cursor
      ? sql.exec<{ summary: string }>(
          `SELECT summary FROM jobs WHERE expires_at >= ? AND (started < ? OR (started = ? AND id < ?))
           ORDER BY started DESC, id DESC LIMIT ?`,
          now,
          cursor.started,
          cursor.started,
          after,
          limit,
        )
      : sql.exec<{ summary: string }>(
          `SELECT summary FROM jobs WHERE expires_at >= ? ORDER BY started DESC, id DESC LIMIT ?`,
          now,
          limit,
        );
    return rows.toArray().map((row) => JSON.parse(row.summary) as JobSummary);
  }

  /** What the day has spent and what is reserved on it. */
  private committed(day: string): number {
    const spent = this.ctx.storage.sql
      .exec<{ total: number | null }>(`SELECT SUM(neurons) AS total FROM usage WHERE day = ?`, day)
      .one().total;
    return (spent ?? 0) + this.reservedOn(day);
  }

  private reservedOn(day: string): number {
    let reserved = 0;
    for (const held of this.held().values()) if (held.day === day) reserved += held.neurons;
    return reserved;
  }

  private held(): Map<string, Reservation> {
    if (!this.reservations) {
      // A reservation of an earlier day no longer counts (its job ended or was lost): not kept.
      const rows = this.ctx.storage.sql
        .exec<{ id: string; day: string; neurons: number }>(
          `SELECT id, day, neurons FROM reservations WHERE day >= ?`,
          utcDay(),
        )
        .toArray();
      this.reservations = new Map(rows.map((row) => [row.id, row]));
    }
    return this.reservations;
  }

  /** Stores the state in a later turn, once this answer is on its way; admissions until then share the write. */
  private writeSoon(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setTimeout(() => {
      this.writeScheduled = false;
      if (this.tat !== undefined) this.ctx.storage.kv.put(STATE_KEY, this.tat);
      // What changed, not every reservation again: a key with many jobs running holds many.
      const sql = this.ctx.storage.sql;
      for (const [id, held] of this.changedReservations) {
        if (held)
          sql.exec(
            `INSERT OR REPLACE INTO reservations (id, day, neurons) VALUES (?, ?, ?)`,
            id,
            held.day,
            held.neurons,
          );
        else sql.exec(`DELETE FROM reservations WHERE id = ?`, id);
      }
      this.changedReservations.clear();
    }, 0);
  }
}

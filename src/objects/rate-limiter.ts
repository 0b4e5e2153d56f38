/**
 * RateLimiter: one Durable Object per API key (named by the key's SHA-256,
 * never the key), counting the images a key asks for (rate-limit.ts).
 *
 * A Durable Object rather than the Rate Limiting binding: the binding's limit
 * is fixed in the Wrangler config and counts per location, eventually consistent,
 * while RATE_LIMIT_PER_MINUTE is a runtime setting and a key's quota should
 * hold wherever its requests land.
 *
 * Its cost is on every generation's path, so it is kept small: the state is one
 * number, held in memory while the object lives and read from storage only when
 * it starts. It is written after the answer has gone: a write pending when an
 * answer is sent holds that answer until it is durable (the output gate; and
 * `allowUnconfirmed` is not implemented for SQLite-backed objects, as workerd's
 * actor-sqlite.c++ says), which put a storage commit (an fsync under `wrangler
 * dev`) before every generation's first byte. Were the object to crash in that
 * moment, the key would get back the images it was just given: a few at most.
 */
import { DurableObject } from "cloudflare:workers";
import { checkRate, type RateDecision } from "../lib/http/rate-limit.ts";

/** Not the earlier "window" key: objects from before the change hold a different shape there. */
const STATE_KEY = "tat";

export class RateLimiter extends DurableObject<Env> {
  private tat: number | undefined;
  private writeScheduled = false;

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

  /** Stores the state in a later turn, once this answer is on its way; admissions until then share the write. */
  private writeSoon(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setTimeout(() => {
      this.writeScheduled = false;
      if (this.tat !== undefined) this.ctx.storage.kv.put(STATE_KEY, this.tat);
    }, 0);
  }
}

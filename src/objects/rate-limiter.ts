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
 * it starts, and one small write per admitted request. (That write holds the
 * answer until it is durable: `allowUnconfirmed` would not help, since SQLite-backed
 * objects do not implement it, as workerd's actor-sqlite.c++ says.)
 */
import { DurableObject } from "cloudflare:workers";
import { checkRate, type RateDecision } from "../lib/http/rate-limit.ts";

/** Not the earlier "window" key: objects from before the change hold a different shape there. */
const STATE_KEY = "tat";

export class RateLimiter extends DurableObject<Env> {
  private tat: number | undefined;

  /** Counts `cost` images if they fit in `limit` a minute; otherwise says why not and how long to wait. */
  take(limit: number, cost: number): RateDecision {
    this.tat ??= this.ctx.storage.kv.get<number>(STATE_KEY) ?? 0;
    const decision = checkRate(this.tat, limit, cost, Date.now());
    if (decision.allowed) {
      this.tat = decision.tat;
      this.ctx.storage.kv.put(STATE_KEY, decision.tat);
    }
    return decision;
  }
}

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
 * it starts; the write is not waited for (`allowUnconfirmed`), so the answer is
 * not held until it is durable. Were the object to crash before the write lands,
 * a key would get back the few images it asked for in that moment: a fair trade
 * for not delaying every generation by a storage round trip.
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
      void this.ctx.storage.put(STATE_KEY, decision.tat, { allowUnconfirmed: true });
    }
    return decision;
  }
}

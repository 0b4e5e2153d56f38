/**
 * RateLimiter: one Durable Object per API key (named by the key's SHA-256,
 * never the key), counting generations in a sliding one-minute window.
 *
 * A Durable Object rather than the Rate Limiting binding: the binding's limit
 * is fixed in the Wrangler config and counts per location, eventually consistent,
 * while RATE_LIMIT_PER_MINUTE is a runtime setting and a key's quota should
 * hold wherever its requests land. It costs one small DO request per
 * generation, next to a generation that takes seconds.
 */
import { DurableObject } from "cloudflare:workers";
import { slidingWindowCheck, type WindowState } from "../lib/http/rate-limit.ts";

const STATE_KEY = "window";

export class RateLimiter extends DurableObject<Env> {
  /** Counts one request if it fits in `limit` per minute; otherwise says how long to wait. */
  take(limit: number): { allowed: boolean; retryAfterSeconds: number } {
    const state = this.ctx.storage.kv.get<WindowState>(STATE_KEY);
    const decision = slidingWindowCheck(state, limit, Date.now());
    this.ctx.storage.kv.put(STATE_KEY, decision.state);
    return { allowed: decision.allowed, retryAfterSeconds: decision.retryAfterSeconds };
  }
}

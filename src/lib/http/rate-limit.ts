/**
 * The per-key limit as a generic cell rate algorithm (GCRA): exact, with one number of state.
 *
 * `limit` images a minute means one image every `60 s ÷ limit`, with bursts of up to `limit`.
 * The state is the theoretical arrival time (TAT): when the key's quota would be back to
 * full if nothing more were asked. A request for `cost` images is admitted while it keeps the
 * TAT within one minute of now; otherwise the caller waits until it would, and that wait,
 * rounded up to whole seconds, is its Retry-After: a client that waits it out is admitted,
 * and a key that was idle for a minute has its whole quota back. Refused requests cost nothing.
 */

export const WINDOW_MS = 60_000;

/**
 * `60000 / limit` is rarely exact in floating point, and at today's epoch milliseconds (~1.8e12)
 * each addition may round by a quarter of a microsecond: a burst of exactly `limit` images must
 * not be refused for that (limit 9 was). Admitting a request a millisecond early is harmless.
 */
const ROUNDING_MS = 1;

export type RateDecision = { allowed: true; tat: number } | { allowed: false; retryAfterSeconds: number };

/**
 * `tat` is the saved state (0 for a key never seen); `now` in epoch milliseconds. A `cost` over
 * `limit` never fits: the caller refuses it before asking (waiting would not help).
 */
export function checkRate(tat: number, limit: number, cost: number, now: number): RateDecision {
  const interval = WINDOW_MS / limit;
  const next = Math.max(tat, now) + cost * interval;
  const waitMs = next - WINDOW_MS - now;
  if (waitMs <= ROUNDING_MS) return { allowed: true, tat: next };
  return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
}

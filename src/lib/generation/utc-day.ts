/**
 * The day Workers AI's allowance counts in: the UTC day, reset at 00:00 UTC. Budgets count in it
 * too, so that "today" means the same for the account and for a key.
 */

/** The UTC day of `now` as YYYY-MM-DD. */
export function utcDay(now = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** When the next UTC day starts, in epoch milliseconds. */
export function nextUtcMidnight(now = Date.now()): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
}

/** Whole seconds until the next UTC day: a Retry-After that is never early. */
export function secondsUntilUtcMidnight(now = Date.now()): number {
  return Math.max(1, Math.ceil((nextUtcMidnight(now) - now) / 1000));
}

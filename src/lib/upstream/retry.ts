/**
 * Deadlines and backoff shared by the upstream clients. Each upstream call has
 * one overall deadline; retries happen inside it, never past it.
 */

/** Extra tries after the first, for transient failures only. */
export const MAX_RETRIES = 2;
/** First backoff; doubled each retry, with full jitter so parallel jobs do not retry in step. */
export const BACKOFF_BASE_MS = 400;

/** The wait before retry number `retry` (1-based): Retry-After when the upstream gave one, else jittered backoff. */
export function backoffDelayMs(
  retry: number,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
  const ceiling = BACKOFF_BASE_MS * 2 ** (retry - 1);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      if (signal) reject(abortReason(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The signal's reason (a TimeoutError for `AbortSignal.timeout`), always as an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted.", "AbortError");
}

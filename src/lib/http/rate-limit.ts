/**
 * A sliding-window limiter (the two-window approximation Cloudflare's own
 * rate limiting uses): the previous minute's count, weighted by how much of
 * it still overlaps the window, plus this minute's count.
 */

export const WINDOW_MS = 60_000;

export interface WindowState {
  windowStart: number;
  current: number;
  previous: number;
}

export interface WindowDecision {
  allowed: boolean;
  retryAfterSeconds: number;
  state: WindowState;
}

export function slidingWindowCheck(saved: WindowState | undefined, limit: number, now: number): WindowDecision {
  const windowStart = now - (now % WINDOW_MS);
  let state: WindowState = saved ?? { windowStart, current: 0, previous: 0 };
  if (state.windowStart !== windowStart) {
    const previous = windowStart - state.windowStart === WINDOW_MS ? state.current : 0;
    state = { windowStart, current: 0, previous };
  }
  const overlap = 1 - (now - windowStart) / WINDOW_MS;
  const used = state.previous * overlap + state.current;
  if (used + 1 > limit) {
    // Wait until enough of the previous window has slid out, or the next window starts.
    const needed = used + 1 - limit;
    const waitMs =
      state.previous > 0
        ? Math.min((needed / state.previous) * WINDOW_MS, WINDOW_MS - (now - windowStart))
        : WINDOW_MS - (now - windowStart);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), state };
  }
  return { allowed: true, retryAfterSeconds: 0, state: { ...state, current: state.current + 1 } };
}

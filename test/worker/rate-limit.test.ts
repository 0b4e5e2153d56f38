import { describe, expect, it } from "vitest";
import { slidingWindowCheck, WINDOW_MS, type WindowState } from "../../src/lib/http/rate-limit.ts";

/** Runs `count` requests at time `now` and returns the decisions and the state after them. */
function take(state: WindowState | undefined, limit: number, now: number, count = 1) {
  const decisions = [];
  let current = state;
  for (let i = 0; i < count; i++) {
    const decision = slidingWindowCheck(current, limit, now);
    decisions.push(decision);
    current = decision.state;
  }
  return { decisions, state: current };
}

const START = 10 * WINDOW_MS; // the start of a minute

describe("the per-key sliding window", () => {
  it("allows up to the limit in a minute and refuses the next one", () => {
    const { decisions } = take(undefined, 3, START + 1000, 4);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
  });

  it("tells a refused caller to wait until the minute has room again", () => {
    const { decisions } = take(undefined, 1, START + 2000, 2);
    expect(decisions[1]).toMatchObject({ allowed: false, retryAfterSeconds: 58 });
  });

  it("does not count refused requests", () => {
    const { state } = take(undefined, 2, START, 5);
    expect(state?.current).toBe(2);
  });

  it("still counts the previous minute's requests early in the next minute", () => {
    const { state } = take(undefined, 2, START + 59_000, 2);
    expect(slidingWindowCheck(state, 2, START + WINDOW_MS + 1000).allowed).toBe(false);
  });

  it("lets the previous minute's requests slide out as time passes", () => {
    const { state } = take(undefined, 2, START + 59_000, 2);
    // Halfway through the next minute, the two old requests weigh one: room for one more.
    const { decisions } = take(state, 2, START + WINDOW_MS + 30_000, 2);
    expect(decisions.map((d) => d.allowed)).toEqual([true, false]);
    expect(decisions[1]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(decisions[1]?.retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it("forgets everything after a whole idle minute", () => {
    const { state } = take(undefined, 2, START, 2);
    const { decisions } = take(state, 2, START + 2 * WINDOW_MS + 1, 2);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true]);
  });

  it("always asks for at least one second", () => {
    const { decisions } = take(undefined, 1, START + WINDOW_MS - 1, 2);
    expect(decisions[1]?.retryAfterSeconds).toBe(1);
  });
});

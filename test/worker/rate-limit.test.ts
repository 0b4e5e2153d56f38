import { describe, expect, it } from "vitest";
import { checkRate, type RateDecision, WINDOW_MS } from "../../src/lib/http/rate-limit.ts";

/** One key's limiter over time: its state carried from request to request, as the object keeps it. */
function limiter(limit: number) {
  let tat = 0;
  return (now: number, cost = 1): RateDecision => {
    const decision = checkRate(tat, limit, cost, now);
    if (decision.allowed) tat = decision.tat;
    return decision;
  };
}

function retryAfterOf(decision: RateDecision): number {
  if (decision.allowed) throw new Error("expected a refusal");
  return decision.retryAfterSeconds;
}

const START = 1_800_000_000_000 + 37_123; // not on a minute boundary, where the old two-window count erred

describe("the per-key limit (GCRA)", () => {
  it("allows up to the limit at once and refuses the next one", () => {
    const take = limiter(3);
    expect([1, 2, 3, 4].map(() => take(START).allowed)).toEqual([true, true, true, false]);
  });

  it("counts images, not requests: four requests of four images with a limit of 5 make five images, not 16", () => {
    const take = limiter(5);
    const admitted = [4, 4, 4, 4].filter((cost) => take(START, cost).allowed);
    expect(admitted).toEqual([4]);
    expect(take(START, 1).allowed).toBe(true);
    expect(take(START, 1).allowed).toBe(false);
  });

  it("admits a client that waits exactly Retry-After, however the refusal falls", () => {
    for (const limit of [1, 2, 5, 7, 60, 1000]) {
      for (const offset of [0, 1, 999, 30_500, 59_999]) {
        const take = limiter(limit);
        let now = START + offset;
        for (let i = 0; i < limit; i++) expect(take(now).allowed).toBe(true);
        // Several rounds of "use up what there is, refused, wait Retry-After, admitted", at staggered times.
        for (let round = 0; round < 5; round++) {
          now += 137 * round;
          let decision = take(now);
          while (decision.allowed) decision = take(now);
          const wait = retryAfterOf(decision);
          expect(wait).toBeGreaterThanOrEqual(1);
          expect(wait).toBeLessThanOrEqual(60);
          now += wait * 1000;
          expect(take(now).allowed, `limit ${limit}, offset ${offset}, round ${round}`).toBe(true);
        }
      }
    }
  });

  it("does not ask a refused client to wait longer than needed (no more than a second over)", () => {
    const take = limiter(60); // one image a second
    for (let i = 0; i < 60; i++) take(START);
    const wait = retryAfterOf(take(START));
    expect(wait).toBe(1);
    expect(take(START + wait * 1000 - 100).allowed).toBe(false);
  });

  it("gives a key idle for a minute its whole quota back", () => {
    const take = limiter(4);
    for (let i = 0; i < 4; i++) take(START);
    expect(take(START + 1000).allowed).toBe(false);
    const later = START + 1000 + WINDOW_MS;
    expect([1, 2, 3, 4, 5].map(() => take(later).allowed)).toEqual([true, true, true, true, false]);
  });

  it("over time lets through the limit a minute, plus at most one burst of it", () => {
    const take = limiter(10);
    let admitted = 0;
    for (let now = START; now < START + 5 * WINDOW_MS; now += 250) if (take(now).allowed) admitted += 1;
    // A bucket of 10 that refills at 10 a minute: the first burst, then 10 a minute.
    expect(admitted).toBeGreaterThanOrEqual(5 * 10);
    expect(admitted).toBeLessThanOrEqual(5 * 10 + 10);
  });

  it("does not count refused requests", () => {
    const take = limiter(2);
    for (let i = 0; i < 10; i++) take(START);
    expect(retryAfterOf(take(START))).toBe(30);
  });

  it("does not refuse a burst of exactly the limit for floating-point rounding (60000 / 9 is not exact)", () => {
    for (let limit = 1; limit <= 1000; limit++) {
      const take = limiter(limit);
      let admitted = 0;
      for (let i = 0; i < limit; i++) if (take(START).allowed) admitted += 1;
      expect(admitted, `limit ${limit}`).toBe(limit);
      expect(take(START).allowed, `limit ${limit}`).toBe(false);
    }
  });
});

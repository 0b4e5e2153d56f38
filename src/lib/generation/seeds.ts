/**
 * Seeds: the number that makes a FLUX.2 picture repeatable. A user gives one
 * (`--seed N` in chat, `seed` in the Images API) or the Worker picks one, and
 * every reply states it, so the same request with that seed paints the same.
 */
import { ApiError } from "../http/errors.ts";
import type { ImageModel } from "./models.ts";
import { modelsTaking } from "./options.ts";

/** Seeds are unsigned 32-bit integers, the range every FLUX.2 runtime accepts. */
export const MAX_SEED = 0xffff_ffff;

/** A seed the user wrote, checked; `param` names where it came from. */
export function checkSeed(seed: number, param: string): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new ApiError(400, `Invalid value for '${param}': a seed is a whole number from 0 to ${MAX_SEED}.`, {
      param,
      code: "invalid_seed",
    });
  }
  return seed;
}

/** A seed asked of a model that takes none is refused: the caller wanted a picture it can repeat. */
export function refuseUnusedSeed(model: ImageModel, seed: number | undefined, param: string): void {
  if (seed !== undefined && !model.seed) {
    const others = modelsTaking((other) => other.seed);
    throw new ApiError(
      400,
      `${model.id} takes no seed: leave '${param}' out, or choose a model that takes one (${others}).`,
      {
        param,
        code: "unsupported_parameter",
      },
    );
  }
}

/**
 * One seed per image: the given seed, or a random one, and the ones after it, so n images differ
 * and each can be repeated on its own. Undefined for a model that takes no seed.
 */
export function seedsFor(model: ImageModel, count: number, given: number | undefined): number[] | undefined {
  if (!model.seed) return undefined;
  const first = given ?? crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  return Array.from({ length: count }, (_, index) => (first + index) % (MAX_SEED + 1));
}

// `--seed 42` anywhere in the message, as `--ar` is written: a flag, not part of the picture.
const SEED_FLAG = /(?:^|\s)--seed(?:\s+|=)(\S+)(?=\s|$)/u;

/** Takes `--seed N` out of a chat message; a malformed one is a 400, not words to draw. */
export function takeSeedFlag(text: string): { text: string; seed?: number } {
  const match = SEED_FLAG.exec(text);
  if (!match) return { text };
  const raw = match[1] ?? "";
  const seed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const rest = `${text.slice(0, match.index)} ${text.slice(match.index + match[0].length)}`.replace(/\s+/g, " ").trim();
  return { text: rest, seed: checkSeed(seed, "messages") };
}

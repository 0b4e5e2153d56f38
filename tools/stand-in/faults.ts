// Fault directives are read from the prompt text itself, so tests running in parallel against
// one stand-in each choose their own failures without sharing any switch.
//   image call:  #fault=NAME  #fault=NAME*K  #delay=MS  #retry-after=S  #neurons=N (report N as the cost)
//   optimiser:   #optfault=NAME  #optfault=NAME*K  #optdelay=MS  #optverdict=none (prose, not JSON, for a follow-up)

export interface FaultDirectives {
  fault?: string;
  /** Only the first `failTimes` calls with this exact prompt fail; undefined = every call. */
  failTimes?: number;
  delayMs?: number;
  retryAfterSeconds?: number;
  /** The `cf-ai-neurons` to report instead of the price formula's, or `none` for no header. */
  neurons?: number | "none";
}

export type DirectiveKind = "image" | "optimiser";

const PATTERNS: Record<DirectiveKind, { fault: RegExp; delay: RegExp }> = {
  image: { fault: /#fault=([a-z0-9-]+)(?:\*(\d+))?/i, delay: /#delay=(\d+)/i },
  optimiser: { fault: /#optfault=([a-z0-9-]+)(?:\*(\d+))?/i, delay: /#optdelay=(\d+)/i },
};

export function readDirectives(text: string, kind: DirectiveKind): FaultDirectives {
  const { fault, delay } = PATTERNS[kind];
  const faultMatch = fault.exec(text);
  const delayMatch = delay.exec(text);
  const retryAfterMatch = kind === "image" ? /#retry-after=(\d+)/i.exec(text) : null;
  const neuronsMatch = kind === "image" ? /#neurons=(none|\d+(?:\.\d+)?)/i.exec(text) : null;
  return {
    fault: faultMatch?.[1]?.toLowerCase(),
    failTimes: faultMatch?.[2] === undefined ? undefined : Number(faultMatch[2]),
    delayMs: delayMatch ? Number(delayMatch[1]) : undefined,
    retryAfterSeconds: retryAfterMatch ? Number(retryAfterMatch[1]) : undefined,
    neurons:
      neuronsMatch?.[1] === undefined ? undefined : neuronsMatch[1] === "none" ? "none" : Number(neuronsMatch[1]),
  };
}

/** Image-call directives, which the optimiser stand-in copies into the prompt it writes. */
export const IMAGE_DIRECTIVE = /#(?:fault|delay|retry-after|neurons)=\S+/gi;
/** Any directive, image or optimiser: kept out of the words of an optimised prompt. */
export const ANY_DIRECTIVE = /#(?:fault|delay|retry-after|neurons|optfault|optdelay|optverdict)=\S*/gi;

const MAX_TRACKED_PROMPTS = 10_000;

/**
 * Counts calls per (kind, exact prompt) so `#fault=NAME*K` fails only the first K calls:
 * that is how a test checks that a caller retries and then succeeds.
 */
export function createFaultCounter(): (
  kind: DirectiveKind,
  prompt: string,
  directives: FaultDirectives,
) => string | undefined {
  const callsByPrompt = new Map<string, number>();
  return (kind, prompt, directives) => {
    if (!directives.fault) return undefined;
    const key = `${kind}\u0000${prompt}`;
    const calls = (callsByPrompt.get(key) ?? 0) + 1;
    callsByPrompt.set(key, calls);
    if (callsByPrompt.size > MAX_TRACKED_PROMPTS) {
      const oldest = callsByPrompt.keys().next().value;
      if (oldest !== undefined) callsByPrompt.delete(oldest);
    }
    const limit = directives.failTimes;
    return limit === undefined || calls <= limit ? directives.fault : undefined;
  };
}

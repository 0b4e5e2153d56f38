/**
 * What a picture costs, in Workers AI's unit: the neurons Workers AI reports for the call (the REST
 * answer's `cf-ai-neurons` header), or else the model's published price formula, marked as an
 * estimate. Retries count what each try cost.
 */
import type { ImageModel, PriceInput } from "./models.ts";
import { resolvedOptions, type GenerationOptions } from "./options.ts";

/** Workers AI's price: $0.011 per 1,000 neurons. */
export const USD_PER_NEURON = 0.011 / 1000;
/** What the Free plan (and Workers Paid, included) gives an account each UTC day. */
export const DAILY_FREE_NEURONS = 10_000;

export interface Cost {
  /** Null for a model with no published price that reported none (the beta Stable Diffusion models). */
  neurons: number | null;
  usd: number | null;
  /** True when (part of) the figure comes from the price formula, not from Workers AI. */
  estimated: boolean;
}

/** A figure as neurons are shown: two decimals, as Workers AI reports them. */
const roundNeurons = (neurons: number) => Math.round(neurons * 100) / 100;

function cost(neurons: number | null, estimated: boolean): Cost {
  if (neurons === null) return { neurons: null, usd: null, estimated };
  const rounded = roundNeurons(neurons);
  return { neurons: rounded, usd: Math.round(rounded * USD_PER_NEURON * 1e6) / 1e6, estimated };
}

/** The cost by the model's price formula. */
export function estimatedCost(model: ImageModel, input: PriceInput): Cost {
  return cost(model.price(input) ?? null, true);
}

/** What Workers AI reported, for one or several tries. */
export function reportedCost(neurons: number): Cost {
  return cost(neurons, false);
}

/** Several costs as one: unknown only when every part is; an estimate when any part is. */
export function totalCost(costs: readonly Cost[]): Cost {
  const known = costs.flatMap((part) => (part.neurons === null ? [] : [part.neurons]));
  const neurons = known.length === 0 && costs.length > 0 ? null : known.reduce((sum, part) => sum + part, 0);
  return cost(
    neurons,
    costs.some((part) => part.estimated),
  );
}

/** The `cf-ai-neurons` header as a number; undefined when absent or malformed (the estimate is used then). */
export function parseNeurons(header: string | null | undefined): number | undefined {
  if (header == null || !/^\s*\d+(?:\.\d+)?\s*$/.test(header)) return undefined;
  return Number(header);
}

/**
 * What a job will cost at most, before it runs, for its budget reservation: `count` pictures at the
 * size asked, each reference counted at the largest size it is sent (511×511). Zero for a model
 * with no published price: its spending is only known when Workers AI reports it.
 */
export function jobEstimate(
  model: ImageModel,
  job: { width: number; height: number; count: number; references: number; options: GenerationOptions },
  defaultSteps: number,
): number {
  const steps = resolvedOptions(model, job.options, defaultSteps).steps ?? model.fixedSteps ?? 0;
  const inputs = Array.from({ length: job.references }, () => ({ width: 511, height: 511 }));
  const each = estimatedCost(model, { width: job.width, height: job.height, steps, inputs }).neurons ?? 0;
  return Math.round(each * job.count * 100) / 100;
}

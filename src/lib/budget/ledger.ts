/**
 * What a key (or the whole service) spends a UTC day, in neurons, and its daily budget: the shapes
 * its Durable Object keeps and answers, and the one rule a reservation passes. Pure, so it is tested
 * alone; the object (objects/rate-limiter.ts) holds the numbers.
 */

/** One model's share of a day. */
export interface ModelUsage {
  neurons: number;
  pictures: number;
}

export interface DayUsage {
  /** YYYY-MM-DD, UTC. */
  day: string;
  neurons: number;
  pictures: number;
  models: Record<string, ModelUsage>;
}

/** What a job reserves before it starts: its estimate, on the day it starts. */
export interface Reservation {
  id: string;
  day: string;
  neurons: number;
}

/** What a job really spent, settled after it ended (a failed job: what Workers AI charged, usually 0). */
export interface Settlement {
  reservation?: string;
  day: string;
  model: string;
  neurons: number;
  pictures: number;
}

/** A job as the key's history lists it (GET /v1/jobs). */
export interface JobSummary {
  id: string;
  created_at: number;
  status: "succeeded" | "failed";
  model: string;
  size: string;
  prompt: string;
  /** Links while they live. */
  images: string[];
  /** Each picture's seed, in order (null for a model without seeds). */
  seeds: (number | null)[];
  neurons: number | null;
  usd: number | null;
  estimated: boolean;
  /** Unix seconds: the entry goes with its images. */
  expires_at: number;
  error?: string;
}

export type BudgetDecision =
  | { allowed: true }
  /** `spent`: settled today; `reserved`: held by jobs still running. */
  | { allowed: false; scope: "key" | "service"; spent: number; reserved: number; limit: number; estimate: number };

/**
 * Whether `estimate` more fits in `limit` beside what is spent and reserved already. Landing exactly
 * on the limit fits; any more does not. No limit: always.
 */
export function fitsBudget(committed: number, estimate: number, limit: number | undefined): boolean {
  return limit === undefined || committed + estimate <= limit + 1e-9;
}

/** Adds a settlement to a day's figures. */
export function addToDay(usage: DayUsage, settlement: Settlement): DayUsage {
  const model = usage.models[settlement.model] ?? { neurons: 0, pictures: 0 };
  return {
    ...usage,
    neurons: usage.neurons + settlement.neurons,
    pictures: usage.pictures + settlement.pictures,
    models: {
      ...usage.models,
      [settlement.model]: {
        neurons: model.neurons + settlement.neurons,
        pictures: model.pictures + settlement.pictures,
      },
    },
  };
}

export function emptyDay(day: string): DayUsage {
  return { day, neurons: 0, pictures: 0, models: {} };
}

/** How many days of figures are kept. */
export const KEPT_DAYS = 30;

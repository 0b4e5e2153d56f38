/**
 * What the end-to-end test files share: one `npm start` service per file
 * (started before its tests, stopped after), an official openai client
 * pointed at it, and the small helpers every file needs.
 */
import { createHash, randomUUID } from "node:crypto";
import OpenAI from "openai";
import { afterAll, beforeAll } from "vitest";
import { startService, type RunningService, type ServiceOptions } from "./service.ts";

export interface LiveService {
  service: RunningService;
  client: OpenAI;
}

/** Starts the service for this file; the returned object is filled in before the first test runs. */
export function useService(options?: ServiceOptions): LiveService {
  const live = {} as LiveService; // filled by beforeAll, before any test reads it
  beforeAll(async () => {
    live.service = await startService(options);
    live.client = new OpenAI({ baseURL: `${live.service.baseUrl}/v1`, apiKey: live.service.apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await live.service?.stop();
  });
  return live;
}

/** A word unique to one test, so it finds its own calls at the stand-in. */
export function marker(): string {
  return `m${randomUUID().slice(0, 8)}`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What the stand-in recorded: one call of the service to "Workers AI" or the optimiser. */
export interface StandInCall {
  path: string;
  prompt?: string;
  form?: Record<string, unknown>;
  imageSha256?: string;
  references?: { name: string; contentType: string; width: number; height: number }[];
}

/** The stand-in's record of every call whose prompt contains `text`. */
export async function standInCalls(live: LiveService, text: string): Promise<StandInCall[]> {
  const response = await fetch(`${live.service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  return (await response.json()) as StandInCall[];
}

/**
 * A fake Workers AI binding for the tests: it records every call (a multipart
 * form read back into its fields, as Workers AI reads it) and answers, or
 * fails the way workerd's binding does: `InferenceUpstreamError("<code>: <message>")`
 * with the HTTP status left on `lastRequestHttpStatusCode`.
 */
import type { AiBinding } from "../../src/lib/upstream/transport.ts";

/** A 1×1 PNG: what the fake "paints". */
export const PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/** What one call does: paint, answer with any value, throw like the binding, or never answer. */
export type Step = { image: string } | { answer: unknown } | { fail: string; status?: number } | "hang";

export interface RecordedCall {
  model: string;
  inputs: Record<string, unknown>;
  /** For a multipart call: its fields, read from the stream; `<file>` for a file part. */
  fields?: Record<string, string>;
  /** The prompt, from the form or the JSON inputs. */
  prompt: string;
  signal: AbortSignal;
}

/** Decides each call's step; `attempt` counts the calls with the same prompt, from 1. */
export type Script = (call: RecordedCall, attempt: number) => Step;

export class FakeAi implements AiBinding {
  readonly calls: RecordedCall[] = [];
  lastRequestHttpStatusCode: number | null = null;

  constructor(private readonly script: Script) {}

  /** A fake that takes `steps` in order, the last one repeating. */
  static scripted(steps: Step[]): FakeAi {
    let index = 0;
    return new FakeAi(() => steps[Math.min(index++, steps.length - 1)] ?? "hang");
  }

  async run(model: string, inputs: Record<string, unknown>, options: { signal: AbortSignal }): Promise<unknown> {
    const fields = await formFields(inputs);
    const prompt = fields?.prompt ?? (typeof inputs.prompt === "string" ? inputs.prompt : chatText(inputs));
    const call: RecordedCall = { model, inputs, fields, prompt, signal: options.signal };
    this.calls.push(call);
    const step = this.script(call, this.calls.filter((earlier) => earlier.prompt === prompt).length);
    if (step === "hang") {
      return new Promise((_resolve, reject) => {
        options.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    if ("fail" in step) {
      this.lastRequestHttpStatusCode = step.status ?? null;
      const error = new Error(step.fail);
      error.name = "InferenceUpstreamError";
      throw error;
    }
    this.lastRequestHttpStatusCode = 200;
    return "answer" in step ? step.answer : { image: step.image };
  }
}

/** The fields of a `{ multipart: { body, contentType } }` input, or undefined for JSON inputs. */
async function formFields(inputs: Record<string, unknown>): Promise<Record<string, string> | undefined> {
  const multipart = inputs.multipart as { body?: unknown; contentType?: unknown } | undefined;
  if (!multipart) return undefined;
  if (!(multipart.body instanceof ReadableStream) || typeof multipart.contentType !== "string")
    throw new Error("multipart input without a stream body and its content type");
  const form = await new Response(multipart.body, { headers: { "content-type": multipart.contentType } }).formData();
  const fields: Record<string, string> = {};
  form.forEach((value, name) => {
    fields[name] = typeof value === "string" ? value : "<file>";
  });
  return fields;
}

/** The last message's text of a chat model's inputs. */
function chatText(inputs: Record<string, unknown>): string {
  const messages = Array.isArray(inputs.messages) ? (inputs.messages as { content?: unknown }[]) : [];
  const content = messages.at(-1)?.content;
  return typeof content === "string" ? content : "";
}

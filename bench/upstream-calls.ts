/**
 * Do the sides do the same work? A few marked jobs through the Worker and one
 * marked direct call, then the stand-in's call log: how many optimiser and
 * image calls each job made, and whether their method, path, headers and
 * bodies (prompts taken out) are the very ones the bench's direct calls make.
 * Every side is compared with the same direct calls, so equal signatures
 * across sides mean equal upstream work. Also fetches one reply's image, so a
 * side that never stored it cannot pass.
 */
import { randomUUID } from "node:crypto";
import type { RunningService } from "../test/e2e/service.ts";
import type { RecordedRequest } from "../tools/stand-in/types.ts";
import { directUpstreamCalls, plainChat, recordedCalls } from "./requests.ts";
import { round } from "./stats.ts";

export interface UpstreamCallAudit {
  /** Chat completions sent through the Worker for the audit, and how many failed. */
  jobs: number;
  failures: number;
  /** Calls the stand-in recorded for those jobs ÷ the jobs that succeeded. */
  optimiserCallsPerJob: number;
  imageCallsPerJob: number;
  /** The image models the Worker called. */
  imageModels: string[];
  /** Each distinct call of the Worker, as a signature: method, path, content type, authorization, body without its prompt. */
  signatures: string[];
  /** The Worker's signatures are exactly the direct calls' (no call missing, none extra). */
  sameAsDirect: boolean;
  /** A reply's `/image/<key>` answered 200 with an image. */
  imageServed: boolean;
}

const CHAT_PATH = /\/ai\/v1\/chat\/completions$/;
const IMAGE_PATH = /\/ai\/run\//;

export async function auditUpstreamCalls(service: RunningService, jobs: number): Promise<UpstreamCallAudit> {
  const marker = `audit${randomUUID().slice(0, 8)}`;
  const directMarker = `${marker}direct`;
  let failures = 0;
  let imageUrl: string | undefined;
  for (let index = 0; index < jobs; index++) {
    const reply = await plainChat(service, `${marker} job ${index}: a lighthouse at dusk`, service.apiKey, true);
    if (!reply.ok) failures += 1;
    imageUrl ??= /\]\((http[^)\s]+\/image\/[^)\s]+)\)/.exec(reply.text ?? "")?.[1];
  }
  await directUpstreamCalls(service, `${directMarker}: a lighthouse at dusk`);
  const calls = await recordedCalls(service, marker);
  const direct = calls.filter((call) => call.prompt?.includes(directMarker));
  const viaWorker = calls.filter((call) => !call.prompt?.includes(directMarker));
  const succeeded = Math.max(1, jobs - failures);
  const workerSignatures = new Set(viaWorker.map(signature));
  const directSignatures = new Set(direct.map(signature));
  return {
    jobs,
    failures,
    optimiserCallsPerJob: round(viaWorker.filter((call) => CHAT_PATH.test(call.path)).length / succeeded, 2),
    imageCallsPerJob: round(viaWorker.filter((call) => IMAGE_PATH.test(call.path)).length / succeeded, 2),
    imageModels: [...new Set(viaWorker.flatMap((call) => (call.model ? [call.model] : [])))],
    signatures: [...workerSignatures].sort(),
    sameAsDirect:
      workerSignatures.size === directSignatures.size &&
      [...workerSignatures].every((entry) => directSignatures.has(entry)),
    imageServed: imageUrl !== undefined && (await isImage(imageUrl)),
  };
}

/** One call, its prompt replaced: calls for different prompts but the same work compare equal. */
function signature(call: RecordedRequest): string {
  const body = call.json ?? call.form ?? call.rawBody;
  return [call.method, call.path, call.contentType, call.authorization, JSON.stringify(withoutPrompt(body))].join(" ");
}

/** The body with the image prompt and the chat's user message replaced by a placeholder. */
function withoutPrompt(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if ("prompt" in copy) copy.prompt = "<prompt>";
  if (Array.isArray(copy.messages)) {
    copy.messages = copy.messages.map((message: unknown) =>
      typeof message === "object" && message !== null && (message as { role?: unknown }).role === "user"
        ? { ...message, content: "<prompt>" }
        : message,
    );
  }
  return copy;
}

async function isImage(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    const bytes = await response.arrayBuffer();
    return response.ok && (response.headers.get("content-type") ?? "").startsWith("image/") && bytes.byteLength > 0;
  } catch {
    return false;
  }
}

/**
 * The fault matrix: every way the image upstream can fail, in both stream
 * modes, answered with the right status and error, nothing left in KV, no
 * image link, and the service still working for the next request. Faults come
 * from directives in the prompt that the stand-in obeys (`#fault=NAME`).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody, ErrorType } from "../../src/lib/http/errors.ts";
import {
  call,
  collectSse,
  imageUrlIn,
  marker,
  postChat,
  upstreamRequests,
  type RecordedUpstreamRequest,
  type SseFrame,
} from "./helpers.ts";

interface FaultCase {
  fault: string;
  status: number;
  type: ErrorType;
  code: string;
  message: RegExp;
  /** How many image calls the stand-in sees: 3 when the fault is retried twice, else 1. */
  upstreamCalls: number;
  settings?: Record<string, string>;
}

/** The CF_API_TOKEN binding of the test config (vitest.config.ts): no reply may contain it. */
const CF_API_TOKEN = "test-token";
const RETRIED = 3;
const NOT_RETRIED = 1;

const FAULTS: FaultCase[] = [
  {
    fault: "nsfw",
    status: 400,
    type: "invalid_request_error",
    code: "content_filter",
    message: /flagged by Workers AI's safety filter/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "auth",
    status: 502,
    type: "server_error",
    code: "upstream_auth",
    message: /refused the credentials.*CF_API_TOKEN.*CF_ACCOUNT_ID/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "paid",
    status: 502,
    type: "server_error",
    code: "upstream_auth",
    message: /CF_ACCOUNT_ID.*CF_API_TOKEN.*Workers Paid plan/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "quota",
    status: 429,
    type: "insufficient_quota",
    code: "daily_quota_exceeded",
    message: /daily Workers AI allowance .* is used up .*Workers AI 3036.*00:00 UTC.*cheaper model/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "quota-4006",
    status: 429,
    type: "insufficient_quota",
    code: "daily_quota_exceeded",
    message: /Workers AI 4006: .*daily free allocation.*00:00 UTC/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "capacity",
    status: 503,
    type: "server_error",
    code: "upstream_capacity",
    message: /out of capacity/,
    upstreamCalls: RETRIED,
  },
  {
    fault: "server",
    status: 502,
    type: "server_error",
    code: "upstream_error",
    message: /Workers AI failed \(Workers AI 5000/,
    upstreamCalls: RETRIED,
  },
  {
    fault: "timeout",
    status: 504,
    type: "server_error",
    code: "upstream_timeout",
    message: /timed out generating the image/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "too-large",
    status: 400,
    type: "invalid_request_error",
    code: "request_too_large",
    message: /too large.*Shorten the prompt/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "no-model",
    status: 502,
    type: "server_error",
    code: "model_not_found",
    message: /does not offer .*FLUX_MODEL/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "bad-json",
    status: 502,
    type: "server_error",
    code: "upstream_bad_response",
    message: /not JSON/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "empty",
    status: 502,
    type: "server_error",
    code: "upstream_bad_response",
    message: /not JSON/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "no-image",
    status: 502,
    type: "server_error",
    code: "upstream_bad_response",
    message: /has no image/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "bad-base64",
    status: 502,
    type: "server_error",
    code: "upstream_bad_response",
    message: /not valid base64/,
    upstreamCalls: NOT_RETRIED,
  },
  {
    fault: "not-image",
    status: 502,
    type: "server_error",
    code: "upstream_bad_response",
    message: /not a JPEG, PNG or WebP image/,
    upstreamCalls: NOT_RETRIED,
  },
  // A hang is cut off by IMAGE_TIMEOUT (1 s here, 60 s by default).
  {
    fault: "hang",
    status: 504,
    type: "server_error",
    code: "upstream_timeout",
    message: /did not answer within 1 s \(IMAGE_TIMEOUT\)/,
    upstreamCalls: NOT_RETRIED,
    settings: { IMAGE_TIMEOUT: "1" },
  },
  {
    fault: "network",
    status: 502,
    type: "server_error",
    code: "upstream_unreachable",
    message: /Could not reach Workers AI/,
    upstreamCalls: RETRIED,
  },
];

const MODES = [
  { name: "non-streaming", stream: false },
  { name: "streaming", stream: true },
] as const;

type ChatCompletion = { choices: { message: { content: string } }[] };
type ErrorReply = { error: ErrorBody };

async function kvKeys(): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FLUX_CF_KV.list(cursor === undefined ? {} : { cursor });
    names.push(...page.keys.map((key) => key.name));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor !== undefined);
  return names;
}

async function imageCalls(text: string) {
  return (await upstreamRequests(text)).filter((request) => request.path.includes("/ai/run/"));
}

function chunkDeltas(frames: SseFrame[]): { content?: string; reasoning_content?: string }[] {
  return frames.flatMap((frame) => {
    const data = frame.data as { choices?: { delta?: { content?: string; reasoning_content?: string } }[] } | undefined;
    return data?.choices?.map((choice) => choice.delta ?? {}) ?? [];
  });
}

function finishReasons(frames: SseFrame[]): unknown[] {
  return frames.flatMap(
    (frame) =>
      (frame.data as { choices?: { finish_reason: unknown }[] } | undefined)?.choices?.map(
        (choice) => choice.finish_reason,
      ) ?? [],
  );
}

/** What a client reads from one failed request, in either mode, plus the raw text it received. */
async function failedReply(
  response: Response,
  stream: boolean,
): Promise<{ status: number; error: ErrorBody; raw: string; frames: SseFrame[] }> {
  if (!stream) {
    const raw = await response.text();
    return { status: response.status, error: (JSON.parse(raw) as ErrorReply).error, raw, frames: [] };
  }
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const frames = await collectSse(response.clone());
  const raw = await response.text();
  // The error, then [DONE], and nothing after it.
  expect(frames.at(-1)?.data).toBe("[DONE]");
  const errorFrame = frames.at(-2)?.data as ErrorReply | undefined;
  expect(errorFrame?.error).toBeDefined();
  return { status: response.status, error: errorFrame?.error ?? ({} as ErrorBody), raw, frames };
}

/** The next request, without a fault, gets its image in the same mode. */
async function expectImageMade(prompt: string, stream: boolean): Promise<void> {
  const response = await postChat(prompt, { stream });
  expect(response.status).toBe(200);
  let content: string;
  if (stream) {
    const frames = await collectSse(response);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    content = chunkDeltas(frames)
      .map((delta) => delta.content ?? "")
      .join("");
  } else {
    content = (await response.json<ChatCompletion>()).choices[0]?.message.content ?? "";
  }
  const url = imageUrlIn(content);
  expect(url).toBeDefined();
  expect((await call(new URL(url ?? "").pathname)).status).toBe(200);
}

describe.each(MODES)("an upstream fault, $name", ({ stream }) => {
  it.each(FAULTS)("$fault → $status $code, nothing stored, and the next request works", async (fault) => {
    const m = marker();
    const keysBefore = await kvKeys();

    const response = await postChat(`${m} a lighthouse at dusk #fault=${fault.fault}`, { stream }, fault.settings);
    const jobId = response.headers.get("x-job-id") ?? "";
    expect(jobId).toMatch(/^[0-9a-f]{64}$/);
    const reply = await failedReply(response, stream);

    expect(reply.status).toBe(stream ? 200 : fault.status);
    expect(Object.keys(reply.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(reply.error).toMatchObject({ type: fault.type, code: fault.code });
    expect(reply.error.message).toMatch(fault.message);
    expect(reply.raw).not.toContain(CF_API_TOKEN);
    expect(reply.raw).not.toContain("/image/");
    expect(reply.raw).not.toContain("![");
    if (stream) {
      const contentLines = chunkDeltas(reply.frames)
        .map((delta) => delta.content ?? "")
        .join("");
      expect(contentLines).toContain("❌");
      expect(contentLines).not.toContain("unexpected error"); // every fault has a line that says what happened
      expect(finishReasons(reply.frames).includes("content_filter")).toBe(fault.code === "content_filter");
    }

    // Nothing half-written: no key of this job, no new key at all.
    const keysAfter = await kvKeys();
    expect(keysAfter.filter((key) => key.startsWith(jobId))).toEqual([]);
    expect(keysAfter.filter((key) => !keysBefore.includes(key))).toEqual([]);
    expect(await imageCalls(m)).toHaveLength(fault.upstreamCalls);

    await expectImageMade(`${m} a lighthouse at dusk`, stream);
  });
});

describe("retries of transient faults", () => {
  it("recovers from capacity errors on the third try and tells a streaming user it is retrying", async () => {
    const m = marker();
    const response = await postChat(`${m} a windmill #fault=capacity*2`, { stream: true });
    const frames = await collectSse(response);
    const deltas = chunkDeltas(frames);
    const progress = deltas.map((delta) => delta.reasoning_content ?? "").join("");
    expect(progress).toContain("Workers AI is out of capacity; retrying (1 of 2)");
    expect(progress).toContain("Workers AI is out of capacity; retrying (2 of 2)");
    expect(imageUrlIn(deltas.map((delta) => delta.content ?? "").join(""))).toBeDefined();
    expect(frames.at(-1)?.data).toBe("[DONE]");
    expect((await imageCalls(m)).map((request) => request.status)).toEqual([429, 429, 200]);
  });

  it.each([
    ["server", "Workers AI answered with a server error; retrying (1 of 2)"],
    ["network", "Workers AI could not be reached; retrying (1 of 2)"],
  ])("says what went wrong before each retry, not that the service is busy: %s", async (fault, line) => {
    const m = marker();
    const frames = await collectSse(await postChat(`${m} a windmill #fault=${fault}*1`, { stream: true }));
    const progress = chunkDeltas(frames)
      .map((delta) => delta.reasoning_content ?? "")
      .join("");
    expect(progress).toContain(line);
    expect(progress).not.toContain("busy");
  });

  it("recovers from a server error on the next try", async () => {
    const m = marker();
    const response = await postChat(`${m} a windmill #fault=server*1`);
    expect(response.status).toBe(200);
    expect(imageUrlIn((await response.json<ChatCompletion>()).choices[0]?.message.content ?? "")).toBeDefined();
    expect((await imageCalls(m)).map((request) => request.status)).toEqual([500, 200]);
  });

  it("waits as long as Retry-After asks before trying again", async () => {
    const m = marker();
    const response = await postChat(`${m} a windmill #fault=capacity*1 #retry-after=1`);
    expect(response.status).toBe(200);
    // The stand-in records when each call arrived (`at`, epoch ms).
    const calls = (await upstreamRequests(m)) as (RecordedUpstreamRequest & { at: number })[];
    expect(calls.map((request) => request.status)).toEqual([429, 200]);
    // Jittered backoff alone would retry after 200–400 ms.
    const [first, second] = calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("gives up at once with 503 and the upstream's Retry-After when that wait would pass IMAGE_TIMEOUT", async () => {
    const m = marker();
    const response = await postChat(`${m} a windmill #fault=capacity #retry-after=30`, {}, { IMAGE_TIMEOUT: "5" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect((await response.json<ErrorReply>()).error.code).toBe("upstream_capacity");
    expect(await imageCalls(m)).toHaveLength(1);
  });
});

describe("the account's daily allowance used up (3036, also seen as 4006)", () => {
  it.each(["quota", "quota-4006"])(
    "#fault=%s: 429 daily_quota_exceeded with Retry-After to 00:00 UTC, never retried",
    async (fault) => {
      const m = marker();
      const response = await postChat(`${m} a windmill #fault=${fault}`);
      expect(response.status).toBe(429);
      const now = new Date();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      const wait = Number(response.headers.get("retry-after"));
      expect(Math.abs(wait - (midnight - now.getTime()) / 1000)).toBeLessThan(5);
      expect((await response.json<ErrorReply>()).error).toMatchObject({
        code: "daily_quota_exceeded",
        type: "insufficient_quota",
      });
      expect(await imageCalls(m)).toHaveLength(1);
    },
  );
});

const OPTIMISER_FAULTS = [
  { optfault: "server", reason: "HTTP 500" },
  { optfault: "auth", reason: "HTTP 401" },
  { optfault: "bad-json", reason: "the answer had no prompt in it" },
  { optfault: "empty", reason: "the answer had no prompt in it" },
  // Cut off by OPTIMIZER_TIMEOUT (0.5 s here, 15 s by default).
  { optfault: "hang", reason: "no answer within 0.5 s" },
];
const WITH_OPTIMISER = { PROMPT_OPTIMIZATION: "true", OPTIMIZER_TIMEOUT: "0.5" };

describe.each(MODES)("an optimiser fault, $name", ({ stream }) => {
  it.each(OPTIMISER_FAULTS)(
    "$optfault: the image is made from the original prompt and the reply says why",
    async ({ optfault, reason }) => {
      const m = marker();
      const prompt = `${m} a red fox in the snow #optfault=${optfault}`;
      const response = await postChat(prompt, { stream }, WITH_OPTIMISER);
      expect(response.status).toBe(200);
      const failureLine = `Prompt optimisation failed (${reason}); using the original prompt.`;
      let content: string;
      if (stream) {
        const frames = await collectSse(response);
        const deltas = chunkDeltas(frames);
        // Said live, as progress, and again in the reply.
        expect(deltas.map((delta) => delta.reasoning_content ?? "").join("")).toContain(failureLine);
        content = deltas.map((delta) => delta.content ?? "").join("");
        expect(frames.at(-1)?.data).toBe("[DONE]");
      } else {
        content = (await response.json<ChatCompletion>()).choices[0]?.message.content ?? "";
      }
      expect(content).toContain(failureLine);
      expect(content).toContain("Prompt model: original prompt");
      expect(imageUrlIn(content)).toBeDefined();
      const [imageCall, ...others] = await imageCalls(m);
      expect(others).toEqual([]);
      expect(imageCall?.form?.prompt).toBe(prompt);
    },
  );
});

/**
 * Input and access: body and prompt limits, type errors that name the field,
 * several API keys, the per-key rate limit, the CORS allow-list, and echoed
 * prompts that cannot add markup to what a chat client renders.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { marked } from "marked";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { describe, expect, it, vi } from "vitest";
import {
  authHeaders,
  call,
  callWith,
  chatBody,
  collectSse,
  imageUrlIn,
  marker,
  ORIGIN,
  postChat,
  sha256Hex,
  upstreamRequests,
} from "./helpers.ts";

interface ErrorReply {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, { method: "POST", headers: authHeaders(headers), body: JSON.stringify(body) });
}

async function expectOpenAiError(response: Response, status: number): Promise<ErrorReply["error"]> {
  expect(response.status).toBe(status);
  const body = await response.json<ErrorReply>();
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  return body.error;
}

describe("request size limit", () => {
  const OVER_LIMIT = 1_000_001;

  it("refuses an images body over 1 MB that declares its length with 413", async () => {
    const body = JSON.stringify({ prompt: "x".repeat(OVER_LIMIT) });
    const response = await call("/v1/images/generations", {
      method: "POST",
      headers: authHeaders({ "content-length": String(new TextEncoder().encode(body).byteLength) }),
      body,
    });
    const error = await expectOpenAiError(response, 413);
    expect(error.message).toMatch(/larger than 1000000 bytes/);
  });

  it("lets chat bodies carry images, up to 40 MB (what a Worker's memory holds), and refuses more with 413", async () => {
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders({ "content-length": "40000001" }),
      body: chatBody("a cat"),
    });
    const error = await expectOpenAiError(response, 413);
    expect(error.message).toMatch(/larger than 40000000 bytes/);
    // Over 1 MB is fine for chat: this one is refused only for its prompt's length.
    const long = await expectOpenAiError(await postChat("x".repeat(OVER_LIMIT)), 400);
    expect(long.code).toBe("prompt_too_long");
  });

  it("refuses a streamed body over 1 MB without a content-length with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > OVER_LIMIT + chunk.byteLength) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.byteLength;
      },
    });
    const request = new Request(`${ORIGIN}/v1/images/generations`, {
      method: "POST",
      headers: authHeaders(),
      body: stream,
    });
    expect(request.headers.get("content-length")).toBeNull();
    const response = await exports.default.fetch(request);
    await expectOpenAiError(response, 413);
  });
});

describe("a client that goes away mid-upload", () => {
  /** A body that sends some bytes and then breaks off, as when the client aborts its upload. */
  function brokenBody(start: string): ReadableStream<Uint8Array> {
    let sent = false;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error("Network connection lost."));
        controller.enqueue(new TextEncoder().encode(start));
        sent = true;
      },
    });
  }

  const multipartType = "multipart/form-data; boundary=b0undary";
  it.each([
    ["/v1/chat/completions", "application/json", '{"messages": [{"role": "user", "content": "a cat'],
    ["/v1/images/generations", "application/json", '{"prompt": "a cat'],
    [
      "/v1/images/edits",
      "application/json",
      '{"prompt": "a cat", "images": [{"image_url": "data:image/png;base64,iVBOR',
    ],
    ["/v1/images/edits", multipartType, '--b0undary\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat'],
  ])("an aborted upload to %s (%s) is logged as request_aborted, not as a Worker bug", async (path, type, start) => {
    const errors = vi.spyOn(console, "error");
    const logs = vi.spyOn(console, "log");
    try {
      // Straight to the Worker's fetch: between two workers a broken body arrives as a short one,
      // while from a client's connection (wrangler dev, Cloudflare) reading it throws, as here.
      const response = await callWith({}, path, {
        method: "POST",
        headers: authHeaders({ "content-type": type }),
        body: brokenBody(start),
      });
      const error = await expectOpenAiError(response, 400);
      expect(error).toMatchObject({ type: "invalid_request_error", code: "request_aborted" });
      const logged = [...errors.mock.calls, ...logs.mock.calls].map((call) => String(call[0]));
      expect(logged.filter((line) => line.includes("unexpected_error"))).toEqual([]);
      const aborted = logged.filter((line) => line.includes('"event":"request_aborted"'));
      expect(aborted).toHaveLength(1);
      expect(JSON.parse(aborted[0] ?? "{}")).toMatchObject({ event: "request_aborted", path });
    } finally {
      errors.mockRestore();
      logs.mockRestore();
    }
  });

  it("a multipart upload over 40 MB without a Content-Length is refused with 413, as one that declares it", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0)
          controller.enqueue(
            new TextEncoder().encode('--b0undary\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n'),
          );
        if (sent > 41) return controller.close();
        controller.enqueue(chunk);
        sent += 1;
      },
    });
    const request = new Request(`${ORIGIN}/v1/images/edits`, {
      method: "POST",
      headers: authHeaders({ "content-type": multipartType }),
      body: stream,
    });
    expect(request.headers.get("content-length")).toBeNull();
    const error = await expectOpenAiError(await exports.default.fetch(request), 413);
    expect(error.code).toBe("request_too_large");
  });
});

describe("prompt length limit (2048 characters after clean-up)", () => {
  it("refuses a chat prompt of 2049 characters with 400 stating the limit", async () => {
    const error = await expectOpenAiError(await postChat("a".repeat(2049)), 400);
    expect(error.message).toContain("2048");
    expect(error.code).toBe("prompt_too_long");
  });

  it("refuses an images prompt of 2049 characters with 400 stating the limit", async () => {
    const error = await expectOpenAiError(await postJson("/v1/images/generations", { prompt: "b".repeat(2049) }), 400);
    expect(error.message).toContain("2048");
    expect(error.param).toBe("prompt");
  });

  it("counts characters after clean-up: 2048 characters padded with white space are accepted", async () => {
    const tag = marker();
    const prompt = `${tag} ${"c".repeat(2048 - tag.length - 1)}`;
    expect(prompt).toHaveLength(2048);
    const response = await postChat(`   ${prompt}\n\n\u200b  `);
    expect(response.status).toBe(200);
    const body = await response.json<{ choices: { message: { content: string } }[] }>();
    expect(imageUrlIn(body.choices[0]?.message.content ?? "")).toBeDefined();
  });

  it("draws a 2047-character prompt that ends in half an emoji, without the half (chat and Images API)", async () => {
    // A client that cut "…😀" after 2047 UTF-16 units left a lone high surrogate: no text, and not UTF-8.
    const chat = marker();
    const chatPrompt = `${chat} ${"e".repeat(2047 - chat.length - 2)}\ud83d`;
    expect(chatPrompt).toHaveLength(2047);
    const chatResponse = await postChat(chatPrompt);
    expect(chatResponse.status).toBe(200);
    const [chatCall] = await upstreamRequests(chat);
    expect(chatCall?.prompt).toBe(chatPrompt.slice(0, -1));

    const images = marker();
    const imagesPrompt = `\udc00${images} ${"f".repeat(2047 - images.length - 2)}\ud83d`;
    const imagesResponse = await postJson("/v1/images/generations", { prompt: imagesPrompt, response_format: "url" });
    expect(imagesResponse.status).toBe(200);
    const [imagesCall] = await upstreamRequests(images);
    expect(imagesCall?.prompt).toBe(imagesPrompt.slice(1, -1));
  });

  it("accepts an images prompt of exactly 2048 characters", async () => {
    const prompt = `${marker()} ${"d".repeat(2038)}`;
    expect(prompt).toHaveLength(2048);
    const response = await postJson("/v1/images/generations", { prompt, response_format: "url" });
    expect(response.status).toBe(200);
    const body = await response.json<{ data: { url: string }[] }>();
    expect(body.data[0]?.url).toMatch(/\/image\//);
  });
});

describe("wrong types are refused with 400 naming the field", () => {
  const chatCases: [string, Record<string, unknown>, string][] = [
    ["model is a number", { model: 5, messages: [{ role: "user", content: "a cat" }] }, "model"],
    ["stream is a string", { messages: [{ role: "user", content: "a cat" }], stream: "yes" }, "stream"],
    ["messages is a string", { messages: "hi" }, "messages"],
    ["a message has no role", { messages: [{ content: "a cat" }] }, "messages[0].role"],
  ];
  for (const [what, body, field] of chatCases) {
    it(`chat completions: ${what} → names '${field}'`, async () => {
      const error = await expectOpenAiError(await postJson("/v1/chat/completions", body), 400);
      expect(error.param).toBe(field);
      expect(error.message).toContain(`'${field}'`);
    });
  }

  const imagesCases: [string, Record<string, unknown>, string][] = [
    ["n is a string", { prompt: "a cat", n: "2" }, "n"],
    ["size is a number", { prompt: "a cat", size: 5 }, "size"],
    ["response_format is not url or b64_json", { prompt: "a cat", response_format: "png" }, "response_format"],
  ];
  for (const [what, body, field] of imagesCases) {
    it(`images: ${what} → names '${field}'`, async () => {
      const error = await expectOpenAiError(await postJson("/v1/images/generations", body), 400);
      expect(error.param).toBe(field);
      expect(error.message).toContain(`'${field}'`);
    });
  }
});

describe("several API keys", () => {
  const keys = { API_KEY: "sk-alpha, sk-beta,sk-gamma" };
  const withKey = (key: string) => callWith(keys, "/v1/models", { headers: { authorization: `Bearer ${key}` } });

  it("accepts every key listed in API_KEY", async () => {
    for (const key of ["sk-alpha", "sk-beta", "sk-gamma"]) expect((await withKey(key)).status, key).toBe(200);
  });

  it("refuses other keys, prefixes and the whole list with 401", async () => {
    for (const key of ["sk-delta", "sk-alph", "sk-alpha, sk-beta,sk-gamma", "sk-alpha,sk-beta"]) {
      const error = await expectOpenAiError(await withKey(key), 401);
      expect(error.message).not.toContain(key);
    }
  });

  it("accepts both keys of the test configuration", async () => {
    for (const key of ["sk-test-key", "sk-second-key"]) {
      expect((await call("/v1/models", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
  });
});

describe("per-key rate limit", () => {
  function generate(settings: Record<string, string>, key: string): Promise<Response> {
    return callWith(settings, "/v1/images/generations", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", origin: "https://app.example" },
      body: JSON.stringify({ prompt: `a lighthouse ${marker()}`, response_format: "url" }),
    });
  }

  it("answers the third generation in a minute with 429, Retry-After and CORS; other keys and RATE_LIMIT_PER_MINUTE=0 are not limited", async () => {
    // Fresh keys, so their limiter objects start empty.
    const limited = `sk-${crypto.randomUUID()}`;
    const other = `sk-${crypto.randomUUID()}`;
    const settings = { RATE_LIMIT_PER_MINUTE: "2", API_KEY: `${limited},${other}` };

    expect((await generate(settings, limited)).status).toBe(200);
    expect((await generate(settings, limited)).status).toBe(200);
    const refused = await generate(settings, limited);
    const error = await expectOpenAiError(refused, 429);
    expect(error.type).toBe("rate_limit_error");
    expect(error.message).not.toContain(limited);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");

    expect((await generate(settings, other)).status).toBe(200);
    expect((await generate({ ...settings, RATE_LIMIT_PER_MINUTE: "0" }, limited)).status).toBe(200);
  });
});

describe("the rate limit counts images", () => {
  function generate(settings: Record<string, string>, key: string, n: number): Promise<Response> {
    return callWith(settings, "/v1/images/generations", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: `a kite ${marker()}`, n, response_format: "b64_json" }),
    });
  }

  it("lets four images of a limit of 5 through, then refuses four more but not one", async () => {
    const key = `sk-${crypto.randomUUID()}`;
    const settings = { RATE_LIMIT_PER_MINUTE: "5", API_KEY: key };
    expect((await generate(settings, key, 4)).status).toBe(200);
    const refused = await generate(settings, key, 4);
    expect((await expectOpenAiError(refused, 429)).code).toBe("rate_limit_exceeded");
    expect((await generate(settings, key, 1)).status).toBe(200);
  });

  it("keeps its count in the limiter's storage too, written just after the answer", async () => {
    const key = `sk-${crypto.randomUUID()}`;
    expect((await generate({ RATE_LIMIT_PER_MINUTE: "5", API_KEY: key }, key, 2)).status).toBe(200);
    const digest = await sha256Hex(new TextEncoder().encode(key));
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(digest));
    const stored = await vi.waitFor(
      () =>
        runInDurableObject(limiter, (_instance, state) => {
          const tat = state.storage.kv.get<number>("tat");
          if (tat === undefined) throw new Error("not written yet");
          return tat;
        }),
      { timeout: 2000, interval: 20 },
    );
    // Two images of five a minute: 24 s of the key's minute are used, from about now.
    expect(stored - Date.now()).toBeGreaterThan(20_000);
    expect(stored - Date.now()).toBeLessThanOrEqual(24_000);
  });

  it("refuses with 400 a request for more images than a minute allows (waiting would never help)", async () => {
    const key = `sk-${crypto.randomUUID()}`;
    const error = await expectOpenAiError(await generate({ RATE_LIMIT_PER_MINUTE: "3", API_KEY: key }, key, 4), 400);
    expect(error).toMatchObject({ code: "n_over_rate_limit", param: "n" });
  });
});

describe("CORS_ORIGINS allow-list", () => {
  const settings = { CORS_ORIGINS: "https://a.example,https://b.example" };
  const models = (origin: string, key = "sk-test-key") =>
    callWith(settings, "/v1/models", { headers: { origin, authorization: `Bearer ${key}` } });

  it("echoes an allowed origin with Vary: Origin", async () => {
    for (const origin of ["https://a.example", "https://b.example"]) {
      const response = await models(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("vary")).toMatch(/Origin/i);
    }
  });

  it("gives other origins no Access-Control-Allow-Origin", async () => {
    const response = await models("https://evil.example");
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("vary")).toMatch(/Origin/i);
  });

  it("applies to errors too", async () => {
    const allowed = await models("https://a.example", "sk-wrong");
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://a.example");
    const other = await models("https://evil.example", "sk-wrong");
    expect(other.status).toBe(401);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("applies to preflight requests", async () => {
    const preflight = (origin: string) =>
      callWith(settings, "/v1/chat/completions", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
    const allowed = await preflight("https://b.example");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://b.example");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows every origin by default", async () => {
    const response = await call("/v1/models", {
      headers: { origin: "https://anywhere.example", authorization: "Bearer sk-test-key" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("echoed prompts cannot add links, images or HTML", () => {
  const HOSTILE =
    "![x](https://evil.example/x.png) [click](https://evil.example) <img src=x onerror=alert(1)> https://evil.example";

  /** The reply as react-markdown with remark-gfm (micromark) and marked (Open WebUI) render it. */
  function rendered(content: string): string[] {
    return [
      micromark(content, { extensions: [gfm()], htmlExtensions: [gfmHtml()] }),
      marked.parse(content, { async: false }),
    ];
  }

  function expectOnlyTheGeneratedImage(content: string): void {
    expect(content).toContain("evil"); // the user's words are still shown
    for (const html of rendered(content)) {
      const images = [...html.matchAll(/<img\b[^>]*\bsrc="([^"]*)"/g)].map((image) => image[1]);
      expect(images).toHaveLength(1);
      expect(images[0]).toMatch(/^https:\/\/flux\.example\/image\/[0-9a-f]{64}\.[0-9a-f]{32}$/);
      expect(html).not.toMatch(/<a\b/);
      expect(html).not.toMatch(/<(script|iframe|svg)\b/);
      expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i); // as text it is shown, as an attribute never
    }
  }

  it("in a chat reply", async () => {
    const response = await postChat(`${HOSTILE} ${marker()}`);
    expect(response.status).toBe(200);
    const body = await response.json<{ choices: { message: { content: string } }[] }>();
    expectOnlyTheGeneratedImage(body.choices[0]?.message.content ?? "");
  });

  it("in a streamed reply with prompt optimisation, including the progress lines", async () => {
    const response = await postChat(`${HOSTILE} ${marker()}`, { stream: true }, { PROMPT_OPTIMIZATION: "true" });
    expect(response.status).toBe(200);
    const deltas = (await collectSse(response)).flatMap((frame) => {
      const data = frame.data as
        { choices?: { delta?: { content?: string; reasoning_content?: string } }[] } | undefined;
      const delta = data?.choices?.[0]?.delta;
      return delta ? [`${delta.reasoning_content ?? ""}${delta.content ?? ""}`] : [];
    });
    const shown = deltas.join("");
    expect(shown).toMatch(/Optimised prompt/);
    expectOnlyTheGeneratedImage(shown);
  });
});

/** Every error is the OpenAI error shape `{error: {message, type, param, code}}` with a status that says what went wrong. */
import { describe, expect, it } from "vitest";
import { authHeaders, call, callWith, chatBody } from "./helpers.ts";

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function expectError(
  response: Response,
  status: number,
  expected: Partial<ErrorBody["error"]> = {},
): Promise<ErrorBody["error"]> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.json<ErrorBody>();
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error).toMatchObject(expected);
  return body.error;
}

function postRaw(body: BodyInit, path = "/v1/chat/completions"): Promise<Response> {
  return call(path, { method: "POST", headers: authHeaders(), body });
}

describe("400 for a bad request body", () => {
  it("when the body is not JSON, or empty", async () => {
    await expectError(await postRaw("{not json"), 400, { type: "invalid_request_error", code: "invalid_json" });
    await expectError(await postRaw(""), 400, { code: "invalid_json" });
  });

  it("when messages are missing or empty, naming messages", async () => {
    await expectError(await postRaw(JSON.stringify({ model: "gpt-4o" })), 400, { param: "messages" });
    await expectError(await postRaw(JSON.stringify({ messages: [] })), 400, { param: "messages" });
    await expectError(await postRaw(JSON.stringify([])), 400, { type: "invalid_request_error" });
  });

  it.each([
    [{ messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
    [{ messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] }, "messages[0].content[0].text"],
    [{ messages: [{ content: "a cat" }] }, "messages[0].role"],
    [{ messages: "a cat" }, "messages"],
    [{ messages: [{ role: "user", content: "a cat" }], stream: "yes" }, "stream"],
    [{ messages: [{ role: "user", content: "a cat" }], model: 4 }, "model"],
    [
      { messages: [{ role: "user", content: "a cat" }], stream_options: { include_usage: "yes" } },
      "stream_options.include_usage",
    ],
  ])("when a field has the wrong type, naming it (%j → %s)", async (body, field) => {
    const error = await expectError(await postRaw(JSON.stringify(body)), 400, {
      param: field,
      type: "invalid_request_error",
    });
    expect(error.message).toContain(field);
  });

  it("when there is no user message with text", async () => {
    const body = JSON.stringify({ messages: [{ role: "system", content: "be nice" }] });
    await expectError(await postRaw(body), 400, { param: "messages" });
  });

  it("when nothing is left to draw once the ratio is removed", async () => {
    await expectError(await postRaw(chatBody("  16:9 ")), 400, { param: "messages", code: "empty_prompt" });
  });

  it("an empty Images API prompt is empty_prompt, as in chat; a missing one names the field", async () => {
    for (const prompt of ["", "   ", "\u200b"]) {
      const response = await postRaw(JSON.stringify({ prompt }), "/v1/images/generations");
      await expectError(response, 400, { param: "prompt", code: "empty_prompt" });
    }
    await expectError(await postRaw(JSON.stringify({ size: "1024x1024" }), "/v1/images/generations"), 400, {
      param: "prompt",
      code: "invalid_request",
    });
  });
});

describe("other request errors", () => {
  it("401 without a key", async () => {
    await expectError(await call("/v1/models"), 401, { type: "authentication_error" });
  });

  it("404 for an unknown route, naming it", async () => {
    const error = await expectError(await call("/v1/completions", { method: "POST", headers: authHeaders() }), 404, {
      code: "not_found",
    });
    expect(error.message).toContain("/v1/completions");
    await expectError(await call("/v1/audio/speech"), 404);
  });

  it.each([
    ["GET", "/v1/chat/completions"],
    ["PUT", "/v1/chat/completions"],
    ["DELETE", "/v1/models"],
    ["GET", "/v1/images/generations"],
    ["POST", `/image/${"a".repeat(64)}.${"b".repeat(32)}`],
    ["DELETE", `/v1/jobs/${"a".repeat(64)}`],
    ["PUT", "/v1/service"],
    ["DELETE", "/v1/models/flux-2-dev"],
  ])("405 for %s %s", async (method, path) => {
    const error = await expectError(await call(path, { method, headers: authHeaders() }), 405, {
      code: "method_not_allowed",
    });
    expect(error.message).toContain(method);
  });

  it.each([
    ["/v1/service", "GET, HEAD"],
    ["/v1/models", "GET, HEAD"],
    ["/v1/models/flux-2-dev", "GET, HEAD"],
    [`/v1/jobs/${"a".repeat(64)}`, "GET, HEAD"],
    [`/v1/jobs/${"a".repeat(64)}/events`, "GET"],
    [`/image/${"a".repeat(64)}.${"b".repeat(32)}`, "GET, HEAD"],
  ])("a 405 on %s names what it allows: %s", async (path, allowed) => {
    const response = await call(path, { method: "PUT", headers: authHeaders() });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allowed);
    await response.arrayBuffer();
  });

  it("HEAD on a job's event stream is a 405 (it would open a live stream only to drop it)", async () => {
    const response = await call(`/v1/jobs/${"a".repeat(64)}/events`, { method: "HEAD", headers: authHeaders() });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it("413 for an images body over 1 MB", async () => {
    const huge = JSON.stringify({ prompt: `a cat ${"x".repeat(1_100_000)}` });
    const response = await call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: huge });
    await expectError(response, 413, { code: "request_too_large" });
  });
});

describe("a malformed setting", () => {
  it("gives a clear error that names the setting but not its value, on every route", async () => {
    for (const path of ["/v1/models", "/v1/chat/completions"]) {
      const init =
        path === "/v1/models"
          ? { headers: authHeaders() }
          : { method: "POST", headers: authHeaders(), body: chatBody("a cat") };
      const error = await expectError(await callWith({ FLUX_NUM_STEPS: "abc" }, path, init), 500, {
        param: "FLUX_NUM_STEPS",
        code: "invalid_setting",
      });
      expect(error.message).toContain("FLUX_NUM_STEPS");
      expect(error.message).not.toContain("abc");
    }
  });

  it("names IMAGE_EXPIRATION below KV's 60-second minimum", async () => {
    const error = await expectError(
      await callWith({ IMAGE_EXPIRATION: "30" }, "/v1/models", { headers: authHeaders() }),
      500,
      { param: "IMAGE_EXPIRATION" },
    );
    expect(error.message).toContain("60");
  });
});

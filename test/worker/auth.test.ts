/** Bearer API_KEY on every route that costs money or shows jobs; none configured means none accepted. */
import { describe, expect, it } from "vitest";
import { call, callWith, chatBody } from "./helpers.ts";

const JOB_ID = "0".repeat(64);

/** Every route that needs the key, with a request that would otherwise be accepted. */
const AUTHENTICATED_ROUTES: [string, string, RequestInit][] = [
  ["GET /v1/models", "/v1/models", {}],
  ["POST /v1/chat/completions", "/v1/chat/completions", { method: "POST", body: chatBody("a cat") }],
  [
    "POST /v1/images/generations",
    "/v1/images/generations",
    { method: "POST", body: JSON.stringify({ prompt: "a cat" }) },
  ],
  ["POST /v1/images/edits", "/v1/images/edits", { method: "POST", body: JSON.stringify({ prompt: "a cat" }) }],
  ["GET /v1/jobs/:id", `/v1/jobs/${JOB_ID}`, {}],
  ["GET /v1/jobs/:id/events", `/v1/jobs/${JOB_ID}/events`, {}],
];

function withKey(init: RequestInit, headers: Record<string, string>): RequestInit {
  return { ...init, headers: { "content-type": "application/json", ...headers } };
}

/** The challenge RFC 6750 asks a 401 to carry: a wrong key also says `error="invalid_token"`. */
const CHALLENGE: Record<string, string> = {
  missing_api_key: 'Bearer realm="flux-api-worker"',
  api_key_not_configured: 'Bearer realm="flux-api-worker"',
  invalid_api_key: 'Bearer realm="flux-api-worker", error="invalid_token"',
};

async function expectRefused(response: Response, code: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe(CHALLENGE[code]);
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  const body = await response.json<{ error: Record<string, unknown> }>();
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error).toMatchObject({ type: "authentication_error", code });
}

describe("API key", () => {
  it.each(AUTHENTICATED_ROUTES)("%s without a key is refused with 401", async (_, path, init) => {
    await expectRefused(await call(path, withKey(init, {})), "missing_api_key");
  });

  it.each(AUTHENTICATED_ROUTES)("%s with a wrong key is refused with 401", async (_, path, init) => {
    await expectRefused(await call(path, withKey(init, { authorization: "Bearer sk-wrong" })), "invalid_api_key");
  });

  it("every 401 says how to authenticate (WWW-Authenticate: Bearer), and a browser page may read it", async () => {
    const missing = await call("/v1/models", { headers: { origin: "https://chat.example" } });
    await expectRefused(missing, "missing_api_key");
    expect(missing.headers.get("access-control-expose-headers")).toContain("www-authenticate");
    await expectRefused(await call("/v1/models", { headers: { authorization: "Bearer sk-wrong" } }), "invalid_api_key");
  });

  it("refuses a key that is only part of a listed key, or the whole list", async () => {
    await expectRefused(await call("/v1/models", { headers: { authorization: "Bearer sk-test" } }), "invalid_api_key");
    await expectRefused(
      await call("/v1/models", { headers: { authorization: "Bearer sk-test-key,sk-second-key" } }),
      "invalid_api_key",
    );
  });

  it("accepts every key of a comma-separated API_KEY", async () => {
    for (const key of ["sk-test-key", "sk-second-key"]) {
      const response = await call("/v1/models", { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    }
  });

  it("accepts the key as x-api-key, and a lower-case bearer scheme", async () => {
    expect((await call("/v1/models", { headers: { "x-api-key": "sk-second-key" } })).status).toBe(200);
    expect((await call("/v1/models", { headers: { authorization: "bearer sk-test-key" } })).status).toBe(200);
  });

  it("checks the key before reading the body", async () => {
    const response = await call("/v1/chat/completions", { method: "POST", body: "{not json" });
    expect(response.status).toBe(401);
  });
});

describe("no API_KEY configured (fail closed)", () => {
  it.each(AUTHENTICATED_ROUTES)("%s is refused with 401, whatever key is sent", async (_, path, init) => {
    await expectRefused(
      await callWith({ API_KEY: "" }, path, withKey(init, { authorization: "Bearer sk-test-key" })),
      "api_key_not_configured",
    );
    await expectRefused(
      await callWith({ API_KEY: " , " }, path, withKey(init, { authorization: "Bearer " })),
      "api_key_not_configured",
    );
  });

  it("still answers the public service endpoint the playground asks", async () => {
    expect((await callWith({ API_KEY: "" }, "/v1/service")).status).toBe(200);
  });
});

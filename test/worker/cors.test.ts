/** CORS on every response, errors included, and preflight for any route: browsers call this API from other origins. */
import { describe, expect, it } from "vitest";
import { authHeaders, call, callWith, imageUrlIn, postChat } from "./helpers.ts";

const FROM_A_PAGE = { origin: "https://chat.example" };

function expectCors(response: Response): void {
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  expect(response.headers.get("access-control-expose-headers")).toContain("x-job-id");
}

describe("CORS headers", () => {
  it.each([
    ["200 model list", () => call("/v1/models", { headers: authHeaders(FROM_A_PAGE) }), 200],
    ["200 service info", () => call("/v1/service", { headers: FROM_A_PAGE }), 200],
    ["401 missing key", () => call("/v1/models", { headers: FROM_A_PAGE }), 401],
    ["404 unknown route", () => call("/v2/nothing", { headers: FROM_A_PAGE }), 404],
    ["404 unknown image", () => call("/image/none", { headers: FROM_A_PAGE }), 404],
    ["405 wrong method", () => call("/v1/chat/completions", { headers: authHeaders(FROM_A_PAGE) }), 405],
    [
      "400 bad JSON",
      () => call("/v1/chat/completions", { method: "POST", headers: authHeaders(FROM_A_PAGE), body: "{" }),
      400,
    ],
    [
      "500 malformed setting",
      () => callWith({ FLUX_NUM_STEPS: "abc" }, "/v1/models", { headers: authHeaders(FROM_A_PAGE) }),
      500,
    ],
  ] as const)("are on a %s", async (_, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expectCors(response);
  });

  it("are on a generated chat completion, a stream and the image", async () => {
    const completion = await postChat("a cat");
    expectCors(completion);
    const content =
      (await completion.json<{ choices: { message: { content: string } }[] }>()).choices[0]?.message.content ?? "";
    const image = await call(new URL(imageUrlIn(content) ?? "").pathname, { headers: FROM_A_PAGE });
    expect(image.status).toBe(200);
    expectCors(image);
    const stream = await postChat("a cat", { stream: true });
    expectCors(stream);
    await stream.body?.cancel();
  });
});

describe("preflight", () => {
  it.each(["/v1/chat/completions", "/v1/models", "/v1/service", "/image/anything", "/no/such/route"])(
    "is answered for %s, without a key",
    async (path) => {
      const response = await call(path, {
        method: "OPTIONS",
        headers: {
          ...FROM_A_PAGE,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-methods")).toContain("GET");
      expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
      expect(response.headers.get("access-control-allow-headers")).toContain("content-type");
      expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    },
  );

  it("allows the headers a client asks for, and sensible ones when it asks for none", async () => {
    const asked = await call("/v1/chat/completions", {
      method: "OPTIONS",
      headers: { "access-control-request-headers": "x-stainless-os" },
    });
    expect(asked.headers.get("access-control-allow-headers")).toContain("x-stainless-os");
    const unasked = await call("/v1/chat/completions", { method: "OPTIONS" });
    expect(unasked.headers.get("access-control-allow-headers")).toContain("authorization");
  });
});

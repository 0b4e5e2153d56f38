/**
 * output_format and output_compression: the stored and returned bytes in the format asked (the
 * Images binding converts, through Sharp locally), the model's own when none is asked; background
 * "transparent" refused; n up to 10, as OpenAI allows.
 */
import { describe, expect, it } from "vitest";
import { decodeBase64, inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { authHeaders, call, marker } from "./helpers.ts";

interface Answer {
  data: { b64_json?: string; url?: string }[];
  output_format: string;
  size: string;
}

function generate(body: Record<string, unknown>): Promise<Response> {
  return call("/v1/images/generations", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

function typeOf(answer: Answer): string | undefined {
  return inspectImage(decodeBase64(answer.data[0]?.b64_json ?? "") ?? new Uint8Array())?.contentType;
}

describe("output_format", () => {
  it.each([
    ["flux-2-klein-4b", "png", "image/png"],
    ["flux-2-klein-4b", "webp", "image/webp"],
    ["sdxl", "jpeg", "image/jpeg"],
  ])("%s with output_format %s gives those bytes, and says so", async (model, format, type) => {
    const response = await generate({ prompt: `${marker()} a fox`, model, output_format: format, size: "512x512" });
    expect(response.status).toBe(200);
    const answer = await response.json<Answer>();
    expect(typeOf(answer)).toBe(type);
    expect(answer).toMatchObject({ output_format: format, size: "512x512" });
  });

  it("stores the converted picture: its link serves that type", async () => {
    const response = await generate({ prompt: `${marker()} a fox`, output_format: "png", response_format: "url" });
    const answer = await response.json<Answer>();
    const image = await call(new URL(answer.data[0]?.url ?? "").pathname);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(inspectImage(new Uint8Array(await image.arrayBuffer()))?.contentType).toBe("image/png");
  });

  it("keeps the model's own format when none is asked, or when it is already that", async () => {
    const own = await (await generate({ prompt: `${marker()} a fox` })).json<Answer>();
    expect(own.output_format).toBe("jpeg");
    const same = await (await generate({ prompt: `${marker()} a fox`, output_format: "jpeg" })).json<Answer>();
    expect(typeOf(same)).toBe("image/jpeg");
  });

  it("refuses a format or compression it does not know, and a transparent background", async () => {
    for (const [fields, param] of [
      [{ output_format: "gif" }, "output_format"],
      [{ output_compression: 101 }, "output_compression"],
      [{ background: "transparent" }, "background"],
    ] as const) {
      const response = await generate({ prompt: "a fox", ...fields });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { param } });
    }
    expect((await generate({ prompt: `${marker()} a fox`, background: "opaque" })).status).toBe(200);
  });
});

describe("n up to 10", () => {
  it("paints ten pictures at once, each with its own seed", async () => {
    const response = await generate({ prompt: `${marker()} a fox`, n: 10, size: "256x256" });
    expect(response.status).toBe(200);
    const answer = await response.json<{ data: { seed: number }[] }>();
    expect(answer.data).toHaveLength(10);
    expect(new Set(answer.data.map((image) => image.seed)).size).toBe(10);
    expect((await generate({ prompt: "a fox", n: 11 })).status).toBe(400);
  });
});

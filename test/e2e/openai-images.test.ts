/**
 * The OpenAI Images API end to end: `npm start` (offline, against the stand-in)
 * driven by the official `openai` client's `images.generate`, as Open WebUI,
 * LibreChat, the AI SDK and NextChat's dall-e-3 call it. Every image is checked
 * byte for byte against what the stand-in returned.
 */
import type OpenAI from "openai";
import { BadRequestError } from "openai";
import { describe, expect, it } from "vitest";
import { jpegDimensions } from "../stand-in/jpeg-dimensions.ts";
import { marker, sha256Hex, useService } from "./with-service.ts";

const live = useService();

/** The sha256 of every image the stand-in returned for prompts containing `text`. */
async function upstreamImageHashes(text: string): Promise<string[]> {
  const response = await fetch(`${live.service.standInUrl}/__stand-in/requests?contains=${encodeURIComponent(text)}`);
  const records = (await response.json()) as { imageSha256?: string }[];
  return records.flatMap((record) => (record.imageSha256 ? [record.imageSha256] : []));
}

function decodeBase64(image: OpenAI.Images.Image | undefined): Uint8Array {
  expect(image?.b64_json, "b64_json").toEqual(expect.any(String));
  return new Uint8Array(Buffer.from(image?.b64_json ?? "", "base64"));
}

describe("images.generate", () => {
  it("returns base64 JPEG at the exact size asked for, with the prompt it used", async () => {
    const tag = marker();
    const response = await live.client.images.generate({
      model: "dall-e-3",
      prompt: `a lighthouse ${tag}`,
      size: "1024x768",
      response_format: "b64_json",
    });
    expect(response.data).toHaveLength(1);
    const bytes = decodeBase64(response.data?.[0]);
    expect(jpegDimensions(bytes)).toEqual({ width: 1024, height: 768 });
    expect(response.data?.[0]?.revised_prompt).toContain(tag);
    expect(await upstreamImageHashes(tag)).toEqual([sha256Hex(bytes)]);
  });

  it("returns a URL that serves the image when response_format is url", async () => {
    const tag = marker();
    const response = await live.client.images.generate({
      model: "dall-e-3",
      prompt: `a lighthouse ${tag}`,
      size: "1024x768",
      response_format: "url",
    });
    const url = response.data?.[0]?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/image\//);
    expect(response.data?.[0]?.b64_json).toBeUndefined();
    const image = await fetch(url ?? "");
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    const bytes = new Uint8Array(await image.arrayBuffer());
    expect(jpegDimensions(bytes)).toEqual({ width: 1024, height: 768 });
    expect(await upstreamImageHashes(tag)).toEqual([sha256Hex(bytes)]);
  });

  it("makes n distinct images, each one the upstream returned", async () => {
    const tag = marker();
    const response = await live.client.images.generate({
      model: "dall-e-3",
      prompt: `a lighthouse ${tag}`,
      n: 3,
      response_format: "b64_json",
    });
    expect(response.data).toHaveLength(3);
    const hashes = (response.data ?? []).map((image) => sha256Hex(decodeBase64(image)));
    expect(new Set(hashes).size).toBe(3);
    expect((await upstreamImageHashes(tag)).sort()).toEqual([...hashes].sort());
  });

  it("says flux-1-schnell made 1024×1024 when another size was asked for, and delivers exactly that", async () => {
    const tag = marker();
    const response = await live.client.images.generate({
      model: "@cf/black-forest-labs/flux-1-schnell",
      prompt: `a lighthouse ${tag}`,
      size: "1024x576",
      response_format: "b64_json",
    });
    expect(response.size).toBe("1024x1024");
    expect(jpegDimensions(decodeBase64(response.data?.[0]))).toEqual({ width: 1024, height: 1024 });
  });

  it('takes size: "auto", as gpt-image clients send it', async () => {
    const response = await live.client.images.generate({ prompt: `a lighthouse ${marker()}`, size: "auto" });
    expect(response.size).toBe("1024x1024");
    expect(jpegDimensions(decodeBase64(response.data?.[0]))).toEqual({ width: 1024, height: 1024 });
  });

  it("scales a size beyond the model's 1920 px into range keeping its ratio, and says what it made", async () => {
    const response = await live.client.images.generate({
      prompt: `a lighthouse ${marker()}`,
      size: "4000x2000",
    });
    expect(response.size).toBe("1920x960");
    expect(jpegDimensions(decodeBase64(response.data?.[0]))).toEqual({ width: 1920, height: 960 });
  });

  it("answers base64 when no response_format is sent", async () => {
    const tag = marker();
    const response = await live.client.images.generate({ prompt: `a lighthouse ${tag}` });
    expect(response.data?.[0]?.url).toBeUndefined();
    const bytes = decodeBase64(response.data?.[0]);
    expect(jpegDimensions(bytes)).toEqual({ width: 1024, height: 1024 });
    expect(await upstreamImageHashes(tag)).toEqual([sha256Hex(bytes)]);
  });
});

describe("images.generate with bad parameters", () => {
  it("rejects a size that is not WIDTHxHEIGHT with a 400 naming size", async () => {
    const call = live.client.images.generate({ prompt: "a lighthouse", size: "huge" });
    await expect(call).rejects.toBeInstanceOf(BadRequestError);
    await expect(call).rejects.toMatchObject({ status: 400, param: "size", message: expect.stringContaining("size") });
  });

  it("refuses an empty prompt with empty_prompt, as chat does", async () => {
    const call = live.client.images.generate({ prompt: "" });
    await expect(call).rejects.toMatchObject({ status: 400, param: "prompt", code: "empty_prompt" });
  });

  it("rejects n above 10 with a 400 naming n", async () => {
    const call = live.client.images.generate({ prompt: "a lighthouse", n: 11 });
    await expect(call).rejects.toBeInstanceOf(BadRequestError);
    await expect(call).rejects.toMatchObject({ status: 400, param: "n" });
  });
});

describe("models.retrieve", () => {
  it("answers a model by its full id (the client escapes its slashes) or short name, and 404 for another", async () => {
    // Each name answers its own entry: the full id the chat entry, the short name the image entry.
    for (const id of ["@cf/black-forest-labs/flux-2-dev", "flux-2-dev"])
      expect(await live.client.models.retrieve(id)).toMatchObject({ id, object: "model" });
    await expect(live.client.models.retrieve("gpt-4o")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

/**
 * The rest of the Images API, end to end: `npm start` driven by the official `openai` client:
 * `stream: true` iterators (LibreChat's image tool asks for a stream first and falls back on a
 * 400), `images.createVariation`, `output_format` from the bytes, and n = 10.
 */
import jpeg from "jpeg-js";
import OpenAI, { toFile } from "openai";
import { describe, expect, it } from "vitest";
import { jpegDimensions } from "../stand-in/jpeg-dimensions.ts";
import { marker, useService } from "./with-service.ts";

const live = useService();

function photo(width: number, height: number): Buffer {
  return jpeg.encode({ width, height, data: Buffer.alloc(width * height * 4, 180) }, 90).data;
}

describe("stream: true with the official client", () => {
  it("images.generate iterates to an image_generation.completed event with a real picture", async () => {
    const stream = await live.client.images.generate({
      model: "flux-2-klein-4b",
      prompt: `${marker()} a lighthouse`,
      size: "1024x768",
      stream: true,
      partial_images: 2,
    });
    const events: OpenAI.Images.ImageGenStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual(["image_generation.completed"]);
    const completed = events[0] as OpenAI.Images.ImageGenCompletedEvent;
    expect(jpegDimensions(Buffer.from(completed.b64_json, "base64"))).toEqual({ width: 1024, height: 768 });
    expect(completed).toMatchObject({ size: "1024x768", output_format: "jpeg" });
  });

  it("images.edit iterates to an image_edit.completed event", async () => {
    const stream = await live.client.images.edit({
      image: await toFile(photo(400, 400), "a.jpg", { type: "image/jpeg" }),
      prompt: `${marker()} make it a watercolor`,
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(["image_edit.completed"]);
  });

  it("a failure mid-stream is raised by the iterator", async () => {
    const stream = await live.client.images.generate({
      model: "flux-2-klein-4b",
      prompt: `${marker()} a lighthouse #fault=nsfw`,
      stream: true,
    });
    const failure = await (async () => {
      for await (const event of stream) void event;
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toMatch(/safety filter/);
  });
});

describe("variations, formats and n with the official client", () => {
  it("images.createVariation paints a variation of the picture's shape", async () => {
    const result = await live.client.images.createVariation({
      image: await toFile(photo(600, 400), "a.jpg", { type: "image/jpeg" }),
      n: 1,
      response_format: "b64_json",
    });
    expect(jpegDimensions(Buffer.from(result.data?.[0]?.b64_json ?? "", "base64"))).toEqual({
      width: 1024,
      height: 688,
    });
  });

  it.each([
    ["png", [0x89, 0x50, 0x4e, 0x47]],
    ["webp", [0x52, 0x49, 0x46, 0x46]],
  ] as const)("output_format %s gives those bytes for a model that makes JPEG", async (format, magic) => {
    const result = await live.client.images.generate({
      model: "flux-2-klein-4b",
      prompt: `${marker()} a lighthouse`,
      size: "512x512",
      output_format: format,
    });
    expect([...Buffer.from(result.data?.[0]?.b64_json ?? "", "base64").subarray(0, 4)]).toEqual(magic);
    expect(result.output_format).toBe(format);
  });

  it("n = 10 gives ten pictures", async () => {
    const result = await live.client.images.generate({ model: "flux-1-schnell", prompt: `${marker()} a kite`, n: 10 });
    expect(result.data).toHaveLength(10);
  });
});

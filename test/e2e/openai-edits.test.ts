/**
 * Editing and combining images end to end: `npm start` (offline, against the
 * stand-in) driven by the official `openai` client's `images.edit` and by chat
 * completions with an attached image, a two-turn `--edit` conversation, and a
 * request shaped as Open WebUI's edit engine sends it. The stand-in records the
 * reference images it received (type, size) and paints a mark for each.
 */
import jpeg from "jpeg-js";
import { toFile } from "openai";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { jpegDimensions } from "../stand-in/jpeg-dimensions.ts";
import { marker, standInCalls, useService } from "./with-service.ts";

const live = useService();

function photo(width: number, height: number, [red, green, blue]: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let offset = 0; offset < data.length; offset += 4) data.set([red, green, blue, 255], offset);
  return jpeg.encode({ width, height, data }, 90).data;
}

function dataUrl(bytes: Buffer): string {
  return `data:image/jpeg;base64,${bytes.toString("base64")}`;
}

async function referencesFor(text: string) {
  const calls = (await standInCalls(live, text)).filter((call) => call.path.includes("/ai/run/"));
  return calls.at(-1)?.references?.map(({ name, width, height }) => ({ name, width, height }));
}

function imageUrlIn(content: string): string | undefined {
  return /!\[[^\]]*\]\((https?:\/\/[^)\s]+)\)/.exec(content)?.[1];
}

describe("images.edit with the official client", () => {
  it("sends two files as reference images and answers with an image of the first one's shape", async () => {
    const m = marker();
    const result = await live.client.images.edit({
      image: [
        await toFile(photo(1200, 900, [200, 40, 40]), "sofa.jpg", { type: "image/jpeg" }),
        await toFile(photo(400, 400, [40, 40, 200]), "cat.jpg", { type: "image/jpeg" }),
      ],
      prompt: `${m} put the cat from image 1 on the sofa in image 0`,
    });
    const bytes = Buffer.from(result.data?.[0]?.b64_json ?? "", "base64");
    expect(jpegDimensions(bytes)).toEqual({ width: 1024, height: 768 });
    expect(await referencesFor(m)).toEqual([
      { name: "input_image_0", width: 511, height: 383 },
      { name: "input_image_1", width: 400, height: 400 },
    ]);
    expect((result as OpenAI.ImagesResponse & { data: { seed?: number }[] }).data[0]?.seed).toEqual(expect.any(Number));
  });
});

describe("Open WebUI's edit engine", () => {
  it("posts image[] parts named <uuid>.png holding JPEG bytes, with response_format b64_json", async () => {
    const m = marker();
    const form = new FormData();
    form.append("model", "flux-2-klein-4b");
    form.append("prompt", `${m} make the sky purple`);
    form.append("n", "1");
    form.append("size", "512x512");
    form.append("response_format", "b64_json");
    form.append(
      "image[]",
      new Blob([Uint8Array.from(photo(800, 600, [10, 120, 10]))], { type: "image/png" }),
      `${crypto.randomUUID()}.png`,
    );
    const response = await fetch(`${live.service.baseUrl}/v1/images/edits`, {
      method: "POST",
      headers: { authorization: `Bearer ${live.service.apiKey}` },
      body: form,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { b64_json: string }[] };
    expect(jpegDimensions(Buffer.from(body.data[0]?.b64_json ?? "", "base64"))).toEqual({ width: 512, height: 512 });
    expect(await referencesFor(m)).toEqual([{ name: "input_image_0", width: 511, height: 383 }]);
  });
});

describe("chat with an attached image", () => {
  const attached = (text: string): OpenAI.Chat.ChatCompletionMessageParam[] => [
    {
      role: "user",
      content: [
        { type: "text", text },
        { type: "image_url", image_url: { url: dataUrl(photo(900, 600, [220, 180, 20])) } },
      ],
    },
  ];

  it("edits it, without streaming", async () => {
    const m = marker();
    const reply = await live.client.chat.completions.create({
      model: "flux",
      messages: attached(`${m} make it a watercolor`),
    });
    const content = reply.choices[0]?.message.content ?? "";
    expect(content).toContain("📐 Size: 768×512 (follows the reference image)");
    expect(imageUrlIn(content)).toBeDefined();
    expect(await referencesFor(m)).toEqual([{ name: "input_image_0", width: 511, height: 341 }]);
  });

  it("edits it, streamed, with progress saying so", async () => {
    const m = marker();
    const stream = await live.client.chat.completions.create({
      model: "flux",
      stream: true,
      messages: attached(`${m} make it a watercolor`),
    });
    let text = "";
    for await (const chunk of stream) {
      // The service adds reasoning_content (progress) to the SDK's delta type.
      const delta: { content?: string | null; reasoning_content?: string } | undefined = chunk.choices[0]?.delta;
      text += (delta?.reasoning_content ?? "") + (delta?.content ?? "");
    }
    expect(text).toContain("Reading 1 reference image(s)…");
    expect(text).toContain("Editing 768×512");
    expect(imageUrlIn(text)).toBeDefined();
    expect(await referencesFor(m)).toHaveLength(1);
  });
});

describe("a two-turn conversation with --edit", () => {
  it("edits the first turn's picture, read from the service's own storage", async () => {
    const m = marker();
    const first = await live.client.chat.completions.create({
      model: "flux",
      messages: [{ role: "user", content: `${m}a a lighthouse 16:9` }],
    });
    const firstContent = first.choices[0]?.message.content ?? "";
    const second = await live.client.chat.completions.create({
      model: "flux",
      messages: [
        { role: "user", content: `${m}a a lighthouse 16:9` },
        { role: "assistant", content: firstContent },
        { role: "user", content: `--edit ${m}b make the lamp red` },
      ],
    });
    const secondContent = second.choices[0]?.message.content ?? "";
    expect(secondContent).toContain("📐 Size: 1024×576 (follows the reference image)");
    expect(imageUrlIn(secondContent)).not.toBe(imageUrlIn(firstContent));
    // The first picture, 1024×576, shrunk to fit 511.
    expect(await referencesFor(`${m}b`)).toEqual([{ name: "input_image_0", width: 511, height: 287 }]);
  });
});

describe("attacks over a real connection", () => {
  const post = (path: string, body: string, contentType: string) =>
    fetch(`${live.service.baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${live.service.apiKey}`, "content-type": contentType },
      body,
    });

  it("a form of 300,000 tiny parts gets its 400 too_many_parts, not a connection cut mid-upload", async () => {
    const parts = Array.from(
      { length: 300_000 },
      (_, i) => `--b\r\ncontent-disposition: form-data; name="f${i}"\r\n\r\nv\r\n`,
    );
    const response = await post("/v1/images/edits", `${parts.join("")}--b--\r\n`, "multipart/form-data; boundary=b");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("too_many_parts");
  });

  it("the 1.2 MB chat message that held the Worker for minutes is answered, and so is everyone else", async () => {
    const body = JSON.stringify({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "![](".repeat(300_000) },
        { role: "user", content: `${marker()} a cat` },
      ],
    });
    const attack = post("/v1/chat/completions", body, "application/json");
    const bystander = await fetch(`${live.service.baseUrl}/v1/service`);
    expect(bystander.status).toBe(200);
    expect((await attack).status).toBe(200);
  });
});

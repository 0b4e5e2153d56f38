/**
 * POST /v1/images/edits and images attached to a chat message: what the model
 * receives (binary `input_image_N` parts under 512×512, aspect kept, EXIF
 * rotation applied, shrunk by the real Images binding through Sharp), the size
 * that follows the first reference, and every bad input refused with a clear 400.
 */
import { describe, expect, it } from "vitest";
import { authHeaders, call, collectSse, marker, postChat, upstreamRequests } from "./helpers.ts";
import { decodeBase64 } from "../../src/lib/storage/image-bytes.ts";
import { PIXEL_PNG } from "./fake-ai.ts";
import { dataUrl, sampleJpeg, samplePng } from "./sample-images.ts";

const PIXEL_PNG_BYTES = decodeBase64(PIXEL_PNG) ?? new Uint8Array();

interface Reference {
  name: string;
  contentType: string;
  width: number;
  height: number;
}
interface ImagesReply {
  data: { b64_json?: string; url?: string; seed?: number }[];
  size: string;
}

function editForm(fields: Record<string, string>, images: [string, Uint8Array, string?][]): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, bytes, filename] of images) form.append(name, new Blob([bytes], { type: "image/png" }), filename);
  return form;
}

function postEdit(body: FormData | Record<string, unknown>): Promise<Response> {
  const headers: Record<string, string> = { authorization: authHeaders().authorization ?? "" };
  if (body instanceof FormData) return call("/v1/images/edits", { method: "POST", headers, body });
  return call("/v1/images/edits", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function referencesSent(m: string): Promise<Reference[]> {
  const [generation] = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  return (generation?.references ?? []).map(({ name, contentType, width, height }) => ({
    name,
    contentType,
    width,
    height,
  }));
}

async function expectBadRequest(response: Response, code: string, param?: string): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  const body = await response.json<{ error: { code: string; param: string | null; message: string } }>();
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  expect(body.error.message.length).toBeGreaterThan(20);
}

describe("POST /v1/images/edits, multipart", () => {
  it("sends two images as input_image_0 and _1, each shrunk under 512 with its aspect kept, and follows the first's shape", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} put the cat from image 1 on the sofa in image 0` }, [
        ["image[]", sampleJpeg(1600, 1200), "a.png"],
        ["image[]", sampleJpeg(300, 400, [20, 40, 200]), "b.png"],
      ]),
    );
    expect(response.status).toBe(200);
    const body = await response.json<ImagesReply>();
    expect(body.size).toBe("1024x768");
    expect(body.data[0]?.b64_json).toBeTruthy();
    expect(await referencesSent(m)).toEqual([
      { name: "input_image_0", contentType: "image/jpeg", width: 511, height: 383 },
      { name: "input_image_1", contentType: "image/jpeg", width: 300, height: 400 },
    ]);
  });

  it("takes the type from the bytes: a JPEG in a part named <uuid>.png (as Open WebUI sends) is a JPEG", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} make it blue`, response_format: "url", n: "1" }, [
        ["image", sampleJpeg(640, 480), `${crypto.randomUUID()}.png`],
      ]),
    );
    expect(response.status).toBe(200);
    expect((await response.json<ImagesReply>()).data[0]?.url).toMatch(/\/image\//);
    expect((await referencesSent(m))[0]?.contentType).toBe("image/jpeg");
  });

  it("applies the EXIF rotation of a phone photo before shrinking it", async () => {
    const m = marker();
    // Stored 800×600, shown upright (orientation 6: rotate 90°) as 600×800.
    await postEdit(editForm({ prompt: `${m} a portrait` }, [["image", sampleJpeg(800, 600, undefined, 6)]]));
    expect(await referencesSent(m)).toMatchObject([{ width: 383, height: 511 }]);
  });

  it("takes image[0]-style part names, and sends a small PNG as the PNG it is", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} combine them` }, [
        ["image[0]", await samplePng(200, 100, [250, 250, 0]), "a.png"],
        ["image[1]", sampleJpeg(64, 64), "b.jpg"],
      ]),
    );
    expect(response.status).toBe(200);
    expect(await referencesSent(m)).toEqual([
      { name: "input_image_0", contentType: "image/png", width: 200, height: 100 },
      { name: "input_image_1", contentType: "image/jpeg", width: 64, height: 64 },
    ]);
  });

  it("turns a small photo that EXIF rotates upright, though it already fits", async () => {
    const m = marker();
    await postEdit(editForm({ prompt: `${m} a portrait` }, [["image", sampleJpeg(300, 200, undefined, 6)]]));
    expect(await referencesSent(m)).toMatchObject([{ width: 200, height: 300 }]);
  });

  it('size: "auto", as gpt-image clients send it, follows the image\'s shape', async () => {
    const response = await postEdit(
      editForm({ prompt: `${marker()} a watercolor`, size: "auto" }, [["image", sampleJpeg(200, 100)]]),
    );
    expect(response.status).toBe(200);
    expect((await response.json<ImagesReply>()).size).toBe("1024x512");
  });

  it("keeps an explicit size, and gives each of n images its own seed", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} two variations`, size: "512x512", n: "2", seed: "40" }, [["image", sampleJpeg(64, 48)]]),
    );
    const body = await response.json<ImagesReply>();
    expect(body.size).toBe("512x512");
    expect(body.data.map((image) => image.seed)).toEqual([40, 41]);
  });
});

describe("POST /v1/images/edits, JSON", () => {
  it("takes images: [{ image_url }] as data URLs", async () => {
    const m = marker();
    const response = await postEdit({
      prompt: `${m} make it a watercolor`,
      images: [{ image_url: dataUrl(sampleJpeg(200, 100)) }, { image_url: { url: dataUrl(sampleJpeg(50, 50)) } }],
      size: "auto",
    });
    expect(response.status).toBe(200);
    expect((await response.json<ImagesReply>()).size).toBe("1024x512");
    expect((await referencesSent(m)).map((reference) => [reference.width, reference.height])).toEqual([
      [200, 100],
      [50, 50],
    ]);
  });
});

describe("bad edit input, refused with a clear 400 before any work", () => {
  const jpeg = sampleJpeg(32, 32);
  it.each([
    [
      "a mask that is not a PNG",
      editForm({ prompt: "x" }, [
        ["image", jpeg],
        ["mask", jpeg],
      ]),
      "invalid_mask",
      "mask",
    ],
    [
      "a mask for a model that takes none",
      editForm({ prompt: "x", model: "flux-2-klein-4b" }, [
        ["image", jpeg],
        ["mask", PIXEL_PNG_BYTES],
      ]),
      "unsupported_parameter",
      "mask",
    ],
    [
      "a mask with two images",
      editForm({ prompt: "x" }, [
        ["image[]", jpeg],
        ["image[]", jpeg],
        ["mask", PIXEL_PNG_BYTES],
      ]),
      "too_many_images",
      "image",
    ],
    [
      "img2img with two images",
      editForm({ prompt: "x", model: "sd-img2img" }, [
        ["image[]", jpeg],
        ["image[]", jpeg],
      ]),
      "too_many_images",
      "image",
    ],
    [
      "the inpainting model without a mask",
      editForm({ prompt: "x", model: "sd-inpainting" }, [["image", jpeg]]),
      "missing_mask",
      "mask",
    ],
    [
      "a strength for a model that takes none",
      editForm({ prompt: "x", strength: "0.5" }, [["image", jpeg]]),
      "unsupported_parameter",
      "strength",
    ],
    [
      "a strength over 1",
      editForm({ prompt: "x", model: "sd-img2img", strength: "1.5" }, [["image", jpeg]]),
      "invalid_strength",
      "strength",
    ],
    ["no image", editForm({ prompt: "x" }, []), "missing_image", "image"],
    [
      "five images",
      editForm(
        { prompt: "x" },
        Array.from({ length: 5 }, () => ["image[]", jpeg] as [string, Uint8Array]),
      ),
      "too_many_images",
      "image[4]",
    ],
    [
      "text in an image part",
      editForm({ prompt: "x" }, [["image", new TextEncoder().encode("not an image at all")]]),
      "invalid_image",
      "image[0]",
    ],
    [
      "an image over 20 MB",
      editForm({ prompt: "x" }, [["image", new Uint8Array(20 * 1024 * 1024 + 1).fill(0xff)]]),
      "image_too_large",
      "image[0]",
    ],
    [
      "flux-1-schnell",
      editForm({ prompt: "x", model: "flux-1-schnell" }, [["image", jpeg]]),
      "unsupported_parameter",
      "image",
    ],
    ["an n that is not a number", editForm({ prompt: "x", n: "two" }, [["image", jpeg]]), "invalid_request", "n"],
    [
      "an empty prompt (empty_prompt, as in chat)",
      editForm({ prompt: "" }, [["image", jpeg]]),
      "empty_prompt",
      "prompt",
    ],
  ])("%s", async (_what, form, code, param) => {
    await expectBadRequest(await postEdit(form), code, param);
  });

  it("JSON with a mask for a model that takes none is refused rather than ignored", async () => {
    const images = [{ image_url: dataUrl(jpeg) }];
    await expectBadRequest(
      await postEdit({
        prompt: "x",
        images,
        model: "flux-2-dev",
        mask: { image_url: dataUrl(PIXEL_PNG_BYTES, "image/png") },
      }),
      "unsupported_parameter",
      "mask.image_url",
    );
    await expectBadRequest(
      await postEdit({ prompt: "x", images, mask: { image_url: dataUrl(jpeg) } }),
      "invalid_mask",
      "mask.image_url",
    );
  });

  it("JSON with an empty prompt is empty_prompt, as in chat", async () => {
    await expectBadRequest(
      await postEdit({ prompt: "", images: [{ image_url: dataUrl(jpeg) }] }),
      "empty_prompt",
      "prompt",
    );
  });

  it.each([
    ["broken base64", "data:image/png;base64,@@@not-base64@@@", "invalid_image"],
    ["a data URL that is not base64", "data:image/png,rawbytes", "invalid_image"],
    ["an http: URL", "http://images.example/cat.jpg", "invalid_image_url"],
    ["an internal address", "https://127.0.0.1/cat.jpg", "invalid_image_url"],
    ["localhost", "https://localhost/cat.jpg", "invalid_image_url"],
    ["a port other than https's", "https://images.example.com:8443/cat.jpg", "invalid_image_url"],
  ])("JSON with %s", async (_what, url, code) => {
    await expectBadRequest(await postEdit({ prompt: "x", images: [{ image_url: url }] }), code, "images[0].image_url");
  });
});

describe("images attached to a chat message", () => {
  it("become references, with progress that says so, and the reply's size follows the first image", async () => {
    const m = marker();
    const content = [
      { type: "text", text: `${m} make it a watercolor` },
      { type: "image_url", image_url: { url: dataUrl(sampleJpeg(1200, 800)) } },
    ];
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ model: "flux", stream: true, messages: [{ role: "user", content }] }),
    });
    const text = JSON.stringify((await collectSse(response)).map((frame) => frame.data));
    expect(text).toContain("Reading 1 reference image(s)…");
    expect(text).toContain("Editing 768×512 with @cf/black-forest-labs/flux-2-klein-4b…");
    expect(text).toContain("📐 Size: 768×512 (follows the reference image)");
    expect(await referencesSent(m)).toMatchObject([{ name: "input_image_0", width: 511, height: 341 }]);
  });

  it("keeps a ratio the user wrote", async () => {
    const m = marker();
    const content = [
      { type: "text", text: `${m} the same, wider 16:9` },
      { type: "image_url", image_url: { url: dataUrl(sampleJpeg(300, 300)) } },
    ];
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ model: "flux", messages: [{ role: "user", content }] }),
    });
    const reply = await response.json<{ choices: { message: { content: string } }[] }>();
    expect(reply.choices[0]?.message.content).toContain("📐 Size: 1024×576");
    expect(await referencesSent(m)).toHaveLength(1);
  });

  it("refuses an image for flux-1-schnell, which takes none", async () => {
    const content = [
      { type: "text", text: "make it blue" },
      { type: "image_url", image_url: { url: dataUrl(sampleJpeg(30, 30)) } },
    ];
    const response = await postChat("", { model: "flux-1-schnell", messages: [{ role: "user", content }] });
    await expectBadRequest(response, "unsupported_parameter", "messages");
  });

  it("names the part of a bad image", async () => {
    const content = [
      { type: "text", text: "make it blue" },
      { type: "image_url", image_url: { url: "data:image/jpeg;base64,AAAA" } },
    ];
    const response = await postChat("", { messages: [{ role: "user", content }] });
    await expectBadRequest(response, "invalid_image", "messages[0].content[1].image_url.url");
  });
});

describe("an https link the job cannot download", () => {
  it("fails the job with 400 image_url_unreachable before any generation, in the chat's language too", async () => {
    const m = marker();
    const content = [
      { type: "text", text: `${m} make it blue` },
      { type: "image_url", image_url: { url: "https://images.invalid/cat.jpg" } },
    ];
    const plain = await postChat("", { messages: [{ role: "user", content }] });
    await expectBadRequest(plain, "image_url_unreachable", "messages[0].content[1].image_url.url");
    const streamed = await postChat(
      "",
      { stream: true, messages: [{ role: "user", content }] },
      { REPLY_LANGUAGE: "de" },
    );
    const text = JSON.stringify((await collectSse(streamed)).map((frame) => frame.data));
    expect(text).toContain("Ein Referenzbild konnte nicht über seinen Link geladen werden.");
    expect(await upstreamRequests(m)).toEqual([]);
  });
});

describe("this service's own image link as an attachment", () => {
  it("is read from storage (no download), and a malformed one is just another link, never a 500", async () => {
    const m = marker();
    const made = await call("/v1/images/generations", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({ prompt: `${m}a a kite 3:2`, size: "768x512", response_format: "url" }),
    });
    const link = (await made.json<ImagesReply>()).data[0]?.url ?? "";
    const content = [
      { type: "text", text: `${m}b make the kite red` },
      { type: "image_url", image_url: { url: link } },
    ];
    const response = await postChat("", { messages: [{ role: "user", content }] });
    expect(response.status).toBe(200);
    expect(await referencesSent(`${m}b`)).toMatchObject([{ width: 511, height: 341 }]);

    const malformed = [
      { type: "text", text: "make it red" },
      { type: "image_url", image_url: { url: `${new URL(link).origin}/image/%zz` } },
    ];
    const refused = await postChat("", { messages: [{ role: "user", content: malformed }] });
    expect(refused.status).toBe(400);
  });
});

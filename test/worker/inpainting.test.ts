/**
 * Inpainting and img2img through the Worker: an OpenAI mask (fully transparent = repaint) goes to the
 * inpainting model converted to its kind, picture and mask shrunk to the painted size; the job record
 * names the model that painted; a bad mask is a 400 that leaves nothing behind.
 */
import { describe, expect, it } from "vitest";
import { authHeaders, call, marker, upstreamRequests } from "./helpers.ts";
import { craftedPng, deflated, pngChunk, sampleJpeg } from "./sample-images.ts";

interface Summary {
  bytes: number;
  width?: number;
  height?: number;
  type?: string;
}

/** An RGBA PNG, opaque except where `transparent(x, y)`. */
async function rgbaMask(
  width: number,
  height: number,
  transparent: (x: number, y: number) => boolean,
): Promise<Uint8Array> {
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(0, 0, 0, transparent(x, y) ? 0 : 255);
  }
  return craftedPng({ width, height, colour: 6 }, [pngChunk("IDAT", await deflated(Uint8Array.from(rows)))]);
}

function editForm(fields: Record<string, string>, parts: [string, Uint8Array][]): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, bytes] of parts) form.append(name, new Blob([bytes]), `${name}.bin`);
  return form;
}

function postEdit(form: FormData): Promise<Response> {
  return call("/v1/images/edits", {
    method: "POST",
    headers: { authorization: authHeaders().authorization ?? "" },
    body: form,
  });
}

async function aiRun(m: string): Promise<Record<string, unknown>> {
  const calls = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  expect(calls).toHaveLength(1);
  return calls[0]?.json ?? {};
}

describe("an edit with a mask", () => {
  it("goes to sd-inpainting with the picture and its converted mask, both at the painted size", async () => {
    const m = marker();
    const mask = await rgbaMask(1200, 900, (x) => x < 600);
    const response = await postEdit(
      editForm({ prompt: `${m} a pond`, response_format: "url" }, [
        ["image", sampleJpeg(1200, 900)],
        ["mask", mask],
      ]),
    );
    expect(response.status).toBe(200);
    const body = await response.json<{ model: string; size: string; data: { url: string }[] }>();
    // The picture's shape at Stable Diffusion 1.5's 768 on the long side.
    expect(body).toMatchObject({ model: "sd-inpainting", size: "768x576" });
    const json = await aiRun(m);
    // Both shrunk by the Images binding (the picture) and the mask conversion to the same size.
    expect(json.image as Summary).toMatchObject({ type: "image/jpeg", width: 768, height: 576 });
    expect(json.mask as Summary).toMatchObject({ type: "image/png", width: 768, height: 576 });
    expect(json).toMatchObject({ strength: 1, width: 768, height: 576 });

    const job = await call(`/v1/jobs/${response.headers.get("x-job-id")}`, { headers: authHeaders() });
    const record = await job.json<{ model: string; result: { model: string; masked?: boolean } }>();
    expect(record.result).toMatchObject({ model: "@cf/runwayml/stable-diffusion-v1-5-inpainting", masked: true });
    expect(record.result).toMatchObject({ options: { strength: 1, steps: 20 } });
  });

  it("goes to sd-inpainting when named too, and takes a lower strength", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} a pond`, model: "sd-inpainting", strength: "0.5" }, [
        ["image", sampleJpeg(64, 64)],
        ["mask", await rgbaMask(64, 64, (x, y) => x + y < 40)],
      ]),
    );
    expect(response.status).toBe(200);
    expect((await aiRun(m)).strength).toBe(0.5);
  });

  it.each([
    ["a mask of another size", async () => rgbaMask(100, 100, () => true), "mask_size_mismatch", /100×100.*64×64/],
    ["a mask with nothing transparent", async () => rgbaMask(64, 64, () => false), "mask_empty", /fully transparent/],
  ])("%s is a 400 from the job, and nothing is stored", async (_what, makeMask, code, message) => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} a pond`, response_format: "url" }, [
        ["image", sampleJpeg(64, 64)],
        ["mask", await makeMask()],
      ]),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const { error } = await response.json<{ error: { code: string; param: string; message: string } }>();
    expect(error).toMatchObject({ code, param: "mask" });
    expect(error.message).toMatch(message);
    // Refused before Workers AI was called.
    expect((await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"))).toEqual([]);
  });
});

describe("an img2img edit", () => {
  it("keeps the picture's shape (a size sets its long side), shrunk to the painted size, with the strength asked", async () => {
    const m = marker();
    const response = await postEdit(
      editForm({ prompt: `${m} in autumn`, model: "sd-img2img", strength: "0.35", size: "512x512" }, [
        ["image", sampleJpeg(2000, 1000)],
      ]),
    );
    expect(response.status).toBe(200);
    // The model fits the picture to the size it is given: a square would stretch a 2:1 picture.
    expect(await response.json()).toMatchObject({ model: "sd-img2img", size: "512x256" });
    const json = await aiRun(m);
    expect(json).toMatchObject({ strength: 0.35, width: 512, height: 256 });
    expect(json.image as Summary).toMatchObject({ width: 512, height: 256 });
  });

  it("in chat follows the attached picture's exact shape, not the nearest preset", async () => {
    const m = marker();
    const image = `data:image/jpeg;base64,${btoa(String.fromCharCode(...sampleJpeg(1000, 750)))}`;
    const response = await call("/v1/chat/completions", {
      method: "POST",
      headers: authHeaders(),
      body: JSON.stringify({
        model: "sd-img2img",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `${m} in winter --strength 0.5` },
              { type: "image_url", image_url: { url: image } },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    expect(await aiRun(m)).toMatchObject({ strength: 0.5, width: 768, height: 576 });
  });
});

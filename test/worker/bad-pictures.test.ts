/**
 * A client's bad picture is the client's 400, in our own words: a header that
 * claims an absurd size is refused before anything decodes it, a picture that
 * will not decode is refused without the decoder's message or stack trace (in
 * the reply and in the job record), and what the model cannot read is never
 * passed to it as it is.
 */
import { describe, expect, it } from "vitest";
import { authHeaders, call, marker, sha256Hex, upstreamRequests } from "./helpers.ts";
import { craftedPng, dataUrl, deflated, pngChunk, sampleJpeg, samplePng, sharpMade } from "./sample-images.ts";

interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

function postEdit(prompt: string, image: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("image", new Blob([image], { type: "image/png" }), "upload.png");
  return call("/v1/images/edits", {
    method: "POST",
    headers: { authorization: authHeaders().authorization ?? "" },
    body: form,
  });
}

/** The 400, with a message that is ours: no runtime error name, stack frame or file path. */
async function expectOwnWords(response: Response, words: string): Promise<ErrorBody["error"]> {
  expect(response.status).toBe(400);
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  const { error } = await response.json<ErrorBody>();
  expect(error.code).toBe("invalid_image");
  expect(error.message).toContain(words);
  for (const leak of ["Error:", "    at ", "/work/", "node_modules", "IMAGES_", "sharp", "vips"])
    expect(error.message).not.toContain(leak);
  return error;
}

/** The first reference image the model received for the request marked `m`, if it was called. */
async function referenceSent(m: string) {
  const [generation] = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  return generation?.references?.[0];
}

/** A 1×1 PNG whose header is rewritten to claim `width`×`height`. */
async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  const png = await samplePng(1, 1, [0, 0, 0]);
  new DataView(png.buffer).setUint32(16, width);
  new DataView(png.buffer).setUint32(20, height);
  return png;
}

/** A small JPEG whose start of frame is rewritten to claim `width`×`height`. */
function jpegClaiming(width: number, height: number): Uint8Array {
  const jpeg = sampleJpeg(8, 8);
  for (
    let offset = 2;
    offset + 9 < jpeg.length;
    offset += 2 + ((jpeg[offset + 2] ?? 0) << 8) + (jpeg[offset + 3] ?? 0)
  ) {
    if (jpeg[offset + 1] === 0xc0) {
      new DataView(jpeg.buffer).setUint16(offset + 5, height);
      new DataView(jpeg.buffer).setUint16(offset + 7, width);
      return jpeg;
    }
  }
  throw new Error("no start of frame");
}

/** A VP8X WebP header claiming the largest size its 24-bit fields hold. */
function webpClaimingTheMost(): Uint8Array {
  const bytes = new Uint8Array(30);
  bytes.set(new TextEncoder().encode("RIFF"), 0);
  new DataView(bytes.buffer).setUint32(4, 22, true);
  bytes.set(new TextEncoder().encode("WEBPVP8X"), 8);
  bytes.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 24);
  return bytes;
}

describe("a header claiming an absurd size", () => {
  it.each([
    ["a 1×1 PNG claiming 100000×100000", () => pngClaiming(100_000, 100_000), "100000×100000"],
    ["a PNG claiming 20000×20000", () => pngClaiming(20_000, 20_000), "20000×20000"],
    ["a JPEG claiming 65000×65000", () => Promise.resolve(jpegClaiming(65_000, 65_000)), "65000×65000"],
    ["a WebP claiming 16777216×16777216", () => Promise.resolve(webpClaimingTheMost()), "16777216×16777216"],
    ["a PNG of 0×0", () => pngClaiming(0, 0), "no size (0×0)"],
    ["a JPEG of 8×0 (its height left to a later marker)", () => Promise.resolve(jpegClaiming(8, 0)), "no size"],
  ])("is refused with a 400 before any job starts: %s", async (_name, make, words) => {
    const response = await postEdit(`${marker()} make it blue`, await make());
    expect(response.headers.get("x-job-id")).toBeNull();
    await expectOwnWords(response, words);
  });

  it("is refused in a chat attachment too, with the field named", async () => {
    const body = JSON.stringify({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `${marker()} make it blue` },
            { type: "image_url", image_url: { url: dataUrl(await pngClaiming(0, 0), "image/png") } },
          ],
        },
      ],
    });
    const response = await call("/v1/chat/completions", { method: "POST", headers: authHeaders(), body });
    const error = await expectOwnWords(response, "no size");
    expect(error.param).toBe("messages[0].content[1].image_url.url");
  });
});

describe("a picture that will not decode", () => {
  it("is a 400 in our words, in the reply and in the job record, and the model is not called", async () => {
    const m = marker();
    const header = craftedPng({ width: 100, height: 100 }, [], false);
    const garbage = Uint8Array.from({ length: 5000 }, (_, index) => (index * 7919) % 251);
    const response = await postEdit(`${m} make it blue`, Uint8Array.from([...header, ...garbage]));
    const jobId = response.headers.get("x-job-id") ?? "";
    const error = await expectOwnWords(response, "could not be decoded");
    expect(error.message).toContain("'image[0]'");

    const job = await (
      await call(`/v1/jobs/${jobId}`, { headers: authHeaders() })
    ).json<{ error: ErrorBody["error"] }>();
    expect(job.error).toMatchObject({ code: "invalid_image", message: error.message });
    expect((await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"))).toEqual([]);
  });
});

describe("a small picture that only looks readable", () => {
  it("a 100×100 CMYK JPEG goes through the binding: the model gets a re-encoded JPEG", async () => {
    const m = marker();
    const cmyk = sharpMade("cmykJpeg");
    const response = await postEdit(`${m} make it blue`, cmyk);
    expect(response.status).toBe(200);
    const reference = await referenceSent(m);
    expect(reference).toMatchObject({ contentType: "image/jpeg", width: 100, height: 100 });
    expect(reference?.sha256).not.toBe(await sha256Hex(cmyk));
  });

  it("a PNG claiming 200×200 over one pixel's data is never sent as it is", async () => {
    const m = marker();
    const liar = craftedPng({ width: 200, height: 200 }, [
      pngChunk("IDAT", await deflated(Uint8Array.from([0, 1, 2, 3]))),
    ]);
    const response = await postEdit(`${m} make it blue`, liar);
    // Sharp refuses the short data: the user's 400, and no model call.
    await expectOwnWords(response, "could not be decoded");
    expect(await referenceSent(m)).toBeUndefined();
  });

  it("a whole small PNG is still sent as it is, byte for byte", async () => {
    const m = marker();
    const png = await samplePng(120, 80, [9, 99, 199]);
    expect((await postEdit(`${m} make it blue`, png)).status).toBe(200);
    expect(await referenceSent(m)).toMatchObject({
      contentType: "image/png",
      width: 120,
      height: 80,
      bytes: png.length,
    });
  });
});

describe("a data URL written in capitals", () => {
  it("is a data URL: DATA:image/png;BASE64,… is read, not refused as 'not https'", async () => {
    const m = marker();
    const url = dataUrl(await samplePng(64, 64, [1, 2, 3]), "image/png")
      .replace("data:", "DATA:")
      .replace(";base64", ";BASE64");
    const body = JSON.stringify({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: `${m} make it blue` },
            { type: "image_url", image_url: { url } },
          ],
        },
      ],
    });
    const response = await call("/v1/chat/completions", { method: "POST", headers: authHeaders(), body });
    expect(response.status).toBe(200);
    expect(await referenceSent(m)).toMatchObject({ contentType: "image/png", width: 64 });
  });
});

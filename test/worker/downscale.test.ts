/**
 * Shrinking a reference image for the model, with a fake Images binding where the
 * real one cannot show the case: an image that already fits is sent as it is, an
 * EXIF-rotated one is always transformed, and each failure of the binding maps to
 * the error a user can act on. (The real binding, through Sharp, is in edits.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { apiErrorOf } from "./helpers.ts";
import { toReferenceImage, type ImagesBinding } from "../../src/lib/images/downscale.ts";
import { jpegOrientation } from "../../src/lib/images/readable.ts";
import { inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { samplePng, sampleJpeg } from "./sample-images.ts";

/** A binding that records each call and answers with `output`, or throws `error`. */
function fakeImages(outcome: { output: Uint8Array } | { error: Error }): ImagesBinding & { calls: number } {
  const fake = {
    calls: 0,
    input(stream: ReadableStream<Uint8Array>) {
      fake.calls++;
      void stream.cancel();
      const transformer = {
        transform: () => transformer,
        draw: () => transformer,
        output: () => {
          if ("error" in outcome) return Promise.reject(outcome.error);
          const bytes = outcome.output;
          return Promise.resolve({
            image: () => new Response(bytes).body as ReadableStream<Uint8Array>,
            contentType: () => "image/jpeg",
            response: () => new Response(bytes),
          });
        },
      };
      return transformer;
    },
  };
  return fake;
}

const bindingError = (code: number) => Object.assign(new Error(`IMAGES_TRANSFORM_ERROR ${code}`), { code });

describe("an image that already fits", () => {
  it("is sent as it is when it is a PNG or an upright JPEG: no transformation is used up", async () => {
    const images = fakeImages({ error: new Error("must not be called") });
    const png = await samplePng(300, 200, [10, 20, 30]);
    expect(await toReferenceImage(png, images, "x")).toMatchObject({
      contentType: "image/png",
      width: 300,
      height: 200,
    });
    const jpeg = sampleJpeg(511, 100, undefined, 1);
    expect(await toReferenceImage(jpeg, images, "x")).toMatchObject({ contentType: "image/jpeg", width: 511 });
    expect(images.calls).toBe(0);
  });

  it("is transformed when EXIF turns it, so the model sees it upright", async () => {
    const turned = sampleJpeg(300, 200, undefined, 6);
    const images = fakeImages({ output: sampleJpeg(200, 300) });
    expect(await toReferenceImage(turned, images, "x")).toMatchObject({ width: 200, height: 300 });
    expect(images.calls).toBe(1);
  });
});

describe("the Images binding failing", () => {
  const big = sampleJpeg(600, 400);

  it("9423 (the month's free transformations used up) is a 429 that says what still works", async () => {
    const error = await apiErrorOf(toReferenceImage(big, fakeImages({ error: bindingError(9423) }), "x"));
    expect(error).toMatchObject({ status: 429, code: "images_quota_exceeded", type: "insufficient_quota" });
    expect(error.message).toContain("511×511");
  });

  it("9412, or the local decoder's refusal, is the user's 400 in our words; any other code is the service's 502", async () => {
    const local = Object.assign(
      new Error("Unexpected error response 500: Error: Input buffer has corrupt header:\n    at Sharp"),
      {
        code: 9523,
      },
    );
    for (const error of [bindingError(9412), local]) {
      const refused = await apiErrorOf(toReferenceImage(big, fakeImages({ error }), "image[0]"));
      expect(refused).toMatchObject({ status: 400, code: "invalid_image", param: "image[0]" });
      expect(refused.message).toBe(
        "The image in 'image[0]' could not be decoded: it may be damaged or cut short. Send it again, or another one.",
      );
    }
    for (const code of [9523, 9999]) {
      const failed = await apiErrorOf(toReferenceImage(big, fakeImages({ error: bindingError(code) }), "image[0]"));
      expect(failed).toMatchObject({ status: 502, code: "image_resize_failed", param: "image[0]" });
      expect(failed.message).not.toContain("IMAGES_");
    }
  });

  it("an image handed back still too big is a 502, never sent to the model", async () => {
    const error = await apiErrorOf(toReferenceImage(big, fakeImages({ output: big }), "image[0]"));
    expect(error).toMatchObject({ status: 502, code: "image_resize_failed" });
    expect(error.message).toContain("image[0]");
  });

  it("no binding at all is a 500 naming the setting", async () => {
    expect(await apiErrorOf(toReferenceImage(big, undefined, "x"))).toMatchObject({
      status: 500,
      code: "invalid_setting",
      param: "IMAGES",
    });
  });
});

describe("jpegOrientation", () => {
  it("reads the EXIF orientation, 1 when there is none", () => {
    expect(jpegOrientation(sampleJpeg(8, 8))).toBe(1);
    for (const orientation of [1, 3, 6, 8])
      expect(jpegOrientation(sampleJpeg(8, 8, undefined, orientation))).toBe(orientation);
  });
});

describe("inspectImage and a PNG that lies", () => {
  it("takes a PNG's size from its IHDR only: another chunk first is not a PNG it trusts", async () => {
    const png = await samplePng(20, 10, [0, 0, 0]);
    expect(inspectImage(png)).toMatchObject({ width: 20, height: 10 });
    // A chunk claiming 16×16 put before the real IHDR.
    const liar = new Uint8Array(png.length + 21);
    liar.set(png.subarray(0, 8));
    liar.set([0, 0, 0, 9, 0x74, 0x45, 0x58, 0x74, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 0, 0], 8);
    liar.set(png.subarray(8), 29);
    expect(inspectImage(liar)).toBeUndefined();
  });
});

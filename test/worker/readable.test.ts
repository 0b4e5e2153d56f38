/**
 * Which reference images Workers AI is given as they are, and which sizes are
 * refused from the header alone: a picture that only the binding can decode
 * (CMYK, damaged, lying about its size) must never skip it.
 */
import { describe, expect, it } from "vitest";
import { MAX_IMAGE_EDGE, modelReadsAsIs, sizeProblem } from "../../src/lib/images/readable.ts";
import { inspectImage } from "../../src/lib/storage/image-bytes.ts";
import { craftedPng, deflated, pngChunk, sampleJpeg, samplePng, sharpMade } from "./sample-images.ts";

async function readsAsIs(bytes: Uint8Array): Promise<boolean> {
  const info = inspectImage(bytes);
  expect(info, "recognised as an image").toBeDefined();
  return info ? modelReadsAsIs(bytes, info) : false;
}

describe("an image passed to the model as it is", () => {
  it.each([
    ["a baseline JPEG", () => Promise.resolve(sampleJpeg(100, 100))],
    ["a progressive JPEG", () => Promise.resolve(sharpMade("progressiveJpeg"))],
    ["an RGB PNG", () => samplePng(300, 200, [10, 20, 30])],
    ["an interlaced RGBA PNG", () => Promise.resolve(sharpMade("interlacedPng"))],
    ["a palette PNG", () => Promise.resolve(sharpMade("palettePng"))],
  ])("is %s that decodes whole", async (_name, make) => {
    expect(await readsAsIs(await make())).toBe(true);
  });
});

describe("an image sent through the Images binding instead", () => {
  const onePixel = () => deflated(Uint8Array.from([0, 1, 2, 3]));

  it("is a CMYK JPEG (four components), which the model may not read", async () => {
    expect(await readsAsIs(sharpMade("cmykJpeg"))).toBe(false);
  });

  it("is a JPEG cut short before its end marker, or turned by EXIF", async () => {
    const whole = sampleJpeg(100, 100);
    expect(await readsAsIs(whole.subarray(0, whole.length - 200))).toBe(false);
    expect(await readsAsIs(sampleJpeg(100, 100, undefined, 6))).toBe(false);
  });

  it("is a PNG claiming 200×200 over one pixel's data", async () => {
    expect(await readsAsIs(craftedPng({ width: 200, height: 200 }, [pngChunk("IDAT", await onePixel())]))).toBe(false);
  });

  it("is a PNG whose valid header is followed by garbage, or whose chunks run past its end", async () => {
    const header = craftedPng({ width: 100, height: 100 }, [], false);
    const garbage = crypto.getRandomValues(new Uint8Array(5000));
    expect(await readsAsIs(Uint8Array.from([...header, ...garbage]))).toBe(false);
    const whole = await samplePng(100, 100, [1, 2, 3]);
    expect(await readsAsIs(whole.subarray(0, whole.length - 20))).toBe(false);
  });

  it("is a PNG with a broken zlib stream, with no image data, or a palette PNG without its palette", async () => {
    const broken = crypto.getRandomValues(new Uint8Array(64));
    expect(await readsAsIs(craftedPng({ width: 1, height: 1 }, [pngChunk("IDAT", broken)]))).toBe(false);
    expect(await readsAsIs(craftedPng({ width: 1, height: 1 }, []))).toBe(false);
    const indexRow = await deflated(Uint8Array.from([0, 0]));
    expect(await readsAsIs(craftedPng({ width: 1, height: 1, colour: 3 }, [pngChunk("IDAT", indexRow)]))).toBe(false);
  });

  it("is a PNG with a bit depth its colour type does not allow", async () => {
    expect(await readsAsIs(craftedPng({ width: 1, height: 1, depth: 4 }, [pngChunk("IDAT", await onePixel())]))).toBe(
      false,
    );
  });

  it("is a WebP, always", async () => {
    const webp = Uint8Array.from([
      ...new TextEncoder().encode("RIFF"),
      22,
      0,
      0,
      0,
      ...new TextEncoder().encode("WEBPVP8X"),
      ...Array<number>(14).fill(0),
    ]);
    expect(await readsAsIs(webp)).toBe(false);
  });
});

describe("an image a decoder would refuse, though its chunks or segments look whole", () => {
  const rows = (count: number, filter = 0) =>
    Uint8Array.from({ length: count * 4 }, (_, i) => (i % 4 === 0 ? filter : 9));

  it("is a PNG with a row filter that does not exist", async () => {
    const data = await deflated(rows(1, 7));
    expect(await readsAsIs(craftedPng({ width: 1, height: 1 }, [pngChunk("IDAT", data)]))).toBe(false);
  });

  it("is a PNG with a chunk whose CRC is wrong", async () => {
    const png = await samplePng(4, 4, [1, 2, 3]);
    png[png.length - 13] = (png[png.length - 13] ?? 0) ^ 0xff; // the IDAT's last CRC byte
    expect(await readsAsIs(png)).toBe(false);
  });

  it("is a PNG whose image data is split by another chunk, or whose palette comes after it or holds part of an entry", async () => {
    const data = await deflated(rows(2));
    const [first, second] = [data.subarray(0, 4), data.subarray(4)];
    const text = pngChunk("tEXt", new TextEncoder().encode("a\0b"));
    const header = { width: 1, height: 2 };
    expect(await readsAsIs(craftedPng(header, [pngChunk("IDAT", first), text, pngChunk("IDAT", second)]))).toBe(false);
    expect(await readsAsIs(craftedPng(header, [pngChunk("IDAT", first), pngChunk("IDAT", second)]))).toBe(true);
    const indexRows = await deflated(Uint8Array.from([0, 0, 0, 0]));
    const paletted = { width: 1, height: 2, colour: 3 };
    for (const length of [0, 4, 900])
      expect(
        await readsAsIs(craftedPng(paletted, [pngChunk("PLTE", new Uint8Array(length)), pngChunk("IDAT", indexRows)])),
      ).toBe(false);
    expect(
      await readsAsIs(craftedPng(paletted, [pngChunk("IDAT", indexRows), pngChunk("PLTE", new Uint8Array(3))])),
    ).toBe(false);
    expect(
      await readsAsIs(craftedPng(paletted, [pngChunk("PLTE", new Uint8Array(3)), pngChunk("IDAT", indexRows)])),
    ).toBe(true);
  });

  /** A copy of a baseline JPEG with its start-of-frame changed by `change(bytes, offset of its payload)`. */
  const withFrame = (change: (bytes: Uint8Array, payload: number) => void) => {
    const jpeg = sampleJpeg(16, 16);
    for (
      let offset = 2;
      offset + 4 < jpeg.length;
      offset += 2 + (((jpeg[offset + 2] ?? 0) << 8) | (jpeg[offset + 3] ?? 0))
    ) {
      if (jpeg[offset + 1] === 0xc0) {
        change(jpeg, offset + 4);
        return {
          jpeg,
          frame: jpeg.subarray(offset, offset + 2 + (((jpeg[offset + 2] ?? 0) << 8) | (jpeg[offset + 3] ?? 0))),
        };
      }
    }
    throw new Error("no start of frame");
  };

  it("is a JPEG of 12-bit samples, or with a sampling factor of 0", async () => {
    expect(await readsAsIs(withFrame((bytes, at) => (bytes[at] = 12)).jpeg)).toBe(false);
    expect(await readsAsIs(withFrame((bytes, at) => (bytes[at + 7] = 0x00)).jpeg)).toBe(false);
  });

  it("is a JPEG of a frame alone, with no tables and no scan", async () => {
    const { frame } = withFrame(() => undefined);
    expect(await readsAsIs(Uint8Array.from([0xff, 0xd8, ...frame, 0xff, 0xd9]))).toBe(false);
  });
});

describe("the sizes an image's header may claim", () => {
  const png = "image/png" as const;

  it("refuses no size at all, more than 12,000 pixels a side, or more than 100 megapixels", () => {
    expect(sizeProblem({ contentType: png, width: 0, height: 0 })).toContain("no size (0×0)");
    expect(sizeProblem({ contentType: png, width: 100, height: 0 })).toContain("no size");
    expect(sizeProblem({ contentType: png, width: MAX_IMAGE_EDGE + 1, height: 10 })).toContain("12000 a side");
    expect(sizeProblem({ contentType: png, width: 10_001, height: 10_000 })).toContain("100 megapixels");
    expect(sizeProblem({ contentType: png, width: 100_000, height: 100_000 })).toContain("100000×100000");
  });

  it("takes anything within: a 96-megapixel photo, a 1×1 pixel, a 12,000-pixel panorama", () => {
    expect(sizeProblem({ contentType: png, width: 12_000, height: 8_000 })).toBeUndefined();
    expect(sizeProblem({ contentType: png, width: 1, height: 1 })).toBeUndefined();
    expect(sizeProblem({ contentType: png, width: 12_000, height: 1_000 })).toBeUndefined();
  });
});

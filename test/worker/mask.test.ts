/**
 * Inpainting masks: OpenAI's (transparent where to repaint) made into the model's (white where to
 * repaint), from PNGs of known pixels made here, in every colour type, depth, filter and interlacing.
 */
import { describe, expect, it } from "vitest";
import { toInpaintingMask } from "../../src/lib/images/mask.ts";
import { apiErrorOf } from "./helpers.ts";
import { craftedPng, deflated, pngChunk, sampleJpeg, sharpMade, type PngHeader } from "./sample-images.ts";

// ——— Making masks: pixels given as samples, packed at any depth, filtered, optionally interlaced. ———

/** A picture to encode: each pixel's samples (RGBA, grey, an index…), the filter of each row, interlacing. */
interface Picture {
  width: number;
  height: number;
  colour: number;
  depth: number;
  pixel: (x: number, y: number) => number[];
  /** The filter type of each row (of each pass when interlaced); None when not given. */
  filter?: (row: number) => number;
  interlaced?: boolean;
  /** Chunks between IHDR and IDAT: PLTE, tRNS. */
  before?: Uint8Array[];
}

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

async function encodePng(picture: Picture): Promise<Uint8Array> {
  const header: PngHeader = { ...picture, interlace: picture.interlaced ? 1 : 0 };
  return craftedPng(header, [...(picture.before ?? []), pngChunk("IDAT", await deflated(imageData(picture)))]);
}

/** The filtered scanlines of the picture, pass after pass when interlaced. */
function imageData(picture: Picture): Uint8Array {
  const { width, height } = picture;
  const passes = picture.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const pixelBytes = Math.ceil(((SAMPLES[picture.colour] ?? 0) * picture.depth) / 8);
  const rows: number[] = [];
  let rowIndex = 0;
  for (const [x0, y0, dx, dy] of passes) {
    let previous: Uint8Array | undefined;
    for (let y = y0; y < height; y += dy) {
      const samples: number[] = [];
      for (let x = x0; x < width; x += dx) samples.push(...picture.pixel(x, y));
      if (samples.length === 0) break; // an empty pass has no rows at all
      const row = pack(samples, picture.depth);
      const filter = picture.filter?.(rowIndex++) ?? 0;
      rows.push(filter, ...filtered(filter, row, previous ?? new Uint8Array(row.length), pixelBytes));
      previous = row;
    }
  }
  return Uint8Array.from(rows);
}

/** Samples packed at `depth` bits: big-endian words at 16, high bits first below 8. */
function pack(samples: number[], depth: number): Uint8Array {
  if (depth === 8) return Uint8Array.from(samples);
  if (depth === 16) return Uint8Array.from(samples.flatMap((value) => [value >> 8, value & 0xff]));
  const bytes = new Uint8Array(Math.ceil((samples.length * depth) / 8));
  samples.forEach((value, index) => {
    const bit = index * depth;
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (value << (8 - depth - (bit & 7)));
  });
  return bytes;
}

/** PNG's five filters, applied the way an encoder does. */
function filtered(filter: number, row: Uint8Array, previous: Uint8Array, pixelBytes: number): Uint8Array {
  return row.map((value, i) => {
    const left = i >= pixelBytes ? (row[i - pixelBytes] ?? 0) : 0;
    const above = previous[i] ?? 0;
    const aboveLeft = i >= pixelBytes ? (previous[i - pixelBytes] ?? 0) : 0;
    const predictors = [0, left, above, (left + above) >> 1, paeth(left, above, aboveLeft)];
    return (value - (predictors[filter] ?? 0)) & 0xff;
  });
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

const rgba = (alpha: number): number[] => [200, 100, 50, alpha];

/** 8×4 RGBA, the left half fully transparent, the right half opaque. */
const leftHalf = (): Promise<Uint8Array> =>
  encodePng({ width: 8, height: 4, colour: 6, depth: 8, pixel: (x) => rgba(x < 4 ? 0 : 255) });

const size = (width: number, height: number) => ({ width, height });

// ——— Reading the converted mask back, with a decoder of its own. ———

/** The converted PNG, decoded here: its header checked to be 8-bit grey, each chunk's CRC checked, rows as text. */
async function decodeGray(png: Uint8Array): Promise<{ width: number; height: number; rows: string[] }> {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    // The test fixtures' own chunk writer computes the CRC: the same chunk must come out byte for byte.
    expect(pngChunk(type, data)).toEqual(png.subarray(offset, offset + 12 + length));
    chunks.push({ type, data });
    offset += 12 + length;
  }
  expect(chunks.map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  const ihdr = chunks[0]?.data ?? new Uint8Array();
  const width = new DataView(ihdr.buffer, ihdr.byteOffset).getUint32(0);
  const height = new DataView(ihdr.buffer, ihdr.byteOffset).getUint32(4);
  expect(Array.from(ihdr.subarray(8))).toEqual([8, 0, 0, 0, 0]); // 8-bit grey, not interlaced
  const stream = new Blob([chunks[1]?.data ?? new Uint8Array()]).stream();
  const raw = new Uint8Array(await new Response(stream.pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
  expect(raw.length).toBe(height * (width + 1));
  const rows = Array.from({ length: height }, (_, y) => {
    const row = raw.subarray(y * (width + 1), (y + 1) * (width + 1));
    expect(row[0]).toBe(0); // filter None
    return Array.from(row.subarray(1), (value) => (value === 255 ? "#" : value === 0 ? "." : "?")).join("");
  });
  return { width, height, rows };
}

/** The mask converted and decoded: rows of '#' (repainted) and '.' (kept). */
async function converted(png: Uint8Array, image: { width: number; height: number }, target = image) {
  const mask = await toInpaintingMask(png, image, target, "mask");
  const decoded = await decodeGray(mask.bytes);
  expect([decoded.width, decoded.height, mask.width, mask.height]).toEqual([
    target.width,
    target.height,
    target.width,
    target.height,
  ]);
  return { rows: decoded.rows, share: mask.repaintedShare };
}

/** What a mask must come out as: '#' where the source pixel nearest each target pixel's centre is transparent. */
function expectedRows(
  source: { width: number; height: number },
  target: { width: number; height: number },
  transparent: (x: number, y: number) => boolean,
): string[] {
  const nearest = (index: number, to: number, from: number) =>
    Math.min(from - 1, Math.floor(((index + 0.5) * from) / to));
  return Array.from({ length: target.height }, (_, y) =>
    Array.from({ length: target.width }, (_, x) =>
      transparent(nearest(x, target.width, source.width), nearest(y, target.height, source.height)) ? "#" : ".",
    ).join(""),
  );
}

// ——— The tests. ———

describe("converting an OpenAI mask to the inpainting model's", () => {
  it("makes the transparent half white and the opaque half black, as an 8-bit grey PNG", async () => {
    const { rows, share } = await converted(await leftHalf(), size(8, 4));
    expect(rows).toEqual(Array<string>(4).fill("####...."));
    expect(share).toBe(0.5);
  });

  it("scales nearest-neighbour: 8×4 down to 4×2 and up to 16×8 keep the halves", async () => {
    const png = await leftHalf();
    expect((await converted(png, size(8, 4), size(4, 2))).rows).toEqual(["##..", "##.."]);
    const up = await converted(png, size(8, 4), size(16, 8));
    expect(up.rows).toEqual(Array<string>(8).fill("########........"));
    expect(up.share).toBe(0.5);
  });

  it("takes each target pixel from the source pixel nearest its centre, at any ratio", async () => {
    const transparent = (x: number, y: number) => (x * 7 + y * 3) % 5 < 2;
    const picture = { width: 13, height: 7, colour: 6, depth: 8 };
    const png = await encodePng({ ...picture, pixel: (x, y) => rgba(transparent(x, y) ? 0 : 255) });
    for (const target of [size(13, 7), size(5, 3), size(20, 9), size(1, 1), size(26, 2)]) {
      expect((await converted(png, size(13, 7), target)).rows).toEqual(expectedRows(size(13, 7), target, transparent));
    }
  });

  it("undoes every filter type, in RGBA and grey+alpha at 8 and 16 bits", async () => {
    // Varied samples everywhere, so that a filter undone wrong shows in the alphas that follow.
    const transparent = (x: number, y: number) => (x + 2 * y) % 3 === 0;
    const value = (x: number, y: number, c: number, max: number) => ((x * 53 + y * 97 + c * 31) * 7919) % max;
    const alpha = (x: number, y: number, max: number) => (transparent(x, y) ? 0 : 1 + value(x, y, 9, max - 1));
    const cases: { colour: number; depth: number; pixel: (x: number, y: number) => number[] }[] = [
      { colour: 6, depth: 8, pixel: (x, y) => [0, 1, 2].map((c) => value(x, y, c, 256)).concat(alpha(x, y, 256)) },
      { colour: 6, depth: 16, pixel: (x, y) => [0, 1, 2].map((c) => value(x, y, c, 65536)).concat(alpha(x, y, 65536)) },
      { colour: 4, depth: 8, pixel: (x, y) => [value(x, y, 0, 256), alpha(x, y, 256)] },
      { colour: 4, depth: 16, pixel: (x, y) => [value(x, y, 0, 65536), alpha(x, y, 65536)] },
    ];
    for (const { colour, depth, pixel } of cases) {
      for (const filter of [0, 1, 2, 3, 4, -1]) {
        // -1: each row a different filter, in turn.
        const png = await encodePng({
          width: 11,
          height: 6,
          colour,
          depth,
          pixel,
          filter: (row) => (filter < 0 ? row % 5 : filter),
        });
        const { rows } = await converted(png, size(11, 6));
        expect(rows, `colour ${colour}, ${depth} bits, filter ${filter}`).toEqual(
          expectedRows(size(11, 6), size(11, 6), transparent),
        );
      }
    }
  });

  it("reads a palette's transparency from tRNS, at 1, 2, 4 and 8 bits; partly transparent entries are kept", async () => {
    const palette = pngChunk("PLTE", Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0]));
    // Entry 1 fully transparent, entry 2 half, entries 0 and 3 (past the end of tRNS) opaque.
    const alphas = pngChunk("tRNS", Uint8Array.from([255, 0, 128]));
    for (const depth of [1, 2, 4, 8]) {
      const index = (x: number, y: number) => (x + y) % Math.min(4, 2 ** depth);
      const png = await encodePng({
        width: 13,
        height: 5,
        colour: 3,
        depth,
        pixel: (x, y) => [index(x, y)],
        filter: (row) => row % 5,
        before: [palette, alphas],
      });
      const { rows } = await converted(png, size(13, 5));
      expect(rows, `${depth} bits`).toEqual(expectedRows(size(13, 5), size(13, 5), (x, y) => index(x, y) === 1));
    }
  });

  it("counts only an alpha of exactly 0 as transparent at 16 bits: 1, 256 and 255 are kept", async () => {
    const alphas = [0x0000, 0x0001, 0x0100, 0x00ff, 0xffff, 0x0000];
    const png = await encodePng({ width: 6, height: 2, colour: 4, depth: 16, pixel: (x) => [0x1234, alphas[x] ?? 0] });
    const { rows, share } = await converted(png, size(6, 2));
    expect(rows).toEqual(["#....#", "#....#"]);
    expect(share).toBeCloseTo(2 / 6);
  });

  it("takes a grey image's tRNS value as transparent, at every depth", async () => {
    for (const depth of [1, 2, 4, 8, 16]) {
      const max = 2 ** depth - 1;
      const key = depth === 1 ? 1 : 2;
      const grey = (x: number) => (x % 3 === 0 ? key : x % 3 === 1 ? 0 : max);
      const png = await encodePng({
        width: 9,
        height: 3,
        colour: 0,
        depth,
        pixel: (x) => [grey(x)],
        filter: (row) => row % 5,
        before: [pngChunk("tRNS", Uint8Array.from([key >> 8, key & 0xff]))],
      });
      const expected = Array.from({ length: 9 }, (_, x) => (grey(x) === key ? "#" : ".")).join("");
      expect((await converted(png, size(9, 3))).rows, `${depth} bits`).toEqual(Array<string>(3).fill(expected));
    }
  });

  it("takes an RGB image's tRNS colour as transparent, and only that colour, at 8 and 16 bits", async () => {
    for (const depth of [8, 16]) {
      const key = depth === 8 ? [10, 20, 30] : [1000, 2000, 3000];
      const near = [key[0] ?? 0, key[1] ?? 0, (key[2] ?? 0) + 1];
      const png = await encodePng({
        width: 4,
        height: 2,
        colour: 2,
        depth,
        pixel: (x) => (x % 2 === 0 ? key : near),
        before: [pngChunk("tRNS", pack(key, 16))],
      });
      expect((await converted(png, size(4, 2))).rows, `${depth} bits`).toEqual(["#.#.", "#.#."]);
    }
  });

  it("reads interlaced (Adam7) masks, small ones with empty passes too, the same as plain ones", async () => {
    const transparent = (x: number, y: number) => (x * 5 + y * 11) % 7 < 3;
    for (const [width, height] of [
      [1, 1],
      [2, 3],
      [5, 5],
      [13, 11],
      [37, 23],
    ] as const) {
      const picture = { width, height, colour: 6, depth: 8, filter: (row: number) => row % 5 };
      const pixel = (x: number, y: number) => rgba(transparent(x, y) ? 0 : 200);
      const interlaced = await encodePng({ ...picture, pixel, interlaced: true });
      for (const target of [size(width, height), size(4, 3), size(width * 2, height * 3)]) {
        expect((await converted(interlaced, size(width, height), target)).rows, `${width}×${height}`).toEqual(
          expectedRows(size(width, height), target, transparent),
        );
      }
    }
    // Low bit depths interlaced: passes whose rows end mid-byte.
    const palette = pngChunk("PLTE", new Uint8Array(6));
    const png = await encodePng({
      width: 11,
      height: 9,
      colour: 3,
      depth: 1,
      pixel: (x, y) => [transparent(x, y) ? 1 : 0],
      filter: (row) => row % 5,
      interlaced: true,
      before: [palette, pngChunk("tRNS", Uint8Array.from([255, 0]))],
    });
    expect((await converted(png, size(11, 9))).rows).toEqual(expectedRows(size(11, 9), size(11, 9), transparent));
  });

  it("decodes a real encoder's interlaced PNG (Sharp's, alpha 128 throughout: partly transparent, so empty)", async () => {
    const error = await apiErrorOf(toInpaintingMask(sharpMade("interlacedPng"), size(37, 23), size(37, 23), "mask"));
    expect(error).toMatchObject({ status: 400, code: "mask_empty", param: "mask" });
    expect(error.message).toContain("partly transparent");
  });

  it("takes image data split over many IDAT chunks, even one byte each", async () => {
    const picture = { width: 8, height: 4, colour: 6, depth: 8, pixel: (x: number) => rgba(x < 4 ? 0 : 255) };
    const data = await deflated(imageData(picture));
    const split = Array.from(data, (byte) => pngChunk("IDAT", Uint8Array.of(byte)));
    const png = craftedPng(picture, [pngChunk("IDAT", new Uint8Array()), ...split]);
    expect((await converted(png, size(8, 4))).rows).toEqual(Array<string>(4).fill("####...."));
  });

  it("takes a mask that is transparent all over: the whole image is repainted", async () => {
    const png = await encodePng({ width: 3, height: 2, colour: 6, depth: 8, pixel: () => rgba(0) });
    expect(await converted(png, size(3, 2))).toEqual({ rows: ["###", "###"], share: 1 });
  });
});

describe("masks that are refused", () => {
  const refusal = async (png: Uint8Array, image = size(8, 4), target = image) => {
    const error = await apiErrorOf(toInpaintingMask(png, image, target, "mask"));
    expect(error).toMatchObject({ status: 400, param: "mask", type: "invalid_request_error" });
    return error;
  };
  const rgbaPicture = { width: 8, height: 4, colour: 6, depth: 8, pixel: (x: number) => rgba(x < 4 ? 0 : 255) };

  it("something that is not a PNG, naming a JPEG for what it is", async () => {
    const jpeg = await refusal(sampleJpeg(8, 4));
    expect(jpeg.code).toBe("invalid_mask");
    expect(jpeg.message).toBe(
      "The mask in 'mask' is a JPEG image, but a mask must be a PNG with transparency: a PNG the size of the image, fully transparent where it is to be repainted.",
    );
    const text = await refusal(new TextEncoder().encode("not a picture at all"));
    expect(text).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("is not a PNG file") });
    expect((await refusal(new Uint8Array())).code).toBe("invalid_mask");
  });

  it("a PNG cut short anywhere", async () => {
    const png = await leftHalf();
    for (const length of [8, 20, 33, 40, png.length - 13, png.length - 1]) {
      const error = await refusal(png.subarray(0, length));
      expect(error.code, `cut at ${length} of ${png.length}`).toBe("invalid_mask");
      expect(error.message).toContain("cut short");
    }
  });

  it("image data that is not a zlib stream, or one cut short inside whole chunks", async () => {
    const garbage = craftedPng(rgbaPicture, [
      pngChunk(
        "IDAT",
        Uint8Array.from({ length: 40 }, (_, i) => i * 37),
      ),
    ]);
    const broken = await refusal(garbage);
    expect(broken.code).toBe("invalid_mask");
    expect(broken.message).toContain("cannot be decompressed");
    const data = await deflated(imageData(rgbaPicture));
    const cut = craftedPng(rgbaPicture, [pngChunk("IDAT", data.subarray(0, data.length - 6))]);
    expect(await refusal(cut)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("cut short") });
  });

  it("image data with fewer or more rows than the header, or a filter type PNG does not have", async () => {
    const rows = imageData(rgbaPicture);
    const fewer = craftedPng(rgbaPicture, [pngChunk("IDAT", await deflated(rows.subarray(0, rows.length - 33)))]);
    expect(await refusal(fewer)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("cut short") });
    const more = craftedPng(rgbaPicture, [pngChunk("IDAT", await deflated(Uint8Array.from([...rows, 0, 1, 2])))]);
    expect(await refusal(more)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("more than") });
    const badFilter = Uint8Array.from(rows);
    badFilter[33] = 7;
    const filter = await refusal(craftedPng(rgbaPicture, [pngChunk("IDAT", await deflated(badFilter))]));
    expect(filter).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("filter type 7") });
  });

  it("a zip bomb: a small file inflating to 256 MB is stopped once it passes the header's rows", async () => {
    let left = 256;
    const zeros = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left-- === 0) controller.close();
        else controller.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    const bomb = new Uint8Array(await new Response(zeros.pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
    expect(bomb.length).toBeLessThan(300_000);
    const png = craftedPng({ ...rgbaPicture, width: 64, height: 64 }, [pngChunk("IDAT", bomb)]);
    const started = performance.now();
    const error = await refusal(png, size(64, 64));
    expect(error).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("more than") });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("headers that are not PNG's, and parts missing: the header, the image data, a palette", async () => {
    const data = pngChunk("IDAT", await deflated(imageData(rgbaPicture)));
    const badDepth = craftedPng({ ...rgbaPicture, depth: 4 }, [data]);
    expect(await refusal(badDepth)).toMatchObject({
      code: "invalid_mask",
      message: expect.stringContaining("colour type 6 at 4 bits"),
    });
    const noData = craftedPng(rgbaPicture, []);
    expect(await refusal(noData)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("IDAT") });
    const noHeader = await leftHalf();
    noHeader.set(new TextEncoder().encode("IHDx"), 12);
    expect((await refusal(noHeader)).code).toBe("invalid_mask");
    const noPalette = craftedPng({ ...rgbaPicture, colour: 3 }, [pngChunk("tRNS", Uint8Array.of(0)), data]);
    expect(await refusal(noPalette)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("PLTE") });
    const shortKey = craftedPng({ ...rgbaPicture, colour: 2 }, [pngChunk("tRNS", Uint8Array.of(0, 0)), data]);
    expect(await refusal(shortKey)).toMatchObject({ code: "invalid_mask", message: expect.stringContaining("tRNS") });
  });

  it("a mask of another size than the image, stating both", async () => {
    const error = await refusal(await leftHalf(), size(16, 8), size(4, 2));
    expect(error.code).toBe("mask_size_mismatch");
    expect(error.message).toBe(
      "The mask in 'mask' is 8×4 pixels, but the image is 16×8. The mask must be exactly the size of the image: resize it to 16×8 and send it again.",
    );
  });

  it("a mask with nothing fully transparent, explaining OpenAI's convention", async () => {
    const opaque = await refusal(await encodePng({ ...rgbaPicture, pixel: () => rgba(255) }));
    expect(opaque.code).toBe("mask_empty");
    expect(opaque.message).toContain("has no fully transparent pixels");
    expect(opaque.message).toContain("As in OpenAI's API, the area to repaint must be fully transparent (alpha 0)");
    const faint = await refusal(await encodePng({ ...rgbaPicture, pixel: (x) => rgba(x < 4 ? 1 : 255) }));
    expect(faint).toMatchObject({ code: "mask_empty", message: expect.stringContaining("partly transparent") });
    // A transparent pixel that no target pixel samples: said to be the shrinking's doing.
    const speck = await encodePng({ ...rgbaPicture, pixel: (x, y) => rgba(x === 0 && y === 0 ? 0 : 255) });
    const missed = await refusal(speck, size(8, 4), size(4, 2));
    expect(missed).toMatchObject({ code: "mask_empty", message: expect.stringContaining("read at 4×2") });
  });

  it("a PNG that cannot be transparent at all (RGB or a palette without tRNS), without decoding it", async () => {
    const rgb = craftedPng({ ...rgbaPicture, colour: 2 }, [pngChunk("IDAT", Uint8Array.of(1, 2, 3))]);
    expect(await refusal(rgb)).toMatchObject({
      code: "mask_empty",
      message: expect.stringContaining("a PNG without an alpha channel"),
    });
    const palette = await refusal(sharpMade("palettePng"), size(40, 30));
    expect(palette).toMatchObject({ code: "mask_empty", message: expect.stringContaining("palette PNG") });
  });
});

describe("a phone-sized mask, 4000×3000 RGBA (48 MB raw), never held whole", () => {
  const image = size(4000, 3000);
  const rowBytes = 4000 * 4;

  /** The image data deflated as it is made, a band of rows at a time: the raw rows never exist together. */
  async function deflatedRows(row: (y: number) => Uint8Array): Promise<Uint8Array> {
    let y = 0;
    const rows = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (y === image.height) return controller.close();
        const band = new Uint8Array(100 * (1 + rowBytes));
        for (let offset = 0; offset < band.length; offset += 1 + rowBytes) band.set(row(y++), offset);
        controller.enqueue(band);
      },
    });
    return new Uint8Array(await new Response(rows.pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
  }

  it("converts the left half transparent to 2048×1536 (rows Up-filtered: about 50 KB of data)", async () => {
    const first = new Uint8Array(1 + rowBytes); // filter None: left half alpha 0, right half opaque
    for (let x = 0; x < 4000; x++) first.set(rgba(x < 2000 ? 0 : 255), 1 + x * 4);
    const same = new Uint8Array(1 + rowBytes);
    same[0] = 2; // filter Up with nothing added: each row as the one above
    const data = await deflatedRows((y) => (y === 0 ? first : same));
    const png = craftedPng({ width: 4000, height: 3000, colour: 6, depth: 8 }, [pngChunk("IDAT", data)]);
    const started = performance.now();
    const mask = await toInpaintingMask(png, image, size(2048, 1536), "mask");
    const took = performance.now() - started;
    expect(mask.repaintedShare).toBe(0.5);
    const { rows } = await decodeGray(mask.bytes);
    expect(new Set(rows)).toEqual(new Set(["#".repeat(1024) + ".".repeat(1024)]));
    expect(took).toBeLessThan(10_000);
  });

  it("converts one of noise, Paeth-filtered throughout (the slowest filter; 48 MB of data that does not compress)", async () => {
    let seed = 2463534242;
    const noise = new Uint8Array(1 + rowBytes);
    const data = await deflatedRows(() => {
      noise[0] = 4;
      for (let i = 1; i < noise.length; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        noise[i] = seed & 0xff;
      }
      return noise;
    });
    expect(data.length).toBeGreaterThan(48_000_000);
    const png = craftedPng({ width: 4000, height: 3000, colour: 6, depth: 8 }, [pngChunk("IDAT", data)]);
    const started = performance.now();
    const mask = await toInpaintingMask(png, image, size(2048, 1536), "mask");
    const took = performance.now() - started;
    // Noise: about one alpha in 256 is 0.
    expect(mask.repaintedShare).toBeGreaterThan(0.001);
    expect(mask.repaintedShare).toBeLessThan(0.01);
    expect(took).toBeLessThan(15_000);
  });
});

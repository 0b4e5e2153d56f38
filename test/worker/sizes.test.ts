import { describe, expect, it } from "vitest";
import {
  DEFAULT_SIZE,
  nearestSize,
  parseSizeParameter,
  isPlausibleRatio,
  parseSizeSuffix,
  SIZE_TABLE,
} from "../../src/lib/generation/sizes.ts";
import { effectiveSize, findModel, IMAGE_MODELS } from "../../src/lib/generation/models.ts";
import { readChatAsk } from "../../src/lib/openai/chat-request.ts";

describe("the size table", () => {
  it("offers the original project's six ratios with their sizes, 1:1 by default", () => {
    expect(SIZE_TABLE.map(({ ratio, width, height }) => `${ratio}=${width}x${height}`)).toEqual([
      "1:1=1024x1024",
      "1:2=512x1024",
      "3:2=768x512",
      "3:4=768x1024",
      "16:9=1024x576",
      "9:16=576x1024",
    ]);
    expect(DEFAULT_SIZE).toMatchObject({ ratio: "1:1", width: 1024, height: 1024 });
  });

  it("makes a prompt without a ratio square", () => {
    expect(parseSizeSuffix("a cute cat")).toEqual({ prompt: "a cute cat", size: DEFAULT_SIZE, ratioWritten: false });
  });

  it.each(SIZE_TABLE.map((choice) => [choice.ratio, choice] as const))(
    "gives %s its size from the table, with nothing to report",
    (ratio, choice) => {
      const parsed = parseSizeSuffix(`a lighthouse ${ratio}`);
      expect(parsed.size).toEqual(choice);
      expect(parsed.requestedRatio).toBeUndefined();
    },
  );
});

describe("ratio suffixes a user types", () => {
  it("reads a plain suffix and removes it from the prompt", () => {
    expect(parseSizeSuffix("a cat 16:9")).toEqual({
      prompt: "a cat",
      size: { ratio: "16:9", width: 1024, height: 576 },
      ratioWritten: true,
    });
  });

  it("reads --ar and --aspect as Midjourney users write them", () => {
    expect(parseSizeSuffix("a cat --ar 16:9")).toMatchObject({ prompt: "a cat", size: { width: 1024, height: 576 } });
    expect(parseSizeSuffix("a cat --ar 9:16")).toMatchObject({ prompt: "a cat", size: { width: 576, height: 1024 } });
    expect(parseSizeSuffix("a cat --aspect 3:2")).toMatchObject({ prompt: "a cat", size: { width: 768, height: 512 } });
  });

  it("reads the full-width colon Chinese keyboards type", () => {
    expect(parseSizeSuffix("一只可爱的猫咪 16：9")).toEqual({
      prompt: "一只可爱的猫咪",
      size: { ratio: "16:9", width: 1024, height: 576 },
      ratioWritten: true,
    });
  });

  it("tolerates spaces around the colon and after the ratio", () => {
    expect(parseSizeSuffix("a cat 16 : 9  ")).toMatchObject({ prompt: "a cat", size: { ratio: "16:9" } });
  });

  it("leaves a ratio in the middle of the prompt alone", () => {
    const parsed = parseSizeSuffix("a 16:9 poster of a cat");
    expect(parsed.prompt).toBe("a 16:9 poster of a cat");
    expect(parsed.size).toEqual(DEFAULT_SIZE);
  });

  it("does not take digits glued to a word for a ratio", () => {
    expect(parseSizeSuffix("robot R2:3").size).toEqual(DEFAULT_SIZE);
  });
});

describe("a time or a number at the end of a prompt is not a ratio", () => {
  it("a poster for the meeting at 10:45 keeps its time and its square size", () => {
    expect(parseSizeSuffix("a poster for the meeting at 10:45")).toEqual({
      prompt: "a poster for the meeting at 10:45",
      size: DEFAULT_SIZE,
      ratioWritten: false,
    });
  });

  it.each(["12:30", "11:30", "8:15", "7:45", "23:59", "3:10", "16:20"])(
    "lunch at %s stays in the prompt: an hour with two-digit minutes is a time",
    (time) => {
      expect(parseSizeSuffix(`lunch at ${time}`)).toMatchObject({ prompt: `lunch at ${time}`, ratioWritten: false });
    },
  );

  it("takes 9:05 for a time: a ratio is not written with a leading zero", () => {
    expect(parseSizeSuffix("breakfast at 9:05")).toMatchObject({ prompt: "breakfast at 9:05", ratioWritten: false });
    expect(parseSizeSuffix("a cat 0:9")).toMatchObject({ prompt: "a cat 0:9", ratioWritten: false });
  });

  it("leaves numbers over 32, or a shape beyond 4:1, in the prompt (a score of 40:12, a 1:5 scale model)", () => {
    expect(parseSizeSuffix("the final score 40:12")).toMatchObject({ ratioWritten: false });
    expect(parseSizeSuffix("a 1:5 scale model 1:5")).toMatchObject({ prompt: "a 1:5 scale model 1:5" });
    expect(parseSizeSuffix("a banner 5:1")).toMatchObject({ ratioWritten: false });
  });

  it("still reads a ratio that follows the time: the meeting at 10:45, 16:9 is wide and keeps 10:45", () => {
    expect(parseSizeSuffix("a poster for the meeting at 10:45 16:9")).toMatchObject({
      prompt: "a poster for the meeting at 10:45",
      size: { ratio: "16:9" },
    });
  });

  it("reads anything after --ar as a ratio, as before: --ar 10:45 maps to the nearest and says so", () => {
    expect(parseSizeSuffix("a poster --ar 10:45")).toEqual({
      prompt: "a poster",
      size: { ratio: "1:2", width: 512, height: 1024 },
      ratioWritten: true,
      requestedRatio: "10:45",
    });
    expect(parseSizeSuffix("a poster --ar 1:5")).toMatchObject({ size: { ratio: "1:2" }, requestedRatio: "1:5" });
  });
});

describe("the ratios people write are ratios", () => {
  it.each([
    "16:9",
    "9:16",
    "21:9",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "1:1",
    "2:1",
    "1:2",
    "16:10",
    "10:16",
    "32:9",
    "4:1",
    "1:4",
  ])("a cat %s", (ratio) => {
    expect(parseSizeSuffix(`a cat ${ratio}`)).toMatchObject({ prompt: "a cat", ratioWritten: true });
    const [w = "", h = ""] = ratio.split(":");
    expect(isPlausibleRatio(w, h)).toBe(true);
  });
});

describe("a ratio that is not in the table", () => {
  it("maps to the nearest ratio and remembers what the user asked for", () => {
    expect(parseSizeSuffix("a cat 2:1")).toEqual({
      prompt: "a cat",
      size: { ratio: "16:9", width: 1024, height: 576 },
      ratioWritten: true,
      requestedRatio: "2:1",
    });
    expect(parseSizeSuffix("a cat 1:3")).toMatchObject({
      prompt: "a cat",
      size: { ratio: "1:2" },
      requestedRatio: "1:3",
    });
    expect(parseSizeSuffix("a cat --ar 21:9")).toMatchObject({
      prompt: "a cat",
      size: { ratio: "16:9" },
      requestedRatio: "21:9",
    });
    expect(parseSizeSuffix("a cat 6:5")).toMatchObject({ size: { ratio: "1:1" }, requestedRatio: "6:5" });
  });

  it("treats a table ratio written with other numbers (32:18, 2:2) as that ratio, with nothing to report", () => {
    expect(parseSizeSuffix("a cat 32:18")).toEqual({
      prompt: "a cat",
      size: { ratio: "16:9", width: 1024, height: 576 },
      ratioWritten: true,
    });
    expect(parseSizeSuffix("a cat 2:2")).toEqual({ prompt: "a cat", size: DEFAULT_SIZE, ratioWritten: true });
  });

  it("answers a zero ratio after --ar with the default size and says what was asked", () => {
    expect(parseSizeSuffix("a cat --ar 0:9")).toEqual({
      prompt: "a cat",
      size: DEFAULT_SIZE,
      ratioWritten: true,
      requestedRatio: "0:9",
    });
  });

  it("compares ratios on a log scale, so tall and wide ratios are treated alike", () => {
    expect(nearestSize(1).ratio).toBe("1:1");
    expect(nearestSize(4).ratio).toBe("16:9");
    expect(nearestSize(1 / 4).ratio).toBe("1:2");
    expect(nearestSize(0.7).ratio).toBe("3:4");
  });
});

describe("the Images API size parameter", () => {
  it("reads WIDTHxHEIGHT, and treats auto or nothing as no choice", () => {
    expect(parseSizeParameter("1024x576")).toEqual({ width: 1024, height: 576 });
    expect(parseSizeParameter("768×512")).toEqual({ width: 768, height: 512 });
    expect(parseSizeParameter("auto")).toBeUndefined();
    expect(parseSizeParameter(undefined)).toBeUndefined();
    expect(parseSizeParameter("big")).toBeUndefined();
    // Out of range is still a size (scaled later); zero or a seventh digit is not.
    expect(parseSizeParameter("8x8")).toEqual({ width: 8, height: 8 });
    expect(parseSizeParameter("100000x1")).toEqual({ width: 100_000, height: 1 });
    expect(parseSizeParameter("0x512")).toBeUndefined();
    expect(parseSizeParameter("1000000x1")).toBeUndefined();
  });
});

/** The playground's copy of the rule: public/ is static files served as they are, so it cannot import src/. */
interface PlaygroundRatio {
  promptRatio(prompt: string): string | undefined;
  ratioSize(ratio: string, sizes: { min: number; max: number; multipleOf: number; longSide: number }): string;
}
const PLAYGROUND_RATIO_MODULE = "../../public/playground/prompt-ratio.js";

describe("the playground reads the ratio a prompt ends in as the Worker does", () => {
  const model = findModel("@cf/black-forest-labs/flux-2-klein-4b");
  /** What the chat endpoint makes of the words the playground sends: `--seed` and `--edit` flags included. */
  const workerAsk = (prompt: string) => {
    if (!model) throw new Error("no default model");
    const body = { messages: [{ role: "user", content: prompt }] };
    return readChatAsk(body, { model, origin: "https://flux.example", chatEdits: false, optimizerEnabled: false });
  };

  it.each([
    ["a second picture 9:16", "9:16"],
    ["a cat 16:9", "16:9"],
    ["a cat 1:1", "1:1"],
    ["a cat 3:2", "3:2"],
    ["a wide valley --ar 21:9", "21:9"],
    ["一只可爱的猫咪 16：9", "16:9"],
    ["a cat 16 : 9  ", "16:9"],
    ["a cat 16:10", "16:10"],
    ["a cat 32:18", "32:18"],
    ["a cat 9:16 --seed 42", "9:16"],
    ["--seed 7 a cat 4:3", "4:3"],
    ["a poster --ar 10:45", "10:45"],
    ["a cat --ar 0:9", "0:9"],
    ["a poster for the meeting at 10:45", undefined],
    ["lunch at 12:30", undefined],
    ["breakfast at 9:05", undefined],
    ["a cat 0:9", undefined],
    ["a 1:5 scale model 1:5", undefined],
    ["the final score 40:12", undefined],
    ["robot R2:3", undefined],
    ["a 16:9 poster of a cat", undefined],
    ["a cat", undefined],
    ["a cat 16:9\u200b", "16:9"],
    ["a cat 16:9\u200e ", "16:9"],
  ])("%j ends in %s", async (prompt, ratio) => {
    const playground = (await import(/* @vite-ignore */ PLAYGROUND_RATIO_MODULE)) as PlaygroundRatio;
    expect(playground.promptRatio(prompt)).toBe(ratio);
    const ask = workerAsk(prompt);
    expect(ask.ratioWritten).toBe(ratio !== undefined);
    // The same ratio: the size the Worker gives the playground's reading is the one it gave the prompt.
    if (ratio !== undefined) expect(parseSizeSuffix(`x --ar ${ratio}`).size).toEqual(ask.size);
  });
});

describe("the playground paints a ratio at the size the Worker would, for every model", () => {
  const ratios = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "1:2"];
  it.each(IMAGE_MODELS.filter((model) => !("fixed" in model.size)).map((model) => [model.short, model] as const))(
    "%s",
    async (_short, model) => {
      const playground = (await import(/* @vite-ignore */ PLAYGROUND_RATIO_MODULE)) as PlaygroundRatio;
      if ("fixed" in model.size) return;
      // As the playground reads /v1/models' capabilities.sizes.
      const sizes = {
        min: model.size.min,
        max: model.size.max,
        multipleOf: model.size.multiple,
        longSide: model.size.longSide,
      };
      for (const ratio of ratios) {
        const body = { messages: [{ role: "user", content: `a cat --ar ${ratio}` }] };
        // img2img and inpainting need a picture to read a message at all; the size rule is the same without.
        const ask = readChatAsk(body, {
          model: { ...model, source: undefined },
          origin: "https://flux.example",
          chatEdits: false,
          optimizerEnabled: false,
        });
        const painted = effectiveSize(model, ask.wanted.width, ask.wanted.height);
        expect(playground.ratioSize(ratio, sizes), ratio).toBe(`${painted.width}x${painted.height}`);
      }
    },
  );
});

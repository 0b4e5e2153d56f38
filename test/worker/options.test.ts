/** The model parameters: chat flags read out of a message, checked against a model, and the defaults a job sends. */
import { describe, expect, it } from "vitest";
import { findModel, type ImageModel } from "../../src/lib/generation/models.ts";
import { checkOptions, resolvedOptions, takeOptionFlags, unusedOptions } from "../../src/lib/generation/options.ts";
import { readChatAsk } from "../../src/lib/openai/chat-request.ts";
import { apiErrorOf } from "./helpers.ts";

function model(name: string): ImageModel {
  const found = findModel(name);
  if (!found) throw new Error(`no model ${name}`);
  return found;
}

/** What the chat endpoint reads from a message for `name`. */
function ask(message: string, name = "sdxl") {
  const body = { messages: [{ role: "user", content: message }] };
  return readChatAsk(body, {
    model: model(name),
    origin: "https://flux.example",
    chatEdits: false,
    optimizerEnabled: false,
  });
}

describe("chat flags", () => {
  it("are taken out of the prompt wherever they are, in any case", () => {
    expect(takeOptionFlags("a cat --steps 8 on a mat --GUIDANCE=7.5 --Strength .4 --size 1200x400")).toEqual({
      text: "a cat on a mat",
      options: { steps: 8, guidance: 7.5, strength: 0.4 },
      size: { width: 1200, height: 400 },
    });
  });

  it("--no runs to the next flag, whichever it is, or to the end", () => {
    expect(ask("a cat --no dogs --steps 8 in the garden")).toMatchObject({
      prompt: "a cat in the garden",
      options: { negativePrompt: "dogs", steps: 8 },
    });
    expect(ask("a cat --no dogs, birds --seed 4 in the garden")).toMatchObject({
      prompt: "a cat in the garden",
      seed: 4,
      options: { negativePrompt: "dogs, birds" },
    });
    expect(ask("a cat --no=text, watermark").options).toEqual({ negativePrompt: "text, watermark" });
  });

  it("leaves a ratio at the end of the negative words to the prompt, but not a time", () => {
    expect(ask("a cat --no dogs 16:9")).toMatchObject({ prompt: "a cat", wanted: { width: 1024, height: 576 } });
    expect(ask("a cat --no dogs 16:9").options.negativePrompt).toBe("dogs");
    expect(ask("a clock --no numbers 10:45").options.negativePrompt).toBe("numbers 10:45");
  });

  it("counts a flag given twice once: the last value, all the --no words", () => {
    expect(takeOptionFlags("a cat --no text --no blur --steps 4 --steps 8")).toEqual({
      text: "a cat",
      options: { negativePrompt: "text, blur", steps: 8 },
    });
  });

  it.each([
    ["a cat --steps many", "--steps expects a number"],
    ["a cat --guidance high", "--guidance expects a number"],
    ["a cat --size big", "--size expects WIDTHxHEIGHT"],
    ["a cat --no", "--no expects the things to keep out"],
    ["a cat --no --steps 8", "--no expects the things to keep out"],
  ])("%j is a 400 that says how to write it", async (message, text) => {
    const error = await apiErrorOf(Promise.resolve().then(() => takeOptionFlags(message)));
    expect(error).toMatchObject({ status: 400, code: "invalid_flag", param: "messages" });
    expect(error.message).toContain(text);
  });

  it("do not take words that only start like a flag", () => {
    expect(takeOptionFlags("a --nocturnal owl, --stepsister").text).toBe("a --nocturnal owl, --stepsister");
  });
});

describe("a model's parameters", () => {
  it("are the ones it takes; the others are reported, not sent", () => {
    expect(unusedOptions(model("flux-2-klein-4b"), { negativePrompt: "x", guidance: 3, steps: 8 })).toEqual([
      "negativePrompt",
      "steps",
    ]);
    expect(unusedOptions(model("sd-img2img"), { negativePrompt: "x", strength: 0.5 })).toEqual([]);
  });

  it("take a fixed-step model's own step count as no parameter at all", () => {
    expect(unusedOptions(model("flux-2-klein-4b"), { steps: 4 })).toEqual([]);
  });

  it("are checked against the model's range", async () => {
    const range = (name: string, options: Parameters<typeof checkOptions>[1]) =>
      apiErrorOf(Promise.resolve().then(() => checkOptions(model(name), options, (option) => option)));
    expect(await range("sdxl", { steps: 0 })).toMatchObject({ code: "invalid_steps", param: "steps" });
    expect(await range("phoenix", { guidance: 10.5 })).toMatchObject({ code: "invalid_guidance" });
    expect(await range("sd-inpainting", { strength: -0.1 })).toMatchObject({ code: "invalid_strength" });
    expect(() => checkOptions(model("sdxl"), { steps: 20, guidance: 0 }, (option) => option)).not.toThrow();
  });

  it("get the model's defaults where none is given", () => {
    expect(resolvedOptions(model("sdxl-lightning"), {}, 4)).toEqual({ steps: 8 });
    expect(resolvedOptions(model("sd-img2img"), {}, 4)).toEqual({ steps: 20, strength: 0.6 });
    expect(resolvedOptions(model("flux-2-dev"), {}, 28)).toEqual({ steps: 28 });
    expect(resolvedOptions(model("flux-1-schnell"), {}, 28)).toEqual({ steps: 8 });
    expect(resolvedOptions(model("flux-2-klein-4b"), { steps: 4, guidance: 2 }, 4)).toEqual({ guidance: 2 });
  });
});

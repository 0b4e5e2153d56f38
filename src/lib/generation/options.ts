/**
 * The per-request parameters a model may take beside the prompt: a negative
 * prompt, steps, guidance and (for a picture it transforms) strength. They come
 * as Images API fields or as chat flags (`--no …`, `--steps 8`), are checked
 * against the chosen model's entry, and the job sends them with the model's own
 * defaults for the ones not given.
 */
import { ApiError } from "../http/errors.ts";
import { IMAGE_MODELS, MAX_PROMPT_CHARS, type ImageModel, type NumberRange } from "./models.ts";
import { cleanPrompt } from "./prompt.ts";
import { parseSizeSuffix } from "./sizes.ts";

export interface GenerationOptions {
  negativePrompt?: string;
  steps?: number;
  guidance?: number;
  strength?: number;
}

export type OptionName = keyof GenerationOptions;

/** How each option is named where it can be given, and which models take it. */
export const OPTIONS: Record<
  OptionName,
  { field: string; flag: string; range: (model: ImageModel) => NumberRange | boolean | undefined }
> = {
  negativePrompt: { field: "negative_prompt", flag: "--no", range: (model) => model.negativePrompt },
  steps: { field: "steps", flag: "--steps", range: (model) => model.steps },
  guidance: { field: "guidance", flag: "--guidance", range: (model) => model.guidance },
  strength: { field: "strength", flag: "--strength", range: (model) => model.source?.strength },
};

const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

/** Whether the model takes the option at all. */
export function takesOption(model: ImageModel, name: OptionName): boolean {
  return Boolean(OPTIONS[name].range(model));
}

/** The short names of the models that take `name`, for a message saying where to go. */
export function modelsTaking(take: (model: ImageModel) => boolean): string {
  return IMAGE_MODELS.filter(take)
    .map((model) => model.short)
    .join(", ");
}

/**
 * The options given that this model does not take. A fixed-step model's own count is no request
 * at all: fal- and BFL-style clients send `steps: 4` to klein, which runs four steps anyway.
 */
export function unusedOptions(model: ImageModel, options: GenerationOptions): OptionName[] {
  return OPTION_NAMES.filter(
    (name) =>
      options[name] !== undefined &&
      !takesOption(model, name) &&
      !(name === "steps" && options.steps === model.fixedSteps),
  );
}

/** The options without those the model does not take (chat paints anyway and says so). */
export function withoutUnused(model: ImageModel, options: GenerationOptions): GenerationOptions {
  return Object.fromEntries(
    OPTION_NAMES.flatMap((name) =>
      options[name] !== undefined && takesOption(model, name) ? [[name, options[name]]] : [],
    ),
  );
}

/** Images API: an option the model does not take is a 400 that names it and the models that do. */
export function refuseUnusedOptions(model: ImageModel, options: GenerationOptions): void {
  const [unused] = unusedOptions(model, options);
  if (unused === undefined) return;
  const { field } = OPTIONS[unused];
  throw new ApiError(
    400,
    `${model.short} takes no '${field}': leave it out, or choose a model that takes it (${modelsTaking((other) => takesOption(other, unused))}).`,
    { param: field, code: "unsupported_parameter" },
  );
}

/**
 * Each given option within the model's range (a negative prompt within the prompt limit), or a 400
 * naming it; `param` names where a value came from (a field, or the chat message).
 */
export function checkOptions(model: ImageModel, options: GenerationOptions, param: (name: OptionName) => string): void {
  const negative = options.negativePrompt;
  if (negative !== undefined && negative.length > MAX_PROMPT_CHARS) {
    throw new ApiError(
      400,
      `The negative prompt is ${negative.length} characters long; the limit is ${MAX_PROMPT_CHARS}.`,
      { param: param("negativePrompt"), code: "prompt_too_long" },
    );
  }
  for (const name of ["steps", "guidance", "strength"] as const) {
    const value = options[name];
    const range = OPTIONS[name].range(model);
    if (value === undefined || typeof range !== "object") continue;
    const whole = name === "steps" && !Number.isInteger(value);
    if (whole || value < range.min || value > range.max) {
      const kind = name === "steps" ? "a whole number" : "a number";
      throw new ApiError(
        400,
        `Invalid value for '${param(name)}': ${model.short} takes ${OPTIONS[name].field} as ${kind} from ${range.min} to ${range.max} (got ${value}).`,
        { param: param(name), code: `invalid_${OPTIONS[name].field}` },
      );
    }
  }
}

/** A negative prompt cleaned as a prompt is; an empty one is none. */
export function cleanNegativePrompt(text: string | null | undefined): string | undefined {
  if (text == null) return undefined;
  const cleaned = cleanPrompt(text);
  return cleaned === "" ? undefined : cleaned;
}

/** What chat flags asked for: the options, and an exact size (`--size 1024x768`). */
export interface ChatFlags {
  text: string;
  options: GenerationOptions;
  size?: { width: number; height: number };
}

// A flag with one value, anywhere in the message, in any case: `--steps 8`, `--steps=8`.
const flagPattern = (flag: string) => new RegExp(String.raw`(?:^|\s)${flag}(?:\s+|=)(\S+)(?=\s|$)`, "giu");
const NUMBER_FLAGS = {
  steps: flagPattern("--steps"),
  guidance: flagPattern("--guidance"),
  strength: flagPattern("--strength"),
};
const SIZE_FLAG = flagPattern("--size");
// `--no` takes words, up to the next flag or the end: `--no text, watermark --seed 4`. Read before
// any other flag is taken out, so that it stops at each of them.
const NEGATIVE_FLAG = /(?:^|\s)--no(?=\s|=|$)(?:=|\s+(?!--[a-z]))?(.*?)(?=\s--[a-z]|$)/giu;

/**
 * Takes the parameter flags out of a chat message; a malformed value is a 400, not words to draw.
 * A flag given twice counts once: the last value, or for `--no` all the words.
 */
export function takeOptionFlags(message: string): ChatFlags {
  let text = message;
  const takeAll = (pattern: RegExp): string[] => {
    const values: string[] = [];
    text = text.replace(pattern, (_match, value: string) => {
      values.push(value);
      return " ";
    });
    return values;
  };
  const options: GenerationOptions = {};
  const negatives = takeAll(NEGATIVE_FLAG).map((words) => {
    // A ratio at the end of the negative words belongs to the prompt: "a cat --no dogs 16:9".
    const parsed = parseSizeSuffix(words);
    if (parsed.ratioWritten)
      text = `${text.trimEnd()} ${words.slice(words.indexOf(parsed.prompt) + parsed.prompt.length)}`;
    const cleaned = cleanNegativePrompt(parsed.ratioWritten ? parsed.prompt : words);
    if (cleaned === undefined)
      throw badFlag("--no", words, "the things to keep out of the picture, e.g. --no text, blur");
    return cleaned;
  });
  if (negatives.length > 0) options.negativePrompt = negatives.join(", ");
  for (const name of ["steps", "guidance", "strength"] as const) {
    const raw = takeAll(NUMBER_FLAGS[name]).at(-1);
    if (raw === undefined) continue;
    const value = /^\d+(?:\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isNaN(value)) throw badFlag(OPTIONS[name].flag, raw, "a number such as 8 or 0.5");
    options[name] = value;
  }
  const sizeText = takeAll(SIZE_FLAG).at(-1);
  const size = sizeText === undefined ? undefined : parseFlagSize(sizeText);
  return { text: text.replace(/\s+/gu, " ").trim(), options, ...(size ? { size } : {}) };
}

function parseFlagSize(raw: string): { width: number; height: number } {
  const match = /^([1-9]\d{0,4})[x×]([1-9]\d{0,4})$/iu.exec(raw);
  if (!match) throw badFlag("--size", raw, "WIDTHxHEIGHT such as 1024x768");
  return { width: Number(match[1]), height: Number(match[2]) };
}

function badFlag(flag: string, raw: string, expected: string): ApiError {
  return new ApiError(400, `${flag} expects ${expected} (got "${raw.slice(0, 40)}").`, {
    param: "messages",
    code: "invalid_flag",
  });
}

/** The values a job sends: the ones given, and the model's defaults for steps and strength (guidance only when given). */
export function resolvedOptions(
  model: ImageModel,
  options: GenerationOptions,
  defaultSteps: number,
): GenerationOptions {
  const steps = model.steps
    ? (options.steps ?? (model.steps.fromSetting ? Math.min(defaultSteps, model.steps.max) : model.steps.default))
    : undefined;
  return {
    ...(options.negativePrompt !== undefined && model.negativePrompt ? { negativePrompt: options.negativePrompt } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(options.guidance !== undefined && model.guidance ? { guidance: options.guidance } : {}),
    ...(model.source ? { strength: options.strength ?? model.source.strength.default } : {}),
  };
}

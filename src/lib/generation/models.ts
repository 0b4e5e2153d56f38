/**
 * Every image model of Workers AI this Worker drives, and what each takes: one
 * entry per model, so a new model is one entry (and its tests). Schemas and
 * prices: Cloudflare's model pages and pricing (see PLATFORM-NOTES.md).
 */
import { ApiError } from "../http/errors.ts";

/** A numeric input's allowed range and the value sent when the caller gives none. */
export interface NumberRange {
  min: number;
  max: number;
  default: number;
}

/** What the price formula is given: the painted size, the steps, and the sizes of the input images. */
export interface PriceInput {
  width: number;
  height: number;
  /** The steps the call runs (a fixed-step model's own count). */
  steps: number;
  inputs: readonly { width: number; height: number }[];
}

export interface ImageModel {
  id: string;
  /** The name a person types (`sdxl`), the image entry's id in `/v1/models`. */
  short: string;
  /** Other names that mean this model (the id's last segment, common spellings). */
  aliases: readonly string[];
  /** The model's name as its maker writes it, for model lists. */
  name: string;
  owner: string;
  /** One line for the README's table and `/v1/models`: what it is good for. */
  goodFor: string;
  /** FLUX.2 takes multipart/form-data only, even for a prompt alone; every other model JSON. */
  body: "json" | "multipart";
  /** How the picture comes back: base64 in `{ image }`, or the image bytes themselves (a stream over the binding). */
  answer: "base64" | "image/png" | "image/jpeg";
  /**
   * The sizes it paints: each edge in [min, max], rounded to `multiple` (Stable Diffusion's
   * latents are 1/8 of the picture), a ratio painted with its long side `longSide`; or one fixed
   * size (flux-1-schnell has no width or height).
   */
  size: { min: number; max: number; multiple: number; longSide: number } | { fixed: number };
  /** Steps, when the caller may choose them: the field Workers AI names, its range and our default. */
  steps?: NumberRange & { field: "steps" | "num_steps"; fromSetting?: boolean };
  /** The steps a model without a `steps` input always runs (for its price). */
  fixedSteps?: number;
  /** Guidance: sent only when the caller gives one; `default` is the model's own. */
  guidance?: NumberRange;
  negativePrompt: boolean;
  seed: boolean;
  /** Reference images it combines (FLUX.2's `input_image_0`…); 0 for none. */
  references: number;
  /**
   * A picture it transforms, sent as `image` (its encoded bytes as an array of numbers):
   * img2img changes it as far as `strength` says, inpainting repaints where `mask` is white.
   */
  source?: { kind: "img2img" | "inpainting"; strength: NumberRange };
  /** Neurons for one picture, from Cloudflare's published prices; undefined where none is published (beta). */
  price: (input: PriceInput) => number | undefined;
}

/** A 512×512 tile, the unit most prices count. How a partial tile counts is not documented: each edge rounds up. */
export function tiles(width: number, height: number): number {
  return Math.ceil(width / 512) * Math.ceil(height / 512);
}

const megapixels = (width: number, height: number) => (width * height) / 1_000_000;
const inputTiles = (inputs: PriceInput["inputs"]) =>
  inputs.reduce((sum, image) => sum + tiles(image.width, image.height), 0);
const unpriced = () => undefined;

const FLUX_2_SIZE = { min: 256, max: 1920, multiple: 1, longSide: 1024 };
/** FLUX.2's schema has `guidance` without a range; Black Forest Labs' own API takes 1.5–10 (dev's default 4). */
const FLUX_2_GUIDANCE: NumberRange = { min: 1.5, max: 10, default: 4 };

/** What the three FLUX.2 models share: multipart in, base64 out, seeds and up to four references. */
const FLUX_2 = {
  owner: "black-forest-labs",
  body: "multipart",
  answer: "base64",
  size: FLUX_2_SIZE,
  guidance: FLUX_2_GUIDANCE,
  negativePrompt: false,
  seed: true,
  references: 4,
} as const;
/** Cloudflare's shared Stable Diffusion schema: 256–2048 a side. */
const SD_SIZE = { min: 256, max: 2048, multiple: 8, longSide: 1024 };
/** Stable Diffusion 1.5 was trained at 512: much larger pictures repeat their subject. 768 is its largest good size. */
const SD_15_SIZE = { ...SD_SIZE, longSide: 768 };
/** Documented without an upper bound; the diffusers range people use. */
const SD_GUIDANCE: NumberRange = { min: 0, max: 30, default: 7.5 };
/** Schema default 20, the most the models take. */
const SD_STEPS = { field: "num_steps" as const, min: 1, max: 20, default: 20 };

/** What the five Stable Diffusion models share (one schema on Workers AI): JSON in, PNG bytes out, no published price. */
const STABLE_DIFFUSION = {
  body: "json",
  answer: "image/png",
  size: SD_SIZE,
  steps: SD_STEPS,
  guidance: SD_GUIDANCE,
  negativePrompt: true,
  seed: true,
  references: 0,
  price: unpriced,
} as const;

export const IMAGE_MODELS: readonly ImageModel[] = [
  {
    id: "@cf/black-forest-labs/flux-2-klein-4b",
    short: "flux-2-klein-4b",
    aliases: ["klein", "klein-4b", "flux-2-klein"],
    name: "FLUX.2 [klein] 4B",
    goodFor: "fast everyday pictures and edits; combines up to 4 reference images",
    ...FLUX_2,
    fixedSteps: 4,
    price: ({ width, height, inputs }) => 5.37 * inputTiles(inputs) + 26.05 * tiles(width, height),
  },
  {
    id: "@cf/black-forest-labs/flux-2-klein-9b",
    short: "flux-2-klein-9b",
    aliases: ["klein-9b"],
    name: "FLUX.2 [klein] 9B",
    goodFor: "better detail and text than 4B at a few steps; edits and up to 4 references",
    ...FLUX_2,
    fixedSteps: 4,
    price: ({ width, height, inputs }) =>
      1363.64 +
      181.82 * Math.max(0, megapixels(width, height) - 1) +
      181.82 * inputs.reduce((sum, image) => sum + megapixels(image.width, image.height), 0),
  },
  {
    id: "@cf/black-forest-labs/flux-2-dev",
    short: "flux-2-dev",
    aliases: ["flux-dev"],
    name: "FLUX.2 [dev]",
    goodFor: "the most faithful FLUX pictures and edits, slow and costly (about a day's free neurons each)",
    ...FLUX_2,
    steps: { field: "steps", min: 1, max: 50, default: 4, fromSetting: true },
    price: ({ width, height, steps, inputs }) => steps * (18.75 * inputTiles(inputs) + 37.5 * tiles(width, height)),
  },
  {
    id: "@cf/black-forest-labs/flux-1-schnell",
    short: "flux-1-schnell",
    aliases: ["schnell", "flux-schnell"],
    name: "FLUX.1 [schnell]",
    owner: "black-forest-labs",
    goodFor: "the cheapest FLUX picture, always 1024×1024",
    body: "json",
    answer: "base64",
    size: { fixed: 1024 },
    steps: { field: "steps", min: 1, max: 8, default: 4, fromSetting: true },
    negativePrompt: false,
    seed: false,
    references: 0,
    // Published as 4.80 a tile + 9.60 a step; measured answers (172.80 at 1024², 4 steps) count the step price per tile.
    price: ({ width, height, steps }) => tiles(width, height) * (4.8 + 9.6 * steps),
  },
  {
    id: "@cf/leonardo/lucid-origin",
    short: "lucid-origin",
    aliases: ["lucid", "leonardo-lucid-origin"],
    name: "Lucid Origin",
    owner: "leonardo",
    goodFor: "Leonardo's photorealistic and graphic-design pictures, legible text, up to 2500 px",
    body: "json",
    answer: "base64",
    size: { min: 256, max: 2500, multiple: 8, longSide: 1024 },
    // Its schema gives no default; measured prices at 1024² (about 2,840 neurons) fit about 25 steps.
    steps: { field: "num_steps", min: 1, max: 40, default: 25 },
    guidance: { min: 0, max: 10, default: 4.5 },
    negativePrompt: false,
    seed: true,
    references: 0,
    price: ({ width, height, steps }) => 636 * tiles(width, height) + 12 * steps,
  },
  {
    id: "@cf/leonardo/phoenix-1.0",
    short: "phoenix",
    aliases: ["phoenix-1.0", "phoenix-1", "leonardo-phoenix"],
    name: "Phoenix 1.0",
    owner: "leonardo",
    goodFor: "Leonardo's model that follows long prompts closely; takes a negative prompt",
    body: "json",
    answer: "image/jpeg",
    size: { min: 256, max: 2048, multiple: 8, longSide: 1024 },
    steps: { field: "num_steps", min: 1, max: 50, default: 25 },
    guidance: { min: 2, max: 10, default: 2 },
    negativePrompt: true,
    seed: true,
    references: 0,
    price: ({ width, height, steps }) => 530 * tiles(width, height) + 10 * steps,
  },
  {
    id: "@cf/stabilityai/stable-diffusion-xl-base-1.0",
    short: "sdxl",
    aliases: ["stable-diffusion-xl-base-1.0", "sdxl-base", "stable-diffusion-xl"],
    name: "Stable Diffusion XL 1.0",
    owner: "stabilityai",
    goodFor: "the classic open model: negative prompts, guidance, many styles (beta, no published price)",
    ...STABLE_DIFFUSION,
  },
  {
    id: "@cf/bytedance/stable-diffusion-xl-lightning",
    short: "sdxl-lightning",
    aliases: ["stable-diffusion-xl-lightning", "lightning"],
    name: "SDXL Lightning",
    owner: "bytedance",
    goodFor: "SDXL in a few steps: fast drafts (beta, no published price)",
    ...STABLE_DIFFUSION,
    // A few-step distillation (ByteDance ships 1-, 2-, 4- and 8-step versions): its schema's default of 20 only costs time.
    steps: { ...SD_STEPS, default: 8 },
  },
  {
    id: "@cf/lykon/dreamshaper-8-lcm",
    short: "dreamshaper",
    aliases: ["dreamshaper-8-lcm", "dreamshaper-8"],
    name: "DreamShaper 8 LCM",
    owner: "lykon",
    goodFor: "Stable Diffusion 1.5 tuned for illustration and portraits, fast (beta, no published price)",
    ...STABLE_DIFFUSION,
    size: SD_15_SIZE,
    // A latent consistency model: 4–8 steps is what it is made for.
    steps: { ...SD_STEPS, default: 8 },
  },
  {
    id: "@cf/runwayml/stable-diffusion-v1-5-img2img",
    short: "sd-img2img",
    aliases: ["stable-diffusion-v1-5-img2img", "img2img"],
    name: "Stable Diffusion 1.5 img2img",
    owner: "runwayml",
    goodFor: "redraws one picture by a prompt, as far as 'strength' says (beta, no published price)",
    ...STABLE_DIFFUSION,
    size: SD_15_SIZE,
    // Its schema's default strength is 1, which ignores the source: 0.6 keeps its composition and changes its look.
    source: { kind: "img2img", strength: { min: 0, max: 1, default: 0.6 } },
  },
  {
    id: "@cf/runwayml/stable-diffusion-v1-5-inpainting",
    short: "sd-inpainting",
    aliases: ["stable-diffusion-v1-5-inpainting", "inpainting"],
    name: "Stable Diffusion 1.5 inpainting",
    owner: "runwayml",
    goodFor: "repaints the masked part of a picture and keeps the rest (beta, no published price)",
    ...STABLE_DIFFUSION,
    size: SD_15_SIZE,
    // Strength 1 repaints the masked area entirely; lower keeps some of what was there.
    source: { kind: "inpainting", strength: { min: 0, max: 1, default: 1 } },
  },
];

export const DEFAULT_MODEL_ID = "@cf/black-forest-labs/flux-2-klein-4b";

/** Prompt limit of every supported model (characters, after clean-up); a negative prompt has the same. */
export const MAX_PROMPT_CHARS = 2048;

/** Every name of a model, lower case: its id with and without `@cf/`, its last segment, its short name and aliases. */
function namesOf(model: ImageModel): string[] {
  // `@cf/owner/name`, `owner/name` (as other gateways write them), `name`.
  return [
    model.id,
    model.id.replace(/^@cf\//, ""),
    model.id.slice(model.id.lastIndexOf("/") + 1),
    model.short,
    ...model.aliases,
  ];
}

/** Every name of every model, looked up on every request: built once, the first model to claim a name keeps it. */
const MODELS_BY_NAME = new Map<string, ImageModel>();
for (const model of IMAGE_MODELS)
  for (const name of namesOf(model)) if (!MODELS_BY_NAME.has(name)) MODELS_BY_NAME.set(name, model);

/** The model of that name (full id, short name or alias, any case), if we have it. */
export function findModel(name: string): ImageModel | undefined {
  return MODELS_BY_NAME.get(name.trim().toLowerCase());
}

/** The inpainting model: a request with a mask goes to it when it names no model. */
export const INPAINTING_MODEL = IMAGE_MODELS.find((model) => model.source?.kind === "inpainting") as ImageModel;

/**
 * The model a request names. Chat clients send their own names ("gpt-4o") and other vendors'
 * names mean nothing here: they fall back to the default. A name one slip from one of ours
 * (`flux-2-klien-4b`) is a mistake, and painting with another model would hide it: the
 * answer is then a 400 that names the model meant.
 */
export function resolveModel(requested: unknown, fallback: ImageModel): ImageModel {
  if (typeof requested !== "string") return fallback;
  const found = findModel(requested);
  if (found) return found;
  const meant = nearMiss(requested.trim().toLowerCase());
  if (!meant) return fallback;
  throw new ApiError(
    400,
    `There is no model '${requested.trim().slice(0, 60)}': did you mean '${meant.short}'? GET /v1/models lists them all.`,
    { param: "model", code: "model_not_found" },
  );
}

/** Our model a name is one edit from (a letter added, dropped, changed or two swapped), for names long enough to tell. */
function nearMiss(name: string): ImageModel | undefined {
  if (name.length < 5) return undefined;
  for (const [known, model] of MODELS_BY_NAME) if (known.length >= 5 && oneEditApart(name, known)) return model;
  return undefined;
}

/** Whether two different strings are one Damerau edit apart; linear. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let start = 0;
  while (start < a.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const restA = a.slice(start, endA);
  const restB = b.slice(start, endB);
  if (restA.length <= 1 && restB.length <= 1) return true; // one added, dropped or changed
  return restA.length === 2 && restB.length === 2 && restA[0] === restB[1] && restA[1] === restB[0];
}

/** Whether the model takes width and height (all but flux-1-schnell). */
export function takesSize(model: ImageModel): boolean {
  return !("fixed" in model.size);
}

/** The size the model will really produce for a requested size: scaled into its range, rounded to its multiple. */
export function effectiveSize(model: ImageModel, width: number, height: number): { width: number; height: number } {
  const { size } = model;
  if ("fixed" in size) return { width: size.fixed, height: size.fixed };
  return fitToEdges(width, height, size.min, size.max, size.multiple);
}

/**
 * The size a ratio is painted at by this model: its long side, the ratio kept in multiples of 16
 * (the step FLUX paints in, and a multiple of Stable Diffusion's 8), then fitted into its range.
 */
export function sizeForRatio(model: ImageModel, ratio: number): { width: number; height: number } {
  const { width, height } = ratioSize(model, ratio);
  return effectiveSize(model, width, height);
}

/** The size a ratio asks of this model before its range applies (schnell's 1024×1024 is not what 4:3 asked). */
export function ratioSize(model: ImageModel, ratio: number): { width: number; height: number } {
  const longSide = "fixed" in model.size ? model.size.fixed : model.size.longSide;
  const toSixteen = (edge: number) => Math.max(16, Math.round(edge / 16) * 16);
  return ratio >= 1
    ? { width: longSide, height: toSixteen(longSide / ratio) }
    : { width: toSixteen(longSide * ratio), height: longSide };
}

/** Scales a size into [minEdge, maxEdge] keeping its ratio as far as the bounds allow, each edge a multiple of `multiple`. */
function fitToEdges(
  width: number,
  height: number,
  minEdge: number,
  maxEdge: number,
  multiple: number,
): { width: number; height: number } {
  let scale = 1;
  if (Math.max(width, height) > maxEdge) scale = maxEdge / Math.max(width, height);
  if (Math.min(width, height) * scale < minEdge) scale = minEdge / Math.min(width, height);
  const clamp = (edge: number) => {
    const rounded = Math.round((edge * scale) / multiple) * multiple;
    return Math.min(
      Math.floor(maxEdge / multiple) * multiple,
      Math.max(Math.ceil(minEdge / multiple) * multiple, rounded),
    );
  };
  return { width: clamp(width), height: clamp(height) };
}

// The native text-to-image models of Workers AI, as their documented input schemas describe them
// (the cloudflare-docs repo's src/content/workers-ai-models/*.json; see PLATFORM-NOTES.md), and
// how each one answers.
import { BYTE_ARRAY } from "./schema.ts";
import type { FieldRule } from "./schema.ts";

export interface Size {
  width: number;
  height: number;
}

export interface ImageModel {
  body: "json" | "multipart";
  fields: Record<string, FieldRule>;
  /**
   * How the picture comes back: `envelope` = base64 JPEG in `{ result: { image } }` (FLUX,
   * lucid-origin); `jpeg` / `png` = the bare image bytes with that content type.
   */
  answer: "envelope" | "jpeg" | "png";
  /** The size painted when the call names none. */
  defaultSize: Size;
  /** flux-1-schnell has no size inputs: it always paints 1024×1024. */
  fixedSize?: Size;
  /** img2img and inpainting: inputs their schemas list as optional but the models cannot do without. */
  requires?: readonly ("image" | "mask")[];
  /** img2img and inpainting paint at the source picture's size unless told otherwise. */
  sizeFromSource?: boolean;
  /**
   * The neurons the answer's `cf-ai-neurons` header reports, by the published price (PLATFORM-NOTES.md,
   * "What a picture costs"); none for phoenix (reported to send no header) and the unpriced beta models.
   */
  neurons?: (call: PricedCall) => number;
}

/** What a call's price depends on. */
export interface PricedCall extends Size {
  /** The steps asked, or undefined for the model's own default. */
  steps: number | undefined;
  /** The reference images' sizes. */
  inputs: readonly Size[];
}

/** A 512×512 tile; a partial tile counted whole (Cloudflare does not say). */
const tiles = ({ width, height }: Size) => Math.ceil(width / 512) * Math.ceil(height / 512);
const inputTiles = (inputs: readonly Size[]) => inputs.reduce((sum, size) => sum + tiles(size), 0);
const megapixels = ({ width, height }: Size) => (width * height) / 1_000_000;

const PROMPT: FieldRule = { type: "string", minLength: 1, maxLength: 2048 };
const EDGE: FieldRule = { type: "integer", minimum: 256, maximum: 1920 };
const FLUX_2_FIELDS: Record<string, FieldRule> = {
  prompt: PROMPT,
  width: EDGE,
  height: EDGE,
  seed: { type: "integer" },
  guidance: { type: "number" },
  input_image_0: { type: "file" },
  input_image_1: { type: "file" },
  input_image_2: { type: "file" },
  input_image_3: { type: "file" },
};
const FLUX_2_SIZE: Size = { width: 1024, height: 768 };

// The other seven schemas give the prompt a minLength of 1 and no maximum (unlike FLUX's 2048).
const ANY_PROMPT: FieldRule = { type: "string", minLength: 1 };
const LUCID_EDGE: FieldRule = { type: "integer", minimum: 0, maximum: 2500 };
const LUCID_STEPS: FieldRule = { type: "integer", minimum: 1, maximum: 40 };
const PHOENIX_EDGE: FieldRule = { type: "integer", minimum: 0, maximum: 2048 };

/** The smallest and largest side the Stable Diffusion schemas accept. */
export const SD_EDGE = { minimum: 256, maximum: 2048 } as const;

/** The schema the five Stable Diffusion models share, img2img and inpainting inputs included. */
const SD_FIELDS: Record<string, FieldRule> = {
  prompt: ANY_PROMPT,
  negative_prompt: { type: "string" },
  height: { type: "integer", ...SD_EDGE },
  width: { type: "integer", ...SD_EDGE },
  image: BYTE_ARRAY,
  image_b64: { type: "string" },
  mask: BYTE_ARRAY,
  // Only a maximum is documented; a schema without a minimum lets 0 or less through, and so does this.
  num_steps: { type: "integer", maximum: 20 },
  // The schema states the range only in its description ("A value between 0 and 1"); enforced here
  // so a caller that sends more is caught offline rather than by a surprised model.
  strength: { type: "number", minimum: 0, maximum: 1 },
  guidance: { type: "number" },
  seed: { type: "integer" },
};

const SD_XL: ImageModel = {
  body: "json",
  fields: SD_FIELDS,
  answer: "png",
  defaultSize: { width: 1024, height: 1024 },
};

export const MODELS: Record<string, ImageModel> = {
  "@cf/black-forest-labs/flux-1-schnell": {
    body: "json",
    fields: { prompt: PROMPT, steps: { type: "integer", minimum: 1, maximum: 8 } },
    answer: "envelope",
    defaultSize: { width: 1024, height: 1024 },
    fixedSize: { width: 1024, height: 1024 },
    // As measured answers report it (172.80 at 1024², 4 steps): the step price counted per tile.
    neurons: (call) => tiles(call) * (4.8 + 9.6 * (call.steps ?? 4)),
  },
  "@cf/black-forest-labs/flux-2-klein-4b": {
    body: "multipart",
    fields: FLUX_2_FIELDS,
    answer: "envelope",
    defaultSize: FLUX_2_SIZE,
    neurons: (call) => 5.37 * inputTiles(call.inputs) + 26.05 * tiles(call),
  },
  "@cf/black-forest-labs/flux-2-klein-9b": {
    body: "multipart",
    fields: FLUX_2_FIELDS,
    answer: "envelope",
    defaultSize: FLUX_2_SIZE,
    neurons: (call) =>
      1363.64 +
      181.82 * Math.max(0, megapixels(call) - 1) +
      181.82 * call.inputs.reduce((sum, size) => sum + megapixels(size), 0),
  },
  "@cf/black-forest-labs/flux-2-dev": {
    body: "multipart",
    fields: { ...FLUX_2_FIELDS, steps: { type: "integer", minimum: 1, maximum: 50 } },
    answer: "envelope",
    defaultSize: FLUX_2_SIZE,
    // About 7,500 measured at its default steps, which fits 50.
    neurons: (call) => (call.steps ?? 50) * (18.75 * inputTiles(call.inputs) + 37.5 * tiles(call)),
  },
  "@cf/leonardo/lucid-origin": {
    body: "json",
    fields: {
      prompt: ANY_PROMPT,
      guidance: { type: "number", minimum: 0, maximum: 10 },
      seed: { type: "integer", minimum: 0 },
      height: LUCID_EDGE,
      width: LUCID_EDGE,
      // Its schema lists both names.
      num_steps: LUCID_STEPS,
      steps: LUCID_STEPS,
    },
    answer: "envelope",
    defaultSize: { width: 1120, height: 1120 },
    neurons: (call) => 636 * tiles(call) + 12 * (call.steps ?? 25),
  },
  "@cf/leonardo/phoenix-1.0": {
    body: "json",
    fields: {
      prompt: ANY_PROMPT,
      guidance: { type: "number", minimum: 2, maximum: 10 },
      seed: { type: "integer", minimum: 0 },
      height: PHOENIX_EDGE,
      width: PHOENIX_EDGE,
      num_steps: { type: "integer", minimum: 1, maximum: 50 },
      negative_prompt: { type: "string", minLength: 1 },
    },
    answer: "jpeg",
    defaultSize: { width: 1024, height: 1024 },
  },
  "@cf/stabilityai/stable-diffusion-xl-base-1.0": SD_XL,
  "@cf/bytedance/stable-diffusion-xl-lightning": SD_XL,
  // DreamShaper 8 is a Stable Diffusion 1.5 fine-tune, whose native size is 512×512 (the docs name no default).
  "@cf/lykon/dreamshaper-8-lcm": { ...SD_XL, defaultSize: { width: 512, height: 512 } },
  "@cf/runwayml/stable-diffusion-v1-5-img2img": {
    ...SD_XL,
    defaultSize: { width: 512, height: 512 },
    requires: ["image"],
    sizeFromSource: true,
  },
  "@cf/runwayml/stable-diffusion-v1-5-inpainting": {
    ...SD_XL,
    defaultSize: { width: 512, height: 512 },
    requires: ["image", "mask"],
    sizeFromSource: true,
  },
};

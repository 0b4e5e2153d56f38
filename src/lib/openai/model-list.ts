/**
 * The entries of `GET /v1/models`. Each model is listed twice, so that a
 * client that sorts models into chat and image models finds it in both places:
 * under its full id as a chat model (our chat completions), and under its short
 * name as an image model with the parameters our Images API takes. The extra
 * fields are the ones LobeChat's model parser reads (`type`, `parameters`,
 * `displayName`, `vision`); it types every id containing "flux" as an image
 * model and drops one that has no parameters. `capabilities` says what each
 * model takes, from its table entry. OpenAI's clients ignore them all.
 */
import { MAX_REFERENCES, MAX_IMAGE_BYTES } from "../images/intake.ts";
import { estimatedCost } from "../generation/cost.ts";
import type { ImageModel } from "../generation/models.ts";
import { MAX_SEED } from "../generation/seeds.ts";
import { SIZE_TABLE } from "../generation/sizes.ts";

/** A fixed date: the list is static, and a stable `created` keeps responses cacheable. */
const MODELS_CREATED = 1_735_689_600; // 2025-01-01

/** The chat entry: the full id, and whether attached pictures are read (LobeChat then offers to attach). */
export function chatEntry(model: ImageModel) {
  return {
    ...common(model),
    id: model.id,
    type: "chat" as const,
    // Inpainting needs a mask, which a chat message cannot carry.
    vision: model.references > 0 || model.source?.kind === "img2img",
  };
}

/** The image entry: the short name, with the Images API's fields as LobeChat's image page describes them. */
export function imageEntry(model: ImageModel) {
  const sizes =
    "fixed" in model.size
      ? [`${model.size.fixed}x${model.size.fixed}`]
      : SIZE_TABLE.map(({ width, height }) => `${width}x${height}`);
  return {
    ...common(model),
    id: model.short,
    type: "image" as const,
    parameters: {
      prompt: { default: "" },
      size: { default: sizes[0] ?? "1024x1024", enum: sizes },
      ...(model.seed ? { seed: { default: null, min: 0, max: MAX_SEED } } : {}),
      ...(model.steps ? { steps: { default: model.steps.default, min: model.steps.min, max: model.steps.max } } : {}),
      // Edits: LobeChat sends them to /v1/images/edits as image[].
      ...(model.references > 0 || model.source
        ? { imageUrls: { default: [], maxCount: model.source ? 1 : MAX_REFERENCES, maxFileSize: MAX_IMAGE_BYTES } }
        : {}),
    },
  };
}

function common(model: ImageModel) {
  return {
    object: "model" as const,
    created: MODELS_CREATED,
    owned_by: model.owner,
    displayName: model.name,
    description: model.goodFor,
    capabilities: capabilities(model),
  };
}

function priceAt1024(model: ImageModel): { neurons: number; usd: number } | null {
  const steps = model.steps?.default ?? model.fixedSteps ?? 0;
  const { neurons, usd } = estimatedCost(model, { width: 1024, height: 1024, steps, inputs: [] });
  return neurons === null || usd === null ? null : { neurons, usd };
}

/** What the model takes, from its table entry: what a client needs to offer the right controls. */
export function capabilities(model: ImageModel) {
  const range = (value: { min: number; max: number; default: number } | undefined) =>
    value ? { min: value.min, max: value.max, default: value.default } : null;
  return {
    sizes:
      "fixed" in model.size
        ? { fixed: `${model.size.fixed}x${model.size.fixed}` }
        : {
            min: model.size.min,
            max: model.size.max,
            multiple_of: model.size.multiple,
            default: `${model.size.longSide}x${model.size.longSide}`,
          },
    seed: model.seed,
    negative_prompt: model.negativePrompt,
    steps: range(model.steps),
    guidance: range(model.guidance),
    strength: range(model.source?.strength),
    reference_images: model.references,
    image_to_image: model.source?.kind === "img2img",
    inpainting: model.source?.kind === "inpainting",
    answer: model.answer === "base64" ? "image/jpeg (base64)" : model.answer,
    // Neurons for one 1024×1024 picture at its default steps, to compare models (null: no published price).
    price_1024x1024: priceAt1024(model),
  };
}

/** Every entry, chat entries first (a client that takes the first model gets a chat model). */
export function modelList(models: readonly ImageModel[]) {
  return { object: "list" as const, data: [...models.map(chatEntry), ...models.map(imageEntry)] };
}

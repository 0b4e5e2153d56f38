/**
 * The entries of `GET /v1/models`. Each model is listed twice, so that a
 * client that sorts models into chat and image models finds it in both places:
 * under its full id as a chat model (our chat completions), and under its short
 * name as an image model with the parameters our Images API takes. The extra
 * fields are the ones LobeChat's model parser reads (`type`, `parameters`,
 * `displayName`, `vision`); it types every id containing "flux" as an image
 * model and drops one that has no parameters. OpenAI's clients ignore them.
 */
import { MAX_REFERENCES, MAX_IMAGE_BYTES } from "../images/intake.ts";
import type { FluxModel } from "../generation/models.ts";
import { MAX_SEED } from "../generation/seeds.ts";
import { SIZE_TABLE } from "../generation/sizes.ts";

/** A fixed date: the list is static, and a stable `created` keeps responses cacheable. */
const MODELS_CREATED = 1_735_689_600; // 2025-01-01

/** The name a person types, and the image entry's id: the full id without its `@cf/…/` prefix. */
export function shortName(model: FluxModel): string {
  return model.id.slice(model.id.lastIndexOf("/") + 1);
}

/** The chat entry: the full id, and whether attached pictures are read (LobeChat then offers to attach). */
export function chatEntry(model: FluxModel) {
  return {
    ...common(model),
    id: model.id,
    type: "chat" as const,
    vision: model.takesSeedAndReferences,
  };
}

/** The image entry: the short name, with the Images API's fields as LobeChat's image page describes them. */
export function imageEntry(model: FluxModel) {
  const sizes = model.takesSize
    ? SIZE_TABLE.map(({ width, height }) => `${width}x${height}`)
    : [`${model.maxEdge}x${model.maxEdge}`];
  return {
    ...common(model),
    id: shortName(model),
    type: "image" as const,
    parameters: {
      prompt: { default: "" },
      size: { default: sizes[0] ?? "1024x1024", enum: sizes },
      ...(model.takesSeedAndReferences
        ? {
            seed: { default: null, min: 0, max: MAX_SEED },
            // Edits: LobeChat sends them to /v1/images/edits as image[].
            imageUrls: { default: [], maxCount: MAX_REFERENCES, maxFileSize: MAX_IMAGE_BYTES },
          }
        : {}),
    },
  };
}

function common(model: FluxModel) {
  return { object: "model" as const, created: MODELS_CREATED, owned_by: "black-forest-labs", displayName: model.name };
}

/** Every entry, chat entries first (a client that takes the first model gets a chat model). */
export function modelList(models: readonly FluxModel[]) {
  return { object: "list" as const, data: [...models.map(chatEntry), ...models.map(imageEntry)] };
}

/**
 * The Flux models we can drive on Workers AI and what each accepts.
 * Schemas: Workers AI model pages (see PLATFORM-NOTES.md).
 */

export interface FluxModel {
  id: string;
  /** The model's name as Black Forest Labs writes it, for model lists. */
  name: string;
  /** schnell takes JSON; FLUX.2 takes multipart/form-data only, even for a prompt alone. */
  input: "json" | "multipart";
  /** Whether width/height are honoured; schnell always makes 1024×1024. */
  takesSize: boolean;
  /** Upper bound of `steps`, or 0 when the model has a fixed step count. */
  maxSteps: number;
  /** FLUX.2 takes a `seed` and up to four reference images; schnell takes neither. */
  takesSeedAndReferences: boolean;
  minEdge: number;
  maxEdge: number;
}

export const FLUX_MODELS: readonly FluxModel[] = [
  {
    id: "@cf/black-forest-labs/flux-2-klein-4b",
    name: "FLUX.2 [klein] 4B",
    input: "multipart",
    takesSize: true,
    takesSeedAndReferences: true,
    maxSteps: 0,
    minEdge: 256,
    maxEdge: 1920,
  },
  {
    id: "@cf/black-forest-labs/flux-2-klein-9b",
    name: "FLUX.2 [klein] 9B",
    input: "multipart",
    takesSize: true,
    takesSeedAndReferences: true,
    maxSteps: 0,
    minEdge: 256,
    maxEdge: 1920,
  },
  {
    id: "@cf/black-forest-labs/flux-2-dev",
    name: "FLUX.2 [dev]",
    input: "multipart",
    takesSize: true,
    takesSeedAndReferences: true,
    maxSteps: 50,
    minEdge: 256,
    maxEdge: 1920,
  },
  {
    id: "@cf/black-forest-labs/flux-1-schnell",
    name: "FLUX.1 [schnell]",
    input: "json",
    takesSize: false,
    takesSeedAndReferences: false,
    maxSteps: 8,
    minEdge: 1024,
    maxEdge: 1024,
  },
];

export const DEFAULT_MODEL_ID = "@cf/black-forest-labs/flux-2-klein-4b";

/** Prompt limit of every supported model (characters, after clean-up). */
export const MAX_PROMPT_CHARS = 2048;

/** The model of that id, if we support it. Accepts the id with or without the `@cf/black-forest-labs/` prefix. */
export function findModel(id: string): FluxModel | undefined {
  const wanted = id.trim().toLowerCase();
  return FLUX_MODELS.find((model) => model.id === wanted || model.id.endsWith(`/${wanted}`));
}

/** Chat clients send their own model names ("gpt-4o"): anything we do not know falls back to the default. */
export function resolveModel(requested: unknown, fallback: FluxModel): FluxModel {
  return (typeof requested === "string" && findModel(requested)) || fallback;
}

/** The size the model will really produce for a requested size. */
export function effectiveSize(model: FluxModel, width: number, height: number): { width: number; height: number } {
  if (!model.takesSize) return { width: model.maxEdge, height: model.maxEdge };
  return fitToEdges(width, height, model.minEdge, model.maxEdge);
}

/** Scales a size into [minEdge, maxEdge] keeping its ratio as far as the bounds allow. */
function fitToEdges(
  width: number,
  height: number,
  minEdge: number,
  maxEdge: number,
): { width: number; height: number } {
  let scale = 1;
  if (Math.max(width, height) > maxEdge) scale = maxEdge / Math.max(width, height);
  if (Math.min(width, height) * scale < minEdge) scale = minEdge / Math.min(width, height);
  const clamp = (edge: number) => Math.min(maxEdge, Math.max(minEdge, Math.round(edge * scale)));
  return { width: clamp(width), height: clamp(height) };
}

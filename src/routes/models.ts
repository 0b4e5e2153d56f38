/** GET /v1/models: the supported Flux models, as an OpenAI model list. */
import { FLUX_MODELS } from "../lib/generation/models.ts";
import { modelEntry } from "../lib/openai/shapes.ts";

/** A fixed date: the list is static, and a stable `created` keeps responses cacheable. */
const MODELS_CREATED = 1_735_689_600; // 2025-01-01

export function listModels(): Response {
  return Response.json({ object: "list", data: FLUX_MODELS.map((model) => modelEntry(model.id, MODELS_CREATED)) });
}

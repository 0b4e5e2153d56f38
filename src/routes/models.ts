/** GET /v1/models and GET /v1/models/:id: the supported image models, as OpenAI's model list and model object. */
import { ApiError } from "../lib/http/errors.ts";
import { IMAGE_MODELS, findModel } from "../lib/generation/models.ts";
import { chatEntry, imageEntry, modelList } from "../lib/openai/model-list.ts";
import type { RoutedRequest } from "./context.ts";

export function listModels(): Response {
  return Response.json(modelList(IMAGE_MODELS));
}

/**
 * One model, by full id or short name, as `client.models.retrieve()` asks for it: the entry of that
 * name (the short name is the image entry). The id holds slashes (`@cf/black-forest-labs/…`), which
 * clients send escaped (`%2F`) or as they are.
 */
export function retrieveModel(request: RoutedRequest): Response {
  const id = decodedId(request.params.id ?? "");
  const model = id === undefined ? undefined : findModel(id);
  if (!model) {
    throw new ApiError(404, "No such model. GET /v1/models lists the models this service offers.", {
      param: "model",
      code: "model_not_found",
    });
  }
  return Response.json(id?.trim().toLowerCase() === model.short ? imageEntry(model) : chatEntry(model));
}

function decodedId(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined; // a stray % is no model's name
  }
}

/**
 * The image tools this Worker offers an AI assistant over MCP: what each is for (its description is
 * what an assistant decides by), its JSON Schema, and how its arguments become a request to the
 * Worker's own Images API, so that a tool call is a job like any other (rate limit, budget, record).
 */
import { ApiError } from "../http/errors.ts";
import { array, integer, object, optional, SchemaIssue, string, type Schema } from "../schema.ts";

const IMAGE_RESULT_SCHEMA = {
  type: "object",
  properties: {
    job: { type: "string", description: "The job's id: GET /v1/jobs/{id} with the same key shows its record." },
    model: { type: "string", description: "The model that painted." },
    images: {
      type: "array",
      items: {
        type: "object",
        properties: {
          url: { type: "string", description: "A link to the picture, public while it lives." },
          width: { type: "integer" },
          height: { type: "integer" },
          seed: { type: ["integer", "null"], description: "Paints the same picture again with the same prompt." },
        },
        required: ["url", "width", "height"],
      },
    },
    cost: {
      type: "object",
      properties: {
        neurons: { type: ["number", "null"] },
        usd: { type: ["number", "null"] },
        estimated: { type: "boolean" },
      },
    },
  },
  required: ["model", "images"],
} as const;

export const TOOLS = [
  {
    name: "generate_image",
    title: "Generate an image",
    description:
      "Paint a new picture from a description, with Workers AI (FLUX, Leonardo or Stable Diffusion). Returns the picture and a link to it. Write the prompt in English for the best result; give aspect_ratio (e.g. 16:9) or size (e.g. 1024x768).",
    inputSchema: {
      type: "object",
      properties: {
        prompt: { type: "string", description: "What to paint: subject, setting, style, light." },
        aspect_ratio: { type: "string", description: "Width:height, e.g. 1:1, 16:9, 9:16, 4:3." },
        size: { type: "string", description: "Exact WIDTHxHEIGHT, e.g. 1024x768 (instead of aspect_ratio)." },
        model: { type: "string", description: "A model's short name from list_models; omit for the default." },
        seed: { type: "integer", minimum: 0, description: "Repeat a picture exactly with the same seed." },
        n: { type: "integer", minimum: 1, maximum: 4, description: "How many pictures (1–4)." },
        negative_prompt: { type: "string", description: "What to keep out (models that take one: see list_models)." },
      },
      required: ["prompt"],
    },
    outputSchema: IMAGE_RESULT_SCHEMA,
  },
  {
    name: "edit_image",
    title: "Edit or combine images",
    description:
      "Change a picture, or combine up to four, as the prompt says ('make the sky a sunset', 'put the cat from image 1 on the sofa in image 0'). Images are links made by this service, https URLs or data URLs. With a mask (a PNG whose fully transparent pixels mark the area), only that area is repainted.",
    inputSchema: {
      type: "object",
      properties: {
        prompt: { type: "string", description: "The change to make." },
        images: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 4, description: "1–4 image URLs." },
        mask: { type: "string", description: "Optional: a PNG mask's URL, for inpainting." },
        model: { type: "string", description: "A model's short name from list_models; omit for the default." },
        seed: { type: "integer", minimum: 0 },
      },
      required: ["prompt", "images"],
    },
    outputSchema: IMAGE_RESULT_SCHEMA,
  },
  {
    name: "list_models",
    title: "List the image models",
    description:
      "The image models available, with what each is good for, what it takes (sizes, negative prompt, steps, reference images, inpainting) and its price in neurons for a 1024×1024 picture.",
    inputSchema: { type: "object", properties: {} },
  },
] as const;

export type ToolName = (typeof TOOLS)[number]["name"];

const generateArgs = object({
  prompt: string(),
  aspect_ratio: optional(string()),
  size: optional(string()),
  model: optional(string()),
  seed: optional(integer({ min: 0 })),
  n: optional(integer({ min: 1, max: 4 })),
  negative_prompt: optional(string()),
});

const editArgs = object({
  prompt: string(),
  images: array(string(), { nonEmpty: "give 1 to 4 image URLs" }),
  mask: optional(string()),
  model: optional(string()),
  seed: optional(integer({ min: 0 })),
});

export type GenerateArgs = ReturnType<typeof generateArgs.parse>;
export type EditArgs = ReturnType<typeof editArgs.parse>;

/** The arguments checked against the tool's schema; a clear ApiError (a tool error) otherwise. */
export function toolArguments<T>(schema: Schema<T>, value: unknown, tool: string): T {
  try {
    return schema.parse(value ?? {}, []);
  } catch (error) {
    if (!(error instanceof SchemaIssue)) throw error;
    const field = error.path.join(".");
    throw new ApiError(400, `${tool}: ${field ? `'${field}' ` : ""}${error.problem}.`, { code: "invalid_arguments" });
  }
}

export { editArgs, generateArgs };

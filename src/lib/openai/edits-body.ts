/**
 * The body of `POST /v1/images/edits` as OpenAI defines it: multipart with the
 * image as `image`, or several as `image[]` (Open WebUI; the openai SDK), plus
 * text fields; or JSON with `images: [{ image_url }]` (newer SDKs). Either way
 * the result is the same checked fields and reference images.
 */
import { ApiError } from "../http/errors.ts";
import { addImageUrl, addMask, addUpload, checkRoomFor, noReferences, type References } from "../images/intake.ts";
import {
  guardedBody,
  imageEditsSchema,
  MAX_BODY_WITH_IMAGES_BYTES,
  readJsonBody,
  validate,
  type ImageEditsRequest,
} from "./request-body.ts";
import { boundaryOf, formContentType, limitParts } from "./multipart-parts.ts";

export interface EditsBody {
  fields: ImageEditsRequest;
  references: References;
}

/**
 * Reads and checks an edits request, multipart or JSON. `prompt` is the prompt of a request that
 * has none of its own to give (variations): it replaces whatever was sent.
 */
export async function readEditsBody(request: Request, origin: string, prompt?: string): Promise<EditsBody> {
  const contentType = request.headers.get("content-type") ?? "";
  // Not for a body that is no object: the schema says what is wrong with it.
  const withPrompt = (fields: unknown) =>
    prompt === undefined || typeof fields !== "object" || fields === null ? fields : { ...fields, prompt };
  const body = /^multipart\/form-data/i.test(contentType)
    ? await readMultipart(request, contentType, withPrompt)
    : readJson(validate(imageEditsSchema, withPrompt(await readJsonBody(request, MAX_BODY_WITH_IMAGES_BYTES))), origin);
  if (body.references.sources.length === 0) {
    throw new ApiError(400, "Attach the image to edit as 'image' (several as 'image[]', at most 4).", {
      param: "image",
      code: "missing_image",
    });
  }
  return body;
}

function readJson(fields: ImageEditsRequest, origin: string): EditsBody {
  const references = noReferences();
  fields.images?.forEach(({ image_url }, index) => {
    const url = typeof image_url === "string" ? image_url : image_url.url;
    addImageUrl(references, url, `images[${index}].image_url`, origin);
  });
  const { mask } = fields;
  if (mask != null) {
    const url = typeof mask === "string" ? mask : mask.image_url;
    if (url === undefined) {
      throw new ApiError(400, "'mask' needs an image_url: uploaded files (file_id) are not kept by this service.", {
        param: "mask",
        code: "invalid_mask",
      });
    }
    addMask(references, { url }, typeof mask === "string" ? "mask" : "mask.image_url", origin);
  }
  return { fields, references };
}

// `image`, `image[]` and `image[0]`…: every way clients name the image parts.
const IMAGE_PART = /^image(?:\[\d*\])?$/;
// Numbers arrive as text in a form; the schema then checks them as it does JSON's.
const NUMERIC_FIELDS = new Set([
  "n",
  "seed",
  "steps",
  "guidance",
  "strength",
  "width",
  "height",
  "partial_images",
  "output_compression",
]);
// And `stream` as the text a form holds.
const BOOLEANS: Record<string, boolean> = { true: true, false: false };
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

async function readMultipart(
  request: Request,
  contentType: string,
  withPrompt: (fields: unknown) => unknown,
): Promise<EditsBody> {
  // Parsed from the guarded stream, so that a body over the limit or cut off by the client is
  // reported as such rather than as a broken form (formData() has one error for everything).
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) throw invalidMultipart();
  const body = guardedBody(request, MAX_BODY_WITH_IMAGES_BYTES);
  const parts = limitParts(body.stream, boundary);
  let form: FormData;
  try {
    form = await new Response(parts.stream, { headers: { "content-type": formContentType(boundary) } }).formData();
  } catch {
    throw body.failure() ?? parts.failure() ?? invalidMultipart();
  }
  const references = noReferences();
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (name === "mask") {
      if (typeof value === "string") {
        throw new ApiError(400, "'mask' must be a file part holding a PNG.", { param: "mask", code: "invalid_mask" });
      }
      addMask(references, { bytes: new Uint8Array(await value.arrayBuffer()) }, "mask", "");
    } else if (IMAGE_PART.test(name)) {
      const param = `image[${references.sources.length}]`;
      if (typeof value === "string") {
        throw new ApiError(400, `'${param}' must be a file part holding the image.`, { param, code: "invalid_image" });
      }
      checkRoomFor(references, param); // before reading a fifth file's bytes
      addUpload(references, new Uint8Array(await value.arrayBuffer()), param);
    } else if (typeof value === "string") {
      const text = value.trim();
      if (NUMERIC_FIELDS.has(name) && NUMBER.test(text)) fields[name] = Number(text);
      else if (name === "stream" && Object.hasOwn(BOOLEANS, text)) fields[name] = BOOLEANS[text];
      else fields[name] = value;
    }
  }
  return { fields: validate(imageEditsSchema, withPrompt(fields)), references };
}

function invalidMultipart(): ApiError {
  return new ApiError(400, "The request body is not valid multipart/form-data.", { code: "invalid_multipart" });
}

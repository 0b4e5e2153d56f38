// Workers AI's REST text-to-image endpoint, POST /client/v4/accounts/:account/ai/run/:model,
// imitating the documented input schemas, answers, envelope and error codes of the native image
// models: the four FLUX ones, the two Leonardo ones and the five Stable Diffusion ones (models.ts).
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { readDirectives } from "./faults.ts";
import type { FaultDirectives } from "./faults.ts";
import { hasBearerToken, sendJson, sendRaw, sleep } from "./http.ts";
import { standInJpeg } from "./jpeg.ts";
import { MODELS, SD_EDGE } from "./models.ts";
import type { ImageModel, Size } from "./models.ts";
import { standInPng } from "./png.ts";
import { readReferences } from "./references.ts";
import type { Reference } from "./references.ts";
import { coerceFormValue, lookup, typeName, validate } from "./schema.ts";
import { missingInput, readSourceImages, summarizeImageFields } from "./source-images.ts";
import type { SourceImages } from "./source-images.ts";
import type { Exchange } from "./types.ts";

interface EnvelopeError {
  status: number;
  code: number;
  message: string;
}

const ENVELOPE_FAULTS = {
  nsfw: { status: 400, code: 3030, message: "AiError: Input prompt contains NSFW content." },
  capacity: { status: 429, code: 3040, message: "Capacity temporarily exceeded, please try again." },
  quota: {
    status: 429,
    code: 3036,
    message:
      "You have used up your daily free allocation of 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
  },
  // The same allowance, as real answers also report it.
  "quota-4006": {
    status: 429,
    code: 4006,
    message:
      "you have used up your daily free allocation of 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
  },
  timeout: { status: 408, code: 3007, message: "Request timeout" },
  "too-large": { status: 413, code: 3006, message: "Request is too large" },
  auth: { status: 401, code: 10000, message: "Authentication error" },
  paid: { status: 403, code: 5035, message: "This model requires the Workers Paid plan" },
  server: { status: 500, code: 5000, message: "Internal server error" },
} satisfies Record<string, EnvelopeError>;

/**
 * Answers `latencyMs` after the request arrived, as an upstream with that latency does: the
 * stand-in's own work (reading the form, encoding the picture) happens within that time, not
 * on top of it, so a benchmark's "300 ms upstream" takes 300 ms.
 */
export async function handleAiRun(ex: Exchange, modelName: string): Promise<void> {
  const answer = await prepareAnswer(ex, modelName);
  await sleep(ex.record.at + ex.latencyMs - Date.now());
  answer();
}

/** Everything short of sending: the returned function sends the answer (an error, a fault or the image). */
async function prepareAnswer(ex: Exchange, modelName: string): Promise<() => void> {
  ex.record.model = modelName;
  if (!hasBearerToken(ex.req)) return () => sendError(ex.res, ENVELOPE_FAULTS.auth);
  const model = lookup(MODELS, modelName);
  if (!model) return () => sendError(ex.res, noSuchModel(modelName));
  if (ex.body.tooLarge) return () => sendError(ex.res, ENVELOPE_FAULTS["too-large"]);

  const input = await readInput(ex, model);
  if (typeof input === "string") return () => sendError(ex.res, badInput(input));
  const pictureInputs = await readPictureInputs(input, model);
  if (typeof pictureInputs === "string") return () => sendError(ex.res, badInput(pictureInputs));
  ex.record.references = pictureInputs.references;

  const prompt = String(input.prompt);
  const directives = readDirectives(prompt, "image");
  await sleep(directives.delayMs ?? 0);
  const fault = ex.faultFor("image", prompt, directives) ?? (Math.random() < ex.failureRate ? "server" : undefined);
  if (fault) return () => answerFault(ex, fault, modelName, model, directives);

  const image = paint(model, input, pictureInputs);
  ex.record.imageSha256 = createHash("sha256").update(image).digest("hex");
  ex.record.imageType = imageType(model);
  const headers = neuronsHeader(model, input, pictureInputs, directives.neurons);
  if (model.answer !== "envelope") return () => sendRaw(ex.res, 200, image, imageType(model), headers);
  const body = JSON.stringify({ result: { image: image.toString("base64") }, success: true, errors: [], messages: [] });
  return () => sendRaw(ex.res, 200, body, "application/json", headers);
}

/** The images a call brought: FLUX.2's references, a Stable Diffusion call's source and mask. */
interface PictureInputs extends SourceImages {
  references: Reference[];
}

/** Those images, checked and decoded; or the problem, as the text after "Bad input: Error: ". */
async function readPictureInputs(input: Record<string, unknown>, model: ImageModel): Promise<PictureInputs | string> {
  const missing = missingInput(input, model.requires ?? []);
  if (missing) return missing;
  const references = await readReferences(input);
  if (typeof references === "string") return references;
  const sources = readSourceImages(input);
  if (typeof sources === "string") return sources;
  return { references, ...sources };
}

/**
 * `cf-ai-neurons`, as Workers AI reports what a call cost (two decimals), for the models that send
 * it; `#neurons=N` reports N instead (a test's "the call cost more than estimated"), `#neurons=none` nothing.
 */
function neuronsHeader(
  model: ImageModel,
  input: Record<string, unknown>,
  pictureInputs: PictureInputs,
  asked: number | "none" | undefined,
): Record<string, string> {
  if (asked === "none") return {};
  if (asked !== undefined) return { "cf-ai-neurons": asked.toFixed(2) };
  if (!model.neurons) return {};
  const size = pictureSize(model, input, pictureInputs.source);
  const stepsField = input.steps ?? input.num_steps;
  const steps = typeof stepsField === "number" ? stepsField : undefined;
  const inputs = pictureInputs.references.map(({ width, height }) => ({ width, height }));
  return { "cf-ai-neurons": model.neurons({ ...size, steps, inputs }).toFixed(2) };
}

/** The picture's bytes, in the model's format, showing what the call asked for. */
function paint(model: ImageModel, input: Record<string, unknown>, pictureInputs: PictureInputs): Buffer {
  const { width, height } = pictureSize(model, input, pictureInputs.source);
  const seed = typeof input.seed === "number" ? input.seed : undefined;
  // An empty negative prompt leaves nothing out: no stripe for it.
  const negativePrompt = typeof input.negative_prompt === "string" && input.negative_prompt !== "";
  if (model.answer !== "png") return standInJpeg(width, height, pictureInputs.references, seed, { negativePrompt });
  const { source, mask } = pictureInputs;
  const strength = typeof input.strength === "number" ? input.strength : 1; // the schemas' default
  return standInPng({ width, height, seed, negativePrompt, source, mask, strength });
}

/**
 * The size asked for, else the model's default; img2img and inpainting default to their source's
 * size when the schema would accept it as a size (a 100×100 icon or a 4000×3000 photo gets the
 * default instead).
 */
function pictureSize(model: ImageModel, input: Record<string, unknown>, source: Size | undefined): Size {
  if (model.fixedSize) return model.fixedSize;
  const fallback = model.sizeFromSource && source && fitsSdEdges(source) ? source : model.defaultSize;
  return { width: side(input.width) ?? fallback.width, height: side(input.height) ?? fallback.height };
}

/** The Leonardo schemas accept a side of 0; what they paint then is undocumented, so 0 reads as "not given". */
function side(value: unknown): number | undefined {
  return typeof value === "number" && value > 0 ? value : undefined;
}

function fitsSdEdges({ width, height }: Size): boolean {
  return [width, height].every((edge) => edge >= SD_EDGE.minimum && edge <= SD_EDGE.maximum);
}

function imageType(model: ImageModel): "image/jpeg" | "image/png" {
  return model.answer === "png" ? "image/png" : "image/jpeg";
}

function sendError(res: ServerResponse, error: EnvelopeError, headers: Record<string, string> = {}): void {
  sendJson(
    res,
    error.status,
    { result: null, success: false, errors: [{ code: error.code, message: error.message }], messages: [] },
    headers,
  );
}

function badInput(problem: string): EnvelopeError {
  return { status: 400, code: 5006, message: `AiError: Bad input: Error: ${problem}` };
}

function noSuchModel(modelName: string): EnvelopeError {
  return { status: 400, code: 5007, message: `No such model ${modelName} or task` };
}

/** The validated input, or the schema error text Workers AI would put after "Bad input: Error: ". */
async function readInput(ex: Exchange, model: ImageModel): Promise<Record<string, unknown> | string> {
  const isMultipart = ex.record.contentType.toLowerCase().startsWith("multipart/form-data");
  ex.record.rawBody = ex.body.bytes.subarray(0, 4096).toString("utf8");
  if (model.body === "multipart") {
    if (!isMultipart) return "required properties at '/' are 'multipart'";
    const form = await parseForm(ex);
    if (!form) return "could not parse the multipart/form-data body";
    const input: Record<string, unknown> = {};
    const recordedForm: Record<string, string | { file: true; size: number }> = {};
    form.forEach((value, name) => {
      recordedForm[name] = typeof value === "string" ? value : { file: true, size: value.size };
      input[name] = typeof value === "string" ? coerceFormValue(value, lookup(model.fields, name)) : value;
    });
    ex.record.form = recordedForm;
    if (typeof input.prompt === "string") ex.record.prompt = input.prompt;
    return validate(input, model.fields);
  }
  if (isMultipart) return "Type mismatch of '/', 'multipart' not in 'object'";
  let json: unknown;
  try {
    json = JSON.parse(ex.body.bytes.toString("utf8"));
  } catch {
    return "request body is not valid JSON";
  }
  ex.record.json = summarizeImageFields(json);
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return `Type mismatch of '/', '${typeName(json)}' not in 'object'`;
  const input = json as Record<string, unknown>;
  if (typeof input.prompt === "string") ex.record.prompt = input.prompt;
  return validate(input, model.fields);
}

async function parseForm(ex: Exchange): Promise<FormData | undefined> {
  try {
    const request = new Request("http://stand-in/", {
      method: "POST",
      headers: { "content-type": ex.record.contentType },
      body: Uint8Array.from(ex.body.bytes), // TS's DOM types don't take a Buffer as a body
    });
    return await request.formData();
  } catch {
    return undefined;
  }
}

function answerFault(
  ex: Exchange,
  fault: string,
  modelName: string,
  model: ImageModel,
  directives: FaultDirectives,
): void {
  const { res } = ex;
  const envelopeError = fault === "no-model" ? noSuchModel(modelName) : lookup<EnvelopeError>(ENVELOPE_FAULTS, fault);
  if (envelopeError) {
    const retryAfter =
      envelopeError.status === 429 && directives.retryAfterSeconds !== undefined
        ? { "retry-after": String(directives.retryAfterSeconds) }
        : undefined;
    return sendError(res, envelopeError, retryAfter);
  }
  switch (fault) {
    case "bad-json":
      return sendRaw(res, 200, '{"result":{"image":"/9j/4AAQSkZJRgABAQ', "application/json");
    case "empty":
      return sendRaw(res, 200, "", "application/json");
    case "no-image":
      return sendJson(res, 200, { result: {}, success: true, errors: [], messages: [] });
    case "bad-base64":
      return sendJson(res, 200, { result: { image: "%%%not-base64%%%" }, success: true, errors: [], messages: [] });
    case "not-image": {
      const text = Buffer.from("This is plain text from the stand-in, not an image.");
      // A model that answers bare bytes gets the text as its body under its own image type (image/png,
      // or image/jpeg for phoenix-1.0), so that a caller trusting the header over the bytes is caught.
      // The other broken 200s stay JSON for every model: a body that is not an image at all.
      if (model.answer !== "envelope") return sendRaw(res, 200, text, imageType(model));
      const image = text.toString("base64");
      return sendJson(res, 200, { result: { image }, success: true, errors: [], messages: [] });
    }
    case "hang":
      return; // no answer: the socket stays open until the client gives up or close()
    case "network": {
      ex.req.socket.destroy();
      return;
    }
    default:
      console.warn(`[stand-in] unknown fault "${fault}" ignored; answering with a server error`);
      return sendError(res, ENVELOPE_FAULTS.server);
  }
}

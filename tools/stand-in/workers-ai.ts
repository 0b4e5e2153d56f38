// Workers AI's REST text-to-image endpoint, POST /client/v4/accounts/:account/ai/run/:model,
// imitating the documented input schemas, envelope and error codes of the Flux models.
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { readDirectives } from "./faults.ts";
import type { FaultDirectives } from "./faults.ts";
import { hasBearerToken, sendJson, sendRaw, sleep } from "./http.ts";
import { standInJpeg } from "./jpeg.ts";
import { readReferences } from "./references.ts";
import type { Exchange } from "./types.ts";

type FieldRule =
  | { type: "string"; minLength: number; maxLength: number }
  | { type: "integer"; minimum?: number; maximum?: number }
  | { type: "number" }
  | { type: "file" };

interface ImageModel {
  body: "json" | "multipart";
  fields: Record<string, FieldRule>;
  /** flux-1-schnell has no size inputs: it always paints 1024×1024. */
  fixedSize?: { width: number; height: number };
}

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

const MODELS: Record<string, ImageModel> = {
  "@cf/black-forest-labs/flux-1-schnell": {
    body: "json",
    fields: { prompt: PROMPT, steps: { type: "integer", minimum: 1, maximum: 8 } },
    fixedSize: { width: 1024, height: 1024 },
  },
  "@cf/black-forest-labs/flux-2-klein-4b": { body: "multipart", fields: FLUX_2_FIELDS },
  "@cf/black-forest-labs/flux-2-klein-9b": { body: "multipart", fields: FLUX_2_FIELDS },
  "@cf/black-forest-labs/flux-2-dev": {
    body: "multipart",
    fields: { ...FLUX_2_FIELDS, steps: { type: "integer", minimum: 1, maximum: 50 } },
  },
};

const DEFAULT_WIDTH = 1024;
const DEFAULT_HEIGHT = 768;

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
  timeout: { status: 408, code: 3007, message: "Request timeout" },
  "too-large": { status: 413, code: 3006, message: "Request is too large" },
  auth: { status: 401, code: 10000, message: "Authentication error" },
  paid: { status: 403, code: 5035, message: "This model requires the Workers Paid plan" },
  server: { status: 500, code: 5000, message: "Internal server error" },
} satisfies Record<string, EnvelopeError>;

/** Own properties only: a model or fault named "constructor" must not find Object's. */
function lookup<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

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
  const references = await readReferences(input);
  if (typeof references === "string") return () => sendError(ex.res, badInput(references));
  ex.record.references = references;

  const prompt = String(input.prompt);
  const directives = readDirectives(prompt, "image");
  await sleep(directives.delayMs ?? 0);
  const fault = ex.faultFor("image", prompt, directives) ?? (Math.random() < ex.failureRate ? "server" : undefined);
  if (fault) return () => answerFault(ex, fault, modelName, directives);

  const width = model.fixedSize?.width ?? (input.width as number | undefined) ?? DEFAULT_WIDTH;
  const height = model.fixedSize?.height ?? (input.height as number | undefined) ?? DEFAULT_HEIGHT;
  const seed = typeof input.seed === "number" ? input.seed : undefined;
  const image = standInJpeg(width, height, references, seed);
  ex.record.imageSha256 = createHash("sha256").update(image).digest("hex");
  const body = JSON.stringify({ result: { image: image.toString("base64") }, success: true, errors: [], messages: [] });
  return () => sendRaw(ex.res, 200, body, "application/json");
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
  ex.record.json = json;
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

/** Form fields arrive as text; Workers AI reads numeric ones as numbers. */
function coerceFormValue(text: string, rule: FieldRule | undefined): unknown {
  if (rule?.type === "integer" && /^-?\d+$/.test(text.trim())) return Number(text);
  if (rule?.type === "number" && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
  return text;
}

function validate(input: Record<string, unknown>, fields: Record<string, FieldRule>): Record<string, unknown> | string {
  const unknownField = Object.keys(input).find((name) => !lookup(fields, name));
  if (unknownField !== undefined) return `additional properties not allowed at '/': '${unknownField}'`;
  if (input.prompt === undefined) return "required properties at '/' are 'prompt'";
  for (const [name, value] of Object.entries(input)) {
    const rule = lookup(fields, name);
    const problem = rule && checkField(`/${name}`, value, rule);
    if (problem) return problem;
  }
  return input;
}

function checkField(path: string, value: unknown, rule: FieldRule): string | undefined {
  const actual = typeName(value);
  const typeFits =
    rule.type === actual ||
    (rule.type === "number" && actual === "integer") ||
    (rule.type === "file" && actual === "string");
  if (!typeFits) return `Type mismatch of '${path}', '${actual}' not in '${rule.type}'`;
  if (rule.type === "string") {
    const length = String(value).length;
    if (length < rule.minLength) return `String at '${path}' is too short: ${length} < ${rule.minLength}`;
    if (length > rule.maxLength) return `String at '${path}' is too long: ${length} > ${rule.maxLength}`;
  }
  if (rule.type === "integer") {
    const number = value as number;
    if (rule.minimum !== undefined && number < rule.minimum)
      return `Value at '${path}' is ${number}, minimum is ${rule.minimum}`;
    if (rule.maximum !== undefined && number > rule.maximum)
      return `Value at '${path}' is ${number}, maximum is ${rule.maximum}`;
  }
  return undefined;
}

function typeName(value: unknown): string {
  if (value instanceof Blob) return "file";
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function answerFault(ex: Exchange, fault: string, modelName: string, directives: FaultDirectives): void {
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
      const text = Buffer.from("This is plain text from the stand-in, not an image.").toString("base64");
      return sendJson(res, 200, { result: { image: text }, success: true, errors: [], messages: [] });
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

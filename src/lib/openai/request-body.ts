/**
 * Reading and validating request bodies: the shapes of both endpoints' bodies,
 * declared with the small schema module, and the one place where a schema
 * problem becomes a 400 that names the field (`messages[0].content`).
 */
import { ApiError } from "../http/errors.ts";
import {
  array,
  boolean,
  integer,
  nullish,
  number,
  object,
  oneOf,
  optional,
  SchemaIssue,
  string,
  union,
  type Infer,
  type Path,
  type Schema,
} from "../schema.ts";

/** Bodies over 1 MB are refused before they are parsed: prompts are at most 2048 characters. */
export const MAX_BODY_BYTES = 1_000_000;
/**
 * Bodies that may carry images (chat, edits). The platform takes up to 100 MB, but a Worker has
 * 128 MB of memory, and while a body is read its text, its parsed form and the decoded images are
 * all alive: measured, a 56 MB JSON body holds 140 MB. 40 MB fits: two 20 MB photos as files,
 * or about 28 MB of images as base64.
 */
export const MAX_BODY_WITH_IMAGES_BYTES = 40_000_000;

/** Reads a JSON body of at most `maxBytes`; 413 when larger, 400 when not JSON or cut off. */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readText(request, maxBytes);
  if (text.trim() === "")
    throw new ApiError(400, "The request body is empty; send a JSON object.", { code: "invalid_json" });
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "The request body is not valid JSON.", { code: "invalid_json" });
  }
}

async function readText(request: Request, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  // The stream errors with the guard's ApiError, which the loop throws as it is.
  for await (const chunk of guardedBody(request, maxBytes).stream) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

export interface GuardedBody {
  stream: ReadableStream<Uint8Array>;
  /** Why the stream failed (too large, or the client stopped sending), for a reader that reports its own error. */
  failure(): ApiError | undefined;
}

/**
 * The request's body as a stream that stops at `maxBytes` with a 413, however the body is sent
 * (a body that declares a larger length is refused at once, before a byte is read; a chunked
 * upload declares none), and that turns a body the client stopped sending into request_aborted
 * instead of an unexpected error.
 */
export function guardedBody(request: Request, maxBytes: number): GuardedBody {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  // The platform types a request body as ReadableStream<any>; it yields bytes.
  const source = (request.body as ReadableStream<Uint8Array> | null)?.getReader();
  let failure: ApiError | undefined;
  let size = 0;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: ApiError) => {
    failure = error;
    controller.error(error);
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!source) return controller.close();
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await source.read();
      } catch (error) {
        // Only the client's connection can make reading its body throw.
        return fail(controller, requestAborted(request, size, error));
      }
      if (read.done) return controller.close();
      size += read.value.byteLength;
      if (size > maxBytes) {
        void source.cancel();
        return fail(controller, tooLarge(maxBytes));
      }
      controller.enqueue(read.value);
    },
    cancel: (reason) => source?.cancel(reason),
  });
  return { stream, failure: () => failure };
}

/**
 * A client that went away mid-upload (or whose connection broke): nothing is wrong with the
 * Worker, so it is logged as what it is, not as an unexpected_error. The answer is a 400 rather
 * than nginx's non-standard 499: nobody is left to read it, and if a client still is (a proxy cut
 * the body short), 400 is the standard status for a request that did not arrive whole. It logs
 * here, beside errorResponse's logging of unexpected errors, because only here is it known that
 * the error was the client's connection, and how far the upload got.
 */
function requestAborted(request: Request, bytesRead: number, cause: unknown): ApiError {
  const path = new URL(request.url).pathname;
  console.log(JSON.stringify({ event: "request_aborted", path, bytesRead, error: String(cause) }));
  return new ApiError(400, "The request body broke off before it was complete: the client stopped sending it.", {
    code: "request_aborted",
  });
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `The request body is larger than ${maxBytes} bytes.`, { code: "request_too_large" });
}

/** Validates `value` against `schema`; a 400 naming the first bad field otherwise. */
export function validate<T>(schema: Schema<T>, value: unknown): T {
  try {
    return schema.parse(value, []);
  } catch (error) {
    if (!(error instanceof SchemaIssue)) throw error;
    const param = fieldName(error.path);
    throw new ApiError(400, issueMessage(param, error), { param, code: "invalid_request" });
  }
}

function issueMessage(param: string | null, issue: SchemaIssue): string {
  if (param === null) return `Invalid request body: ${issue.problem}.`;
  if (issue.missing) return `Missing required field '${param}': ${issue.problem}.`;
  return `Invalid value for '${param}': ${issue.problem}.`;
}

function fieldName(path: Path): string | null {
  if (path.length === 0) return null;
  return path.map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`)).join("");
}

const contentPart = object({
  type: string(),
  text: optional(string()),
  // OpenAI's shape is `{ url, detail? }`; some older clients send the URL alone.
  image_url: optional(union(string(), object({ url: string(), detail: nullish(string()) }))),
});

const message = object({
  role: string(),
  content: nullish(union(string(), array(contentPart))),
});

/** The OpenAI chat-completions body; unknown fields are allowed (clients send many) and ignored. */
export const chatRequestSchema = object({
  model: optional(string()),
  messages: array(message, { nonEmpty: "at least one message is required" }),
  stream: nullish(boolean()),
  stream_options: nullish(object({ include_usage: nullish(boolean()) })),
  temperature: nullish(number()),
  top_p: nullish(number()),
  max_tokens: nullish(integer()),
  n: nullish(integer()),
  user: nullish(string()),
});
export type ChatRequest = Infer<typeof chatRequestSchema>;

/** What both Images API endpoints take; the other fields OpenAI defines are accepted and ignored. */
const imagesFields = {
  // An empty prompt passes here: the prompt check refuses it after clean-up as empty_prompt, as chat does.
  prompt: string(),
  model: nullish(string()),
  // As OpenAI allows; run at once, within the rate limit and the budget.
  n: nullish(integer({ min: 1, max: 10 })),
  size: nullish(string()),
  response_format: nullish(oneOf(["url", "b64_json"])),
  seed: nullish(integer()),
  quality: nullish(string()),
  user: nullish(string()),
  // The models' own parameters (checked against the chosen model's range later).
  negative_prompt: nullish(string()),
  steps: nullish(number()),
  guidance: nullish(number()),
  strength: nullish(number()),
  // Streamed as OpenAI's image events; our models paint no partial pictures, so none is sent.
  stream: nullish(boolean()),
  partial_images: nullish(integer({ min: 0, max: 3 })),
  // As LobeChat's FLUX cards and fal- and BFL-style clients send a size: used when `size` is absent.
  width: nullish(integer({ min: 1 })),
  height: nullish(integer({ min: 1 })),
  // The stored and returned bytes in this format (the Images binding converts); absent: the model's own.
  output_format: nullish(oneOf(["png", "jpeg", "webp"])),
  output_compression: nullish(integer({ min: 0, max: 100 })),
  // No model here paints transparency: "transparent" is refused, "opaque" and "auto" are what it makes.
  background: nullish(oneOf(["transparent", "opaque", "auto"])),
};

/** The OpenAI images body; quality, style and user are accepted and ignored. */
export const imagesRequestSchema = object({ ...imagesFields, style: nullish(string()) });
export type ImagesRequest = Infer<typeof imagesRequestSchema>;

/** `{ image_url }` of the JSON form of `/v1/images/edits`: a URL string or `{ url }`. */
const editImage = object({ image_url: union(string(), object({ url: string() })) });

/**
 * `/v1/images/edits`, in its JSON form (`images: [{ image_url }]`) and, field by field, its
 * multipart form; input_fidelity is accepted and ignored.
 */
export const imageEditsSchema = object({
  ...imagesFields,
  images: optional(array(editImage)),
  // OpenAI's JSON form: `{ image_url }` (or `{ file_id }`, which has no meaning here).
  mask: nullish(union(string(), object({ image_url: optional(string()), file_id: optional(string()) }))),
  input_fidelity: nullish(string()),
});
export type ImageEditsRequest = Infer<typeof imageEditsSchema>;

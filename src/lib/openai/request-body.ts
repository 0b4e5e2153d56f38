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

/** Reads a JSON body of at most MAX_BODY_BYTES; 413 when larger, 400 when not JSON. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await readLimited(request);
  if (text.trim() === "")
    throw new ApiError(400, "The request body is empty; send a JSON object.", { code: "invalid_json" });
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "The request body is not valid JSON.", { code: "invalid_json" });
  }
}

async function readLimited(request: Request): Promise<string> {
  if (!request.body) return "";
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  // The platform types a request body as ReadableStream<any>; it yields bytes.
  for await (const chunk of request.body as ReadableStream<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function tooLarge(): ApiError {
  return new ApiError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, { code: "request_too_large" });
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

const contentPart = object({ type: string(), text: optional(string()) });

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

/** The OpenAI images body; quality, style and user are accepted and ignored. */
export const imagesRequestSchema = object({
  prompt: string({ nonEmpty: "a prompt is required" }),
  model: nullish(string()),
  n: nullish(integer({ min: 1, max: 4 })),
  size: nullish(string()),
  response_format: nullish(oneOf(["url", "b64_json"])),
  seed: nullish(integer()),
  quality: nullish(string()),
  style: nullish(string()),
  user: nullish(string()),
});
export type ImagesRequest = Infer<typeof imagesRequestSchema>;

/**
 * Reading and validating request bodies. zod earns its place here: it names
 * the offending field (`messages[0].content`) in every type error, for both
 * endpoints, in a few declarative lines.
 */
import { z } from "zod";
import { ApiError } from "../http/errors.ts";

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
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue ? fieldName(issue.path) : null;
  const detail = issue?.message ?? "invalid request";
  const message = param ? `Invalid value for '${param}': ${detail}.` : `Invalid request body: ${detail}.`;
  throw new ApiError(400, message, { param, code: "invalid_request" });
}

function fieldName(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`))
    .join("");
}

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});

/** The OpenAI chat-completions body; unknown fields are allowed (clients send many) and ignored. */
export const chatRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1, "at least one message is required"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  max_tokens: z.number().int().nullish(),
  n: z.number().int().nullish(),
  user: z.string().nullish(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** The OpenAI images body; quality, style and user are accepted and ignored. */
export const imagesRequestSchema = z.looseObject({
  prompt: z.string().min(1, "a prompt is required"),
  model: z.string().nullish(),
  n: z.number().int().min(1).max(4).nullish(),
  size: z.string().nullish(),
  response_format: z.enum(["url", "b64_json"]).nullish(),
  quality: z.string().nullish(),
  style: z.string().nullish(),
  user: z.string().nullish(),
});
export type ImagesRequest = z.infer<typeof imagesRequestSchema>;

/**
 * A cap on the number of parts in a multipart body, applied while the body
 * streams in, before the runtime's form parser spends its time on them: a
 * 40 MB body of tiny fields holds some 700,000 parts at ~7 µs each.
 */
import { ApiError } from "../http/errors.ts";

/**
 * A real edit has a dozen parts (up to four images, a mask, the prompt and a few options); this
 * leaves room for every field OpenAI defines and clients that send extras.
 */
export const MAX_MULTIPART_PARTS = 64;

/**
 * The boundary of a `multipart/form-data` content type, or undefined when there is none or it breaks
 * RFC 2046 (1–70 characters of its set, which has no CR: the count below relies on that).
 */
export function boundaryOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(";").slice(1)) {
    const equals = parameter.indexOf("=");
    if (parameter.slice(0, equals).trim().toLowerCase() !== "boundary") continue;
    let value = parameter.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return BOUNDARY.test(value) ? value : undefined;
  }
  return undefined;
}

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/**
 * `body` as it is, but failing with a 400 once it holds more than `maxParts` parts (`failure()` says
 * so to a reader that reports its own error, as the form parser does). Parts are counted by their
 * delimiters (`CRLF--boundary`), searched for chunk by chunk, across the seams.
 */
export function limitParts(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  maxParts = MAX_MULTIPART_PARTS,
): { stream: ReadableStream<Uint8Array>; failure(): ApiError | undefined } {
  const count = delimiterCounter(new TextEncoder().encode(`\r\n--${boundary}`));
  const reader = body.getReader();
  let parts = 0;
  let failure: ApiError | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      // The closing delimiter counts too: a body of `maxParts` parts has `maxParts` after its first.
      parts += count(value);
      if (parts <= maxParts) return controller.enqueue(value);
      failure = new ApiError(400, `The form has more than ${maxParts} parts; an edit needs a dozen at most.`, {
        code: "too_many_parts",
      });
      // The rest is read, unlooked at (the body's own limit still applies), before the answer: a
      // client cut off mid-upload sees a broken connection (wrangler's proxy a 500), not our 400.
      while (!(await reader.read()).done);
      controller.error(failure);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, failure: () => failure };
}

/**
 * Counts the occurrences of `delimiter` (which starts with CR and holds no other) in a stream of
 * chunks: each call gives those that end in the chunk passed. Linear in the bytes: the native
 * `indexOf` finds each CR, and a comparison that starts at one CR stops before the next, since the
 * delimiter has no other.
 */
export function delimiterCounter(delimiter: Uint8Array): (chunk: Uint8Array) => number {
  const keep = delimiter.length - 1;
  // The last `keep` bytes already seen: a delimiter that starts there ends in a later chunk.
  let tail = new Uint8Array(0);
  return (chunk) => {
    const seam = joined(tail, chunk.subarray(0, keep));
    const count = occurrences(seam, delimiter, tail.length) + occurrences(chunk, delimiter, chunk.length);
    tail = chunk.length >= keep ? chunk.slice(chunk.length - keep) : joined(tail, chunk).slice(-keep);
    return count;
  };
}

/** How many times `delimiter` occurs wholly in `bytes`, starting before index `startsBefore`. */
function occurrences(bytes: Uint8Array, delimiter: Uint8Array, startsBefore: number): number {
  let count = 0;
  const lastStart = Math.min(startsBefore - 1, bytes.length - delimiter.length);
  for (let at = bytes.indexOf(CR); at >= 0 && at <= lastStart; at = bytes.indexOf(CR, at + 1)) {
    let matched = 1;
    while (matched < delimiter.length && bytes[at + matched] === delimiter[matched]) matched++;
    if (matched === delimiter.length) count++;
  }
  return count;
}

const CR = 0x0d;

function joined(first: Uint8Array, second: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(first.length + second.length);
  bytes.set(first);
  bytes.set(second, first.length);
  return bytes;
}

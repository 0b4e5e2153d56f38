/**
 * Limits on a multipart body, applied while it streams in, before the
 * runtime's form parser spends its time on it: how many parts (a 40 MB body of
 * tiny fields holds some 700,000, at ~7 µs each) and how long a part's headers
 * may run (a 39 MB field name took the parser 5 s).
 */
import { concatBytes } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";

/**
 * A real edit has a dozen parts (up to four images, a mask, the prompt and a few options); this
 * leaves room for every field OpenAI defines and clients that send extras.
 */
export const MAX_MULTIPART_PARTS = 64;
/** A part's headers: a Content-Disposition with a file name and a Content-Type fit in far less. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/**
 * The boundary of a `multipart/form-data` content type, or undefined when there is none, there are
 * several, or it breaks RFC 2046 (1–70 characters of its set, which has no line break: the scan
 * below relies on that). The form parser is then given this boundary alone, so both read the same.
 */
export function boundaryOf(contentType: string): string | undefined {
  const found = contentType
    .split(";")
    .slice(1)
    .map((parameter) => parameter.split("="))
    .filter(([name]) => name?.trim().toLowerCase() === "boundary");
  if (found.length !== 1) return undefined;
  let value = (found[0]?.slice(1).join("=") ?? "").trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return BOUNDARY.test(value) ? value : undefined;
}

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The content type the form parser is given: the boundary that was checked, and nothing else. */
export function formContentType(boundary: string): string {
  return `multipart/form-data; boundary="${boundary}"`;
}

/**
 * `body` as it is, but failing with a 400 once it holds more than `maxParts` parts or a part whose
 * headers run past MAX_PART_HEADER_BYTES (`failure()` says which to a reader that reports its own
 * error, as the form parser does).
 */
export function limitParts(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  maxParts = MAX_MULTIPART_PARTS,
): { stream: ReadableStream<Uint8Array>; failure(): ApiError | undefined } {
  const scanner = new PartScanner(boundary, maxParts);
  const reader = body.getReader();
  let failure: ApiError | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      failure = scanner.feed(value);
      if (failure === undefined) return controller.enqueue(value);
      // The rest is read, unlooked at (the body's own limit still applies), before the answer: a
      // client cut off mid-upload sees a broken connection (wrangler's proxy a 500), not our 400.
      while (!(await reader.read()).done);
      controller.error(failure);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, failure: () => failure };
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

/**
 * Reads a multipart body chunk by chunk, at its line feeds only: each is followed by a delimiter
 * (`--boundary`, after CRLF or a bare LF, which the parser accepts too), by the blank line that ends
 * a part's headers, or by neither. The native `indexOf` finds each line feed, and what follows one is
 * compared for at most the delimiter's length, so the work is linear in the body. A line feed near
 * the end of a chunk waits in `tail` for the bytes that decide it.
 */
export class PartScanner {
  private readonly delimiter: Uint8Array;
  /** Bytes after a line feed needed to decide it: `--boundary` and two more (`--` of the close). */
  private readonly lookahead: number;
  /** Undecided bytes from the end of what came so far, starting at a line feed; at `tailAt`. */
  private tail: Uint8Array = Uint8Array.of(LF); // the body's start counts as a line start, for its first delimiter
  private tailAt = -1;
  private position = 0;
  private delimiters = 0;
  /** Where the current part's headers began, while they are being read. */
  private headersFrom: number | undefined;
  private closed = false;

  constructor(
    boundary: string,
    private readonly maxParts: number,
  ) {
    this.delimiter = new TextEncoder().encode(`--${boundary}`);
    this.lookahead = this.delimiter.length + 2;
  }

  /** Reads the next chunk; the first limit it breaks, if any. */
  feed(chunk: Uint8Array): ApiError | undefined {
    try {
      this.read(chunk);
      if (this.headersFrom !== undefined && this.position - this.headersFrom > MAX_PART_HEADER_BYTES)
        throw headersTooLong();
      return undefined;
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
  }

  private read(chunk: Uint8Array): void {
    const chunkAt = this.position;
    this.position += chunk.length;
    if (this.tail.length > 0) {
      const seam = concatBytes([this.tail, chunk.subarray(0, this.lookahead)]);
      const undecided = this.decide(seam, this.tail.length, this.tailAt);
      if (undecided < this.tail.length) {
        // Too short a chunk to decide them: they wait for the next one, with this chunk's bytes.
        this.tail = concatBytes([this.tail.subarray(undecided), chunk]);
        this.tailAt += undecided;
        return;
      }
    }
    const undecided = this.decide(chunk, chunk.length, chunkAt);
    this.tail = chunk.slice(undecided);
    this.tailAt = chunkAt + undecided;
  }

  /** Decides the line feeds in `bytes` before `end`; the index of the first that cannot be yet. */
  private decide(bytes: Uint8Array, end: number, bytesAt: number): number {
    for (let at = bytes.indexOf(LF); at >= 0 && at < end; at = bytes.indexOf(LF, at + 1)) {
      if (at + 1 + this.lookahead > bytes.length) return at;
      this.decideAt(bytes, at, bytesAt + at);
    }
    return end;
  }

  private decideAt(bytes: Uint8Array, at: number, position: number): void {
    if (this.closed) return; // the epilogue, after the closing delimiter, is no part
    if (this.startsDelimiter(bytes, at + 1)) {
      if (++this.delimiters > this.maxParts + 1) throw tooManyParts(this.maxParts);
      const after = at + 1 + this.delimiter.length;
      this.closed = bytes[after] === DASH && bytes[after + 1] === DASH;
      this.headersFrom = this.closed ? undefined : position;
      return;
    }
    if (this.headersFrom === undefined) return;
    if (position - this.headersFrom > MAX_PART_HEADER_BYTES) throw headersTooLong();
    const next = bytes[at + 1];
    if (next === LF || (next === CR && bytes[at + 2] === LF)) this.headersFrom = undefined; // headers end
  }

  private startsDelimiter(bytes: Uint8Array, from: number): boolean {
    for (let index = 0; index < this.delimiter.length; index++)
      if (bytes[from + index] !== this.delimiter[index]) return false;
    return true;
  }
}

function tooManyParts(maxParts: number): ApiError {
  return new ApiError(400, `The form has more than ${maxParts} parts; an edit needs a dozen at most.`, {
    code: "too_many_parts",
  });
}

function headersTooLong(): ApiError {
  return new ApiError(400, `A part of the form has headers longer than ${MAX_PART_HEADER_BYTES} bytes.`, {
    code: "invalid_multipart",
  });
}

/**
 * Downloads a reference image a user linked by https URL, within limits: a public host on
 * every hop of a redirect chain (public-url.ts), a few redirects, one deadline for the whole
 * download, a cap on the bytes read, and the type judged from the bytes themselves. Every
 * failure is an ApiError (400) that names the offending field and says what to do instead.
 */
import { concatBytes } from "../bytes.ts";
import { ApiError } from "../http/errors.ts";
import { inspectImage, type ImageInfo } from "../storage/image-bytes.ts";
import { urlProblem } from "./public-url.ts";

/** A whole image fetch, redirects and body included: long enough for a slow host, short next to a generation. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Generous for a photo (a 24-megapixel JPEG is ~10 MB), small next to a Worker's 128 MB of memory. */
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
/** Enough for http→https, a CDN and a trailing slash; a longer chain is a loop or a tracker. */
export const DEFAULT_MAX_REDIRECTS = 3;

// Some hosts (Wikimedia among them) refuse requests that carry no User-Agent.
const REQUEST_HEADERS = {
  accept: "image/jpeg, image/png, image/webp, */*;q=0.1",
  "user-agent": "flux-api-worker (reference image download)",
};
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchedImage extends ImageInfo {
  bytes: Uint8Array;
}

export interface FetchImageOptions {
  /** How to reach the network; tests pass one that maps a test host to a local server. */
  fetch?: typeof fetch;
  /** For the whole download, redirects and body included (default 10 s). */
  timeoutMs?: number;
  /** The most bytes read (default 20 MB). */
  maxBytes?: number;
  /** The most redirects followed (default 3). */
  maxRedirects?: number;
}

/** Downloads one reference image from a public https URL, within the limits; throws ApiError (400) otherwise. */
export async function fetchImage(url: string, param: string, options: FetchImageOptions = {}): Promise<FetchedImage> {
  // Called as a plain function, never as options.fetch(…): workerd refuses its global fetch called as another object's method.
  const fetcher = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await followRedirects(url, param, fetcher, options.maxRedirects ?? DEFAULT_MAX_REDIRECTS, signal);
    const bytes = await readAtMost(response, maxBytes, param);
    const info = inspectImage(bytes);
    if (!info) throw notAnImage(param, response.headers.get("content-type"));
    return { bytes, ...info };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (signal.aborted)
      throw failure(
        param,
        "image_url_timeout",
        `the server did not send the image within ${timeoutMs / 1000} s`,
        orAttach("Try again"),
      );
    console.error(JSON.stringify({ event: "image_url_unreachable", error: String(error) }));
    throw failure(param, "image_url_unreachable", "the server could not be reached", orAttach("Check the URL"));
  }
}

/** Fetches `url`, following redirects itself so that every hop passes `urlProblem`. */
async function followRedirects(
  url: string,
  param: string,
  fetcher: typeof fetch,
  maxRedirects: number,
  signal: AbortSignal,
): Promise<Response> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const problem = urlProblem(current);
    if (problem) {
      const what = redirects === 0 ? problem : `it redirects to a URL that cannot be downloaded: ${problem}`;
      throw failure(param, "invalid_image_url", what, orAttach("Use a public https URL"));
    }
    const response = await fetcher(current, { redirect: "manual", signal, headers: REQUEST_HEADERS });
    if (response.ok) return response;
    await discard(response);
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null)
      throw failure(
        param,
        "image_url_unreachable",
        `the server answered HTTP ${response.status}`,
        orAttach("Check that the URL opens the image without signing in"),
      );
    if (redirects >= maxRedirects)
      throw failure(
        param,
        "image_url_unreachable",
        `it redirects more than ${maxRedirects} times`,
        orAttach("Use the image's final URL"),
      );
    current = resolveLocation(location, current);
  }
}

/** A relative Location is relative to the URL that answered it; an unparsable one fails `urlProblem`. */
function resolveLocation(location: string, base: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

/** The body, read as a stream and abandoned (cancelled) as soon as it passes `maxBytes`. */
async function readAtMost(response: Response, maxBytes: number, param: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await discard(response);
    throw tooLarge(param, maxBytes);
  }
  if (!response.body) return new Uint8Array();
  // The fetch's signal also ends a body that stops arriving: the read then throws, and fetchImage reports the timeout.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader(); // typed ReadableStream<any>; it yields bytes
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined); // hangs up on the server, which may be sending for ever
      throw tooLarge(param, maxBytes);
    }
    chunks.push(value);
  }
}

/** Frees the connection of a response whose body we will not read. */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function tooLarge(param: string, maxBytes: number): ApiError {
  return failure(
    param,
    "image_too_large",
    `it is larger than ${describeBytes(maxBytes)}`,
    "Use a smaller JPEG, PNG or WebP image (fewer pixels or stronger compression).",
  );
}

function notAnImage(param: string, contentType: string | null): ApiError {
  const served = contentType ? ` (the server called it ${contentType.split(";")[0]})` : "";
  return failure(
    param,
    "invalid_image",
    `the URL does not hold a JPEG, PNG or WebP image${served}`,
    orAttach("Link the image file itself, not a page that shows it"),
  );
}

function describeBytes(bytes: number): string {
  const megabytes = bytes / (1024 * 1024);
  return megabytes >= 1 ? `${Math.round(megabytes * 10) / 10} MB` : `${bytes} bytes`;
}

/** What went wrong and what to do about it, for the field that holds the URL. */
function failure(param: string, code: string, what: string, advice: string): ApiError {
  return new ApiError(400, `Cannot use the image at ${param}: ${what}. ${advice}`, { code, param });
}

/** The way out that works whatever the server does. */
function orAttach(advice: string): string {
  return `${advice}, or attach the image itself instead (as a data: URL).`;
}

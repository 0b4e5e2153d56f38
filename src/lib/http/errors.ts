/**
 * The one error type of the service. Everything that can go wrong — bad input,
 * auth, an upstream fault, a bad setting — becomes an ApiError, and exactly one
 * place (`errorResponse`) turns it into the OpenAI error shape.
 */

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "server_error";

/** The OpenAI error body: all four keys present, `param` and `code` may be null. */
export interface ErrorBody {
  message: string;
  type: ErrorType;
  param: string | null;
  code: string | null;
}

export interface ApiErrorOptions {
  type?: ErrorType;
  code?: string | null;
  param?: string | null;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  retryAfter?: number;
  /** Extra response headers, e.g. the `x-job-id` of the generation that failed. */
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryAfter: number | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = options.type ?? defaultType(status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { message: this.message, type: this.type, param: this.param, code: this.code };
  }

  /** Rebuilds an error that crossed a Durable Object boundary as a plain body. */
  static fromBody(
    status: number,
    body: ErrorBody,
    options: Pick<ApiErrorOptions, "retryAfter" | "headers"> = {},
  ): ApiError {
    return new ApiError(status, body.message, { type: body.type, code: body.code, param: body.param, ...options });
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** Anything thrown becomes an ApiError; unknown faults become a 500 without leaking internals. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error(JSON.stringify({ event: "unexpected_error", error: String(error) }));
  return new ApiError(500, "The server had an unexpected error. Please try again.", { code: "internal_error" });
}

/** The one place errors become responses (CORS is added by the router's finally stage). */
export function errorResponse(error: unknown): Response {
  const apiError = toApiError(error);
  const headers = new Headers({ ...apiError.headers, "content-type": "application/json; charset=utf-8" });
  if (apiError.retryAfter !== undefined) headers.set("retry-after", String(Math.ceil(apiError.retryAfter)));
  return new Response(JSON.stringify({ error: apiError.toBody() }), { status: apiError.status, headers });
}

// The stand-in's public shapes, plus the per-request context its handlers share.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DirectiveKind, FaultDirectives } from "./faults.ts";
import type { ReadBody } from "./http.ts";
import type { Reference } from "./references.ts";

export interface StandInOptions {
  /** 0 (the default) = any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How long after its arrival every ai/run call is answered. */
  latencyMs?: number;
  /** 0..1: that share of ai/run calls answer HTTP 500. */
  failureRate?: number;
  /** No per-request log lines. */
  quiet?: boolean;
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  model?: string;
  contentType: string;
  authorization: string;
  /**
   * The JSON body; for the Stable Diffusion models with `image`, `image_b64` and `mask` replaced by
   * an ImageSummary each (their arrays of numbers run to megabytes).
   */
  json?: unknown;
  form?: Record<string, string | { file: true; size: number }>;
  /** The image prompt, or the last user message of a chat call (what `?contains=` searches). */
  prompt?: string;
  /** 0 while unanswered, and for ever after a `hang` or `network` fault. */
  status: number;
  /** The first 4 KiB of an ai/run body as text, so a refused body (never parsed) can still be found. */
  rawBody?: string;
  /** sha256 hex of the image bytes returned (decoded from base64 when in an envelope), when one was. */
  imageSha256?: string;
  /** The type of that image, and so of the answer's body for the models that answer bare bytes. */
  imageType?: "image/jpeg" | "image/png";
  /** The reference images (`input_image_N`) of a FLUX.2 call, as received. */
  references?: Reference[];
}

/** What the record keeps of an image sent as JSON (img2img's source, inpainting's mask). */
export interface ImageSummary {
  /** The encoded file's length. */
  bytes: number;
  sha256: string;
  /** Size and type from the file's header; absent when the bytes are not a JPEG, PNG or WebP. */
  width?: number;
  height?: number;
  type?: string;
}

export interface StandIn {
  /** e.g. http://127.0.0.1:8788 */
  url: string;
  /** url + '/client/v4' */
  cfApiBase: string;
  requests: RecordedRequest[];
  setOptions(options: Partial<StandInOptions>): void;
  close(): Promise<void>;
}

/** What a handler gets for one request. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: ReadBody;
  record: RecordedRequest;
  latencyMs: number;
  failureRate: number;
  /** The fault to answer for this call, after `*K` counting; undefined = answer normally. */
  faultFor(kind: DirectiveKind, prompt: string, directives: FaultDirectives): string | undefined;
}

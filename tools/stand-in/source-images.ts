// The source picture and the mask of a Stable Diffusion call: `image` (the encoded file's bytes as
// an array of numbers) or `image_b64` (the same bytes in base64), and `mask` (bytes as numbers).
// They are decoded for real (JPEG with jpeg-js, PNG with pngjs) because the answer is painted
// from them; and the recorded JSON keeps a short summary of each in their place, so a request
// log stays small when a body carries megabytes of numbers.
import { createHash } from "node:crypto";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { inspectImage } from "../../src/lib/storage/image-bytes.ts";
import type { SourcePixels } from "./png.ts";
import type { ImageSummary } from "./types.ts";

export interface SourceImages {
  source?: SourcePixels;
  mask?: SourcePixels;
}

const IMAGE_FIELDS = ["image", "image_b64", "mask"] as const;

/** The JSON body as recorded: `image`, `image_b64` and `mask` replaced by their summaries. */
export function summarizeImageFields(json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  const body = json as Record<string, unknown>;
  if (!IMAGE_FIELDS.some((name) => Object.hasOwn(body, name))) return json;
  const recorded = { ...body };
  for (const name of IMAGE_FIELDS) {
    const bytes = Object.hasOwn(body, name) ? looseBytes(body[name]) : undefined;
    if (bytes) recorded[name] = summarize(bytes);
  }
  return recorded;
}

/** Before validation: whatever bytes the field seems to hold (an invalid item counts as 0), for the record only. */
function looseBytes(value: unknown): Uint8Array | undefined {
  if (Array.isArray(value)) return Uint8Array.from(value, (item) => (typeof item === "number" ? item : 0));
  if (typeof value === "string") return Buffer.from(value, "base64");
  return undefined;
}

function summarize(bytes: Uint8Array): ImageSummary {
  const info = inspectImage(bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return info
    ? { bytes: bytes.length, sha256, width: info.width, height: info.height, type: info.contentType }
    : { bytes: bytes.length, sha256 };
}

/**
 * The missing input a model cannot do without, as Workers AI words a missing required property;
 * `image_b64` stands in for `image`.
 */
export function missingInput(
  input: Record<string, unknown>,
  requires: readonly ("image" | "mask")[],
): string | undefined {
  const present = (name: "image" | "mask") =>
    input[name] !== undefined || (name === "image" && input.image_b64 !== undefined);
  const missing = requires.find((name) => !present(name));
  return missing && `required properties at '/' are '${missing}'`;
}

/** The validated input's source and mask, decoded; or the problem, worded as Workers AI's schema errors. */
export function readSourceImages(input: Record<string, unknown>): SourceImages | string {
  const sourceField = input.image !== undefined ? "image" : "image_b64";
  const source = readImage(sourceField, input[sourceField]);
  if (typeof source === "string") return source;
  const mask = readImage("mask", input.mask);
  if (typeof mask === "string") return mask;
  return { source, mask };
}

function readImage(name: string, value: unknown): SourcePixels | string | undefined {
  if (value === undefined) return undefined;
  const bytes = strictBytes(value);
  if (!bytes) return `'/${name}' is not valid base64`;
  return decode(name, bytes);
}

/** A validated field's bytes: an array of 0…255 (checked by the schema), or base64 text. */
function strictBytes(value: unknown): Uint8Array | undefined {
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  const text = String(value).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, "base64");
}

function decode(name: string, bytes: Uint8Array): SourcePixels | string {
  const info = inspectImage(bytes);
  if (!info) return `'/${name}' is not a JPEG or PNG image`;
  // WebP would need a codec of its own; no caller of this project sends one.
  if (info.contentType === "image/webp") return `'/${name}' is a WebP image, which the stand-in cannot decode`;
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  try {
    if (info.contentType === "image/png") {
      const png = PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: png.data, sha256 };
    }
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: decoded.width, height: decoded.height, data: decoded.data, sha256 };
  } catch (error) {
    return `'/${name}' could not be decoded as ${info.contentType}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

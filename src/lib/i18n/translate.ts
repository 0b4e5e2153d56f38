/**
 * Fills the reply language's sentences: a message by key with its
 * placeholders, and the sentence a chat user reads for an API error code.
 */
import { STRINGS, type Language, type MessageKey } from "./strings.ts";

/** The text of `key` in `language`, with `{name}` placeholders filled from `params`. */
export function translate(language: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = STRINGS[language][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The API error codes that have a sentence of their own in every table. */
const SENTENCE_OF_ERROR_CODE: Readonly<Record<string, MessageKey>> = {
  content_filter: "errorContentFilter",
  upstream_timeout: "errorTimeout",
  upstream_capacity: "errorCapacity",
  daily_quota_exceeded: "errorQuota",
  upstream_auth: "errorUpstreamAuth",
  upstream_bad_response: "errorUpstream",
  upstream_error: "errorUpstream",
  upstream_unreachable: "errorUnreachable",
  upstream_rate_limited: "errorRateLimited",
  request_too_large: "errorTooLarge",
  model_not_found: "errorModelMissing",
  storage_error: "errorStorage",
  job_lost: "errorInterrupted",
  invalid_image: "errorImage",
  image_too_large: "errorImage",
  image_resize_failed: "errorUpstream",
  invalid_image_url: "errorImageUrl",
  image_url_unreachable: "errorImageUrl",
  image_url_timeout: "errorImageUrl",
  reference_expired: "errorReferenceExpired",
  images_quota_exceeded: "errorImagesQuota",
};

/**
 * The localized, human sentence for an API error code (the JSON `message` stays English).
 * A code without a sentence of its own gets `fallback` (the error's message), which says
 * what to do, where the generic line would only say that something went wrong.
 */
export function errorText(language: Language, code: string | null, fallback?: string): string {
  const key = code === null ? undefined : SENTENCE_OF_ERROR_CODE[code];
  if (key !== undefined) return translate(language, key);
  return fallback ?? translate(language, "errorGeneric");
}

/**
 * The words a chat user reads: reply labels and progress lines, one table per
 * REPLY_LANGUAGE. API error `message`s stay English (clients and logs parse
 * them); only text shown inside a reply or stream is translated.
 */

export const LANGUAGES = ["en", "zh-cn", "zh-hant", "ja", "es", "fr", "ru", "de"] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  originalPrompt: "Original prompt",
  promptModel: "Prompt model",
  noPromptModel: "original prompt",
  promptUsed: "Prompt used",
  size: "Size",
  ratioMapped: "{ratio} is not a supported ratio; used the nearest, {nearest}",
  fixedSize: "{model} always makes {width}×{height}",
  success: "Image generated successfully!",
  imageAlt: "Generated image",
  optimizing: "Optimising the prompt with {model}…",
  optimized: "Optimised prompt: {prompt}",
  optimizeFailed: "Prompt optimisation failed ({reason}); using the original prompt.",
  generating: "Generating {width}×{height} with {model}…",
  retrying: "The image service is busy; retrying ({attempt} of {max})…",
  storing: "Storing the image…",
  failed: "Image generation failed: {reason}",
  suggestOptimization:
    "Tip: Flux follows English prompts best. Set PROMPT_OPTIMIZATION to \"true\" to have prompts translated and improved.",
  errorContentFilter: "the prompt was flagged by the safety filter. Please rephrase it.",
  errorTimeout: "the image service did not answer in time. Please try again.",
  errorCapacity: "the image service is out of capacity right now. Please try again in a minute.",
  errorQuota: "the daily free Workers AI allocation is used up. It resets at 00:00 UTC, or upgrade to Workers Paid.",
  errorUpstreamAuth: "the Cloudflare credentials were refused. The operator should check CF_API_TOKEN and CF_ACCOUNT_ID.",
  errorUpstream: "the image service returned an unusable answer. Please try again.",
  errorGeneric: "an unexpected error occurred. Please try again.",
};

export type MessageKey = keyof typeof en;
export type StringTable = Record<MessageKey, string>;

/** Every language's table; a test checks that none misses a key. */
export const STRINGS: Record<Language, StringTable> = {
  en,
  "zh-cn": en,
  "zh-hant": en,
  ja: en,
  es: en,
  fr: en,
  ru: en,
  de: en,
};

/** The text of `key` in `language`, with `{name}` placeholders filled from `params`. */
export function translate(language: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = STRINGS[language][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The localized, human sentence for an API error code (the JSON `message` stays English). */
export function errorText(language: Language, code: string | null): string {
  const keyByCode: Record<string, MessageKey> = {
    content_filter: "errorContentFilter",
    upstream_timeout: "errorTimeout",
    upstream_capacity: "errorCapacity",
    daily_limit_reached: "errorQuota",
    upstream_auth: "errorUpstreamAuth",
    upstream_bad_response: "errorUpstream",
    upstream_error: "errorUpstream",
  };
  return translate(language, (code !== null && keyByCode[code]) || "errorGeneric");
}

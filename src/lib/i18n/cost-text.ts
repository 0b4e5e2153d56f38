/**
 * A picture's cost as a chat user reads it, in the reply language with its own number format:
 * "1,363.64 neurons (≈ $0.015) · 14 % of a day's free 10,000".
 */
import { DAILY_FREE_NEURONS, type Cost } from "../generation/cost.ts";
import type { Language } from "./strings.ts";
import { translate } from "./translate.ts";

/** The locale whose number format each reply language uses. */
const LOCALES: Record<Language, string> = {
  en: "en-US",
  "zh-cn": "zh-CN",
  "zh-hant": "zh-TW",
  ja: "ja-JP",
  es: "es-ES",
  fr: "fr-FR",
  ru: "ru-RU",
  de: "de-DE",
};

export function costText(language: Language, cost: Cost): string {
  if (cost.neurons === null || cost.usd === null) return translate(language, "costUnknown");
  const locale = LOCALES[language];
  const neurons = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(cost.neurons);
  const usd = new Intl.NumberFormat(locale, { maximumSignificantDigits: 2 }).format(cost.usd);
  const share = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(
    cost.neurons / DAILY_FREE_NEURONS,
  );
  const allowance = new Intl.NumberFormat(locale).format(DAILY_FREE_NEURONS);
  const line = translate(language, "cost", { neurons, usd, share, allowance });
  return cost.estimated ? `${line} (${translate(language, "costEstimated")})` : line;
}

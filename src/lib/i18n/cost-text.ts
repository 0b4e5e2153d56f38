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

interface CostFormats {
  neurons: Intl.NumberFormat;
  usd: Intl.NumberFormat;
  share: Intl.NumberFormat;
  allowance: string;
}

/** Each language's formats, made on first use: making an Intl.NumberFormat costs more than formatting with it. */
const formats = new Map<Language, CostFormats>();

function formatsOf(language: Language): CostFormats {
  let known = formats.get(language);
  if (!known) {
    const locale = LOCALES[language];
    known = {
      neurons: new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }),
      usd: new Intl.NumberFormat(locale, { maximumSignificantDigits: 2 }),
      share: new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }),
      allowance: new Intl.NumberFormat(locale).format(DAILY_FREE_NEURONS),
    };
    formats.set(language, known);
  }
  return known;
}

export function costText(language: Language, cost: Cost): string {
  if (cost.neurons === null || cost.usd === null) return translate(language, "costUnknown");
  const format = formatsOf(language);
  const line = translate(language, "cost", {
    neurons: format.neurons.format(cost.neurons),
    usd: format.usd.format(cost.usd),
    share: format.share.format(cost.neurons / DAILY_FREE_NEURONS),
    allowance: format.allowance,
  });
  return cost.estimated ? `${line} (${translate(language, "costEstimated")})` : line;
}

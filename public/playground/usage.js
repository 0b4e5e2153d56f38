// @ts-check
/**
 * The key's day, under the key: what it spent today (GET /v1/usage) and what
 * is left of its budget, else the service's, else of the account's free daily
 * neurons as far as this service spends them. Asked when the key is accepted
 * and after each generation; a job settles what it spent a moment after its
 * answer (until then it holds a reservation), so after a generation it is
 * asked again until nothing is reserved, a few times at most.
 */
import { fetchUsage } from "./api.js";
import { dollarsText, KEEP, neuronFigure, neuronsText } from "./cost.js";
import { isRecord, numberAt } from "./json.js";
import { ui } from "./view.js";

/** The first look after a generation waits this long: about when its job has settled. */
const SETTLE_DELAY_MS = 300;
/** Then this many looks more at most, while something is still reserved. */
const SETTLE_LOOKS = 5;

let ticket = 0;

/**
 * @param {unknown} value `budget.key` or `budget.service` of the answer
 * @returns {{ limit: number, remaining: number } | undefined} undefined when there is no such budget
 */
function budgetOf(value) {
  const limit = numberAt(value, "limit");
  const remaining = numberAt(value, "remaining");
  return limit === undefined || remaining === undefined ? undefined : { limit, remaining };
}

/**
 * @param {number} left
 * @param {number} limit
 * @returns {string} "618.4 of 1,000", kept on one line
 */
function leftOf(left, limit) {
  return `${neuronFigure(left)}${KEEP}of${KEEP}${neuronFigure(limit)}`;
}

/**
 * @param {number} unixSeconds
 * @returns {string} the time in the visitor's own clock, "01:00"
 */
function clockTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * What GET /v1/usage says, in one line: "Today: 381.6 neurons, 3 pictures · budget left: 618.4 of
 * 1,000"; without a budget, how much of the account's free daily neurons the service has spent.
 * @param {unknown} usage its answer
 * @returns {{ text: string, title: string, spent: boolean, reserved: number } | undefined} title: the
 *   dollars and when the day ends; spent: a budget is used up; undefined when the answer is not one
 */
export function usageLine(usage) {
  const today = isRecord(usage) ? usage.today : undefined;
  const budget = isRecord(usage) ? usage.budget : undefined;
  const neurons = numberAt(today, "neurons");
  const pictures = numberAt(today, "pictures");
  if (neurons === undefined || pictures === undefined || !isRecord(budget)) return undefined;
  const parts = [`Today: ${neuronsText(neurons)}, ${pictures}${KEEP}picture${pictures === 1 ? "" : "s"}`];
  const own = budgetOf(budget.key);
  const service = budgetOf(budget.service);
  // The key's budget, and the service's too when it is the one that stops first.
  if (own) parts.push(`budget left: ${leftOf(own.remaining, own.limit)}`);
  if (service && (!own || service.remaining < own.remaining))
    parts.push(`the service's budget left: ${leftOf(service.remaining, service.limit)}`);
  const free = numberAt(budget, "daily_free_neurons");
  const serviceSpent = isRecord(budget.service) ? numberAt(budget.service, "spent") : undefined;
  // No budget: what the whole service has spent of the account's free neurons.
  const allowance = !own && !service && free !== undefined && serviceSpent !== undefined;
  if (allowance) parts.push(`service: ${leftOf(serviceSpent, free)} free`);
  const spent = [own, service].some((limit) => limit !== undefined && limit.remaining <= 0);
  const resets = numberAt(usage, "resets_at");
  if (spent && resets !== undefined) parts.push(`resets at ${clockTime(resets)}`);
  // The dollars, the allowance in full and the day's end on hover, to keep the line short.
  const usd = numberAt(today, "usd");
  const details = [
    ...(usd === undefined ? [] : [`This key today: ${dollarsText(usd)}.`]),
    ...(allowance
      ? [
          `The whole service has spent ${neuronsText(serviceSpent ?? 0)} today of the ${neuronFigure(free ?? 0)} neurons the account gets free each day (its other Workers count too).`,
        ]
      : []),
    ...(resets === undefined ? [] : [`The day starts again at 00:00 UTC (${clockTime(resets)} here).`]),
  ];
  return { text: parts.join(" · "), title: details.join(" "), spent, reserved: numberAt(today, "reserved") ?? 0 };
}

/**
 * Asks GET /v1/usage and shows it.
 * @param {string} apiKey an accepted key
 * @param {{ settle?: boolean }} [options] settle: just after a generation, so wait for its job to
 *   settle first, and look again while something is reserved
 * @returns {Promise<void>} once shown (after a generation: once settled, or the looks are over)
 */
export async function showUsage(apiKey, { settle = false } = {}) {
  const mine = ++ticket;
  for (let look = 0; look <= (settle ? SETTLE_LOOKS : 0); look++) {
    if (settle) await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
    const answer = await fetchUsage(apiKey);
    if (mine !== ticket) return; // asked again meanwhile, or the key changed
    const line = show(answer);
    if (!line || line.reserved === 0) return;
  }
}

/**
 * Shows an answer of GET /v1/usage asked already (with the key's check).
 * @param {unknown} answer
 */
export function showUsageAnswer(answer) {
  ticket++;
  show(answer);
}

/**
 * @param {unknown} answer
 * @returns {ReturnType<typeof usageLine>} what was shown; undefined (and nothing shown) for no answer
 *   (an older service without GET /v1/usage, or a blip)
 */
function show(answer) {
  const line = usageLine(answer);
  if (!line) return undefined;
  ui.usage.textContent = line.text;
  ui.usage.title = line.title;
  ui.usage.classList.toggle("spent", line.spent);
  ui.usage.hidden = false;
  return line;
}

/** No key, or one refused: nothing to say. */
export function hideUsage() {
  ticket++;
  ui.usage.hidden = true;
  ui.usage.textContent = "";
}

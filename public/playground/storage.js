// @ts-check
/**
 * What the playground keeps in this browser: the API key (localStorage, so it
 * survives restarts), what it learned of pictures (their seeds and costs) and
 * the generation a reload interrupted (sessionStorage, this tab only); the
 * pictures themselves the service lists (GET /v1/jobs). Storage can be
 * unavailable (site data blocked): then every read finds nothing and every
 * write is dropped, and the page still works.
 */
import { readCost } from "./cost.js";
import { asArray, isRecord, numberAt, parseJson, stringAt } from "./json.js";

// Prefixed, so they never clash with another app on the same origin.
const API_KEY_STORAGE = "flux-api-worker.playground.api-key";
const PICTURE_FACTS_STORAGE = "flux-api-worker.playground.picture-facts";
const IN_FLIGHT_STORAGE = "flux-api-worker.playground.in-flight";
/** Enough for the pictures a key keeps at a time (they expire); older facts drop off. */
const MAX_PICTURE_FACTS = 200;

/**
 * A generation the page follows.
 * @typedef {object} Run
 * @property {string} jobId hex, or "" until the service has named the job
 * @property {string} prompt
 * @property {string} ratio the size as a ratio, e.g. "16:9"
 * @property {string} model "" for the server's default
 * @property {number} lastEventId the last job event seen (0 for none), sent as Last-Event-ID on resuming
 * @property {ProgressLine[]} lines
 */

/** @typedef {{ text: string, at: number }} ProgressLine */

/**
 * The seed a picture was painted with (the same prompt, size, model and seed paint it again); null when
 * its model takes none (flux-1-schnell).
 * @typedef {number | null} Seed
 */

/**
 * What is known of one picture beyond its job's entry in GET /v1/jobs; each field absent when not known.
 * @typedef {{ seed?: Seed, cost?: import("./cost.js").Cost }} PictureFacts
 */

/** @typedef {"localStorage" | "sessionStorage"} StorageArea */

/**
 * The area is named, not passed: merely touching window.sessionStorage throws when storage is blocked.
 * @param {StorageArea} area
 * @param {string} name
 * @returns {unknown} undefined when nothing (readable) is stored
 */
function readJson(area, name) {
  try {
    const raw = window[area].getItem(name);
    return raw === null ? undefined : parseJson(raw);
  } catch {
    return undefined;
  }
}

/**
 * @param {StorageArea} area
 * @param {string} name
 * @param {unknown} value undefined removes the entry
 */
function writeJson(area, name, value) {
  try {
    if (value === undefined) window[area].removeItem(name);
    else window[area].setItem(name, JSON.stringify(value));
  } catch {
    // storage full or blocked: nothing to keep
  }
}

/** @returns {string} the saved API key, or "" */
export function loadApiKey() {
  try {
    return localStorage.getItem(API_KEY_STORAGE) ?? "";
  } catch {
    return ""; // no storage: the visitor types the key each time
  }
}

/** @param {string} key "" forgets the saved key */
export function saveApiKey(key) {
  try {
    if (key === "") localStorage.removeItem(API_KEY_STORAGE);
    else localStorage.setItem(API_KEY_STORAGE, key);
  } catch {
    // not persisted; it still works for this page
  }
}

/** @param {Run} run kept only once the service has named its job: without an id nothing can be resumed */
export function saveInFlight(run) {
  if (run.jobId !== "") writeJson("sessionStorage", IN_FLIGHT_STORAGE, run);
}

export function clearInFlight() {
  writeJson("sessionStorage", IN_FLIGHT_STORAGE, undefined);
}

/** @returns {Run | undefined} the generation a reload interrupted, when what is stored is one */
export function loadInFlight() {
  const stored = readJson("sessionStorage", IN_FLIGHT_STORAGE);
  const jobId = stringAt(stored, "jobId");
  if (!isRecord(stored) || jobId === undefined || !/^[0-9a-f]+$/.test(jobId)) return undefined;
  return {
    jobId,
    prompt: stringAt(stored, "prompt") ?? "",
    ratio: stringAt(stored, "ratio") ?? "",
    model: stringAt(stored, "model") ?? "",
    lastEventId: numberAt(stored, "lastEventId") ?? 0,
    lines: asArray(stored.lines).flatMap((line) => {
      const text = stringAt(line, "text");
      return text === undefined ? [] : [{ text, at: numberAt(line, "at") ?? Date.now() }];
    }),
  };
}

/**
 * The facts this tab learned of pictures, by their links: what it was told when it made them, or
 * read from their jobs' records. GET /v1/jobs lists neither a picture's seed nor its own cost.
 * @returns {Map<string, PictureFacts>}
 */
export function loadPictureFacts() {
  /** @type {Map<string, PictureFacts>} */
  const facts = new Map();
  for (const entry of asArray(readJson("sessionStorage", PICTURE_FACTS_STORAGE))) {
    const url = stringAt(entry, "url");
    if (url === undefined || !isRecord(entry)) continue;
    const seed = entry.seed === null ? null : numberAt(entry, "seed");
    const cost = readCost(entry.cost);
    facts.set(url, { ...(seed === undefined ? {} : { seed }), ...(cost === undefined ? {} : { cost }) });
  }
  return facts;
}

/**
 * @param {Map<string, PictureFacts>} facts every picture's, the newest first; the oldest beyond
 *   MAX_PICTURE_FACTS are dropped
 */
export function savePictureFacts(facts) {
  const entries = [...facts].slice(0, MAX_PICTURE_FACTS).map(([url, known]) => ({ url, ...known }));
  writeJson("sessionStorage", PICTURE_FACTS_STORAGE, entries);
}

// @ts-check
/**
 * What the playground keeps in this browser: the API key (localStorage, so it
 * survives restarts), this tab's images and the generation a reload
 * interrupted (sessionStorage, this tab only). Storage can be unavailable
 * (site data blocked): then every read finds nothing and every write is
 * dropped, and the page still works.
 */
import { asArray, isRecord, numberAt, parseJson, stringAt } from "./json.js";

// Prefixed, so they never clash with another app on the same origin.
const API_KEY_STORAGE = "flux-api-worker.playground.api-key";
const SESSION_IMAGES_STORAGE = "flux-api-worker.playground.session-images";
const IN_FLIGHT_STORAGE = "flux-api-worker.playground.in-flight";
/** The gallery is a reminder of this tab's work, not an archive: older entries drop off. */
const MAX_SESSION_IMAGES = 50;

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
 * One of this tab's pictures; `model` is the short name of the model that painted it ("sdxl"), "" when not known.
 * @typedef {{ url: string, prompt: string, ratio: string, model: string, at: number, seed?: Seed }} SessionImage
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

/** @returns {SessionImage[]} this tab's images, newest first */
export function loadSessionImages() {
  return asArray(readJson("sessionStorage", SESSION_IMAGES_STORAGE)).flatMap((entry) => {
    const url = stringAt(entry, "url");
    if (url === undefined) return [];
    const prompt = stringAt(entry, "prompt") ?? "";
    const ratio = stringAt(entry, "ratio") ?? "";
    const seed = isRecord(entry) && entry.seed === null ? null : numberAt(entry, "seed");
    const image = { url, prompt, ratio, model: stringAt(entry, "model") ?? "", at: numberAt(entry, "at") ?? 0 };
    return [seed === undefined ? image : { ...image, seed }];
  });
}

/**
 * @param {SessionImage} image
 * @returns {SessionImage[]} the session's images with this one first
 */
export function rememberSessionImage(image) {
  const images = [image, ...loadSessionImages()].slice(0, MAX_SESSION_IMAGES);
  writeJson("sessionStorage", SESSION_IMAGES_STORAGE, images);
  return images;
}

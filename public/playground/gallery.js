// @ts-check
/**
 * "Your pictures": the pictures made with the API key, newest first, as the
 * service lists the key's jobs (GET /v1/jobs), so the list survives a reload
 * and is the same in another browser, while the service keeps the pictures.
 * Twenty jobs at a time, and "More" for older ones. Each picture with its
 * prompt, size, model, seed and cost, and a way to edit it further.
 *
 * The service lists a job a moment after its answer: a picture this tab has
 * just made is shown at once, and stays until the list names it. The list has
 * no seeds and only each job's whole cost; those of each picture come from
 * what this tab was told when it made it, else from the job's own record
 * (GET /v1/jobs/:id), asked once per job.
 */
import { fetchJob, fetchJobList } from "./api.js";
import { editImage } from "./attachments.js";
import { costText, listedCost, readCost } from "./cost.js";
import { asArray, isRecord, numberAt, stringAt } from "./json.js";
import { modelLabel } from "./models.js";
import { loadPictureFacts, savePictureFacts } from "./storage.js";
import { downloadName, safeImageUrl, seedText, ui } from "./view.js";

/** Jobs per page of the list. */
export const PAGE_SIZE = 20;
const NO_KEY_HINT = "Pictures made with your API key are listed here, from any browser, while the service keeps them.";
const EMPTY_HINT = "No pictures made with this key are kept at the moment: the ones you make are listed here.";

/** @typedef {import("./cost.js").Cost} Cost */
/** @typedef {import("./storage.js").PictureFacts} PictureFacts */

/**
 * One picture of the list.
 * @typedef {object} Picture
 * @property {string} url
 * @property {string} jobId "" when not known
 * @property {string} prompt
 * @property {string} size "WxH", "" when not known
 * @property {string} model the short name of the model that painted it ("sdxl"), "" when not known
 * @property {number} count how many pictures its job made
 * @property {Cost | undefined} jobCost what its whole job cost, as the list says
 */

/**
 * A picture this tab has just made, with what it was told of it.
 * @typedef {Omit<Picture, "count" | "jobCost"> & PictureFacts} MadePicture
 */

/** The key whose pictures are shown; "" for none. */
let owner = "";
/** @type {Picture[]} the pictures of the pages loaded, in the list's order */
let listed = [];
/** How many pages are loaded; the last job id to ask after for the next, "" when there is none. */
let pages = 0;
let nextAfter = "";
/** @type {Picture[]} what this tab made that the list does not name yet, newest first */
let made = [];
const facts = loadPictureFacts();
/** The jobs whose records were asked for their pictures' facts. */
const asked = new Set();
let loadTicket = 0;

/**
 * The pictures of one page of GET /v1/jobs: those of its jobs that made pictures the service still
 * has (a failed job made none; a job answered as base64 kept no link).
 * @param {unknown} body
 * @returns {{ pictures: Picture[], after: string } | undefined} undefined when it is no such page
 */
function readPage(body) {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  const pictures = asArray(body.data).flatMap((job) => {
    if (stringAt(job, "status") !== "succeeded" || !isRecord(job)) return [];
    const links = asArray(job.images).flatMap((link) => {
      const url = typeof link === "string" ? safeImageUrl(link) : undefined;
      return url === undefined ? [] : [url];
    });
    const model = stringAt(job, "model");
    return links.map((url) => ({
      url,
      jobId: stringAt(job, "id") ?? "",
      prompt: stringAt(job, "prompt") ?? "",
      size: stringAt(job, "size") ?? "",
      model: model === undefined ? "" : modelLabel(model),
      count: links.length,
      jobCost: listedCost(job),
    }));
  });
  const after = body.has_more === true ? (stringAt(body, "last_id") ?? "") : "";
  return { pictures, after };
}

/**
 * Shows the pictures of this key: its first page again (after a generation, the new job is on it),
 * keeping the older pages already loaded. Another key's pictures go first.
 * @param {string} apiKey an accepted key
 */
export async function showPicturesOf(apiKey) {
  if (apiKey !== owner) {
    owner = apiKey;
    [listed, pages, nextAfter, made] = [[], 0, "", []];
    renderGallery();
  }
  const ticket = ++loadTicket;
  const page = readPage(await fetchJobList(apiKey, "", PAGE_SIZE));
  if (ticket !== loadTicket || apiKey !== owner) return; // a newer load, or another key, meanwhile
  if (!page) {
    if (listed.length === 0 && made.length === 0) ui.galleryEmpty.textContent = "Could not list your pictures.";
    return;
  }
  if (pages <= 1) {
    [listed, pages, nextAfter] = [page.pictures, 1, page.after];
  } else {
    const fresh = new Set(page.pictures.map((picture) => picture.url));
    listed = [...page.pictures, ...listed.filter((picture) => !fresh.has(picture.url))];
  }
  renderGallery();
}

/** The next page, after the last job shown. */
async function showMore() {
  const apiKey = owner;
  if (apiKey === "" || nextAfter === "") return;
  ui.galleryMore.disabled = true;
  const page = readPage(await fetchJobList(apiKey, nextAfter, PAGE_SIZE));
  ui.galleryMore.disabled = false;
  if (apiKey !== owner) return;
  if (!page) {
    ui.galleryMore.textContent = "More (could not load: try again)";
    return;
  }
  const shown = new Set(listed.map((picture) => picture.url));
  listed = [...listed, ...page.pictures.filter((picture) => !shown.has(picture.url))];
  [pages, nextAfter] = [pages + 1, page.after];
  renderGallery();
}

/** No key, or one refused: nothing is listed. */
export function forgetPictures() {
  owner = "";
  [listed, pages, nextAfter, made] = [[], 0, "", []];
  loadTicket++;
  renderGallery();
}

/**
 * Pictures this tab has just made, shown before the service lists their job.
 * @param {MadePicture[]} pictures the request's, in order
 */
export function addToGallery(pictures) {
  const news = pictures.map(({ seed, cost, ...picture }) => {
    rememberFacts(picture.url, { ...(seed === undefined ? {} : { seed }), ...(cost === undefined ? {} : { cost }) });
    return { ...picture, count: pictures.length, jobCost: undefined };
  });
  made = [...news, ...made];
  savePictureFacts(facts);
  renderGallery();
}

/**
 * @param {string} url
 * @param {PictureFacts} known kept first, as the newest
 */
function rememberFacts(url, known) {
  const merged = { ...facts.get(url), ...known };
  facts.delete(url);
  // A Map keeps the order its entries were set in, and the newest go first when saved.
  /** @type {[string, PictureFacts][]} */
  const newestFirst = [[url, merged], ...facts];
  facts.clear();
  for (const [key, value] of newestFirst) facts.set(key, value);
}

export function renderGallery() {
  const names = new Set(listed.map((picture) => picture.url));
  made = made.filter((picture) => !names.has(picture.url)); // listed now: the list's entry is the one shown
  const pictures = [...made, ...listed];
  ui.gallery.replaceChildren(...pictures.map(galleryItem));
  ui.galleryEmpty.hidden = pictures.length > 0;
  ui.galleryEmpty.textContent = owner === "" ? NO_KEY_HINT : EMPTY_HINT;
  ui.galleryMore.hidden = nextAfter === "";
  ui.galleryMore.textContent = "More";
  void lookUpFacts(listed);
}

/**
 * Asks the records of the jobs whose pictures' seeds are not known here (made in another tab or
 * browser), then shows the list again with them.
 * @param {Picture[]} pictures
 */
async function lookUpFacts(pictures) {
  const apiKey = owner;
  const jobs = new Set(
    pictures.flatMap((picture) =>
      picture.jobId === "" || asked.has(picture.jobId) || facts.get(picture.url)?.seed !== undefined
        ? []
        : [picture.jobId],
    ),
  );
  if (jobs.size === 0) return;
  for (const jobId of jobs) asked.add(jobId);
  const records = await Promise.all([...jobs].map((jobId) => fetchJob(apiKey, jobId)));
  let learned = false;
  for (const record of records) {
    const result = isRecord(record) ? record.result : undefined;
    for (const image of asArray(isRecord(result) ? result.images : undefined)) {
      const url = safeImageUrl(stringAt(image, "url") ?? "");
      if (url === undefined) continue;
      const cost = readCost(isRecord(image) ? image.cost : undefined);
      rememberFacts(url, { seed: numberAt(image, "seed") ?? null, ...(cost === undefined ? {} : { cost }) });
      learned = true;
    }
  }
  if (!learned || apiKey !== owner) return;
  savePictureFacts(facts);
  renderGallery();
}

/**
 * @param {Picture} picture
 * @returns {string} "Cost: 104.2 neurons (≈ $0.0011)"; its job's when that made only it, or several
 *   pictures and its own is not known; "" when nothing is known
 */
function costLine(picture) {
  const own = facts.get(picture.url)?.cost ?? (picture.count === 1 ? picture.jobCost : undefined);
  if (own !== undefined) return `Cost: ${costText(own)}`;
  return picture.jobCost === undefined ? "" : `Cost: ${costText(picture.jobCost)} for all ${picture.count}`;
}

/**
 * @param {Picture} picture its url checked to be http(s)
 * @returns {HTMLLIElement}
 */
function galleryItem(picture) {
  const { url, prompt } = picture;
  const item = document.createElement("li");
  const image = document.createElement("img");
  image.loading = "lazy";
  image.src = url;
  image.alt = prompt;
  const caption = document.createElement("p");
  caption.textContent = picture.size === "" ? prompt : `${prompt} · ${picture.size.replace("x", "×")}`;
  const model = document.createElement("p");
  model.className = "model";
  model.textContent = picture.model === "" ? "" : `Model: ${picture.model}`;
  const seed = document.createElement("p");
  seed.className = "seed";
  seed.textContent = seedText(facts.get(url)?.seed) ?? "";
  const cost = document.createElement("p");
  cost.className = "cost";
  cost.textContent = costLine(picture);
  const link = document.createElement("a");
  link.href = url;
  link.download = downloadName(prompt);
  link.textContent = "Download";
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "link";
  edit.textContent = "Edit";
  edit.setAttribute("aria-label", `Edit this image: ${prompt}`);
  edit.addEventListener("click", () => editImage(url));
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(link, edit);
  // Images expire on the server (IMAGE_EXPIRATION): say so instead of showing a broken picture.
  image.addEventListener("error", () => {
    item.classList.add("expired");
    link.textContent = "Expired";
    link.removeAttribute("href");
    edit.hidden = true; // the service no longer has it to edit
  });
  const lines = [model, seed, cost].filter((line) => line.textContent !== "");
  item.append(image, caption, ...lines, actions);
  return item;
}

ui.galleryMore.addEventListener("click", () => void showMore());

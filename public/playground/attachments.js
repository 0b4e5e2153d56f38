// @ts-check
/**
 * The images attached to the next generation: at most four, in order, each
 * shown as a numbered preview ("image 0", "image 1"…, as a prompt names them)
 * with a remove button. They come from the file button, a paste into the
 * prompt or a drop on it (sent as small JPEG data URLs, see image-files.js),
 * or from "Edit this image" (this service's own image link, which the Worker
 * reads from its storage: nothing is uploaded again).
 *
 * They stay until removed, or until a generation that sent them succeeds: its
 * result is then the natural next picture to work on ("Edit this image"), and
 * an earlier one left attached would slip unnoticed into the next request.
 * After a failure they stay, so trying again needs nothing attached twice.
 */
import { fileProblem, shrinkToJpeg, toDataUrl } from "./image-files.js";
import { ui } from "./view.js";

/** FLUX.2 takes at most four reference images. */
export const MAX_ATTACHMENTS = 4;
/** What the status line says when there is nothing to report: the page's own text. */
const HINT = (ui.attachStatus.textContent ?? "").replace(/\s+/g, " ").trim();

/**
 * @typedef {object} Attachment
 * @property {number} id
 * @property {string} url what the request sends: a data: URL, or one of this service's image links
 * @property {string} preview what the thumbnail shows: a blob: URL of the JPEG, or the image link itself
 */

/** @type {Attachment[]} */
let attached = [];
/** @type {((attachments: readonly Attachment[]) => void)[]} */
const watchers = [];
let nextId = 1;
/** Files are read one batch after another, so they keep the order they were given in. */
let reading = Promise.resolve();

/**
 * Wires the file button, pasting into the prompt and dropping on the prompt's field.
 */
export function listenForImages() {
  ui.attach.addEventListener("click", () => ui.attachInput.click());
  ui.attachInput.addEventListener("change", () => {
    attachFiles(ui.attachInput.files ?? []);
    ui.attachInput.value = ""; // so the same file can be picked again after removing it
  });
  ui.prompt.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return; // text pastes as text
    event.preventDefault();
    attachFiles(files);
  });
  // A file dropped beside the field would make the browser leave the page to show it.
  for (const type of /** @type {const} */ (["dragover", "drop"])) {
    document.addEventListener(type, (event) => {
      if (carriesFiles(event)) event.preventDefault();
    });
  }
  ui.promptField.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    ui.promptField.classList.add("dropping");
  });
  ui.promptField.addEventListener("dragleave", (event) => {
    if (!(event.relatedTarget instanceof Node && ui.promptField.contains(event.relatedTarget)))
      ui.promptField.classList.remove("dropping");
  });
  ui.promptField.addEventListener("drop", (event) => {
    ui.promptField.classList.remove("dropping");
    if (!carriesFiles(event)) return;
    event.preventDefault();
    attachFiles(event.dataTransfer?.files ?? []);
  });
}

/**
 * @param {DragEvent} event
 * @returns {boolean} whether files are being dragged (not text or a link)
 */
function carriesFiles(event) {
  return event.dataTransfer?.types.includes("Files") ?? false;
}

/** @param {Iterable<File>} files refused ones are named in the status line */
export function attachFiles(files) {
  const batch = [...files];
  if (batch.length === 0) return;
  reading = reading.then(() => readFiles(batch)).catch(() => say("The images could not be read.", true));
}

/** @param {File[]} files */
async function readFiles(files) {
  /** @type {string[]} */
  const problems = [];
  for (const file of files) {
    const name = file.name || "The pasted image";
    const problem =
      attached.length >= MAX_ATTACHMENTS
        ? `At most ${MAX_ATTACHMENTS} images: ${name} was not attached.`
        : fileProblem(file);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    try {
      const jpeg = await shrinkToJpeg(file);
      add({ url: await toDataUrl(jpeg), preview: URL.createObjectURL(jpeg) });
    } catch {
      problems.push(`${name} could not be read as an image.`);
    }
  }
  say(problems.join(" "), problems.length > 0);
}

/**
 * "Edit this image": attaches one of this service's pictures by its link and puts the cursor in
 * the prompt, its old words selected, so what the visitor types next is the change.
 * @param {string} url an image link of this service, checked to be http(s)
 */
export function editImage(url) {
  reading = reading.then(() => {
    const index = attached.findIndex((attachment) => attachment.url === url);
    if (index >= 0) say(`That picture is already attached as image ${index}.`, false);
    else if (attached.length >= MAX_ATTACHMENTS)
      say(`At most ${MAX_ATTACHMENTS} images: remove one to edit this picture.`, true);
    else {
      add({ url, preview: url });
      say(`Attached as image ${attached.length - 1}: describe the change in the prompt.`, false);
    }
  });
  ui.prompt.focus();
  ui.prompt.select();
}

/** @returns {Promise<{ ids: number[], urls: string[] }>} what is attached once every file given so far is read */
export async function attachedImages() {
  await reading;
  return { ids: attached.map((attachment) => attachment.id), urls: attached.map((attachment) => attachment.url) };
}

/** @param {number[]} ids attachments to take off (e.g. the ones a successful generation sent) */
export function detach(ids) {
  for (const attachment of attached) {
    if (ids.includes(attachment.id) && attachment.preview.startsWith("blob:")) URL.revokeObjectURL(attachment.preview);
  }
  attached = attached.filter((attachment) => !ids.includes(attachment.id));
  render();
}

/**
 * Calls `watcher` with the attachments, image 0 first, now and after every change (the mask brush
 * paints over image 0).
 * @param {(attachments: readonly Attachment[]) => void} watcher
 */
export function watchAttachments(watcher) {
  watchers.push(watcher);
  watcher(attached);
}

/** @param {{ url: string, preview: string }} attachment */
function add(attachment) {
  attached.push({ id: nextId++, ...attachment });
  render();
}

/**
 * @param {string} text "" for the usual hint
 * @param {boolean} refused shown as a problem
 */
function say(text, refused) {
  ui.attachStatus.textContent = text === "" ? HINT : text;
  ui.attachStatus.className = refused ? "hint bad" : "hint";
}

function render() {
  ui.attachments.replaceChildren(...attached.map(previewItem));
  ui.attachments.hidden = attached.length === 0;
  for (const watcher of watchers) watcher(attached);
}

/**
 * @param {Attachment} attachment
 * @param {number} index
 * @returns {HTMLLIElement}
 */
function previewItem(attachment, index) {
  const item = document.createElement("li");
  const picture = document.createElement("img");
  picture.src = attachment.preview;
  picture.alt = ""; // the caption names it
  const caption = document.createElement("span");
  caption.textContent = `image ${index}`;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "remove";
  remove.textContent = "×";
  remove.setAttribute("aria-label", `Remove image ${index}`);
  remove.addEventListener("click", () => {
    detach([attachment.id]);
    say("", false);
    ui.attach.focus(); // the button itself is gone
  });
  item.append(picture, caption, remove);
  return item;
}

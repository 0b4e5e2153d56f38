// @ts-check
/**
 * "This session": the images generated in this tab, newest first, kept in
 * sessionStorage so a reload does not lose them, each with the model that
 * painted it, its seed and a way to edit it further.
 */
import { editImage } from "./attachments.js";
import { modelLabel } from "./models.js";
import { loadSessionImages, rememberSessionImage } from "./storage.js";
import { downloadName, safeImageUrl, seedText, ui } from "./view.js";

/** @param {import("./storage.js").SessionImage} image */
export function addToGallery(image) {
  renderGallery(rememberSessionImage(image));
}

/** @param {import("./storage.js").SessionImage[]} [images] */
export function renderGallery(images = loadSessionImages()) {
  const items = images.flatMap((image) => {
    const url = safeImageUrl(image.url);
    return url === undefined ? [] : [galleryItem(url, image)];
  });
  ui.gallery.replaceChildren(...items);
  ui.galleryEmpty.hidden = items.length > 0;
}

/**
 * @param {string} url checked to be http(s)
 * @param {import("./storage.js").SessionImage} image
 * @returns {HTMLLIElement}
 */
function galleryItem(url, image) {
  const item = document.createElement("li");
  const picture = document.createElement("img");
  picture.loading = "lazy";
  picture.src = url;
  picture.alt = image.prompt;
  const caption = document.createElement("p");
  caption.textContent = image.ratio === "" ? image.prompt : `${image.prompt} · ${image.ratio}`;
  const model = document.createElement("p");
  model.className = "model";
  model.textContent = image.model === "" ? "" : `Model: ${modelLabel(image.model)}`;
  const seed = document.createElement("p");
  seed.className = "seed";
  seed.textContent = seedText(image.seed) ?? "";
  const link = document.createElement("a");
  link.href = url;
  link.download = downloadName(image.prompt);
  link.textContent = "Download";
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "link";
  edit.textContent = "Edit";
  edit.setAttribute("aria-label", `Edit this image: ${image.prompt}`);
  edit.addEventListener("click", () => editImage(url));
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(link, edit);
  // Images expire on the server (IMAGE_EXPIRATION): say so instead of showing a broken picture.
  picture.addEventListener("error", () => {
    item.classList.add("expired");
    link.textContent = "Expired";
    link.removeAttribute("href");
    edit.hidden = true; // the service no longer has it to edit
  });
  const facts = [model, seed].filter((line) => line.textContent !== "");
  item.append(picture, caption, ...facts, actions);
  return item;
}

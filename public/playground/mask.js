// @ts-check
/**
 * The mask brush, for the inpainting model (sd-inpainting): image 0 with a
 * canvas over it, on which the visitor paints what is to be repainted, with a
 * brush size and a Clear button. The canvas has the picture's own pixel size
 * (the JPEG the page made of an attached file, or this service's picture for
 * "Edit this image"), so the mask is exactly the size of the image sent. On
 * Generate it becomes OpenAI's kind of mask: a PNG, fully transparent (alpha 0)
 * where painted and opaque elsewhere, sent as the edit's `mask` part.
 * A new image 0 (the old one removed, or sent) starts a new, empty mask.
 */
import { watchAttachments } from "./attachments.js";
import { ui } from "./view.js";

/** The paint's colour; the canvas is shown see-through (playground.css), so the picture shows under it. */
const PAINT = "#f0529c";

/** Whether the chosen model repaints by a mask. */
let offered = false;
/** @type {{ id: number, preview: string } | undefined} image 0, which the mask is for */
let source;
/** Its picture is loaded and the canvas has its size. */
let ready = false;
let painted = false;
/** @type {{ x: number, y: number } | undefined} where the stroke being drawn is, in the picture's pixels */
let last;

/** Follows image 0 and wires the brush. */
export function listenForMask() {
  watchAttachments((attachments) => {
    const first = attachments[0];
    if (first?.id !== source?.id) load(first);
    render();
  });
  ui.maskImage.addEventListener("load", () => {
    ui.maskCanvas.width = ui.maskImage.naturalWidth;
    ui.maskCanvas.height = ui.maskImage.naturalHeight;
    ready = true;
    painted = false;
    render();
  });
  ui.maskImage.addEventListener("error", () => {
    ready = false;
    render();
  });
  const canvas = ui.maskCanvas;
  canvas.addEventListener("pointerdown", (event) => {
    if (!ready || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = pointAt(event);
    dab(last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (last === undefined) return;
    const point = pointAt(event);
    stroke(last, point);
    last = point;
  });
  for (const type of /** @type {const} */ (["pointerup", "pointercancel", "lostpointercapture"])) {
    canvas.addEventListener(type, () => {
      if (last === undefined) return;
      last = undefined;
      render();
    });
  }
  ui.clearMask.addEventListener("click", () => {
    context()?.clearRect(0, 0, canvas.width, canvas.height);
    painted = false;
    render();
  });
}

/** @param {boolean} on whether the chosen model repaints by a mask (the brush is shown) */
export function offerMask(on) {
  offered = on;
  render();
}

/**
 * The mask for the image about to be sent as image 0.
 * @param {number | undefined} id that attachment's id
 * @returns {Promise<{ mask: Blob } | { problem: string }>} the PNG, or why there is none to send
 */
export async function maskFor(id) {
  if (id === undefined) return { problem: "Attach the picture to repaint first, then paint over what to change." };
  if (source?.id !== id || !ready) return { problem: "Image 0 is still being shown for the brush: try again." };
  if (!painted) return { problem: "Paint over the part of image 0 to repaint first, in Area to repaint above." };
  const { width, height } = ui.maskCanvas;
  const paint = context()?.getImageData(0, 0, width, height).data;
  const out = document.createElement("canvas");
  [out.width, out.height] = [width, height];
  const outContext = out.getContext("2d");
  if (!paint || !outContext) return { problem: "This browser cannot draw the mask." };
  // Opaque black where the picture is kept, fully transparent wherever any paint fell.
  const pixels = new ImageData(width, height);
  for (let alpha = 3; alpha < paint.length; alpha += 4) pixels.data[alpha] = (paint[alpha] ?? 0) > 0 ? 0 : 255;
  outContext.putImageData(pixels, 0, 0);
  /** @type {Promise<Blob | null>} */
  const encoding = new Promise((resolve) => out.toBlob(resolve, "image/png"));
  const blob = await encoding;
  return blob ? { mask: blob } : { problem: "The mask could not be encoded." };
}

/** @param {{ id: number, preview: string } | undefined} first the new image 0 */
function load(first) {
  source = first === undefined ? undefined : { id: first.id, preview: first.preview };
  ready = false;
  painted = false;
  last = undefined;
  if (source === undefined) ui.maskImage.removeAttribute("src");
  else ui.maskImage.src = source.preview;
}

/** @returns {CanvasRenderingContext2D | null} */
function context() {
  return ui.maskCanvas.getContext("2d", { willReadFrequently: true });
}

/**
 * @param {PointerEvent} event
 * @returns {{ x: number, y: number }} where it is on the picture, in its own pixels
 */
function pointAt(event) {
  const box = ui.maskCanvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * ui.maskCanvas.width) / Math.max(1, box.width),
    y: ((event.clientY - box.top) * ui.maskCanvas.height) / Math.max(1, box.height),
  };
}

/** @returns {number} the brush's width in the picture's pixels: the slider is in the page's */
function brushWidth() {
  const shown = ui.maskCanvas.getBoundingClientRect().width;
  return (Number(ui.brushSize.value) * ui.maskCanvas.width) / Math.max(1, shown);
}

/** @param {{ x: number, y: number }} point a round dab of paint, where a stroke starts */
function dab(point) {
  const draw = context();
  if (!draw) return;
  draw.fillStyle = PAINT;
  draw.beginPath();
  draw.arc(point.x, point.y, brushWidth() / 2, 0, 2 * Math.PI);
  draw.fill();
  painted = true;
}

/**
 * @param {{ x: number, y: number }} from
 * @param {{ x: number, y: number }} to
 */
function stroke(from, to) {
  const draw = context();
  if (!draw) return;
  draw.strokeStyle = PAINT;
  draw.lineWidth = brushWidth();
  draw.lineCap = "round";
  draw.lineJoin = "round";
  draw.beginPath();
  draw.moveTo(from.x, from.y);
  draw.lineTo(to.x, to.y);
  draw.stroke();
  painted = true;
}

function render() {
  ui.maskField.hidden = !offered;
  ui.maskEditor.hidden = source === undefined || !ready;
  ui.maskStatus.textContent =
    source === undefined
      ? "Attach the picture to repaint (Attach images, above): the brush then paints over image 0."
      : !ready
        ? "Showing image 0…"
        : painted
          ? "The painted part of image 0 is repainted; the rest is kept."
          : "Paint over the part of image 0 to repaint; the rest is kept.";
}

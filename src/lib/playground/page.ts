/**
 * The playground served at GET /: one self-contained page (inline CSS and JS,
 * nothing from other sites) where a person tries the API in a browser. The
 * server renders everything static, escaped; the script fills in what the API
 * answers. A per-response nonce lets a strict Content-Security-Policy allow
 * exactly this page's own style and script.
 */
import { PLAYGROUND_SCRIPT } from "./script.ts";
import { PLAYGROUND_STYLES } from "./styles.ts";

export interface PlaygroundOptions {
  /** `[route, what it does]`, listed for visitors who want the API itself. */
  endpoints: readonly (readonly [string, string])[];
  /** True when the service runs against the local stand-in (`npm start` without credentials). */
  offline: boolean;
  /** This service's origin, shown as the base URL for OpenAI clients. */
  origin: string;
  /** A fresh random value per response, named in the CSP. */
  nonce: string;
}

/** The ratios the chat endpoint understands as a prompt suffix (see sizes.ts), in picker order. */
const RATIOS = ["1:1", "1:2", "3:2", "3:4", "16:9", "9:16"] as const;

// A small inline icon, so the browser does not ask for /favicon.ico (a 404 from the API).
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Cdefs%3E%3ClinearGradient id='g' x1='0' y1='0' x2='1' y2='1'%3E%3Cstop offset='0' stop-color='%237b61ff'/%3E%3Cstop offset='1' stop-color='%23f0529c'/%3E%3C/linearGradient%3E%3C/defs%3E%3Crect width='32' height='32' rx='8' fill='url(%23g)'/%3E%3C/svg%3E";

/** The Content-Security-Policy for the page: its own nonce'd style and script, same-origin API calls and images. */
export function playgroundCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The whole page as HTML. */
export function playgroundPage(options: PlaygroundOptions): string {
  const nonce = escapeHtml(options.nonce);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Flux API Worker · Playground</title>
<link rel="icon" href="${FAVICON}">
<style nonce="${nonce}">${PLAYGROUND_STYLES}</style>
</head>
<body>
<header class="top">
  <div class="wrap top-inner">
    <div class="brand">
      <span class="logo" aria-hidden="true"></span>
      <div><h1>Flux API Worker</h1><p class="tagline">The service is running · image generation playground</p></div>
    </div>
    <a class="top-link" href="#endpoints">API endpoints</a>
  </div>
</header>
<main class="wrap">
${options.offline ? offlineNotice() : ""}
<div class="layout">
${controlsPanel()}
${outputPanel()}
</div>
${galleryPanel()}
${endpointsPanel(options)}
</main>
<footer>Your API key stays in this browser (localStorage) and is sent only to this site.</footer>
<script nonce="${nonce}">${PLAYGROUND_SCRIPT}</script>
</body>
</html>`;
}

function offlineNotice(): string {
  return `<p class="notice" role="note"><strong>Offline mode:</strong> <span>images come from the local stand-in upstream, not from Flux: they are placeholder pictures. Set CF_ACCOUNT_ID and CF_API_TOKEN for real images.</span></p>`;
}

function controlsPanel(): string {
  const sizes = RATIOS.map(
    (ratio, index) =>
      `<label class="size"><input type="radio" name="size" value="${ratio}"${index === 0 ? " checked" : ""}><span class="size-face"><span class="shape r-${ratio.replace(":", "-")}" aria-hidden="true"></span><span>${ratio}</span></span></label>`,
  ).join("");
  return `<section class="panel" aria-labelledby="controls-title">
  <h2 id="controls-title" class="visually-hidden">Generate an image</h2>
  <form id="generate-form" novalidate>
    <div class="field">
      <label for="api-key">API key</label>
      <div class="key-row">
        <input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="sk-…" aria-describedby="key-status">
        <button type="button" id="toggle-key" class="ghost" aria-controls="api-key" aria-pressed="false">Show</button>
      </div>
      <p id="key-status" class="hint" role="status">Kept in this browser only and sent only to this site.</p>
    </div>
    <div class="field">
      <label for="prompt">Prompt</label>
      <textarea id="prompt" rows="4" placeholder="A lighthouse on a rocky coast at dusk, warm light, sea mist"></textarea>
    </div>
    <fieldset class="field">
      <legend>Size</legend>
      <div class="size-options">${sizes}</div>
    </fieldset>
    <div class="field">
      <label for="model">Model</label>
      <select id="model"><option value="">Server default</option></select>
    </div>
    <button id="generate" type="submit" class="primary">Generate</button>
    <p class="kbd-hint">Ctrl + Enter in the prompt generates too.</p>
  </form>
</section>`;
}

function outputPanel(): string {
  return `<section class="panel" aria-labelledby="output-title">
  <div class="panel-head"><h2 id="output-title">Result</h2><span id="job-state" class="badge">Idle</span></div>
  <div id="error" class="error" role="alert" hidden></div>
  <ol id="progress" class="progress" aria-live="polite" aria-label="Progress"></ol>
  <div id="stage" class="stage">Your image will appear here.</div>
  <figure id="result" class="result" hidden>
    <img id="result-image" alt="">
    <figcaption>
      <ul id="reply" class="reply"></ul>
      <a id="download" class="button secondary" download>Download image</a>
    </figcaption>
  </figure>
</section>`;
}

function galleryPanel(): string {
  return `<section class="panel" aria-labelledby="gallery-title">
  <h2 id="gallery-title">This session</h2>
  <p id="gallery-empty" class="hint">Images you generate in this tab are listed here until you close it.</p>
  <ul id="gallery" class="gallery" aria-label="Images generated in this session"></ul>
</section>`;
}

function endpointsPanel(options: PlaygroundOptions): string {
  const rows = options.endpoints
    .map(([route, what]) => `<dt><code>${escapeHtml(route)}</code></dt><dd>${escapeHtml(what)}</dd>`)
    .join("\n");
  return `<section id="endpoints" class="panel" aria-labelledby="endpoints-title">
  <h2 id="endpoints-title">API endpoints</h2>
  <p class="base-url">OpenAI clients: base URL <code>${escapeHtml(options.origin)}/v1</code>, your API key as the bearer token.</p>
  <dl class="endpoints">
${rows}
  </dl>
</section>`;
}

/**
 * The playground's stylesheet, inlined into the page (nothing is loaded from
 * other sites). Light and dark themes follow the visitor's system setting;
 * one column on phones, two from 880 px.
 */
export const PLAYGROUND_STYLES = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6fa;
  --panel: #ffffff;
  --text: #171a26;
  --muted: #5d6478;
  --line: #e1e4ee;
  --field: #fbfcfe;
  --accent: #5b47e0;
  --accent-strong: #4634c4;
  --accent-soft: #eeebfd;
  --primary: #5b47e0;
  --primary-hover: #4634c4;
  --ok: #13795b;
  --ok-soft: #e3f5ee;
  --bad: #b4232c;
  --bad-soft: #fdecec;
  --warn-soft: #fff6e0;
  --warn-line: #f0d58c;
  --shadow: 0 1px 2px rgba(20, 24, 40, 0.05), 0 6px 24px rgba(20, 24, 40, 0.06);
  --radius: 14px;
  --mono: ui-monospace, "SFMono-Regular", "Cascadia Code", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1117;
    --panel: #181b24;
    --text: #e9ebf2;
    --muted: #9aa1b5;
    --line: #2a2f3d;
    --field: #12151d;
    --accent: #8b7bff;
    --accent-strong: #a193ff;
    --accent-soft: #252142;
    --primary: #6451e6;
    --primary-hover: #7462f0;
    --ok: #4fd1a1;
    --ok-soft: #15302a;
    --bad: #ff7b7b;
    --bad-soft: #3a1c20;
    --warn-soft: #2f2814;
    --warn-line: #6b5a22;
    --shadow: none;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
}
h1, h2, p { margin: 0; }
code { font-family: var(--mono); font-size: 0.9em; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
.wrap { width: 100%; max-width: 1160px; margin: 0 auto; padding: 0 16px; }

.top { background: var(--panel); border-bottom: 1px solid var(--line); }
.top-inner { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding-top: 14px; padding-bottom: 14px; }
.brand { display: flex; align-items: center; gap: 12px; min-width: 0; }
.logo {
  flex: none; width: 36px; height: 36px; border-radius: 10px;
  background: linear-gradient(135deg, #7b61ff 0%, #5b47e0 45%, #f0529c 100%);
  box-shadow: inset 0 0 0 1px rgba(255, 255, 255, 0.25);
}
h1 { font-size: 18px; line-height: 1.2; letter-spacing: -0.01em; }
.tagline { color: var(--muted); font-size: 13px; }
.top-link { color: var(--muted); font-size: 14px; text-decoration: none; white-space: nowrap; }
.top-link:hover { color: var(--accent); }

main.wrap { padding-top: 20px; padding-bottom: 40px; display: grid; gap: 20px; }
.notice {
  display: flex; gap: 10px; align-items: flex-start;
  background: var(--warn-soft); border: 1px solid var(--warn-line); border-radius: var(--radius);
  padding: 12px 16px; font-size: 14px;
}
.notice strong { white-space: nowrap; }
.layout { display: grid; gap: 20px; align-items: start; }
@media (min-width: 880px) { .layout { grid-template-columns: 380px minmax(0, 1fr); } }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 20px; min-width: 0;
}
.panel h2 { font-size: 16px; letter-spacing: -0.01em; }
.panel-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-bottom: 14px; }

form { display: grid; gap: 18px; }
.field { display: grid; gap: 6px; min-width: 0; border: 0; margin: 0; padding: 0; }
label, legend { font-weight: 600; font-size: 14px; padding: 0; }
input[type="password"], input[type="text"], textarea, select {
  width: 100%; min-width: 0; font: inherit; color: inherit;
  background: var(--field); border: 1px solid var(--line); border-radius: 10px; padding: 9px 12px;
}
textarea { resize: vertical; min-height: 104px; }
input:focus-visible, textarea:focus-visible, select:focus-visible, button:focus-visible, a:focus-visible,
.size input:focus-visible + .size-face {
  outline: 2px solid var(--accent); outline-offset: 2px;
}
input[aria-invalid="true"] { border-color: var(--bad); }
.key-row { display: flex; gap: 8px; }
.hint { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.hint.ok { color: var(--ok); }
.hint.bad { color: var(--bad); font-weight: 600; }

.size-options { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 6px; margin-top: 6px; }
.size { position: relative; font-weight: 500; cursor: pointer; }
.size input { position: absolute; opacity: 0; width: 100%; height: 100%; margin: 0; cursor: pointer; }
.size-face {
  display: grid; justify-items: center; gap: 6px; padding: 10px 2px 8px;
  border: 1px solid var(--line); border-radius: 10px; background: var(--field); font-size: 12px;
}
.size input:checked + .size-face { border-color: var(--accent); background: var(--accent-soft); color: var(--accent-strong); font-weight: 700; }
.shape { display: grid; place-items: center; width: 22px; height: 22px; }
.shape::before { content: ""; display: block; border: 1.5px solid currentColor; border-radius: 3px; }
.r-1-1::before { width: 18px; height: 18px; }
.r-1-2::before { width: 11px; height: 22px; }
.r-3-2::before { width: 21px; height: 14px; }
.r-3-4::before { width: 15px; height: 20px; }
.r-16-9::before { width: 22px; height: 12.5px; }
.r-9-16::before { width: 12.5px; height: 22px; }

button, .button {
  display: inline-flex; align-items: center; justify-content: center; gap: 8px;
  font: inherit; font-weight: 600; border-radius: 10px; padding: 9px 14px; cursor: pointer;
  border: 1px solid var(--line); background: var(--panel); color: var(--text); text-decoration: none;
}
button:disabled { cursor: progress; opacity: 0.7; }
.primary { background: var(--primary); border-color: var(--primary); color: #fff; padding: 12px 16px; font-size: 16px; }
.primary:hover:not(:disabled) { background: var(--primary-hover); border-color: var(--primary-hover); }
.ghost { flex: none; color: var(--muted); }
.button.secondary { color: var(--accent-strong); border-color: var(--accent); }
.kbd-hint { color: var(--muted); font-size: 12px; text-align: center; margin-top: -8px; }

.badge {
  display: inline-flex; align-items: center; gap: 6px; font-size: 12px; font-weight: 600;
  padding: 3px 10px; border-radius: 999px; background: var(--bg); color: var(--muted); border: 1px solid var(--line);
}
.badge.working { color: var(--accent-strong); background: var(--accent-soft); border-color: transparent; }
.badge.done { color: var(--ok); background: var(--ok-soft); border-color: transparent; }
.badge.failed { color: var(--bad); background: var(--bad-soft); border-color: transparent; }
.badge.working::before {
  content: ""; width: 10px; height: 10px; border-radius: 50%;
  border: 2px solid currentColor; border-right-color: transparent; animation: spin 0.8s linear infinite;
}
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .badge.working::before { animation: none; } }

.error {
  background: var(--bad-soft); color: var(--bad); border-radius: 10px; padding: 12px 14px;
  font-weight: 600; margin-bottom: 14px; overflow-wrap: anywhere;
}
.progress { list-style: none; margin: 0 0 14px; padding: 0; display: grid; gap: 4px; font-size: 13px; }
.progress li { display: flex; gap: 10px; color: var(--muted); overflow-wrap: anywhere; min-width: 0; }
.progress li:last-child { color: var(--text); }
.progress time { flex: none; font-family: var(--mono); font-size: 12px; opacity: 0.8; padding-top: 1px; }
.stage {
  display: grid; place-items: center; min-height: 260px; border-radius: 12px;
  background: var(--bg); border: 1px dashed var(--line); color: var(--muted); text-align: center; padding: 24px;
}
.result { margin: 0; display: grid; gap: 12px; }
.result img {
  display: block; width: 100%; height: auto; max-height: 70vh; object-fit: contain;
  border-radius: 12px; background: var(--bg);
}
.result figcaption { display: flex; flex-wrap: wrap; align-items: flex-start; justify-content: space-between; gap: 12px; }
.reply { margin: 0; padding: 0; list-style: none; display: grid; gap: 2px; font-size: 13px; color: var(--muted); min-width: 0; flex: 1 1 240px; overflow-wrap: anywhere; }
.reply li:first-child { color: var(--text); font-weight: 600; }

.gallery { list-style: none; margin: 14px 0 0; padding: 0; display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); }
.gallery li { display: grid; gap: 6px; min-width: 0; }
.gallery img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 10px; background: var(--bg); border: 1px solid var(--line); }
.gallery .expired img { visibility: hidden; }
.gallery p { font-size: 12px; color: var(--muted); overflow: hidden; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow-wrap: anywhere; }
.gallery a { font-size: 12px; font-weight: 600; color: var(--accent-strong); text-decoration: none; }
.gallery a:hover, .top-link:hover { text-decoration: underline; }

.endpoints { margin: 14px 0 0; display: grid; grid-template-columns: minmax(0, auto) minmax(0, 1fr); gap: 8px 20px; font-size: 14px; }
.endpoints dt { white-space: nowrap; }
.endpoints dd { margin: 0; color: var(--muted); }
.endpoints code, .base-url code { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 1px 6px; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  .endpoints { grid-template-columns: minmax(0, 1fr); gap: 2px; }
  .endpoints dd { margin-bottom: 8px; }
  .endpoints dt { white-space: normal; }
  .size-options { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .panel { padding: 16px; }
  .notice { display: block; }
  .kbd-hint { display: none; }
}
.base-url { margin-top: 6px; color: var(--muted); font-size: 14px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 16px 28px; }
`;

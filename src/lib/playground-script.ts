/**
 * The playground's browser script, inlined into the page. It is plain JS kept
 * verbatim by String.raw (no backticks and no "${" inside, so nothing is
 * interpolated). It talks only to this origin, and puts every text the API
 * returns into the page with textContent, never as HTML.
 */
export const PLAYGROUND_SCRIPT = String.raw`
"use strict";
(function () {
  // Storage names, prefixed so they never clash with another app on the same origin.
  const API_KEY_STORAGE = "flux-api-worker.playground.api-key"; // localStorage: survives restarts
  const SESSION_IMAGES_STORAGE = "flux-api-worker.playground.session-images"; // sessionStorage: this tab only
  const IN_FLIGHT_STORAGE = "flux-api-worker.playground.in-flight"; // sessionStorage: a generation to resume after a reload
  const MODEL_PREFIX = "@cf/black-forest-labs/";
  // A dropped event stream is reopened from the last event seen, this many times at most.
  const MAX_RESUME_ATTEMPTS = 3;

  const byId = (id) => document.getElementById(id);
  const ui = {
    form: byId("generate-form"),
    apiKey: byId("api-key"),
    toggleKey: byId("toggle-key"),
    keyStatus: byId("key-status"),
    prompt: byId("prompt"),
    model: byId("model"),
    generate: byId("generate"),
    state: byId("job-state"),
    error: byId("error"),
    progress: byId("progress"),
    stage: byId("stage"),
    result: byId("result"),
    resultImage: byId("result-image"),
    reply: byId("reply"),
    download: byId("download"),
    gallery: byId("gallery"),
    galleryEmpty: byId("gallery-empty"),
  };

  // ---- storage (may be unavailable, e.g. with site data blocked: the page still works without it)

  // The area is named, not passed: merely touching window.sessionStorage throws when storage is blocked.
  function readJson(area, name, fallback) {
    try {
      const raw = window[area].getItem(name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  function writeJson(area, name, value) {
    try {
      if (value === null) window[area].removeItem(name);
      else window[area].setItem(name, JSON.stringify(value));
    } catch (error) {
      // storage full or blocked: nothing to keep
    }
  }

  // ---- talking to the API (same origin only: every URL below is a path)

  function authHeaders() {
    return { authorization: "Bearer " + ui.apiKey.value.trim() };
  }

  /** The API's own error message ({ error: { message } }), or the HTTP status when there is none. */
  async function readApiError(response) {
    let message = "The service answered HTTP " + response.status + ".";
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") message = body.error.message;
    } catch (error) {
      // not JSON: keep the status line
    }
    return { status: response.status, message: message };
  }

  function explainApiError(apiError) {
    if (apiError.status === 401) return "The API key was refused: " + apiError.message;
    if (apiError.status === 429) return "Too many requests: " + apiError.message;
    return "Generation failed: " + apiError.message;
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return undefined;
    }
  }

  /**
   * Reads a server-sent events body, calling onEvent({ id, event, data }) per
   * event; onEvent returns false to stop reading.
   */
  async function readSse(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    let current = { id: "", event: "", data: [] };
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      buffered += decoder.decode(chunk.value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, "");
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        if (line === "") {
          if (current.data.length > 0 && onEvent({ id: current.id, event: current.event, data: current.data.join("\n") }) === false) {
            await reader.cancel().catch(() => undefined);
            return;
          }
          current = { id: current.id, event: "", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue; // a keepalive comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") current.data.push(value);
        else if (field === "id") current.id = value;
        else if (field === "event") current.event = value;
      }
    }
  }

  // ---- API key and models

  function setKeyStatus(kind, text) {
    ui.keyStatus.className = "hint" + (kind ? " " + kind : "");
    ui.keyStatus.textContent = text;
    ui.apiKey.setAttribute("aria-invalid", kind === "bad" ? "true" : "false");
  }

  function modelLabel(id) {
    return id.startsWith(MODEL_PREFIX) ? id.slice(MODEL_PREFIX.length) : id;
  }

  function fillModels(ids) {
    const chosen = ui.model.value;
    // "Server default" stays first: it sends no model, so the operator's DEFAULT_MODEL applies.
    const serverDefault = document.createElement("option");
    serverDefault.value = "";
    serverDefault.textContent = "Server default";
    ui.model.replaceChildren(serverDefault);
    for (const id of ids) {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = modelLabel(id);
      ui.model.append(option);
    }
    if (ids.includes(chosen)) ui.model.value = chosen;
  }

  let keyCheck = 0;
  /** Saves the key and asks GET /v1/models with it, which both checks it and fills the model picker. */
  async function checkKey() {
    const key = ui.apiKey.value.trim();
    try {
      if (key === "") localStorage.removeItem(API_KEY_STORAGE);
      else localStorage.setItem(API_KEY_STORAGE, key);
    } catch (error) {
      // not persisted; it still works for this page
    }
    const ticket = ++keyCheck;
    if (key === "") {
      setKeyStatus("", "Kept in this browser only and sent only to this site.");
      return;
    }
    setKeyStatus("", "Checking the key…");
    let response;
    try {
      response = await fetch("/v1/models", { headers: authHeaders() });
    } catch (error) {
      if (ticket === keyCheck) setKeyStatus("bad", "Could not reach the service to check the key.");
      return;
    }
    if (ticket !== keyCheck) return; // the key changed meanwhile
    if (!response.ok) {
      const apiError = await readApiError(response);
      setKeyStatus("bad", response.status === 401 ? "This key was refused: " + apiError.message : "Could not list the models: " + apiError.message);
      return;
    }
    const body = await response.json().catch(() => ({}));
    const ids = Array.isArray(body.data) ? body.data.map((model) => model && model.id).filter((id) => typeof id === "string") : [];
    if (ids.length > 0) fillModels(ids);
    setKeyStatus("ok", "Key accepted · " + ids.length + " models available.");
  }

  let keyTimer = 0;
  ui.apiKey.addEventListener("input", () => {
    clearTimeout(keyTimer);
    keyTimer = setTimeout(checkKey, 400);
  });
  ui.apiKey.addEventListener("change", () => {
    clearTimeout(keyTimer);
    checkKey();
  });
  ui.toggleKey.addEventListener("click", () => {
    const show = ui.apiKey.type === "password";
    ui.apiKey.type = show ? "text" : "password";
    ui.toggleKey.textContent = show ? "Hide" : "Show";
    ui.toggleKey.setAttribute("aria-pressed", String(show));
  });

  // ---- what the visitor sees of a run

  function setState(kind, text) {
    ui.state.className = "badge" + (kind ? " " + kind : "");
    ui.state.textContent = text;
  }

  function showError(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
  }

  function addProgressLine(run, text, at) {
    const line = text.trim();
    if (line === "") return;
    run.lines.push({ text: line, at: at || Date.now() });
    renderProgressLine(run.lines[run.lines.length - 1]);
  }

  function renderProgressLine(line) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    const when = new Date(line.at);
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const text = document.createElement("span");
    text.textContent = line.text;
    item.append(time, text);
    ui.progress.append(item);
  }

  function beginRun(run) {
    ui.error.hidden = true;
    ui.result.hidden = true;
    ui.stage.hidden = false;
    ui.stage.textContent = "Working on it…";
    ui.progress.replaceChildren();
    for (const line of run.lines) renderProgressLine(line);
    ui.generate.disabled = true;
    ui.generate.textContent = "Generating…";
    // On a phone the result panel sits below the form: bring it into view.
    if (window.matchMedia("(max-width: 879px)").matches) ui.state.closest("section").scrollIntoView({ block: "start" });
    setState("working", "Generating");
  }

  function endRun() {
    ui.generate.disabled = false;
    ui.generate.textContent = "Generate";
  }

  function failRun(text) {
    writeJson("sessionStorage", IN_FLIGHT_STORAGE, null);
    ui.stage.textContent = "No image this time.";
    setState("failed", "Failed");
    showError(text);
    endRun();
  }

  /** Only http(s) links are shown; anything else from the server is ignored. */
  function safeImageUrl(text) {
    try {
      const url = new URL(text, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
    } catch (error) {
      return undefined;
    }
  }

  function downloadName(prompt) {
    const slug = prompt.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
    return "flux-" + (slug || "image");
  }

  function succeedRun(run, image) {
    writeJson("sessionStorage", IN_FLIGHT_STORAGE, null);
    ui.resultImage.src = image.url;
    ui.resultImage.alt = run.prompt;
    ui.download.href = image.url;
    ui.download.download = downloadName(run.prompt);
    ui.reply.replaceChildren();
    for (const text of image.details) {
      const item = document.createElement("li");
      item.textContent = text;
      ui.reply.append(item);
    }
    ui.stage.hidden = true;
    ui.result.hidden = false;
    setState("done", "Done");
    endRun();
    rememberImage({ url: image.url, prompt: run.prompt, ratio: run.ratio, model: run.model, at: Date.now() });
  }

  // ---- this session's images

  function sessionImages() {
    const images = readJson("sessionStorage", SESSION_IMAGES_STORAGE, []);
    return Array.isArray(images) ? images.filter((entry) => entry && safeImageUrl(entry.url)) : [];
  }

  function rememberImage(entry) {
    const images = sessionImages();
    images.unshift(entry);
    writeJson("sessionStorage", SESSION_IMAGES_STORAGE, images.slice(0, 50));
    renderGallery();
  }

  function renderGallery() {
    const images = sessionImages();
    ui.gallery.replaceChildren();
    ui.galleryEmpty.hidden = images.length > 0;
    for (const entry of images) {
      const item = document.createElement("li");
      const url = safeImageUrl(entry.url);
      const image = document.createElement("img");
      image.loading = "lazy";
      image.src = url;
      image.alt = String(entry.prompt || "");
      const caption = document.createElement("p");
      caption.textContent = String(entry.prompt || "") + (entry.ratio ? " · " + entry.ratio : "");
      const link = document.createElement("a");
      link.href = url;
      link.download = downloadName(String(entry.prompt || ""));
      link.textContent = "Download";
      // Images expire on the server (IMAGE_EXPIRATION); say so instead of showing a broken picture.
      image.addEventListener("error", () => {
        item.classList.add("expired");
        link.textContent = "Expired";
        link.removeAttribute("href");
      });
      item.append(image, caption, link);
      ui.gallery.append(item);
    }
  }

  // ---- generating: chat completions stream, then (after a reload or a dropped stream) the job's events

  function saveInFlight(run) {
    if (run.jobId) writeJson("sessionStorage", IN_FLIGHT_STORAGE, run);
  }

  /** The first markdown image in the reply, and the reply's other lines as details. */
  function imageInReply(markdown) {
    const match = /!\[[^\]]*\]\(([^)\s]+)\)/.exec(markdown);
    const url = match ? safeImageUrl(match[1]) : undefined;
    if (!url) return undefined;
    // The chat reply's lines start with emoji for chat apps; the page shows the words alone.
    const details = markdown
      .replace(match[0], "")
      .split("\n")
      .map((line) => line.replace(/^[^\p{L}\p{N}]+/u, "").trim())
      .filter((line) => line !== "");
    return { url: url, details: details };
  }

  async function generate() {
    const prompt = ui.prompt.value.trim();
    if (ui.apiKey.value.trim() === "") {
      showError("Enter your API key first.");
      ui.apiKey.focus();
      return;
    }
    if (prompt === "") {
      showError("Describe the image you want first.");
      ui.prompt.focus();
      return;
    }
    const checked = ui.form.querySelector("input[name=size]:checked");
    const run = { jobId: "", prompt: prompt, ratio: checked ? checked.value : "1:1", model: ui.model.value, lastEventId: 0, lines: [] };
    beginRun(run);
    let response;
    try {
      response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: Object.assign({ "content-type": "application/json" }, authHeaders()),
        // The chat endpoint takes the size as a ratio after the prompt.
        body: JSON.stringify({ model: run.model || undefined, stream: true, messages: [{ role: "user", content: run.prompt + " " + run.ratio }] }),
      });
    } catch (error) {
      failRun("Could not reach the service: " + error.message);
      return;
    }
    if (!response.ok) {
      failRun(explainApiError(await readApiError(response)));
      return;
    }
    run.jobId = response.headers.get("x-job-id") || "";
    saveInFlight(run);
    let image;
    let failure;
    // Content without an image is a progress line (PROGRESS_MODE=content) or, just before an error,
    // the reply's failure sentence; it is held until the next text shows which, so a failure is said once.
    let heldContent = "";
    const showText = (text, asContent) => {
      if (heldContent !== "") addProgressLine(run, heldContent);
      heldContent = "";
      const found = asContent ? imageInReply(text) : undefined;
      if (!asContent) addProgressLine(run, text);
      else if (found) image = found;
      else heldContent = text;
    };
    try {
      await readSse(response, (event) => {
        if (event.data === "[DONE]") return false;
        const chunk = parseJson(event.data);
        if (!chunk) return true;
        if (chunk.error) {
          failure = chunk.error;
          return true;
        }
        if (!run.jobId && typeof chunk.id === "string" && chunk.id.startsWith("chatcmpl-")) {
          run.jobId = chunk.id.slice("chatcmpl-".length);
        }
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (!delta) return true;
        if (typeof delta.reasoning_content === "string" && delta.reasoning_content !== "") showText(delta.reasoning_content, false);
        if (typeof delta.content === "string" && delta.content !== "") showText(delta.content, true);
        saveInFlight(run);
        return true;
      });
    } catch (error) {
      // the stream broke off; the job runs on, so follow its events below
    }
    if (failure) failRun("Generation failed: " + String(failure.message));
    else if (image) succeedRun(run, image);
    else if (run.jobId) await followJob(run);
    else failRun("The generation ended without an image.");
  }

  /** Follows a job's events (GET /v1/jobs/:id/events), resuming after the last one seen. */
  async function followJob(run) {
    // Events before the first one we saw by id are replayed, so start the list afresh.
    if (run.lastEventId === 0) run.lines = [];
    beginRun(run);
    for (let attempt = 1; attempt <= MAX_RESUME_ATTEMPTS; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt)); // let a blip pass
      const headers = authHeaders();
      if (run.lastEventId > 0) headers["last-event-id"] = String(run.lastEventId);
      let response;
      try {
        response = await fetch("/v1/jobs/" + encodeURIComponent(run.jobId) + "/events", { headers: headers });
      } catch (error) {
        continue;
      }
      if (!response.ok) {
        const apiError = await readApiError(response);
        if (apiError.status === 404) failRun("That generation is no longer available: " + apiError.message);
        else failRun(explainApiError(apiError));
        return;
      }
      let outcome;
      try {
        await readSse(response, (event) => {
          const jobEvent = parseJson(event.data);
          if (!jobEvent) return true;
          if (typeof jobEvent.id === "number") run.lastEventId = jobEvent.id;
          if (jobEvent.result || jobEvent.failure) {
            outcome = jobEvent;
            return false;
          }
          if (typeof jobEvent.message === "string") addProgressLine(run, jobEvent.message, jobEvent.at);
          saveInFlight(run);
          return true;
        });
      } catch (error) {
        // dropped: reopen after the last event seen
      }
      if (outcome && outcome.failure) {
        const error = outcome.failure.error;
        failRun("Generation failed: " + (error && typeof error.message === "string" ? error.message : "the service gave no reason."));
        return;
      }
      if (outcome && outcome.result) {
        const first = Array.isArray(outcome.result.images) ? outcome.result.images[0] : undefined;
        const url = first ? safeImageUrl(first.url) : undefined;
        if (!url) {
          failRun("The generation finished without an image link.");
          return;
        }
        const details = ["Prompt used: " + outcome.result.promptUsed, "Size: " + first.width + "×" + first.height, "Model: " + modelLabel(String(outcome.result.model))];
        succeedRun(run, { url: url, details: details });
        return;
      }
    }
    failRun("Lost the connection to the generation. Reload the page to try following it again.");
    saveInFlight(run); // kept, so a reload can still pick it up
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!ui.generate.disabled) generate();
  });
  ui.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) ui.form.requestSubmit();
  });

  // ---- start: restore the key, the session's images and any generation a reload interrupted

  try {
    ui.apiKey.value = localStorage.getItem(API_KEY_STORAGE) || "";
  } catch (error) {
    // no storage: the visitor types the key each time
  }
  if (ui.apiKey.value !== "") checkKey();
  renderGallery();
  const interrupted = readJson("sessionStorage", IN_FLIGHT_STORAGE, null);
  if (interrupted && typeof interrupted.jobId === "string" && /^[0-9a-f]+$/.test(interrupted.jobId)) {
    ui.prompt.value = String(interrupted.prompt || "");
    for (const option of ui.form.querySelectorAll("input[name=size]")) option.checked = option.value === interrupted.ratio;
    const run = {
      jobId: interrupted.jobId,
      prompt: String(interrupted.prompt || ""),
      ratio: String(interrupted.ratio || ""),
      model: String(interrupted.model || ""),
      lastEventId: Number(interrupted.lastEventId) || 0,
      lines: Array.isArray(interrupted.lines) ? interrupted.lines.filter((line) => line && typeof line.text === "string") : [],
    };
    followJob(run);
  }
})();
`;

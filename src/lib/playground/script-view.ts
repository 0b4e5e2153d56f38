/**
 * The playground script's view: the key and model pickers, what the visitor
 * sees of a run (progress, image, errors), and this session's images. Every
 * text from the API goes in with textContent. Spliced into the one page script
 * by script.ts; plain JS kept verbatim by String.raw.
 */
export const PLAYGROUND_VIEW_PART = String.raw`
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

`;

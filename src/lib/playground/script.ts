/**
 * The playground's browser script, inlined into the page. It is plain JS kept
 * verbatim by String.raw (no backticks and no "${" inside, so nothing is
 * interpolated). It talks only to this origin, and puts every text the API
 * returns into the page with textContent, never as HTML.
 */
import { PLAYGROUND_API_PART } from "./script-api.ts";
import { PLAYGROUND_VIEW_PART } from "./script-view.ts";

/** The opening: strict mode, one function scope, the storage names and the page's elements. */
const OPENING = String.raw`
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

`;

/** Generating (the chat stream, or the job's events after a reload) and start-up; closes the scope. */
const GENERATE_PART = String.raw`
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

/** The whole script: its parts share one function scope, in this order. */
export const PLAYGROUND_SCRIPT = [OPENING, PLAYGROUND_API_PART, PLAYGROUND_VIEW_PART, GENERATE_PART].join("\n");

/**
 * The playground script's storage and API helpers (same origin only): key and
 * session storage, auth headers, API errors, and an SSE reader. Spliced into
 * the one page script by script.ts; plain JS kept verbatim by
 * String.raw (no backticks and no "${" inside).
 */
export const PLAYGROUND_API_PART = String.raw`
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

`;

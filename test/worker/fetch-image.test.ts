import { describe, expect, inject, it } from "vitest";
import type { ApiError } from "../../src/lib/http/errors.ts";
import { fetchImage, type FetchImageOptions } from "../../src/lib/images/fetch-image.ts";
import "../support/provided-context.ts";
import { apiErrorOf } from "./helpers.ts";

const IMAGE_SERVER = inject("imageServerUrl");
const PARAM = "messages[1].content[2].image_url.url";
const MB = 1024 * 1024;

/**
 * The tests' only way to the image server: https://images.test/… goes to it, and every URL asked
 * for is recorded in `calls`. Anything else fails as a network error would, so a URL that should
 * have been refused shows up in `calls` rather than reaching the machine.
 */
function viaImageServer(calls: string[] = []): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    calls.push(url.href);
    if (url.origin !== "https://images.test") throw new TypeError(`the test fetch only reaches images.test`);
    return fetch(`${IMAGE_SERVER}${url.pathname}${url.search}`, init);
  };
}

function download(path: string, options: FetchImageOptions = {}) {
  return fetchImage(`https://images.test${path}`, PARAM, { fetch: viaImageServer(), ...options });
}

/** The ApiError a download failed with (the test fails if it succeeded or threw something else). */
async function failureOf(download: Promise<unknown>): Promise<ApiError> {
  const error = await apiErrorOf(download);
  expect(error.status).toBe(400);
  expect(error.type).toBe("invalid_request_error");
  expect(error.param).toBe(PARAM);
  return error;
}

async function sentRecord(id: string): Promise<{ bytes: number; finished: boolean; closed: boolean }> {
  const response = await fetch(`${IMAGE_SERVER}/sent?id=${id}`);
  return response.json();
}

/** Asks the image server until the tracked response's connection is gone (or 5 s pass). */
async function whenClosed(id: string): Promise<{ bytes: number; finished: boolean; closed: boolean }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const record = await sentRecord(id);
    if (record.closed || Date.now() > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("downloading a reference image", () => {
  it.each([
    ["/image.jpg", "image/jpeg", 40, 30],
    ["/image.png", "image/png", 24, 16],
    ["/image.webp", "image/webp", 20, 10],
  ])("gets %s with its type and true size", async (path, contentType, width, height) => {
    const image = await download(path);
    expect(image).toMatchObject({ contentType, width, height });
    const served = new Uint8Array(await (await fetch(`${IMAGE_SERVER}${path}`)).arrayBuffer());
    expect(image.bytes).toEqual(served);
  });

  it("trusts the bytes, not the server: a JPEG served as image/png is a JPEG", async () => {
    expect(await download("/mislabelled.png")).toMatchObject({ contentType: "image/jpeg", width: 40, height: 30 });
  });

  it("refuses a web page served in place of the image, saying what it got", async () => {
    const error = await failureOf(download("/page.html"));
    expect(error.code).toBe("invalid_image");
    expect(error.message).toBe(
      `Cannot use the image at ${PARAM}: the URL does not hold a JPEG, PNG or WebP image (the server called it text/html). Link the image file itself, not a page that shows it, or attach the image itself instead (as a data: URL).`,
    );
  });

  it.each([404, 403, 500])("names the status when the server answers %i", async (status) => {
    const error = await failureOf(download(`/status?code=${status}`));
    expect(error.code).toBe("image_url_unreachable");
    expect(error.message).toContain(`the server answered HTTP ${status}.`);
  });

  it("reports a server that cannot be reached", async () => {
    const unreachable: typeof fetch = () => Promise.reject(new TypeError("Network connection lost."));
    const error = await failureOf(fetchImage("https://images.test/image.jpg", PARAM, { fetch: unreachable }));
    expect(error.code).toBe("image_url_unreachable");
    expect(error.message).toContain("the server could not be reached");
    expect(error.message).not.toContain("TypeError");
  });
});

describe("URLs that are never fetched", () => {
  it.each([
    ["http://images.test/image.jpg", "only https: URLs can be downloaded, not http: ones"],
    ["https://user:secret@images.test/image.jpg", "URLs with a user name or password are not downloaded"],
    ["https://localhost/image.jpg", "localhost is a local host name, not a public one"],
    ["https://2130706433/image.jpg", "127.0.0.1 is not a public address"],
    ["https://[::1]/image.jpg", "[::1] is not a public address"],
  ])("refuses %s without a request", async (url, problem) => {
    const calls: string[] = [];
    const error = await failureOf(fetchImage(url, PARAM, { fetch: viaImageServer(calls) }));
    expect(error.code).toBe("invalid_image_url");
    expect(error.message).toBe(
      `Cannot use the image at ${PARAM}: ${problem}. Use a public https URL, or attach the image itself instead (as a data: URL).`,
    );
    expect(calls).toEqual([]);
  });
});

describe("redirects", () => {
  it("follows up to three, relative ones included", async () => {
    const calls: string[] = [];
    const image = await download("/redirect?hops=3", { fetch: viaImageServer(calls) });
    expect(image.contentType).toBe("image/jpeg");
    expect(calls).toEqual([
      "https://images.test/redirect?hops=3",
      "https://images.test/redirect?hops=2",
      "https://images.test/redirect?hops=1",
      "https://images.test/redirect?hops=0",
    ]);
  });

  it("follows an absolute redirect", async () => {
    const location = encodeURIComponent("https://images.test/image.png");
    expect((await download(`/redirect-to?location=${location}`)).contentType).toBe("image/png");
  });

  it("gives up after the third, without asking for the fourth target", async () => {
    const calls: string[] = [];
    const error = await failureOf(download("/redirect?hops=4", { fetch: viaImageServer(calls) }));
    expect(error.code).toBe("image_url_unreachable");
    expect(error.message).toContain("it redirects more than 3 times. Use the image's final URL");
    expect(calls).toHaveLength(4);
  });

  it("follows as many as maxRedirects says", async () => {
    expect((await download("/redirect?hops=1", { maxRedirects: 1 })).contentType).toBe("image/jpeg");
    expect((await failureOf(download("/redirect?hops=1", { maxRedirects: 0 }))).code).toBe("image_url_unreachable");
  });

  it.each([
    ["http://127.0.0.1/admin", "only https: URLs can be downloaded, not http: ones"],
    ["https://127.0.0.1/admin", "127.0.0.1 is not a public address"],
    ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"],
    ["https://localhost:8787/v1/images", "localhost is a local host name, not a public one"],
    ["https://[::ffff:10.0.0.1]/", "[::ffff:a00:1] is not a public address"],
    ["http://images.test/image.jpg", "only https: URLs can be downloaded, not http: ones"],
  ])("never follows one to %s", async (location, problem) => {
    const calls: string[] = [];
    const path = `/redirect-to?location=${encodeURIComponent(location)}`;
    const error = await failureOf(download(path, { fetch: viaImageServer(calls) }));
    expect(error.code).toBe("invalid_image_url");
    expect(error.message).toBe(
      `Cannot use the image at ${PARAM}: it redirects to a URL that cannot be downloaded: ${problem}. Use a public https URL, or attach the image itself instead (as a data: URL).`,
    );
    expect(calls).toEqual([`https://images.test${path}`]);
  });
});

describe("slow servers", () => {
  it("gives up on a server that does not answer in time", async () => {
    const started = Date.now();
    const error = await failureOf(download("/slow", { timeoutMs: 300 }));
    expect(error.code).toBe("image_url_timeout");
    expect(error.message).toBe(
      `Cannot use the image at ${PARAM}: the server did not send the image within 0.3 s. Try again, or attach the image itself instead (as a data: URL).`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("gives up on an image that stops arriving halfway", async () => {
    const started = Date.now();
    const error = await failureOf(download("/stalls.jpg", { timeoutMs: 300 }));
    expect(error.code).toBe("image_url_timeout");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("counts redirects against the same deadline", async () => {
    const location = encodeURIComponent("https://images.test/slow");
    const error = await failureOf(download(`/redirect-to?location=${location}`, { timeoutMs: 300 }));
    expect(error.code).toBe("image_url_timeout");
  });
});

describe("images that are too large", () => {
  it("stops reading a body without a length as soon as it passes 20 MB, and hangs up", async () => {
    const id = crypto.randomUUID();
    const error = await failureOf(download(`/huge-stream?id=${id}`));
    expect(error.code).toBe("image_too_large");
    expect(error.message).toBe(
      `Cannot use the image at ${PARAM}: it is larger than 20 MB. Use a smaller JPEG, PNG or WebP image (fewer pixels or stronger compression).`,
    );
    // The server saw the connection close with most of its 200 MB unsent.
    const record = await whenClosed(id);
    expect(record).toMatchObject({ closed: true, finished: false });
    expect(record.bytes).toBeGreaterThan(20 * MB);
    expect(record.bytes).toBeLessThan(100 * MB);
  });

  it("refuses a declared length over 20 MB before reading the body", async () => {
    const id = crypto.randomUUID();
    // The server sends 64 KiB of its declared 50 MB and waits: only the declared length can end this before the deadline.
    const error = await failureOf(download(`/huge-declared?id=${id}`, { timeoutMs: 5000 }));
    expect(error.code).toBe("image_too_large");
    expect(await whenClosed(id)).toMatchObject({ closed: true, finished: false, bytes: 64 * 1024 });
  });

  it("applies a smaller maxBytes, stating it", async () => {
    const error = await failureOf(download("/image.jpg", { maxBytes: 100 }));
    expect(error.code).toBe("image_too_large");
    expect(error.message).toContain("it is larger than 100 bytes.");
  });
});

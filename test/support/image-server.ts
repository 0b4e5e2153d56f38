// A local web server for the reference-image download tests: real images, and each way a
// server on the internet can disappoint (an HTML page, error statuses, silence, redirect chains,
// a redirect into the private network, bodies too large). The workerd tests reach it only
// through the test fetch they pass to fetchImage, which maps https://images.test to it.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { jpegFile, pngFile, webpFile, type Colour } from "./image-files.ts";

export interface ImageServer {
  url: string;
  close: () => Promise<void>;
}

/** What the server sent on one tracked streaming response (`?id=`), for `/sent?id=`. */
export interface SentRecord {
  bytes: number;
  /** The whole body went out. */
  finished: boolean;
  /** The connection is gone: the client finished or hung up. */
  closed: boolean;
}

const COLOUR: Colour = [200, 40, 120];
export const IMAGES = {
  jpeg: { bytes: jpegFile(40, 30, COLOUR), width: 40, height: 30 },
  png: { bytes: pngFile(24, 16, COLOUR), width: 24, height: 16 },
  webp: { bytes: webpFile(20, 10, COLOUR), width: 20, height: 10 },
};
/** Far past the 20 MB limit and past what socket buffers hold, so only a client that hangs up stops it early. */
export const HUGE_BODY_BYTES = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x41);
const SLOW_ANSWER_MS = 15_000;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export async function startImageServer(): Promise<ImageServer> {
  const sent = new Map<string, SentRecord>();

  const routes: Record<string, Handler> = {
    "/image.jpg": (_req, res) => sendImage(res, "image/jpeg", IMAGES.jpeg.bytes),
    "/image.png": (_req, res) => sendImage(res, "image/png", IMAGES.png.bytes),
    "/image.webp": (_req, res) => sendImage(res, "image/webp", IMAGES.webp.bytes),
    // A JPEG that its server calls a PNG (and whose name says PNG too).
    "/mislabelled.png": (_req, res) => sendImage(res, "image/png", IMAGES.jpeg.bytes),
    "/page.html": (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><title>Sign in</title><p>Please sign in to see this image.</p>");
    },
    "/status": (_req, res, url) => {
      res.writeHead(Number(url.searchParams.get("code") ?? 500), { "content-type": "text/plain" });
      res.end("no image here");
    },
    "/slow": (_req, res) => {
      const timer = setTimeout(() => sendImage(res, "image/jpeg", IMAGES.jpeg.bytes), SLOW_ANSWER_MS);
      res.on("close", () => clearTimeout(timer));
    },
    // Headers and half the image at once, then nothing.
    "/stalls.jpg": (_req, res) => {
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(IMAGES.jpeg.bytes.length) });
      res.write(IMAGES.jpeg.bytes.subarray(0, IMAGES.jpeg.bytes.length / 2));
    },
    // `?hops=N`: N relative redirects (alternately path-relative and root-relative), then the JPEG.
    "/redirect": (_req, res, url) => {
      const hops = Number(url.searchParams.get("hops") ?? 0);
      if (hops <= 0) return sendImage(res, "image/jpeg", IMAGES.jpeg.bytes);
      redirect(res, hops % 2 ? `redirect?hops=${hops - 1}` : `/redirect?hops=${hops - 1}`);
    },
    // `?location=…`: one redirect to exactly that.
    "/redirect-to": (_req, res, url) => redirect(res, url.searchParams.get("location") ?? "/image.jpg"),
    "/huge-stream": (_req, res, url) => streamHuge(res, track(url, res)),
    // Declares 50 MB, sends one chunk, then waits: only a client that believes the header stops at once.
    "/huge-declared": (_req, res, url) => {
      const record = track(url, res);
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(50 * 1024 * 1024) });
      res.write(CHUNK);
      record.bytes += CHUNK.length;
    },
    "/sent": (_req, res, url) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(sent.get(url.searchParams.get("id") ?? "") ?? null));
    },
  };

  /** Records what goes out on this response under its `?id=`. */
  function track(url: URL, res: ServerResponse): SentRecord {
    const record: SentRecord = { bytes: 0, finished: false, closed: false };
    sent.set(url.searchParams.get("id") ?? "", record);
    res.on("close", () => {
      record.closed = true;
      record.finished = res.writableFinished;
    });
    return record;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://image-server");
    const route = routes[url.pathname];
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    Promise.resolve(route(req, res, url)).catch((error: unknown) => {
      console.error("[image-server]", error);
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // the stalled responses would otherwise keep it open
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function sendImage(res: ServerResponse, contentType: string, bytes: Buffer): void {
  if (res.destroyed) return;
  res.writeHead(200, { "content-type": contentType, "content-length": String(bytes.length) });
  res.end(bytes);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, "content-type": "text/plain" });
  res.end(`moved to ${location}`);
}

/** HUGE_BODY_BYTES, chunked (no content-length), as fast as the client reads and no further. */
async function streamHuge(res: ServerResponse, record: SentRecord): Promise<void> {
  res.writeHead(200, { "content-type": "image/jpeg" });
  while (record.bytes < HUGE_BODY_BYTES) {
    if (res.destroyed) return;
    record.bytes += CHUNK.length;
    if (!res.write(CHUNK)) {
      await new Promise<void>((resolve) => {
        const resume = () => {
          res.off("drain", resume).off("close", resume);
          resolve();
        };
        res.on("drain", resume).on("close", resume);
      });
    }
  }
  res.end();
}

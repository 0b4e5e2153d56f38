/**
 * GET|HEAD /image/:key: the stored image, public (browsers load markdown
 * images without credentials). KV first; when KV has not caught up in this
 * location yet, the job's Durable Object, which keeps the bytes until expiry.
 */
import { ApiError } from "../lib/http/errors.ts";
import { findImage } from "../lib/storage/find-image.ts";
import type { StoredImage } from "../lib/storage/image-store.ts";
import type { RoutedRequest } from "./context.ts";

export async function serveImage(request: RoutedRequest, env: Env): Promise<Response> {
  const key = request.params.key ?? "";
  const image = await findImage(env, key);
  if (!image)
    throw new ApiError(404, "Image not found. Images are kept for IMAGE_EXPIRATION seconds after they are made.", {
      code: "image_not_found",
    });
  return imageResponse(request, key, image);
}

/** Bytes never change under a key, so the key is a strong ETag; caches keep it no longer than the image lives. */
function imageResponse(request: Request, key: string, image: StoredImage): Response {
  const etag = `"${key.slice(-32)}"`;
  const maxAge = Math.max(0, Math.floor((image.meta.expiresAt - Date.now()) / 1000));
  const headers = new Headers({
    etag,
    "cache-control": `public, max-age=${maxAge}, immutable`,
    "content-type": image.meta.contentType,
    "x-content-type-options": "nosniff",
  });
  if (alreadyHeld(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  headers.set("content-length", String(image.bytes.byteLength));
  return new Response(request.method === "HEAD" ? null : image.bytes, { headers });
}

/**
 * Whether an If-None-Match header names what the client already has: our ETag (weakly compared,
 * as RFC 9110 asks for GET), or `*`, which matches any existing image (this one exists: it was found).
 */
function alreadyHeld(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

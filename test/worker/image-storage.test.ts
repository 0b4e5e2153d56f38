/** Where a generated image lives: a KV entry in FLUX_CF_KV that expires IMAGE_EXPIRATION seconds after it was made. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { imageUrlIn, marker, postChat, sha256Hex, upstreamRequests } from "./helpers.ts";

/** IMAGE_EXPIRATION in vitest.config.ts. */
const TEST_IMAGE_EXPIRATION = 120;
/** Slack for the time between the write and the check, not a speed requirement. */
const CLOCK_SLACK_SECONDS = 10;

async function generate(settings?: Record<string, string>) {
  const m = marker();
  const response = await postChat(`${m} a cat`, {}, settings);
  expect(response.status).toBe(200);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  const url = imageUrlIn(body.choices[0]?.message.content ?? "") ?? "";
  const key = decodeURIComponent(new URL(url).pathname.replace(/^\/image\//, ""));
  const generation = (await upstreamRequests(m)).find((request) => request.path.includes("/ai/run/"));
  return { key, generation, doneAt: Date.now() / 1000 };
}

async function expirationOf(key: string): Promise<number | undefined> {
  const listed = await env.FLUX_CF_KV.list({ prefix: key });
  expect(listed.keys.map((entry) => entry.name)).toEqual([key]);
  return listed.keys[0]?.expiration;
}

describe("the stored image", () => {
  it("is in FLUX_CF_KV under the image's key, with exactly the bytes the upstream returned", async () => {
    const { key, generation } = await generate();
    const bytes = await env.FLUX_CF_KV.get(key, "arrayBuffer");
    expect(bytes).not.toBeNull();
    expect(await sha256Hex(bytes ?? new ArrayBuffer(0))).toBe(generation?.imageSha256);
  });

  it("expires IMAGE_EXPIRATION seconds after it was made", async () => {
    const { key, doneAt } = await generate();
    const expiration = await expirationOf(key);
    expect(expiration).toBeGreaterThan(doneAt + TEST_IMAGE_EXPIRATION - CLOCK_SLACK_SECONDS);
    expect(expiration).toBeLessThanOrEqual(doneAt + TEST_IMAGE_EXPIRATION + 1);
  });

  it("follows an IMAGE_EXPIRATION the deployer changed", async () => {
    const { key, doneAt } = await generate({ IMAGE_EXPIRATION: "900" });
    const expiration = await expirationOf(key);
    expect(expiration).toBeGreaterThan(doneAt + 900 - CLOCK_SLACK_SECONDS);
    expect(expiration).toBeLessThanOrEqual(doneAt + 901);
  });

  it("records its type, size and end of life with the bytes", async () => {
    const { key, doneAt } = await generate();
    const { metadata } = await env.FLUX_CF_KV.getWithMetadata<{
      contentType: string;
      width: number;
      height: number;
      expiresAt: number;
    }>(key, "arrayBuffer");
    expect(metadata).toMatchObject({ contentType: "image/jpeg", width: 1024, height: 1024 });
    expect((metadata?.expiresAt ?? 0) / 1000).toBeGreaterThan(doneAt + TEST_IMAGE_EXPIRATION - CLOCK_SLACK_SECONDS);
  });
});

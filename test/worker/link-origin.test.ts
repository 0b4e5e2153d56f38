/**
 * Where image links point. By default, the origin the request was sent to, which comes from its
 * Host header; PUBLIC_URL pins it, so that behind a proxy that passes any Host nobody can make the
 * Worker hand out links to another site.
 */
import { describe, expect, it } from "vitest";
import type { JobView } from "../../src/lib/jobs.ts";
import { authHeaders, callWith, collectSse, imageUrlIn, marker, ORIGIN, upstreamRequests } from "./helpers.ts";

const PUBLIC = { PUBLIC_URL: "https://images.example.com/" };
const PINNED = "https://images.example.com/image/";

function post(path: string, body: unknown, settings: Record<string, string> = PUBLIC): Promise<Response> {
  return callWith(settings, path, { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
}

async function chatReply(prompt: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await post("/v1/chat/completions", {
    model: "flux",
    messages: [{ role: "user", content: prompt }],
    ...extra,
  });
  expect(response.status).toBe(200);
  const body = await response.json<{ choices: { message: { content: string } }[] }>();
  return body.choices[0]?.message.content ?? "";
}

describe("PUBLIC_URL", () => {
  it("pins every image link the Worker gives out, whatever Host the request came with", async () => {
    expect(new URL(ORIGIN).origin).not.toBe("https://images.example.com");
    expect(imageUrlIn(await chatReply(`${marker()} a fox`))).toMatch(new RegExp(`^${PINNED}`));

    const streamed = await post("/v1/chat/completions", {
      model: "flux",
      stream: true,
      messages: [{ role: "user", content: `${marker()} a fox` }],
    });
    const text = JSON.stringify((await collectSse(streamed)).map((frame) => frame.data));
    expect(text).toContain(PINNED);
    expect(text).not.toContain(`${ORIGIN}/image/`);

    const images = await post("/v1/images/generations", { prompt: `${marker()} a fox`, response_format: "url" });
    expect(images.status).toBe(200);
    const url = (await images.json<{ data: { url: string }[] }>()).data[0]?.url ?? "";
    expect(url).toMatch(new RegExp(`^${PINNED}`));

    const job = await callWith(PUBLIC, `/v1/jobs/${images.headers.get("x-job-id") ?? ""}`, { headers: authHeaders() });
    expect((await job.json<JobView>()).result?.images[0]?.url).toBe(url);

    // The link's path is served as ever: PUBLIC_URL is where the Worker is reached, not another store.
    const image = await callWith(PUBLIC, new URL(url).pathname);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
  });

  it("recognises its own links on PUBLIC_URL: a follow-up --edit and an edit of a linked image read them from storage", async () => {
    const m = marker();
    const first = await chatReply(`${m}a a lighthouse`);
    const link = imageUrlIn(first) ?? "";
    const followUp = await post("/v1/chat/completions", {
      model: "flux",
      messages: [
        { role: "user", content: `${m}a a lighthouse` },
        { role: "assistant", content: first },
        { role: "user", content: `--edit ${m}b make the sky green` },
      ],
    });
    expect(followUp.status).toBe(200);
    const edit = await post("/v1/images/edits", { prompt: `${m}c in winter`, images: [{ image_url: link }] });
    expect(edit.status).toBe(200);
    for (const tag of [`${m}b`, `${m}c`]) {
      const [generation] = (await upstreamRequests(tag)).filter((request) => request.path.includes("/ai/run/"));
      expect(generation?.references, tag).toHaveLength(1);
    }
  });

  it("is not needed: without it, links follow the origin the request was sent to", async () => {
    const response = await post("/v1/images/generations", { prompt: `${marker()} a fox`, response_format: "url" }, {});
    const url = (await response.json<{ data: { url: string }[] }>()).data[0]?.url ?? "";
    expect(url).toMatch(new RegExp(`^${ORIGIN}/image/`));
  });

  it("that is malformed is the invalid_setting error every setting gives, naming it", async () => {
    const response = await post("/v1/images/generations", { prompt: "a fox" }, { PUBLIC_URL: "images.example.com" });
    expect(response.status).toBe(500);
    const body = await response.json<{ error: Record<string, unknown> }>();
    expect(body.error).toMatchObject({ code: "invalid_setting", param: "PUBLIC_URL" });
  });
});

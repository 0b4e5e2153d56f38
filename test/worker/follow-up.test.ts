/**
 * Follow-up edits in a chat: `--edit` edits the picture this Worker made for the
 * conversation, read from its own storage; with optimisation on, the optimiser
 * judges whether a follow-up is an edit or a new picture (and a new picture is
 * the fallback); CHAT_EDITS=off turns follow-ups off but keeps attachments.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { previousImage, takeEditFlag } from "../../src/lib/generation/follow-up.ts";
import { authHeaders, callWith, collectSse, imageUrlIn, marker, upstreamRequests } from "./helpers.ts";
import { dataUrl, sampleJpeg } from "./sample-images.ts";

interface Message {
  role: string;
  content: unknown;
}

function chat(messages: Message[], settings: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return callWith(settings, "/v1/chat/completions", {
    method: "POST",
    headers: authHeaders(),
    body: JSON.stringify({ model: "flux", messages, ...extra }),
  });
}

/** A first turn: the user's words and the assistant's reply with this Worker's image link. */
async function firstTurn(prompt: string, settings: Record<string, string> = {}): Promise<Message[]> {
  const response = await chat([{ role: "user", content: prompt }], settings);
  expect(response.status).toBe(200);
  const reply = await response.json<{ choices: { message: { content: string } }[] }>();
  const content = reply.choices[0]?.message.content ?? "";
  expect(imageUrlIn(content)).toBeDefined();
  return [
    { role: "user", content: prompt },
    { role: "assistant", content },
  ];
}

async function generationFor(m: string) {
  const calls = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
  return calls.at(-1);
}

const OPTIMISING = { PROMPT_OPTIMIZATION: "true" };

/** The optimiser calls made for a message: a follow-up judgement (JSON asked for) or a plain rewrite. */
async function optimiserCalls(m: string): Promise<string[]> {
  const calls = (await upstreamRequests(m)).filter((request) => request.path.endsWith("/chat/completions"));
  return calls.map((call) => (JSON.stringify(call.json).includes("Answer with JSON only") ? "judgement" : "rewrite"));
}

describe("--edit", () => {
  it("edits the conversation's last picture: it goes to the model as input_image_0, and the marker is removed", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse 3:2`);
    const response = await chat([...history, { role: "user", content: `--edit ${m}b make the sky green` }]);
    expect(response.status).toBe(200);
    const generation = await generationFor(`${m}b`);
    expect(generation?.prompt).toBe(`${m}b make the sky green`);
    // The first picture was 768×512: shrunk to 511×341, and the edit keeps its shape.
    expect(generation?.references).toMatchObject([{ width: 511, height: 341 }]);
    expect(generation?.form).toMatchObject({ width: "768", height: "512" });
  });

  it("says, in the reply language, that the picture has expired and asks for it to be attached", async () => {
    const m = marker();
    // A real job id whose object holds no image, and nothing in KV: what an expired picture looks like.
    const jobId = env.GENERATION_JOB.newUniqueId().toString();
    const expired = `https://flux.example/image/${jobId}.${"b".repeat(32)}`;
    const history: Message[] = [
      { role: "user", content: "a lighthouse" },
      { role: "assistant", content: `![Generated image](${expired})` },
    ];
    const response = await chat(
      [...history, { role: "user", content: `--edit ${m} make it red` }],
      { REPLY_LANGUAGE: "zh-cn" },
      { stream: true },
    );
    const text = JSON.stringify((await collectSse(response)).map((frame) => frame.data));
    expect(text).toContain("要编辑的图片已过期。请把它附在消息中再编辑。");
    expect(text).toContain('"code":"reference_expired"');
    expect(await generationFor(m)).toBeUndefined();
  });

  it("is refused with a 400 when the conversation has no picture of this service", async () => {
    const response = await chat([{ role: "user", content: "--edit make it red" }]);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "nothing_to_edit", param: "messages" } });
  });

  it("with an attached image too: the earlier picture first, then the attachment", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a sofa`);
    const content = [
      { type: "text", text: `--edit ${m}b put the cat from image 1 on the sofa` },
      { type: "image_url", image_url: { url: dataUrl(sampleJpeg(120, 90)) } },
    ];
    await chat([...history, { role: "user", content }]);
    expect((await generationFor(`${m}b`))?.references).toMatchObject([
      { width: 511, height: 511 },
      { width: 120, height: 90 },
    ]);
  });
});

describe("CHAT_EDITS=off", () => {
  it("makes a new picture for a follow-up, --edit or not, but still uses attached images", async () => {
    const m = marker();
    const off = { CHAT_EDITS: "off" };
    const history = await firstTurn(`${m}a a lighthouse`, off);
    await chat([...history, { role: "user", content: `--edit ${m}b make the sky green` }], off);
    expect((await generationFor(`${m}b`))?.references).toEqual([]);

    const content = [
      { type: "text", text: `${m}c make it blue` },
      { type: "image_url", image_url: { url: dataUrl(sampleJpeg(100, 100)) } },
    ];
    await chat([...history, { role: "user", content }], off);
    expect((await generationFor(`${m}c`))?.references).toHaveLength(1);
  });
});

describe("a follow-up judged by the optimiser (PROMPT_OPTIMIZATION on)", () => {
  it("edits the earlier picture when the optimiser says the message changes it", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse`, OPTIMISING);
    const response = await chat([...history, { role: "user", content: `${m}b make it a watercolor` }], OPTIMISING);
    const reply = await response.json<{ choices: { message: { content: string } }[] }>();
    const generation = await generationFor(`${m}b`);
    expect(generation?.references).toHaveLength(1);
    expect(generation?.prompt).toMatch(/^Edit the picture: /);
    expect(reply.choices[0]?.message.content).toContain("(follows the reference image)");
    // The optimiser saw the earlier picture's prompt.
    const [judgement] = (await upstreamRequests(`${m}b`)).filter((request) =>
      request.path.endsWith("/chat/completions"),
    );
    expect(JSON.stringify(judgement?.json)).toContain(`A highly detailed illustration of ${m}a a lighthouse`);
  });

  it("makes a new picture when the optimiser says the message asks for one", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse`, OPTIMISING);
    await chat([...history, { role: "user", content: `${m}b a red fox in the snow` }], OPTIMISING);
    expect(await optimiserCalls(`${m}b`)).toEqual(["judgement"]);
    const generation = await generationFor(`${m}b`);
    expect(generation?.references).toEqual([]);
    expect(generation?.prompt).toBe(
      `A highly detailed illustration of ${m}b a red fox in the snow, soft natural light, sharp focus`,
    );
    expect(generation?.form).toMatchObject({ width: "1024", height: "1024" });
  });

  it("falls back to a new picture, optimised the usual way, when the answer is prose instead of the JSON asked for", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse`, OPTIMISING);
    const response = await chat(
      [...history, { role: "user", content: `${m}b make it a watercolor #optverdict=none` }],
      OPTIMISING,
    );
    expect(response.status).toBe(200);
    expect(await optimiserCalls(`${m}b`)).toEqual(["judgement", "rewrite"]);
    const generation = await generationFor(`${m}b`);
    expect(generation?.references).toEqual([]);
    expect(generation?.prompt).toMatch(/^A highly detailed illustration of /);
  });

  it("makes a new picture from the words when the optimiser does not answer, without asking it twice", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse`, OPTIMISING);
    const response = await chat([...history, { role: "user", content: `${m}b make it a watercolor #optdelay=3000` }], {
      ...OPTIMISING,
      OPTIMIZER_TIMEOUT: "1",
    });
    const reply = await response.json<{ choices: { message: { content: string } }[] }>();
    expect(await optimiserCalls(`${m}b`)).toEqual(["judgement"]);
    expect((await generationFor(`${m}b`))?.references).toEqual([]);
    expect(reply.choices[0]?.message.content).toContain("Prompt optimisation failed (no answer within 1 s)");
  });

  it("is not asked with CHAT_EDITS=off: the follow-up is optimised as a new picture", async () => {
    const m = marker();
    const settings = { ...OPTIMISING, CHAT_EDITS: "off" };
    const history = await firstTurn(`${m}a a lighthouse`, settings);
    await chat([...history, { role: "user", content: `${m}b make it a watercolor` }], settings);
    expect(await optimiserCalls(`${m}b`)).toEqual(["rewrite"]);
    expect((await generationFor(`${m}b`))?.references).toEqual([]);
  });

  it("is not judged without optimisation: a follow-up is a new picture, as the original project did", async () => {
    const m = marker();
    const history = await firstTurn(`${m}a a lighthouse`);
    await chat([...history, { role: "user", content: `${m}b make it a watercolor` }]);
    const generation = await generationFor(`${m}b`);
    expect(generation?.references).toEqual([]);
    expect(generation?.prompt).toBe(`${m}b make it a watercolor`);
  });
});

describe("finding the picture a follow-up refers to", () => {
  const origin = "https://flux.example";
  const key = (n: string) => `${n.repeat(64)}.${"c".repeat(32)}`;

  it("is the last of this service's images in the latest assistant message before the last user message", () => {
    const messages = [
      { role: "assistant", content: `![a](${origin}/image/${key("a")})` },
      { role: "user", content: "again" },
      { role: "assistant", content: `![b](${origin}/image/${key("b")}) and ![c](${origin}/image/${key("d")})` },
      { role: "user", content: "--edit more" },
    ];
    expect(previousImage(messages, origin)).toEqual({ key: key("d"), param: "messages[2].content" });
  });

  it("is none when the latest answer has no picture of this origin, or only a malformed link", () => {
    const elsewhere = [
      { role: "assistant", content: `![a](https://other.example/image/${key("a")})` },
      { role: "user", content: "x" },
    ];
    expect(previousImage(elsewhere, origin)).toBeUndefined();
    const malformed = [
      { role: "assistant", content: `![a](${origin}/image/%zz)` },
      { role: "user", content: "x" },
    ];
    expect(previousImage(malformed, origin)).toBeUndefined();
  });

  it("takes --edit only at the start of the message", () => {
    expect(takeEditFlag("--edit make it red")).toEqual({ text: "make it red", edit: true });
    expect(takeEditFlag("make it --edit red")).toEqual({ text: "make it --edit red", edit: false });
    expect(takeEditFlag("--editor mode")).toEqual({ text: "--editor mode", edit: false });
  });
});

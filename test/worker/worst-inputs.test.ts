/**
 * What an attacker would send: each path that reads a client's text gets its
 * worst input at the largest size the body limit allows, and must answer (the
 * test's timeout is the bound: the quadratic versions took minutes). Timings are
 * printed by `npm run bench:worst-inputs`, not asserted here.
 */
import { describe, expect, it } from "vitest";
import { cleanPrompt, MAX_RAW_PROMPT_CHARS } from "../../src/lib/generation/prompt.ts";
import { escapeMarkdown } from "../../src/lib/openai/markdown-reply.ts";
import { limitParts, MAX_MULTIPART_PARTS, PartScanner } from "../../src/lib/openai/multipart-parts.ts";
import { MAX_BODY_WITH_IMAGES_BYTES } from "../../src/lib/openai/request-body.ts";
import { optimizePrompt, withoutThinking } from "../../src/lib/upstream/optimizer.ts";
import { readSettings } from "../../src/lib/settings.ts";
import { FakeAi } from "./fake-ai.ts";
import { authHeaders, call, marker, ORIGIN } from "./helpers.ts";
import { sampleJpeg } from "./sample-images.ts";

/** `unit` repeated to fill about `bytes` of UTF-8 (a body's limit is in bytes). */
function filling(unit: string, bytes: number): string {
  return unit.repeat(Math.floor(bytes / new TextEncoder().encode(unit).length));
}

/** Just under the chat body limit, leaving room for the JSON around the text. */
const NEAR_LIMIT = MAX_BODY_WITH_IMAGES_BYTES - 1_000;
const KEY = `${"a".repeat(64)}.${"b".repeat(32)}`;

function chatAfter(assistant: string, user: string): Promise<Response> {
  const body = JSON.stringify({
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: assistant },
      { role: "user", content: user },
    ],
  });
  return call("/v1/chat/completions", { method: "POST", headers: authHeaders(), body });
}

describe("an earlier answer crafted to slow down the search for its picture", () => {
  it("is answered: the 1.2 MB `![](` message that held the Worker for 340 s makes its picture", async () => {
    const response = await chatAfter("![](".repeat(300_000), `${marker()} a cat`);
    expect(response.status).toBe(200);
  });

  it.each([
    ["`![](` repeated", "![]("],
    ["`![` repeated", "!["],
    ["an image link to this service, never closed", `![x](${ORIGIN}/image/${KEY}`],
    ["the link part alone, repeated", `](${ORIGIN}/image/${KEY}`],
  ])("is answered at the 40 MB body limit: %s", async (_name, unit) => {
    const response = await chatAfter(filling(unit, NEAR_LIMIT), `${marker()} a cat`);
    expect(response.status).toBe(200);
  });

  it("still finds the picture after 1 MB of such text", async () => {
    const text = `${"![](".repeat(250_000)} ![Generated image](${ORIGIN}/image/${KEY})`;
    const response = await chatAfter(text, "--edit make it red");
    // The picture was found (no nothing_to_edit): the edit was attempted, and a made-up key has expired.
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("reference_expired");
  });
});

describe("a prompt far over the limit", () => {
  it.each([
    ["combining accents", "a\u0301\u0316"],
    ["joiners", "a\u200d"],
    ["ratios", "1:1 "],
    ["seed flags", "--seed 1 "],
  ])("is refused at once in chat at the 40 MB body limit: %s", async (_name, unit) => {
    const response = await chatAfter("ok", filling(unit, NEAR_LIMIT));
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("prompt_too_long");
    expect(body.error.message).toContain("the limit is 2048");
  });

  it("is refused at once by the Images API at its 1 MB limit", async () => {
    const body = JSON.stringify({ prompt: filling("a\u0301\u0316", 999_000) });
    const response = await call("/v1/images/generations", { method: "POST", headers: authHeaders(), body });
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("prompt_too_long");
  });

  it("is refused at once in a 40 MB multipart edit", async () => {
    const form = new FormData();
    form.append("prompt", filling("1:1 ", NEAR_LIMIT));
    form.append("image", new Blob([sampleJpeg(8, 8)]), "a.jpg");
    const response = await call("/v1/images/edits", {
      method: "POST",
      headers: { authorization: authHeaders().authorization ?? "" },
      body: form,
    });
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).toBe("prompt_too_long");
  });
});

describe("a prompt just within the raw limit, made of the costliest characters", () => {
  it("has its piles of combining marks cut to 30 a letter, so normalising them stays linear", () => {
    const zalgo = `a${"\u0301\u0316".repeat(MAX_RAW_PROMPT_CHARS / 2 - 1)} cat`;
    const cleaned = cleanPrompt(zalgo);
    expect(cleaned.endsWith(" cat")).toBe(true);
    // 30 marks, sorted by their class (U+0316 below before U+0301 above), and "a" + U+0301 composed.
    expect([...cleaned.slice(0, -4)].length).toBe(30);
  });

  it("keeps every mark of a letter that carries 30 or fewer (Vietnamese, Devanagari, Zalgo of normal size)", () => {
    expect(cleanPrompt("Tiếng Việt")).toBe("Tiếng Việt");
    expect(cleanPrompt("हिन्दी")).toBe("हिन्दी");
    const thirty = `a${"\u0301".repeat(30)}`;
    expect(cleanPrompt(thirty)).toBe(thirty.normalize("NFC"));
    expect(cleanPrompt(`${thirty}\u0301`)).toBe(thirty.normalize("NFC"));
  });

  it("is answered in chat when it cleans down to a few words", async () => {
    const zalgo = `${marker()} a${"\u0301\u0316".repeat(8_000)} cat`;
    const response = await chatAfter("ok", zalgo);
    expect(response.status).toBe(200);
  });
});

describe("the escaping of a prompt in the reply, at its worst 2,048 characters", () => {
  it.each([
    ["letters", "a".repeat(2048), "a".repeat(2048)],
    ["letters and digits", "a1".repeat(1024), "a1".repeat(1024)],
    ["dots between letters", "a.".repeat(1024), "a.".repeat(1024)],
    ["an entity that never ends", `&${"a".repeat(2047)}`, `&${"a".repeat(2047)}`],
    ["a link followed by closing brackets", `http://${")".repeat(2041)}`, `\`http://\`${")".repeat(2041)}`],
    ["an address with a long local part", `${"a".repeat(2000)}@example.com`, undefined],
  ])("is still right: %s", (_name, text, expected) => {
    const escaped = escapeMarkdown(text);
    if (expected !== undefined) expect(escaped).toBe(expected);
    // Whatever the split, an address ends in a code span: nothing can link it.
    else expect(escaped).toMatch(/`[a]{1,64}@example\.com`$/);
  });
});

describe("the optimiser's answer, when it is huge or strange", () => {
  const settings = readSettings({ PROMPT_OPTIMIZATION: "true" });
  const rewriteOf = async (answer: string) => {
    const ai = FakeAi.scripted([{ answer: { response: answer } }]);
    return optimizePrompt("a fox", settings.optimizer, settings.upstream, ai);
  };

  it("drops closed think blocks and keeps an unclosed one, in one pass", () => {
    expect(withoutThinking("<think>hm</think>a fox<think>x</think> in snow")).toBe("a fox in snow");
    expect(withoutThinking("a fox <think>never closed")).toBe("a fox <think>never closed");
    const opens = "<think>".repeat(1_000_000);
    expect(withoutThinking(opens)).toBe(opens);
  });

  it.each([
    ["a million unclosed think tags", "<think>".repeat(1_000_000)],
    ["a million quotes inside words", `a${'"'.repeat(1_000_000)}b`],
    ["a million opening braces", "{".repeat(1_000_000)],
  ])("is cut and cleaned quickly: %s", async (_name, answer) => {
    const outcome = await rewriteOf(answer);
    if (outcome.ok) expect(outcome.prompt.length).toBeLessThanOrEqual(2048);
  });

  it("still takes the quotes and label off an ordinary answer", async () => {
    expect(await rewriteOf('Prompt: "a red fox in the snow"')).toMatchObject({
      ok: true,
      prompt: "a red fox in the snow",
    });
  });
});

describe("a multipart body of many parts", () => {
  const boundary = "----x";
  const parts = (count: number) =>
    Array.from(
      { length: count },
      (_, index) => `--${boundary}\r\ncontent-disposition: form-data; name="f${index}"\r\n\r\nv\r\n`,
    ).join("") + `--${boundary}--\r\n`;
  const post = (body: string, contentType = `multipart/form-data; boundary=${boundary}`) =>
    call("/v1/images/edits", {
      method: "POST",
      headers: { authorization: authHeaders().authorization ?? "", "content-type": contentType },
      body,
    });

  it("is refused with too_many_parts past 64 parts: 300,000 tiny fields (17.9 MB) never reach the form parser", async () => {
    const response = await post(parts(300_000));
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error).toMatchObject({ code: "too_many_parts" });
    expect(body.error.message).toContain(`more than ${MAX_MULTIPART_PARTS} parts`);
  });

  it("with 64 parts is read as a form (and refused for what it lacks, not for its size)", async () => {
    const response = await post(parts(MAX_MULTIPART_PARTS));
    expect(response.status).toBe(400);
    expect((await response.json<{ error: { code: string } }>()).error.code).not.toBe("too_many_parts");
  });

  it("without a boundary, or with one that breaks RFC 2046, is invalid_multipart", async () => {
    for (const contentType of [
      "multipart/form-data",
      "multipart/form-data; boundary=",
      "multipart/form-data; boundary=a{b}",
    ]) {
      const response = await post(parts(1), contentType);
      expect(response.status, contentType).toBe(400);
      expect((await response.json<{ error: { code: string } }>()).error.code, contentType).toBe("invalid_multipart");
    }
  });

  /** The scanner's verdict on `text` fed in chunks of `size` bytes: the code of the first limit broken. */
  const verdict = (text: string, size: number): string | null | undefined => {
    const bytes = new TextEncoder().encode(text);
    const scanner = new PartScanner(boundary, MAX_MULTIPART_PARTS);
    for (let offset = 0; offset < bytes.length; offset += size) {
      const failure = scanner.feed(bytes.subarray(offset, offset + size));
      if (failure) return failure.code;
    }
    return undefined;
  };
  const CHUNK_SIZES = [1, 2, 3, 7, 9, 10, 64, 1000, 100_000];

  it("counts the same whatever the chunks: a delimiter split across any seam is found once", () => {
    for (const size of CHUNK_SIZES) {
      expect(verdict(`preamble\r\n${parts(64)}epilogue`, size), `64 parts, chunks of ${size}`).toBeUndefined();
      expect(verdict(parts(65), size), `65 parts, chunks of ${size}`).toBe("too_many_parts");
    }
  });

  it("counts delimiters after a bare line feed too, which the form parser accepts", () => {
    const lfOnly = parts(65).replaceAll("\r\n", "\n");
    for (const size of CHUNK_SIZES) expect(verdict(lfOnly, size), `chunks of ${size}`).toBe("too_many_parts");
  });

  it("refuses a part whose headers run past 16 KB, but not a long value", () => {
    const longName = `--${boundary}\r\ncontent-disposition: form-data; name="${"n".repeat(20_000)}"\r\n\r\nv\r\n--${boundary}--\r\n`;
    const longValue = `--${boundary}\r\ncontent-disposition: form-data; name="prompt"\r\n\r\n${"v\n".repeat(50_000)}\r\n--${boundary}--\r\n`;
    for (const size of CHUNK_SIZES) {
      expect(verdict(longName, size), `chunks of ${size}`).toBe("invalid_multipart");
      expect(verdict(longValue, size), `chunks of ${size}`).toBeUndefined();
    }
  });

  it("is given to the form parser with the boundary it checked: a second boundary parameter is refused", async () => {
    for (const contentType of [
      `multipart/form-data; x="; boundary=zz ;"; boundary=${boundary}`,
      `multipart/form-data; boundary =zz; boundary=${boundary}`,
    ]) {
      const response = await post(parts(300), contentType);
      expect(response.status, contentType).toBe(400);
      expect((await response.json<{ error: { code: string } }>()).error.code, contentType).toMatch(
        /^(invalid_multipart|too_many_parts)$/,
      );
    }
  });

  it("passes a body within the limit through unchanged", async () => {
    const text = parts(3);
    const limited = limitParts(new Blob([text]).stream() as ReadableStream<Uint8Array>, boundary);
    expect(await new Response(limited.stream).text()).toBe(text);
    expect(limited.failure()).toBeUndefined();
  });
});

describe("long values a client sends, echoed or carried", () => {
  it("an image link of 36 MB is refused at once as too long, not carried to the job", async () => {
    const url = `https://images.example/${"a".repeat(36_000_000)}.png`;
    const body = JSON.stringify({ prompt: "make it blue", images: [{ image_url: url }] });
    const response = await call("/v1/images/edits", { method: "POST", headers: authHeaders(), body });
    expect(response.status).toBe(400);
    const { error } = await response.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe("invalid_image_url");
    expect(error.message).toContain("links of at most 16384 are downloaded");
    expect(error.message.length).toBeLessThan(300);
  });

  it("a malformed size of 900 KB is named in a short error, not repeated whole", async () => {
    const body = JSON.stringify({ prompt: "a fox", size: "x".repeat(900_000) });
    const response = await call("/v1/images/generations", { method: "POST", headers: authHeaders(), body });
    expect(response.status).toBe(400);
    const { error } = await response.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe("invalid_size");
    expect(error.message).toContain("(900000 characters)");
    expect(error.message.length).toBeLessThan(300);
  });
});

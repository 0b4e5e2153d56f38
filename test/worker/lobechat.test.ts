/**
 * LobeChat, as its own code sends and reads (lobehub/lobehub, late 2026): the
 * file context it appends to the user's text (packages/prompts filesPrompts),
 * and the `message.images` it reads for a chat model's picture
 * (model-runtime's createImage, generateByChatModel). Its model parser is held
 * to our model list in models-route.test.ts.
 */
import { describe, expect, it } from "vitest";
import { authHeaders, call, collectSse, imageUrlIn, marker, upstreamRequests } from "./helpers.ts";
import { dataUrl, sampleJpeg } from "./sample-images.ts";

/** The block LobeChat appends after the user's words when files or images are attached. */
function lobeChatFileContext(imageName: string, imageUrl: string): string {
  return `<!-- SYSTEM CONTEXT (NOT PART OF USER QUERY) -->
<context.instruction>following part contains context information injected by the system. Please follow these instructions:

1. Always prioritize handling user-visible content.
2. the context is only required when user's queries rely on it.
</context.instruction>
<files_info>
<images>
<images_docstring>here are user upload images you can refer to</images_docstring>
<image name="${imageName}" url="${imageUrl}"></image>
</images>
</files_info>
<!-- END SYSTEM CONTEXT -->`;
}

function postMessages(messages: unknown[], extra: Record<string, unknown> = {}): Promise<Response> {
  return call("/v1/chat/completions", {
    method: "POST",
    headers: authHeaders(),
    body: JSON.stringify({ model: "@cf/black-forest-labs/flux-2-klein-4b", messages, ...extra }),
  });
}

describe("a LobeChat message with an attached image", () => {
  it("draws the user's words only, not LobeChat's file context, and still edits the attached image", async () => {
    const m = marker();
    const text = `${m} make it a watercolor\n\n${lobeChatFileContext("cat 1080p 16:9.png", "https://cdn.example.com/files/cat.png")}`;
    const response = await postMessages([
      {
        role: "user",
        content: [
          { type: "text", text },
          { type: "image_url", image_url: { url: dataUrl(sampleJpeg(300, 200)) } },
        ],
      },
    ]);
    expect(response.status).toBe(200);
    const [generation] = (await upstreamRequests(m)).filter((request) => request.path.includes("/ai/run/"));
    expect(generation?.prompt).toBe(`${m} make it a watercolor`);
    expect(generation?.references).toHaveLength(1);
    // The file name's "16:9" was not read as a ratio: the edit keeps the picture's own shape.
    expect(generation?.form).toMatchObject({ width: "768", height: "512" });
  });

  it("drops a block that was left open, and every block when there are several", async () => {
    const m = marker();
    const open = lobeChatFileContext("a.png", "https://x.example/a.png").replace("<!-- END SYSTEM CONTEXT -->", "");
    const two = `${m} a red ${lobeChatFileContext("a.png", "https://x.example/a.png")}fox ${open}`;
    expect((await postMessages([{ role: "user", content: two }])).status).toBe(200);
    expect((await upstreamRequests(m))[0]?.prompt).toBe(`${m} a red fox`);
  });
});

describe("the picture of a chat reply, where LobeChat looks for it", () => {
  it("is in message.images of a reply that is not streamed, as well as in its markdown", async () => {
    const response = await postMessages([{ role: "user", content: `${marker()} a lighthouse` }]);
    const body = await response.json<{
      choices: { message: { content: string; images?: { type: string; image_url: { url: string } }[] } }[];
    }>();
    const message = body.choices[0]?.message;
    const url = imageUrlIn(message?.content ?? "");
    expect(url).toBeDefined();
    expect(message?.images).toEqual([{ type: "image_url", image_url: { url } }]);
    expect((await call(new URL(url ?? "").pathname)).status).toBe(200);
  });

  it("is never in a streamed chunk (LobeChat would drop that chunk's text)", async () => {
    const frames = await collectSse(
      await postMessages([{ role: "user", content: `${marker()} a lighthouse` }], { stream: true }),
    );
    expect(JSON.stringify(frames.map((frame) => frame.data))).not.toContain('"images"');
  });
});

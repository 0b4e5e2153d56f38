import { describe, expect, it } from "vitest";
import { call, imageUrlIn, postChat } from "./helpers.ts";

describe("smoke", () => {
  it("makes an image through chat completions", async () => {
    const response = await postChat("a cute cat 16:9");
    const body = await response.json<{ choices: { message: { content: string } }[] }>();
    console.log(response.status, JSON.stringify(body).slice(0, 600));
    expect(response.status).toBe(200);
    const url = imageUrlIn(body.choices[0]?.message.content ?? "");
    expect(url).toBeDefined();
    const image = await call(new URL(url ?? "").pathname);
    expect(image.status).toBe(200);
  });
});

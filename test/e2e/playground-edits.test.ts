/**
 * Editing in the playground, in a real browser: attaching, pasting or dropping
 * up to four images (shrunk in the page before upload), "Edit this image" on a
 * result, the limits the page enforces, and each picture's seed; checked against
 * what the page sent and what the stand-in received.
 */
import { describe, expect, it } from "vitest";
import { pngFile } from "../support/image-files.ts";
import {
  attachedList,
  attachedPreviews,
  attachThroughButton,
  enterKey,
  generate,
  jobIdOf,
  jobSeed,
  jpegSize,
  marker,
  nextChatRequest,
  openPlayground,
  type PageFile,
  photo,
  resultImageSize,
  sentContent,
  type StandInCall,
  upstreamCallsContaining,
  usePlayground,
} from "./playground-browser.ts";

const live = usePlayground();

describe("editing images in the playground", () => {
  it("sends an attached photo, shrunk to a small JPEG, as the edit's reference image and shows the seed", async () => {
    const { page, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await attachThroughButton(page, [photo("holiday.jpg", 640, 480)]);
    expect(await attachedPreviews(page, 1)).toEqual([{ caption: "image 0", loaded: true }]);

    // Auto (no ratio sent): the edit takes its image's shape, 4:3 → the nearest preset, 3:2.
    const word = marker();
    const sent = nextChatRequest(page);
    await generate(page, `make it a watercolour ${word}`, "Auto");
    const request = await sent;
    expect(await resultImageSize(page)).toEqual({ width: 768, height: 512 });

    const content = sentContent(request) as [{ type: string; text: string }, { image_url: { url: string } }];
    expect(content).toEqual([
      { type: "text", text: `make it a watercolour ${word}` },
      { type: "image_url", image_url: { url: expect.stringMatching(/^data:image\/jpeg;base64,/) } },
    ]);
    // Shrunk in the browser to the size the model reads (each side below 512).
    expect(jpegSize(content[1].image_url.url)).toEqual({ width: 511, height: 383 });
    const calls = (await upstreamCallsContaining(live, word)) as StandInCall[];
    expect(calls.map((call) => call.references)).toEqual([
      [
        {
          name: "input_image_0",
          contentType: "image/jpeg",
          width: 511,
          height: 383,
          bytes: expect.any(Number),
          sha256: expect.any(String),
        },
      ],
    ]);

    // The seed the job really used, in the result's details and in the key's list of pictures.
    const seed = await jobSeed(live, await jobIdOf(request));
    expect(seed).toEqual(expect.any(Number));
    expect(await page.getByRole("figure").getByText(`Seed: ${seed}`).isVisible()).toBe(true);
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    expect(await listed.getByText(`Seed: ${seed}`, { exact: true }).isVisible()).toBe(true);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Copy the seed" }).click();
    await page.getByRole("figure").getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(String(seed));
    // The attachment went with the picture it made; the next request starts from the result.
    expect(await attachedList(page).isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it("edits the result further by its own link, from the result and from the key's list of pictures", async () => {
    const { page, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    await generate(page, `a red boat on a lake ${marker()}`, "3:2");
    await resultImageSize(page);
    const pictureUrl = (await page.getByRole("figure").locator("img").getAttribute("src")) ?? "";

    await page.getByRole("button", { name: "Edit this image", exact: true }).click();
    await attachedPreviews(page, 1);
    expect(await attachedList(page).locator("img").getAttribute("src")).toBe(pictureUrl);
    // The prompt has the cursor, its old words selected: what is typed replaces them.
    const word = marker();
    await page.keyboard.type(`make the boat blue ${word}`);
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe(`make the boat blue ${word}`);

    const sent = nextChatRequest(page);
    await page.getByRole("button", { name: "Generate" }).click();
    // The picture goes by its link, which the Worker reads from its storage: no upload.
    expect(sentContent(await sent)).toEqual([
      { type: "text", text: `make the boat blue ${word} 3:2` },
      { type: "image_url", image_url: { url: pictureUrl } },
    ]);
    await page.getByText("Done", { exact: true }).waitFor();
    const calls = (await upstreamCallsContaining(live, word)) as StandInCall[];
    // The 768×512 picture, shrunk by the Worker for the model.
    expect(calls.map((call) => call.references?.map(({ name, width }) => ({ name, width })))).toEqual([
      [{ name: "input_image_0", width: 511 }],
    ]);

    // The first picture again, from the key's list of pictures (newest first: it is second).
    const listed = page.getByRole("list", { name: "Pictures made with this key" });
    await listed.getByRole("button", { name: /^Edit/ }).nth(1).click();
    expect(await attachedPreviews(page, 1)).toEqual([{ caption: "image 0", loaded: true }]);
    expect(await attachedList(page).locator("img").getAttribute("src")).toBe(pictureUrl);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("prompt");
    expect(problems).toEqual([]);
  });

  it("refuses a fifth image, a file that is not an image and one over 20 MB, saying why", async () => {
    const { page } = await openPlayground(live);
    const status = page.locator("#attach-status");

    await attachThroughButton(page, [{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") }]);
    await status.getByText("notes.txt is not an image").waitFor();
    const huge = { name: "huge.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(20 * 1024 * 1024 + 1) };
    await attachThroughButton(page, [huge]);
    await status.getByText("huge.jpg is over 20 MB.").waitFor();
    expect(await attachedList(page).isVisible()).toBe(false);

    await attachThroughButton(
      page,
      [1, 2, 3, 4].map((n) => photo(`photo${n}.jpg`, 40 * n, 40)),
    );
    await attachedPreviews(page, 4);
    await attachThroughButton(page, [photo("photo5.jpg", 40, 40)]);
    await status.getByText("At most 4 images: photo5.jpg was not attached.").waitFor();
    expect(await attachedPreviews(page, 4)).toEqual(
      [0, 1, 2, 3].map((index) => ({ caption: `image ${index}`, loaded: true })),
    );

    // Removing one renumbers the rest, as the prompt would name them.
    await page.getByRole("button", { name: "Remove image 1" }).click();
    expect((await attachedPreviews(page, 3)).map(({ caption }) => caption)).toEqual(["image 0", "image 1", "image 2"]);
  });

  it("attaches an image dropped on the prompt and one pasted into it, in that order", async () => {
    const { page, problems } = await openPlayground(live);
    await enterKey(page, live.service.apiKey);
    const prompt = page.getByLabel("Prompt", { exact: true });
    // Playwright cannot drive the system's drag-and-drop or clipboard: the page gets the events a
    // browser sends for them, carrying real files.
    const deliver = (kind: "drop" | "paste", file: PageFile) =>
      prompt.evaluate(
        (element, { kind, name, mimeType, base64 }) => {
          const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], name, { type: mimeType }));
          const init = { bubbles: true, cancelable: true };
          if (kind === "paste") {
            element.dispatchEvent(new ClipboardEvent("paste", { ...init, clipboardData: data }));
            return;
          }
          element.dispatchEvent(new DragEvent("dragover", { ...init, dataTransfer: data }));
          element.dispatchEvent(new DragEvent("drop", { ...init, dataTransfer: data }));
        },
        { kind, name: file.name, mimeType: file.mimeType, base64: file.buffer.toString("base64") },
      );
    await deliver("drop", { name: "dropped.png", mimeType: "image/png", buffer: pngFile(200, 100, [0, 90, 200]) });
    await attachedPreviews(page, 1);
    await deliver("paste", photo("", 100, 300));
    expect(await attachedPreviews(page, 2)).toEqual([
      { caption: "image 0", loaded: true },
      { caption: "image 1", loaded: true },
    ]);
    expect(await prompt.inputValue()).toBe(""); // the pasted file is attached, not pasted as text

    const word = marker();
    await generate(page, `the boat from image 1 on the sea in image 0 ${word}`);
    await page.getByText("Done", { exact: true }).waitFor();
    const calls = (await upstreamCallsContaining(live, word)) as StandInCall[];
    expect(calls.map((call) => call.references?.map(({ name, width, height }) => ({ name, width, height })))).toEqual([
      [
        { name: "input_image_0", width: 200, height: 100 },
        { name: "input_image_1", width: 100, height: 300 },
      ],
    ]);
    expect(problems).toEqual([]);
  });
});

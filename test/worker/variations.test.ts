/**
 * POST /v1/images/variations (`images.createVariation`): one picture painted again as a variation,
 * by FLUX.2 with the picture as its reference and a prompt that asks for one; the same limits, costs
 * and job record as an edit.
 */
import { describe, expect, it } from "vitest";
import { authHeaders, call, callWith, upstreamRequests } from "./helpers.ts";
import { sampleJpeg } from "./sample-images.ts";

function variation(
  fields: Record<string, string>,
  images: Uint8Array[],
  settings?: Record<string, string>,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  images.forEach((bytes, index) => form.append(index === 0 ? "image" : "image[]", new Blob([bytes]), "a.jpg"));
  const init = { method: "POST", headers: { authorization: authHeaders().authorization ?? "" }, body: form };
  return settings ? callWith(settings, "/v1/images/variations", init) : call("/v1/images/variations", init);
}

describe("POST /v1/images/variations", () => {
  it("paints n variations of the picture's shape with FLUX.2, the picture as reference", async () => {
    const response = await variation({ n: "2", response_format: "b64_json" }, [sampleJpeg(600, 400)]);
    expect(response.status).toBe(200);
    const answer = await response.json<{
      data: { b64_json: string; revised_prompt: string }[];
      model: string;
      size: string;
      cost: unknown;
    }>();
    expect(answer).toMatchObject({ model: "flux-2-klein-4b", size: "1024x688" });
    expect(answer.data).toHaveLength(2);
    expect(answer.data[0]?.revised_prompt).toMatch(/^A new variation of image 0/);
    expect(answer.cost).toMatchObject({ estimated: false });
    const calls = (await upstreamRequests("A new variation of image 0")).filter((call) => call.references?.length);
    expect(calls.at(-1)?.references?.[0]).toMatchObject({ name: "input_image_0", width: 511, height: 341 });
  });

  it("uses FLUX.2 even when FLUX_MODEL takes no pictures", async () => {
    const response = await variation({}, [sampleJpeg(64, 64)], { FLUX_MODEL: "flux-1-schnell" });
    expect(await response.json()).toMatchObject({ model: "flux-2-klein-4b" });
  });

  it("refuses two pictures, no picture, a mask, or a model that takes no pictures", async () => {
    const jpeg = sampleJpeg(32, 32);
    const cases: [Response, string][] = [
      [await variation({}, [jpeg, jpeg]), "too_many_images"],
      [await variation({}, []), "missing_image"],
      [await variation({ model: "sdxl" }, [jpeg]), "unsupported_parameter"],
    ];
    for (const [response, code] of cases) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code } });
    }
  });
});

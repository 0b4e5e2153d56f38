/**
 * Daily neuron budgets, per key (DAILY_NEURON_LIMIT, or the key's own in API_KEY) and for the whole
 * service (DAILY_NEURON_LIMIT_TOTAL): a job reserves its estimate before it starts, settles what it
 * really spent after, and a request that would go over is refused with 429 and Retry-After to
 * 00:00 UTC. Also GET /v1/usage and GET /v1/jobs. flux-1-schnell at 1024² costs 172.80 neurons.
 */
import { describe, expect, it } from "vitest";
import { nextUtcMidnight, secondsUntilUtcMidnight, utcDay } from "../../src/lib/generation/utc-day.ts";
import { fitsBudget } from "../../src/lib/budget/ledger.ts";
import { callWith, marker } from "./helpers.ts";
import { sampleJpeg } from "./sample-images.ts";

const SCHNELL = 172.8;

interface Usage {
  key: string;
  day: string;
  resets_at: number;
  today: {
    neurons: number;
    pictures: number;
    reserved: number;
    models: Record<string, { neurons: number; pictures: number }>;
  };
  budget: {
    key: { limit: number | null; remaining: number | null };
    service: { limit: number | null; spent: number; remaining: number | null };
  };
  days: { day: string; neurons: number; pictures: number }[];
}

/** A fresh key (its own account object) with a name, and the settings that configure it. */
function newKey(limit?: number): {
  key: string;
  name: string;
  settings: { API_KEY: string; RATE_LIMIT_PER_MINUTE: string };
} {
  const name = `k${marker()}`;
  const key = `sk-${marker()}`;
  return {
    key,
    name,
    settings: { API_KEY: `${name}:${key}${limit === undefined ? "" : `:${limit}`}`, RATE_LIMIT_PER_MINUTE: "0" },
  };
}

function generate(
  settings: Record<string, string>,
  key: string,
  body: Record<string, unknown> = {},
): Promise<Response> {
  return callWith(settings, "/v1/images/generations", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: `${marker()} a kite`, model: "flux-1-schnell", ...body }),
  });
}

async function usage(settings: Record<string, string>, key: string): Promise<Usage> {
  const response = await callWith(settings, "/v1/usage", { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return response.json<Usage>();
}

/** The usage once every job has settled (settling happens after the answer). */
async function settledUsage(settings: Record<string, string>, key: string): Promise<Usage> {
  for (let tries = 0; ; tries++) {
    const figures = await usage(settings, key);
    if (figures.today.reserved === 0 || tries > 50) return figures;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a key's daily budget", () => {
  it("lets pictures through up to the limit, then refuses with 429 daily_budget_exceeded until 00:00 UTC", async () => {
    const { key, name, settings } = newKey(2 * SCHNELL);
    expect((await generate(settings, key)).status).toBe(200);
    expect((await generate(settings, key)).status).toBe(200); // exactly at the limit
    const refused = await generate(settings, key);
    expect(refused.status).toBe(429);
    expect(Math.abs(Number(refused.headers.get("retry-after")) - secondsUntilUtcMidnight())).toBeLessThan(5);
    const { error } = await refused.json<{ error: { code: string; type: string; message: string } }>();
    expect(error).toMatchObject({ code: "daily_budget_exceeded", type: "insufficient_quota" });
    expect(error.message).toContain(`key '${name}': 345.6 of 345.6 neurons`);
    expect(error.message).toContain("estimated at 172.8");
    expect(error.message).not.toContain(key);
  });

  it("comes from DAILY_NEURON_LIMIT for a key that has none of its own", async () => {
    const { key, settings } = newKey();
    const limited = { ...settings, DAILY_NEURON_LIMIT: String(SCHNELL) };
    expect((await generate(limited, key)).status).toBe(200);
    expect((await generate(limited, key)).status).toBe(429);
  });

  it("is a 400 at once for a request whose estimate is over the whole budget (waiting would not help)", async () => {
    const { key, settings } = newKey(300);
    const response = await generate(settings, key, { n: 2 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "over_daily_budget", param: "n" } });
  });

  it("cannot be overspent by concurrent requests: 20 at once against 3 pictures' worth make 3", async () => {
    const { key, settings } = newKey(3 * SCHNELL);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => generate(settings, key).then((r) => r.status)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(17);
    expect((await settledUsage(settings, key)).today).toMatchObject({ neurons: 518.4, pictures: 3, reserved: 0 });
  });

  it("settles what was really spent: an estimate above the real cost is given back", async () => {
    // klein-4b reserves each reference at 511×511 (5.37 a tile); a 64×64 reference is one tile too, so
    // the estimate equals the cost here; a request without the reference costs less than one with.
    const { key, settings } = newKey();
    await generate(settings, key, { model: "flux-2-klein-4b", size: "1024x1024" });
    expect((await settledUsage(settings, key)).today).toMatchObject({ neurons: 104.2, pictures: 1 });
  });

  it("settles above the estimate when Workers AI reports more, and the budget counts what was spent", async () => {
    const { key, settings } = newKey(1000);
    const response = await generate(settings, key, { prompt: `${marker()} a kite #neurons=700` });
    expect((await response.json<{ cost: unknown }>()).cost).toEqual({ neurons: 700, usd: 0.0077, estimated: false });
    expect((await settledUsage(settings, key)).budget.key.remaining).toBe(300);
    // 700 spent + 172.8 estimated fits in 1,000; then 872.8 + 172.8 does not.
    expect((await generate(settings, key)).status).toBe(200);
    await settledUsage(settings, key);
    expect((await generate(settings, key)).status).toBe(429);
  });

  it("settles below the estimate: a reference smaller than the 511×511 reserved gives the rest back", async () => {
    const { key, settings } = newKey();
    const form = new FormData();
    form.append("prompt", `${marker()} make it blue`);
    form.append("model", "flux-2-klein-9b");
    form.append("size", "1024x1024");
    form.append("image", new Blob([sampleJpeg(100, 100)]), "kite.jpg");
    const response = await callWith(settings, "/v1/images/edits", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    // Reserved: 1,363.64 + 181.82 × 0.048576 + 181.82 × 0.261121 (a 511×511 reference) = 1,419.95.
    // Spent: the reference is 100×100 (0.01 MP).
    expect((await response.json<{ cost: { neurons: number } }>()).cost.neurons).toBe(1374.29);
    expect((await settledUsage(settings, key)).today.neurons).toBe(1374.29);
  });

  it("charges the formula's estimate when Workers AI reports no figure", async () => {
    const { key, settings } = newKey();
    const response = await generate(settings, key, { prompt: `${marker()} a kite #neurons=none` });
    expect((await response.json<{ cost: unknown }>()).cost).toEqual({ neurons: 172.8, usd: 0.001901, estimated: true });
    expect((await settledUsage(settings, key)).today.neurons).toBe(172.8);
  });

  it("charges a failed job what it paid for: the pictures painted before another failed", async () => {
    const { key, settings } = newKey();
    // n = 2 with the same prompt: the first call is refused, the other paints and is paid.
    const failed = await generate(settings, key, { n: 2, prompt: `${marker()} a kite #fault=nsfw*1` });
    expect(failed.status).toBe(400);
    expect((await settledUsage(settings, key)).today).toMatchObject({ neurons: SCHNELL, pictures: 0 });
  });

  it("says so when only pictures being painted hold the budget, with a short Retry-After", async () => {
    const { key, settings } = newKey(200);
    const running = generate(settings, key, { prompt: `${marker()} a kite #delay=400` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await generate(settings, key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60"); // IMAGE_TIMEOUT
    expect((await refused.json<{ error: { message: string } }>()).error.message).toContain(
      "held by pictures being painted",
    );
    expect((await running).status).toBe(200);
  });

  it("releases a failed job's reservation", async () => {
    const { key, settings } = newKey(SCHNELL);
    const failed = await generate(settings, key, { prompt: `${marker()} a kite #fault=nsfw` });
    expect(failed.status).toBe(400);
    await settledUsage(settings, key);
    expect((await generate(settings, key)).status).toBe(200);
  });
});

describe("the service's daily budget", () => {
  it("holds across keys", async () => {
    const first = newKey();
    const second = newKey();
    // The earlier tests' jobs settle into the service's day after their answers: wait until it is still.
    let spent = -1;
    for (let latest = 0; latest !== spent; await new Promise((resolve) => setTimeout(resolve, 100))) {
      spent = latest;
      latest = (await usage(first.settings, first.key)).budget.service.spent;
    }
    const settings = {
      API_KEY: `${first.settings.API_KEY}, ${second.settings.API_KEY}`,
      RATE_LIMIT_PER_MINUTE: "0",
      DAILY_NEURON_LIMIT_TOTAL: String(spent + 2 * SCHNELL),
    };
    expect((await generate(settings, first.key)).status).toBe(200);
    expect((await generate(settings, second.key)).status).toBe(200);
    const refused = await generate(settings, second.key);
    expect(refused.status).toBe(429);
    expect((await refused.json<{ error: { message: string } }>()).error.message).toContain("the service");
  });
});

describe("GET /v1/usage", () => {
  it("reports the key's day by model, its budget and what remains, by the key's name, and the last days", async () => {
    const { key, name, settings } = newKey(1000);
    await generate(settings, key);
    await generate(settings, key, { model: "flux-2-klein-4b", size: "1024x1024" });
    const figures = await settledUsage(settings, key);
    expect(figures).toMatchObject({
      key: name,
      day: utcDay(),
      resets_at: Math.floor(nextUtcMidnight() / 1000),
      today: {
        neurons: 277,
        pictures: 2,
        reserved: 0,
        models: {
          "@cf/black-forest-labs/flux-1-schnell": { neurons: SCHNELL, pictures: 1 },
          "@cf/black-forest-labs/flux-2-klein-4b": { neurons: 104.2, pictures: 1 },
        },
      },
      budget: { key: { limit: 1000, remaining: 723 } },
    });
    expect(figures.days[0]).toMatchObject({ day: utcDay(), neurons: 277, pictures: 2 });
  });

  it("needs the API key", async () => {
    const response = await callWith({}, "/v1/usage");
    expect(response.status).toBe(401);
  });
});

describe("GET /v1/jobs", () => {
  it("lists the caller's own jobs, newest first, paged, with links and neurons", async () => {
    const mine = newKey();
    const other = newKey();
    const settings = { API_KEY: `${mine.settings.API_KEY}, ${other.settings.API_KEY}`, RATE_LIMIT_PER_MINUTE: "0" };
    for (let index = 0; index < 3; index++)
      await generate(settings, mine.key, { response_format: "url", prompt: `${marker()} kite ${index}` });
    await generate(settings, other.key);
    await settledUsage(settings, mine.key);
    const list = async (query: string) => {
      const response = await callWith(settings, `/v1/jobs${query}`, {
        headers: { authorization: `Bearer ${mine.key}` },
      });
      return response.json<{
        data: { id: string; prompt: string; images: string[]; neurons: number; status: string }[];
        has_more: boolean;
        last_id: string | null;
      }>();
    };
    const all = await list("");
    expect(all.data).toHaveLength(3);
    expect(all.data.map((job) => job.prompt.slice(-6))).toEqual(["kite 2", "kite 1", "kite 0"]);
    expect(all.data[0]).toMatchObject({ status: "succeeded", neurons: SCHNELL, usd: 0.001901, seeds: [null] });
    expect(all.data[0]?.images[0]).toMatch(/\/image\//);
    const page = await list("?limit=2");
    expect(page).toMatchObject({ has_more: true, last_id: all.data[1]?.id });
    const rest = await list(`?limit=2&after=${page.last_id}`);
    expect(rest).toMatchObject({ has_more: false });
    expect(rest.data.map((job) => job.id)).toEqual([all.data[2]?.id]);
    // A cursor whose job is gone gives no page, not the first one again.
    expect(await list(`?after=${"0".repeat(64)}`)).toMatchObject({ data: [], has_more: false });
    const bad = await callWith(settings, "/v1/jobs?limit=1000", { headers: { authorization: `Bearer ${mine.key}` } });
    expect(bad.status).toBe(400);
  });
});

describe("the UTC day", () => {
  it("rolls over at 00:00 UTC", () => {
    const beforeMidnight = Date.UTC(2026, 11, 31, 23, 59, 59, 500);
    expect(utcDay(beforeMidnight)).toBe("2026-12-31");
    expect(utcDay(beforeMidnight + 500)).toBe("2027-01-01");
    expect(nextUtcMidnight(beforeMidnight)).toBe(Date.UTC(2027, 0, 1));
    expect(secondsUntilUtcMidnight(beforeMidnight)).toBe(1);
  });

  it("fits a reservation that lands exactly on the limit, not one more", () => {
    expect(fitsBudget(345.6, 172.8, 518.4)).toBe(true);
    expect(fitsBudget(345.61, 172.8, 518.4)).toBe(false);
    expect(fitsBudget(1e9, 1, undefined)).toBe(true);
  });
});

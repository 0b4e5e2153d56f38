/**
 * The floor fixture: `GET /object` makes one RPC call to a fresh Durable
 * Object (a new `newUniqueId()` each time, like one GenerationJob per job)
 * that does nothing else; `GET /two-commits` does the same with an object that
 * stores what a job stores, in a job's two commits (a row and an alarm, then
 * an update in a transaction), and no more; `GET /job-calls` makes every object
 * call and commit a job of the project makes, with nothing else: the admission
 * (a call to the key's account, which writes after its answer), the fresh
 * object's two commits, and after the answer its settlement (a call and a
 * commit at the key's account, which passes it on to the service's: another
 * call and commit); `?admit=0` leaves the admission out, as the project does
 * with its rate limit and budgets off. `GET /answer?bytes=N` answers at once with a JSON body of N
 * bytes (made once), what sending the largest answer costs by itself. Any other path answers at once.
 * The differences between them, in the Worker's RSS growth and in latency, are
 * what a live object costs by itself, and what the one-object-per-job design
 * costs before the project's code does anything.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  IDLE_OBJECT: DurableObjectNamespace<IdleObject>;
}

/**
 * The accounts a job's calls are spread over, at random: more than the floor's concurrency (16), as
 * the bench's clients each have a key of their own, so calls to one account seldom queue.
 */
const ACCOUNTS = 32;

/** Holds nothing but what it is asked to store: whatever it costs is the runtime's. */
export class IdleObject extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    // Once per object, as the project's RateLimiter makes its tables; a job's object never uses it.
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS usage (day TEXT PRIMARY KEY, neurons REAL)");
  }

  ping(): string {
    return "pong";
  }

  /** A job's storage pattern without a job: the first commit (row and alarm), a new turn, the second commit. */
  async commitTwice(): Promise<string> {
    this.ctx.storage.sql.exec(
      "CREATE TABLE job (id INTEGER PRIMARY KEY, events TEXT); INSERT INTO job VALUES (1, NULL)",
    );
    await this.ctx.storage.setAlarm(Date.now() + 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec("UPDATE job SET events = '[]'"));
    return "stored";
  }

  /** A job's two commits, then, after the answer, its settlement at `account`. */
  async runJob(account: string): Promise<string> {
    const stored = await this.commitTwice();
    this.ctx.waitUntil(accountStub(this.env, account).settle(true));
    return stored;
  }

  /** An account's admission: one number, written in a later turn, once the answer is on its way. */
  admit(): string {
    setTimeout(() => this.ctx.storage.kv.put("tat", Date.now()), 0);
    return "admitted";
  }

  /** One row added to, in one commit; a key's account passes it on to the service's. */
  async settle(passOn: boolean): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO usage VALUES ('today', 1) ON CONFLICT (day) DO UPDATE SET neurons = neurons + 1",
    );
    if (passOn) await accountStub(this.env, "service").settle(false);
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

/** JSON bodies of a given size, each made once per isolate: sending one is all a request to /answer costs. */
const answers = new Map<number, string>();

function answerOf(bytes: number): string {
  let answer = answers.get(bytes);
  if (answer === undefined) {
    const wrapper = '{"data":[{"b64_json":""}]}';
    answer = wrapper.replace('""', `"${"A".repeat(Math.max(0, bytes - wrapper.length))}"`);
    answers.set(bytes, answer);
  }
  return answer;
}

function accountStub(env: FloorEnv, name: string): DurableObjectStub<IdleObject> {
  return env.IDLE_OBJECT.get(env.IDLE_OBJECT.idFromName(name));
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/job-calls") {
      const account = `account-${Math.floor(Math.random() * ACCOUNTS)}`;
      if (url.searchParams.get("admit") !== "0") await accountStub(env, account).admit();
      return new Response(await env.IDLE_OBJECT.get(env.IDLE_OBJECT.newUniqueId()).runJob(account));
    }
    if (path === "/answer")
      return new Response(answerOf(Number(url.searchParams.get("bytes")) || 0), {
        headers: { "content-type": "application/json" },
      });
    if (path !== "/object" && path !== "/two-commits") return new Response("ok");
    const stub = env.IDLE_OBJECT.get(env.IDLE_OBJECT.newUniqueId());
    return new Response(path === "/object" ? await stub.ping() : await stub.commitTwice());
  },
} satisfies ExportedHandler<FloorEnv>;

/**
 * The floor fixture: `GET /object` makes one RPC call to a fresh Durable
 * Object (a new `newUniqueId()` each time, like one GenerationJob per job)
 * that does nothing else; `GET /two-commits` does the same with an object that
 * stores what a job stores, in a job's two commits (a row and an alarm, then
 * an update in a transaction), and no more; any other path answers at once.
 * The differences between them, in the Worker's RSS growth and in latency, are
 * what a live object costs by itself, and what the one-object-per-job design
 * costs before the project's code does anything.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  IDLE_OBJECT: DurableObjectNamespace<IdleObject>;
}

/** Holds nothing but what it is asked to store: whatever it costs is the runtime's. */
export class IdleObject extends DurableObject<FloorEnv> {
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

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path !== "/object" && path !== "/two-commits") return new Response("ok");
    const stub = env.IDLE_OBJECT.get(env.IDLE_OBJECT.newUniqueId());
    return new Response(path === "/object" ? await stub.ping() : await stub.commitTwice());
  },
} satisfies ExportedHandler<FloorEnv>;

/**
 * The memory-floor fixture: `GET /object` makes one RPC call to a fresh
 * Durable Object (a new `newUniqueId()` each time, like one GenerationJob per
 * job) that does nothing else; any other path answers at once. The difference
 * in the Worker's RSS growth per request between the two is what a live object
 * costs by itself.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  IDLE_OBJECT: DurableObjectNamespace<IdleObject>;
}

/** Holds nothing, stores nothing: whatever memory it costs is the runtime's. */
export class IdleObject extends DurableObject<FloorEnv> {
  ping(): string {
    return "pong";
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    if (new URL(request.url).pathname !== "/object") return new Response("ok");
    const stub = env.IDLE_OBJECT.get(env.IDLE_OBJECT.newUniqueId());
    return new Response(await stub.ping());
  },
} satisfies ExportedHandler<FloorEnv>;

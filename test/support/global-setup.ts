/** Starts the stand-in upstream once for the workerd tests and tells them where it listens. */
import type { TestProject } from "vitest/node";
import { startStandIn } from "../../tools/stand-in/server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    standInUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const standIn = await startStandIn({ port: 0, quiet: true });
  project.provide("standInUrl", standIn.url);
  return () => standIn.close();
}

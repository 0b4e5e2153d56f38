/**
 * Starts the stand-in upstream and the test image server once for the workerd tests and tells
 * them where they listen.
 */
import type { TestProject } from "vitest/node";
import { startStandIn } from "../../tools/stand-in/server.ts";
import { startImageServer } from "./image-server.ts";
import "./provided-context.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [standIn, imageServer] = await Promise.all([startStandIn({ port: 0, quiet: true }), startImageServer()]);
  project.provide("standInUrl", standIn.url);
  project.provide("imageServerUrl", imageServer.url);
  return async () => {
    await Promise.all([standIn.close(), imageServer.close()]);
  };
}

/**
 * What globalSetup provides to the tests (`inject`), typed where both the Node side
 * (vitest.config.ts, global-setup.ts) and the workerd tests can see it.
 */
declare module "vitest" {
  export interface ProvidedContext {
    /** The stand-in upstream (tools/stand-in). */
    standInUrl: string;
    /** The test image server (image-server.ts), reached from tests through a fetch that maps https://images.test to it. */
    imageServerUrl: string;
  }
}

export {};

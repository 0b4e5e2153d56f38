/**
 * Two test projects:
 * - `workers`: the Worker and its modules inside workerd (the Cloudflare
 *   vitest plugin), talking to the local stand-in upstream that globalSetup
 *   starts on a free port;
 * - `node`: the stand-in itself, what the Worker bundle is built from, and
 *   the end-to-end tests that start the service the way the README does and
 *   drive it with real clients.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { dropExpectedRuntimeReports, showConsoleLog } from "./test/support/quiet-output.ts";

export const TEST_API_KEY = "sk-test-key";

dropExpectedRuntimeReports();

export default defineConfig({
  test: {
    onConsoleLog: showConsoleLog,
    // Chosen, not defaulted: each file gets its own isolate (its own storage, and in the node
    // project its own service), and saying so stops vitest suggesting otherwise after every run.
    isolate: true,
    // Only tests slower than this are listed on their own: the e2e tests each take about a second.
    slowTestThreshold: 5_000,
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.jsonc" },
            // The AI binding is for deployment; tests reach the stand-in over REST, offline.
            remoteBindings: false,
            miniflare: {
              bindings: {
                API_KEY: `${TEST_API_KEY},sk-second-key`,
                CF_API_BASE: `${inject<string>("standInUrl")}/client/v4`,
                CF_ACCOUNT_ID: "test-account",
                CF_API_TOKEN: "test-token",
                EXTERNAL_API_BASE: `${inject<string>("standInUrl")}/v1`,
                EXTERNAL_API_KEY: "test-external-key",
                EXTERNAL_MODEL: "stand-in-optimizer",
                IMAGE_EXPIRATION: "120",
                RATE_LIMIT_PER_MINUTE: "0",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/stand-in/**/*.test.ts", "test/build/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

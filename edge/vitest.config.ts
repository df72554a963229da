import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import {
  OTHER_CLIENT_ID,
  OTHER_CLIENT_KEY,
  TEST_BACKEND_URL,
  TEST_CLIENT_ID,
  TEST_CLIENT_KEY,
  TEST_CLIENT_KEY_NEXT,
  TEST_JWKS_URL,
  TEST_METRICS_TOKEN,
  TEST_ORIGIN,
  TEST_SERVICE_KEY,
} from "./test/constants.ts";

// Tests run inside workerd with the real local KV/DO/Queue/R2 implementations from
// wrangler.jsonc. Only outbound HTTP (JWKS, backend) is faked, by test/outbound.ts.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          JWKS_URL: TEST_JWKS_URL,
          BACKEND_URL: TEST_BACKEND_URL,
          ALLOWED_ORIGINS: `https://app.twist.finance,${TEST_ORIGIN}`,
          CLIENT_KEYS: JSON.stringify({
            [TEST_CLIENT_ID]: [TEST_CLIENT_KEY, TEST_CLIENT_KEY_NEXT],
            [OTHER_CLIENT_ID]: [OTHER_CLIENT_KEY],
          }),
          SERVICE_KEY: TEST_SERVICE_KEY,
          METRICS_TOKEN: TEST_METRICS_TOKEN,
          // Flush audit and metrics on every request so tests can observe them deterministically.
          AUDIT_FLUSH_MS: "0",
          METRICS_FLUSH_MS: "0",
        },
        // Deliver queue batches after 1 s instead of 5 s so the end-to-end test is quick.
        queueConsumers: {
          "twist-vau-rewards": {
            maxBatchSize: 100,
            maxBatchTimeout: 1,
            maxRetries: 10,
            deadLetterQueue: "twist-vau-rewards-dlq",
          },
        },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    testTimeout: 20_000,
  },
});

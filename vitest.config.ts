import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // integration tests share one Postgres database and one Redis: files run one at a time
    fileParallelism: false,
    setupFiles: ["test/support/setup.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      NODE_ENV: "test",
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/kyc_gateway_test",
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      ADMIN_TOKEN: "test-admin-token-0123456789",
      MASTER_KEY: "0000000000000000000000000000000000000000000000000000000000000001",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
      VENDOR_RETRY_BASE_MS: "20",
      OUTBOX_INTERVAL_MS: "50",
      WEBHOOK_RETRY_SCHEDULE: "200ms,400ms",
      LOG_LEVEL: "silent",
      INGEST_UNKNOWN_REFERENCE_GRACE_MS: "3000",
      // bursts of hundreds of requests per key are what several tests are about; test/integration/limits.test.ts sets a real limit
      RATE_LIMIT_PER_KEY_PER_SECOND: "100000",
    },
  },
});

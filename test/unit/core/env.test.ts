import { describe, expect, it } from "vitest";
import { loadEnv } from "../../../src/config/env.js";

describe("environment", () => {
  it("lists every bad variable at once", () => {
    expect(() => loadEnv({ PORT: "notaport", ADMIN_TOKEN: "short", MASTER_KEY: "nope", WEBHOOK_RETRY_SCHEDULE: "5 minutes" })).toThrow(
      /PORT[\s\S]*ADMIN_TOKEN[\s\S]*MASTER_KEY[\s\S]*WEBHOOK_RETRY_SCHEDULE/,
    );
  });
  it("parses durations and defaults to Standard Webhooks' retry schedule", () => {
    const env = loadEnv({ ADMIN_TOKEN: "x".repeat(16), MASTER_KEY: Buffer.alloc(32, 1).toString("base64") });
    expect(env.webhookRetryScheduleMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(env.WEBHOOK_ALLOW_PRIVATE_URLS).toBe(false);
    expect(env.PUBLIC_BASE_URL).toBe("http://localhost:8080");
    expect(env.masterKey.length).toBe(32);
  });
  it("requires PUBLIC_BASE_URL in production (vendor webhook URLs are built from it)", () => {
    // 32 characters: production refuses a shorter ADMIN_TOKEN (test/unit/core/safe-defaults.test.ts)
    const secrets = { ADMIN_TOKEN: "x".repeat(32), MASTER_KEY: Buffer.alloc(32, 1).toString("base64") };
    expect(() => loadEnv({ ...secrets, NODE_ENV: "production" })).toThrow(/PUBLIC_BASE_URL: required when NODE_ENV=production/);
    expect(loadEnv({ ...secrets, NODE_ENV: "production", PUBLIC_BASE_URL: "https://kyc.example.com/" }).PUBLIC_BASE_URL).toBe("https://kyc.example.com");
    const env = loadEnv({ ...secrets, MIGRATE_ON_START: "false" });
    expect([env.MIGRATE_ON_START, env.WORKER_METRICS_PORT]).toEqual([false, 9464]);
  });
});

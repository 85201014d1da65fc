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
});

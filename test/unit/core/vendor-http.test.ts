import express from "express";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VendorError } from "../../../src/domain/errors.js";
import { createVendorHttp, resetResilience, type VendorCallRecord } from "../../../src/core/vendor-http.js";

let base = "";
let server: import("node:http").Server;
const state = { failures: 0, inFlight: 0, maxInFlight: 0, retryAfter: "0" };

beforeAll(async () => {
  const app = express();
  app.post("/flaky", (_req, res) => {
    if (state.failures > 0) {
      state.failures -= 1;
      return res.status(503).json({});
    }
    res.json({ ok: true });
  });
  app.post("/limited", (_req, res) => res.status(429).setHeader("Retry-After", state.retryAfter).json({}));
  app.post("/slow", async (_req, res) => {
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    await new Promise((r) => setTimeout(r, 40));
    state.inFlight -= 1;
    res.json({});
  });
  app.post("/hang", () => undefined);
  app.post("/bad", (_req, res) => res.status(401).json({}));
  await new Promise<void>((r) => (server = app.listen(0, "127.0.0.1", () => r())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const http = (calls: VendorCallRecord[], accountId = `va_${Math.random()}`, extra = {}) =>
  createVendorHttp({
    vendor: "dms",
    vendorAccountId: accountId,
    verificationId: null,
    settings: { retryBaseMs: 1, retryMaxMs: 5, ...extra },
    onCall: (c) => calls.push(c),
  });

describe("the one vendor-call path", () => {
  it("retries a 5xx and records every attempt", async () => {
    state.failures = 2;
    const calls: VendorCallRecord[] = [];
    const res = await http(calls).call({ endpoint: "flaky", url: `${base}/flaky` });
    expect(res.json).toEqual({ ok: true });
    expect(calls.map((c) => [c.attempt, c.httpStatus, c.outcome])).toEqual([
      [1, 503, "error"],
      [2, 503, "error"],
      [3, 200, "ok"],
    ]);
  });

  it("does not retry a call marked retry: false", async () => {
    state.failures = 1;
    const calls: VendorCallRecord[] = [];
    await expect(http(calls).call({ endpoint: "flaky", url: `${base}/flaky`, retry: false })).rejects.toMatchObject({ kind: "unavailable" });
    expect(calls).toHaveLength(1);
    state.failures = 0;
  });

  it("honours Retry-After on 429, and gives up when it is too long", async () => {
    state.retryAfter = "0";
    const calls: VendorCallRecord[] = [];
    await expect(http(calls).call({ endpoint: "limited", url: `${base}/limited` })).rejects.toMatchObject({ kind: "rate_limited" });
    expect(calls).toHaveLength(3);
    state.retryAfter = "3600";
    const calls2: VendorCallRecord[] = [];
    await expect(http(calls2).call({ endpoint: "limited", url: `${base}/limited` })).rejects.toBeInstanceOf(VendorError);
    expect(calls2).toHaveLength(1);
  });

  it("times out as a retryable timeout", async () => {
    const calls: VendorCallRecord[] = [];
    await expect(http(calls, undefined, { maxRetries: 0 }).call({ endpoint: "hang", url: `${base}/hang`, timeoutMs: 100 })).rejects.toMatchObject({
      kind: "timeout",
      retryable: true,
      reasonCode: "vendor_timeout",
    });
  });

  it("maps 401 to a non-retryable auth error", async () => {
    const calls: VendorCallRecord[] = [];
    await expect(http(calls).call({ endpoint: "bad", url: `${base}/bad` })).rejects.toMatchObject({
      kind: "auth",
      retryable: false,
      reasonCode: "vendor_auth_failed",
    });
    expect(calls).toHaveLength(1);
  });

  it("opens the circuit after consecutive vendor faults and stops calling", async () => {
    resetResilience();
    const accountId = "va_breaker";
    state.failures = 100;
    const calls: VendorCallRecord[] = [];
    const h = http(calls, accountId, { maxRetries: 0, breakerThreshold: 3 });
    for (let i = 0; i < 3; i++) await expect(h.call({ endpoint: "flaky", url: `${base}/flaky` })).rejects.toMatchObject({ kind: "unavailable" });
    await expect(h.call({ endpoint: "flaky", url: `${base}/flaky` })).rejects.toThrow(/circuit open/);
    expect(calls).toHaveLength(3);
    state.failures = 0;
  });

  it("keeps at most `concurrency` calls in flight per account and queues the rest", async () => {
    state.maxInFlight = 0;
    const calls: VendorCallRecord[] = [];
    const h = http(calls, "va_conc", { concurrency: 3 });
    await Promise.all(Array.from({ length: 15 }, () => h.call({ endpoint: "slow", url: `${base}/slow` })));
    expect(calls).toHaveLength(15);
    expect(state.maxInFlight).toBe(3);
  });
});

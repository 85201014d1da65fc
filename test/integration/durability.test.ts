// Poll chains that never die and expiry that asks first (the durability issue's poll faults):
// the Identomat sandbox is faulted for longer than a BullMQ job's attempts would last.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const IDM = (settings: Record<string, unknown> = {}) => ({ vendor: "identomat", credentials: { companyKey: "sandbox-identomat-key" }, settings: { pollScheduleSeconds: [0.2], maxPollsPerMinute: 600, maxRetries: 0, pollBackoffMaxSeconds: 0.2, ...settings } });
const request = (query: string) => ({ checks: ["document", "liveness", "face_match"], document: { country: "GE" }, hosted: { returnUrl: `https://tenant.example/done?${query}` } });
const until = (apiKey: string, id: string, wanted: (v: any) => boolean, ms = 20_000) =>
  waitUntil(async () => {
    const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
    return wanted(r.body) ? r.body : null;
  }, ms, `verification ${id}`);

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("a poll chain never dies", () => {
  it("seven unreadable answers in a row (more than a job's five attempts) are retried on the slow schedule until the vendor answers", async () => {
    const t = await createTenantWithAccounts(gw, [IDM()]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    await until(t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    gw.faults.add({ vendor: "identomat", endpoint: "result/", fault: "malformed", times: 7, latencyMs: 0 });
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed", 30_000);
    expect(v.decision).toBe("approved");
    const failed = await gw.db.verificationEvent.findMany({ where: { verificationId: v.id, type: "poll_failed" } });
    expect(failed.length).toBeGreaterThanOrEqual(7);
    expect(failed.map((e) => (e.detail as { failures: number }).failures).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("a 503 outage is retried with backoff, never failing the verification", async () => {
    const t = await createTenantWithAccounts(gw, [IDM()]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    await until(t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    gw.faults.add({ vendor: "identomat", endpoint: "result/", fault: "http_503", times: 4, latencyMs: 0 });
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed", 30_000);
    expect(v.decision).toBe("approved");
  });
});

describe("expiry asks the vendor first", () => {
  it("a session past its deadline is polled one last time: the user finished, it is approved, not abandoned", async () => {
    // the deadline (0.6 s) passes before the first poll (1.5 s)
    const t = await createTenantWithAccounts(gw, [IDM({ pollScheduleSeconds: [1.5], sessionTtlMinutes: 0.01, expiryMarginMinutes: 0 })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    const v = await until(t.apiKey, created.body.id, (x) => ["completed", "expired"].includes(x.status));
    expect(v).toMatchObject({ status: "completed", decision: "approved" });
  });

  it("one still in progress at its deadline expires with user_abandoned", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ pollScheduleSeconds: [1.5], sessionTtlMinutes: 0.01, expiryMarginMinutes: 0 })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=5"));
    const v = await until(t.apiKey, created.body.id, (x) => ["completed", "expired"].includes(x.status));
    expect(v).toMatchObject({ status: "expired", reasons: [{ code: "user_abandoned" }] });
    expect(await gw.db.vendorCall.count({ where: { verificationId: v.id, endpoint: "result" } })).toBeGreaterThanOrEqual(1);
  });
});

// Poll chains that never die and expiry that asks first (the durability issue's poll faults):
// the Identomat sandbox is faulted for longer than a BullMQ job's attempts would last.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const IDM = (settings: Record<string, unknown> = {}) => ({
  vendor: "identomat",
  credentials: { companyKey: "sandbox-identomat-key" },
  settings: { pollScheduleSeconds: [0.2], maxPollsPerMinute: 600, maxRetries: 0, pollBackoffMaxSeconds: 0.2, ...settings },
});
const request = (query: string) => ({
  checks: ["document", "liveness", "face_match"],
  document: { country: "GE" },
  hosted: { returnUrl: `https://tenant.example/done?${query}` },
});
const until = (apiKey: string, id: string, wanted: (v: any) => boolean, ms = 20_000) =>
  waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return wanted(r.body) ? r.body : null;
    },
    ms,
    `verification ${id}`,
  );

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("a poll chain never dies", () => {
  it("seven unreadable answers in a row (more than a job's five attempts) are retried on the slow schedule until the vendor answers", async () => {
    const t = await createTenantWithAccounts(gw, [IDM()]);
    // faulted before the session starts: the first poll comes 0.2 s after it, too soon to add a fault in between
    gw.faults.add({ vendor: "identomat", endpoint: "result/", fault: "malformed", times: 7, latencyMs: 0 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed", 30_000);
    expect(v.decision).toBe("approved");
    const failed = await gw.db.verificationEvent.findMany({ where: { verificationId: v.id, type: "poll_failed" } });
    expect(failed.length).toBeGreaterThanOrEqual(7);
    expect(failed.map((e) => (e.detail as { failures: number }).failures).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("a 503 outage is retried with backoff, never failing the verification", async () => {
    const t = await createTenantWithAccounts(gw, [IDM()]);
    gw.faults.add({ vendor: "identomat", endpoint: "result/", fault: "http_503", times: 4, latencyMs: 0 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed", 30_000);
    expect(v.decision).toBe("approved");
  });
});

describe("a 45 s vendor outage", () => {
  it("Identomat's result/ answering 503 for 45 s (the outage of the issue) never ends the poll chain: approved once it is back", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ pollBackoffMaxSeconds: 2 })]);
    gw.faults.add({ vendor: "identomat", endpoint: "result/", fault: "http_503", times: 0, latencyMs: 0 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("polls=0"));
    const startedAt = Date.now();
    await until(t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    await new Promise((r) => setTimeout(r, 45_000 - (Date.now() - startedAt)));
    const during = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
    expect(during.body.status).toBe("awaiting_user");
    const failed = await gw.db.verificationEvent.count({ where: { verificationId: created.body.id, type: "poll_failed" } });
    expect(failed).toBeGreaterThan(5); // more failed polls than a BullMQ job's attempts
    gw.faults.clear();
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed", 40_000);
    expect(v.decision).toBe("approved");
  }, 120_000);
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

describe("one vendor start per verification", () => {
  it("a duplicated submit job (two workers at once) calls the vendor once; the other comes back when the claim lapses", async () => {
    const { processSubmit } = await import("../../src/workers/processors.js");
    const pino = (await import("pino")).default;
    const { fakeJpeg } = await import("../support/adapter-harness.js");
    const { DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT } = await import("../support/gateway.js");
    const quiet = await startTestGateway({ workers: false });
    try {
      const t = await createTenantWithAccounts(quiet, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
      const created = await quiet.tenant(t.apiKey, "POST", "/v1/verifications", {
        checks: ["document"],
        subject: DMS_SANDBOX_SUBJECT,
        document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
      });
      expect(created.status).toBe(202);
      // a slow vendor: both jobs are inside the start at once
      quiet.faults.add({ vendor: "dms", fault: "latency", latencyMs: 400, times: 2 });
      const deps = { db: quiet.db, env: quiet.env, log: pino({ level: "silent" }) };
      await Promise.all([processSubmit(deps, { verificationId: created.body.id }), processSubmit(deps, { verificationId: created.body.id })]);
      const calls = await quiet.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
      expect(calls).toHaveLength(1);
      const v = await quiet.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
      expect(v).toMatchObject({ status: "completed", decision: "approved", startClaims: 1, startClaimedUntil: null });
      // the job that found the claim held left a durable retry for when it lapses (a no-op now: the verification moved on)
      expect(await quiet.db.outboxMessage.count({ where: { jobId: { startsWith: `submit-${created.body.id}-after-claim-` } } })).toBe(1);
      await processSubmit(deps, { verificationId: created.body.id });
      expect(await quiet.db.vendorCall.count({ where: { verificationId: created.body.id } })).toBe(1);
    } finally {
      await quiet.close();
    }
  });

  it("a start whose holder died is repeated once its claim lapses, and the repeat is in the event log", async () => {
    const { processSubmit } = await import("../../src/workers/processors.js");
    const pino = (await import("pino")).default;
    const { fakeJpeg } = await import("../support/adapter-harness.js");
    const quiet = await startTestGateway({ workers: false });
    try {
      const t = await createTenantWithAccounts(quiet, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
      const created = await quiet.tenant(t.apiKey, "POST", "/v1/verifications", {
        checks: ["document"],
        document: { images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
      });
      // a worker took the claim and died: its lease has already lapsed
      await quiet.db.verification.update({ where: { id: created.body.id }, data: { startClaims: 1, startClaimedUntil: new Date(Date.now() - 1000) } });
      await processSubmit({ db: quiet.db, env: quiet.env, log: pino({ level: "silent" }) }, { verificationId: created.body.id });
      const v = await quiet.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
      expect(v).toMatchObject({ status: "completed", startClaims: 2 });
      expect(await quiet.db.verificationEvent.count({ where: { verificationId: v.id, type: "vendor_start_repeated" } })).toBe(1);
    } finally {
      await quiet.close();
    }
  });
});

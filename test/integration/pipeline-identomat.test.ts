// Identomat through the pipeline: hosted session, BullMQ-delayed polling until the
// result leaves IN_PROGRESS, review settled later, expiry, erasure, and a worker
// stopped in the middle of polling that resumes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { takePollBudget } from "../../src/workers/processors.js";
import { createTenantWithAccounts, startTestGateway, startWebhookReceiver, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const FAST = { pollScheduleSeconds: [0.2], maxPollsPerMinute: 600 };
const account = (settings: Record<string, unknown> = {}) => ({
  vendor: "identomat",
  credentials: { companyKey: "sandbox-identomat-key" },
  settings: { ...FAST, ...settings },
});
const request = (returnUrl: string) => ({
  reference: "idm",
  checks: ["document", "liveness", "face_match"],
  document: { type: "passport", country: "ES" },
  hosted: { returnUrl, language: "es" },
});

async function statusOf(apiKey: string, id: string, wanted: (v: any) => boolean, timeoutMs = 15_000) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return wanted(r.body) ? r.body : null;
    },
    timeoutMs,
    `verification ${id}`,
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("Identomat end to end", () => {
  it("redirects the user, polls until approved, and sends a verified webhook", async () => {
    const t = await createTenantWithAccounts(gw, [account()]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("https://tenant.example/done?polls=2"));
    expect(created.status).toBe(202);
    const awaiting = await statusOf(t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    expect(awaiting.nextAction.type).toBe("redirect");
    expect(awaiting.nextAction.url).toContain(awaiting.vendorReference);
    const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(hook.json.data).toMatchObject({
      status: "completed",
      decision: "approved",
      vendor: "identomat",
      checks: { liveness: { outcome: "pass" }, faceMatch: { outcome: "pass" } },
    });
    const polls = await gw.db.verificationEvent.count({ where: { verificationId: created.body.id, source: "poll" } });
    expect(polls).toBeGreaterThanOrEqual(1);
    const session = (await (await fetch(`${gw.sandboxUrl}/identomat/_control/sessions/${awaiting.vendorReference}`)).json()) as { resultCalls: number };
    expect(session.resultCalls).toBe(3); // two IN_PROGRESS answers, then the result: no hammering
    await rx.close();
  });

  it("a MANUAL_CHECK is a review, settled later by the vendor's operator, and the tenant is told again", async () => {
    const t = await createTenantWithAccounts(gw, [account({ manualCheckPollSeconds: 0.3 })]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      request("https://tenant.example/done?magic=MANUAL_CHECK_THEN_APPROVED&settle=2&polls=0"),
    );
    const review = await rx.waitFor((r) => r.json.data.id === created.body.id && r.json.data.decision === "review");
    expect(review.json.data.reasons.map((r: { code: string }) => r.code)).toContain("manual_review_required");
    const settled = await rx.waitFor((r) => r.json.data.id === created.body.id && r.json.data.decision === "approved");
    expect(settled.json.type).toBe("verification.completed");
    expect(rx.received.filter((r) => r.json.data.id === created.body.id).map((r) => r.json.data.decision)).toEqual(["review", "approved"]);
  });

  it("declines a REJECTED session with the vendor's reason mapped", async () => {
    const t = await createTenantWithAccounts(gw, [account()]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("https://tenant.example/done?magic=REJECTED:DOCUMENT_EXPIRED&polls=0"));
    const v = await statusOf(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("declined");
    expect(v.reasons[0]).toMatchObject({ code: "document_expired", vendor: "identomat", vendorCode: "DOCUMENT_EXPIRED" });
  });

  it("an unknown face reject_reason fails the face check, not the document; the operator's comment reaches the resource and is erased with the personal data (issue 10)", async () => {
    const t = await createTenantWithAccounts(gw, [account()]);
    const created = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      request("https://tenant.example/done?magic=REJECTED:FACE_TOO_SMALL&polls=0&comment=Selfie%20too%20far%20from%20the%20camera"),
    );
    const v = await statusOf(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("declined");
    expect(v.reasons).toContainEqual(expect.objectContaining({ code: "capture_invalid", category: "face", vendor: "identomat", vendorCode: "FACE_TOO_SMALL" }));
    expect(v.checks.faceMatch.outcome).toBe("fail");
    expect(v.checks.document.outcome).toBe("pass");
    expect(v.checks.session).toEqual({ operatorComment: "Selfie too far from the camera" });
    const erased = await gw.tenant(t.apiKey, "DELETE", `/v1/verifications/${created.body.id}/personal-data`);
    expect(erased.status).toBeLessThan(300);
    const after = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
    expect(after.body.checks.session).toBeUndefined();
    expect(after.body.decision).toBe("declined");
    // nor in the stored outbound webhook bodies
    const bodies = await gw.db.webhookEvent.findMany({ where: { verificationId: created.body.id } });
    expect(bodies.length).toBeGreaterThan(0);
    expect(JSON.stringify(bodies.map((b) => b.payload))).not.toContain("Selfie too far");
  });

  it("a user who never finishes ends expired with user_abandoned", async () => {
    const t = await createTenantWithAccounts(gw, [account({ sessionTtlMinutes: 0.01, expiryMarginMinutes: 0 })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("https://tenant.example/done?magic=NEVER"));
    const v = await statusOf(t.apiKey, created.body.id, (x) => x.status === "expired");
    expect(v.reasons[0]).toMatchObject({ code: "user_abandoned", category: "user" });
    expect(v.decision).toBeNull();
  });

  it("erasing personal data asks Identomat to delete the session and records the answer", async () => {
    const t = await createTenantWithAccounts(gw, [account()]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("https://tenant.example/done?polls=0"));
    const v = await statusOf(t.apiKey, created.body.id, (x) => x.status === "completed");
    const erased = await gw.tenant(t.apiKey, "DELETE", `/v1/verifications/${created.body.id}/personal-data`);
    expect(erased.status).toBe(200);
    // asked by a retried job; the receipt says when Identomat confirmed
    expect(erased.body.erasure).toMatchObject({ status: "pending", vendors: [{ vendor: "identomat", status: "requested" }] });
    const done = await statusOf(t.apiKey, created.body.id, (x) => x.erasure?.status === "done");
    expect(done.erasure.vendors).toEqual([expect.objectContaining({ vendor: "identomat", status: "confirmed", detail: "identomat deleted the session data" })]);
    await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: created.body.id, type: "vendor_erasure_confirmed" } });
    const again = await fetch(`${gw.sandboxUrl}/identomat/_control/sessions/${v.vendorReference}`);
    expect(again.status).toBe(404); // the session data is gone at the vendor
  });

  it("polling survives the workers being stopped and started again", async () => {
    const t = await createTenantWithAccounts(gw, [account({ pollScheduleSeconds: [0.5] })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("https://tenant.example/done?polls=3"));
    await statusOf(t.apiKey, created.body.id, (x) => x.status === "awaiting_user");
    await waitUntil(async () => (await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } })).pollCount >= 1, 10_000, "a first poll");
    await gw.stopWorkers();
    const during = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(during.status).toBe("awaiting_user");
    await new Promise((r) => setTimeout(r, 800));
    gw.startWorkers();
    const v = await statusOf(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("approved");
  });
});

describe("poll budget per vendor account", () => {
  it("lets maxPollsPerMinute polls through in a minute, then defers to the next minute", async () => {
    const account = `va_budget_${Date.now()}`;
    const now = Date.UTC(2026, 10, 22, 10, 0, 30);
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await takePollBudget(gw.queues.connection, account, 3, now));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThanOrEqual(30_000);
    expect(waits[4]).toBeLessThanOrEqual(32_000);
    expect(await takePollBudget(gw.queues.connection, account, 3, now + 60_000)).toBe(0);
  });
});

// The whole pipeline with DMS through the sandbox, against the real Postgres and Redis:
// outbox -> submit worker -> adapter -> result -> signed tenant webhook.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { signHillogy } from "../../src/adapters/dms/webhooks.js";
import { applyOutcome } from "../../src/core/verifications.js";
import { reason } from "../../src/domain/model.js";
import { createQueues } from "../../src/core/queues.js";
import { startWorkers } from "../../src/workers/runner.js";
import { createOutboxRelay } from "../../src/workers/outbox.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  startWebhookReceiver,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";
import pino from "pino";

let gw: TestGateway;
const GOOD = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one", "dms-secret-two"] } };
const BAD = { vendor: "dms", credentials: { apiKey: "wrong-key", webhookSecrets: ["x"] } };
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const fullRequest = (docTag = "doc", selfieTag = "selfie") => ({
  reference: "customer-42",
  checks: ["document", "liveness", "face_match"],
  // the identity the sandbox's document proves (the gateway compares them)
  subject: { ...DMS_SANDBOX_SUBJECT, phone: "+34600000001" },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img(docTag) }] },
  selfie: { contentType: "image/jpeg", data: img(selfieTag) },
});

async function waitFinal(apiKey: string, id: string) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return ["completed", "failed", "expired", "cancelled"].includes(r.body.status) ? r.body : null;
    },
    20_000,
    `verification ${id} to finish`,
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("DMS end to end through the pipeline", () => {
  it("approves a clean verification and tells the tenant with a signed webhook", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    expect(ep.status).toBe(201);
    expect(ep.body.secret).toMatch(/^whsec_/);
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", fullRequest());
    expect(created.status).toBe(202);
    const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(hook.json.data).toMatchObject({
      status: "completed",
      decision: "approved",
      vendor: "dms",
      reasons: [],
      checks: { document: { outcome: "pass", country: "ES" }, liveness: { outcome: "pass" }, faceMatch: { outcome: "pass" } },
    });
    expect(hook.json.data.checks.faceMatch.similarity).toBeGreaterThan(0);
    const events = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => `${e.source}:${e.toStatus}`)).toEqual(["api:pending", "worker:completed"]);
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((c) => c.vendor === "dms" && c.outcome === "ok" && c.latencyMs >= 0)).toBe(true);
    const payloads = await gw.db.vendorPayload.findMany({ where: { verificationId: created.body.id } });
    expect(payloads.length).toBeGreaterThan(0);
    expect(JSON.stringify(payloads.map((p) => p.body))).not.toContain(img("doc").slice(0, 40));
    await rx.close();
  });

  it("declines an expired document with document_expired", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest("MAGIC:expired"), checks: ["document"] });
    const v = await waitFinal(t.apiKey, created.body.id);
    expect(v.decision).toBe("declined");
    expect(v.reasons.map((r: { code: string }) => r.code)).toContain("document_expired");
  });

  it("retries a sandbox 500 and completes; both attempts are recorded", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    await fetch(`${gw.sandboxUrl}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "dms", endpoint: "idcard_recognition_base64", fault: "http_500", times: 1 }),
    });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const v = await waitFinal(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved" });
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id, endpoint: { contains: "idcard" } }, orderBy: { id: "asc" } });
    expect(calls.map((c) => [c.attempt, c.httpStatus])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });

  it("a vendor auth failure ends failed with vendor_auth_failed and a verification.failed webhook", async () => {
    const t = await createTenantWithAccounts(gw, [BAD]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const hook = await rx.waitFor((r) => r.json.type === "verification.failed");
    expect(rx.verify(rx.received.indexOf(hook))).toBe(true);
    expect(hook.json.data).toMatchObject({ id: created.body.id, status: "failed", decision: null });
    expect(hook.json.data.reasons[0]).toMatchObject({ code: "vendor_auth_failed", category: "technical", vendor: "dms" });
    await rx.close();
  });

  it("falls over to the next account on a technical failure", async () => {
    const t = await createTenantWithAccounts(gw, [BAD, GOOD]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const v = await waitFinal(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved" });
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.vendorAccountId).toBe(t.accounts[1].id);
    const failed = await gw.db.verificationEvent.findFirst({ where: { verificationId: created.body.id, type: "vendor_failed" } });
    expect(failed?.detail).toMatchObject({ reason: "vendor_auth_failed", fallover: true });
  });

  it("never falls over on a decision", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD, GOOD]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest("MAGIC:suspicious"), checks: ["document"] });
    const v = await waitFinal(t.apiKey, created.body.id);
    expect(v.decision).toBe("declined");
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
    expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([t.accounts[0].id]));
  });
});

describe("outbound webhooks", () => {
  it("retries a failing endpoint on the configured schedule, storing every attempt", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const rx = await startWebhookReceiver({ failFirst: 2 });
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    await rx.waitFor((r) => r.json.data.id === created.body.id);
    const deliveries = await waitUntil(async () => {
      const d = await gw.tenant(t.apiKey, "GET", `/v1/webhook-endpoints/${ep.body.id}/deliveries`);
      return d.body.data[0]?.status === "succeeded" ? d.body.data : null;
    });
    expect(deliveries).toHaveLength(1); // only verification.completed was subscribed
    expect(deliveries[0].attempts.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([503, 503, 204]);
    // the success is recorded on the delivery and stops the endpoint's failing clock the failures started
    expect(await gw.db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveries[0].id } })).toMatchObject({
      status: "succeeded",
      attemptCount: 3,
      lastHttpStatus: 204,
      nextAttemptAt: null,
    });
    expect((await gw.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.body.id } })).failingSince).toBeNull();
    await rx.close();
  });

  it("marks a delivery failed after the last attempt, and replays it by id", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const rx = await startWebhookReceiver({ failFirst: 3 });
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
    rx.setSecrets([ep.body.secret]);
    await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const failed = await waitUntil(async () => {
      const d = await gw.tenant(t.apiKey, "GET", `/v1/webhook-endpoints/${ep.body.id}/deliveries`);
      return d.body.data[0]?.status === "failed" ? d.body.data[0] : null;
    });
    expect(failed.attempts).toHaveLength(3);
    const replay = await gw.tenant(t.apiKey, "POST", `/v1/webhook-deliveries/${failed.id}/replay`);
    expect(replay.status).toBe(202);
    const done = await waitUntil(async () => {
      const d = await gw.tenant(t.apiKey, "GET", `/v1/webhook-endpoints/${ep.body.id}/deliveries`);
      return d.body.data[0]?.status === "succeeded" ? d.body.data[0] : null;
    });
    expect(done.attempts).toHaveLength(4);
    expect(rx.verify(0)).toBe(true);
    await rx.close();
  });

  it("signs with both secrets during a rotation", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
    const rotated = await gw.tenant(t.apiKey, "POST", `/v1/webhook-endpoints/${ep.body.id}/rotate-secret`);
    expect(rotated.body.secret).not.toBe(ep.body.secret);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const hook = await rx.waitFor((r) => r.json.data.id === created.body.id);
    expect(hook.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(new Webhook(rotated.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 9).toString("base64")}`).verify(hook.body, hook.headers)).toThrow();
    await rx.close();
  });

  it("disables an endpoint that keeps failing past WEBHOOK_DISABLE_AFTER and tells operations", async () => {
    const quick = await startTestGateway({ envOverrides: { WEBHOOK_DISABLE_AFTER: "300ms", WEBHOOK_RETRY_SCHEDULE: "200ms,200ms,200ms" } });
    try {
      const t = await createTenantWithAccounts(quick, [GOOD]);
      const rx = await startWebhookReceiver({ failFirst: 1000 });
      const ep = await quick.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
      await quick.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
      const disabled = await waitUntil(async () => {
        const list = await quick.tenant(t.apiKey, "GET", "/v1/webhook-endpoints");
        return list.body.data.find((e: { id: string; disabled: boolean }) => e.id === ep.body.id && e.disabled) ?? null;
      });
      expect(disabled.disabled).toBe(true);
      const audit = await quick.db.auditLog.findFirstOrThrow({ where: { entityId: ep.body.id } });
      expect(audit).toMatchObject({ actor: "system", action: "webhook_endpoint.disabled" });
      // a disabled endpoint gets no new deliveries
      const before = await quick.db.webhookDelivery.count({ where: { endpointId: ep.body.id } });
      await quick.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
      await new Promise((r) => setTimeout(r, 800));
      expect(await quick.db.webhookDelivery.count({ where: { endpointId: ep.body.id } })).toBe(before);
      await rx.close();
    } finally {
      await quick.close();
    }
  });

  it("refuses private and loopback URLs unless WEBHOOK_ALLOW_PRIVATE_URLS=true", async () => {
    const strict = await startTestGateway({ workers: false, envOverrides: { WEBHOOK_ALLOW_PRIVATE_URLS: "false" } });
    try {
      const t = await createTenantWithAccounts(strict, [GOOD]);
      for (const url of ["http://127.0.0.1:9000/hook", "http://10.0.0.8/hook", "http://[::1]/x", "http://169.254.169.254/latest"]) {
        const r = await strict.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url });
        expect(r.status, url).toBe(422);
        expect(r.body.errors[0].path).toBe("$.url");
      }
    } finally {
      await strict.close();
    }
  });
});

describe("DMS account webhooks", () => {
  const sendSigned = (url: string, secret: string, event: string, deliveryId: string) =>
    fetch(`${gw.sandboxUrl}/dms/_control/send-webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url, secret, event, deliveryId }),
    }).then((r) => r.json() as Promise<{ status: number }>);

  it("verifies the signature against either secret, dedupes by delivery id and lists the events", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const acct = t.accounts[0];
    const id1 = `d-${Date.now()}-1`;
    expect((await sendSigned(acct.webhookUrl, "dms-secret-one", "anomaly.detected", id1)).status).toBe(200);
    expect((await sendSigned(acct.webhookUrl, "dms-secret-one", "anomaly.detected", id1)).status).toBe(200);
    expect((await sendSigned(acct.webhookUrl, "dms-secret-two", "invoice.paid", `${id1}-b`)).status).toBe(200);
    const events = await waitUntil(async () => {
      const r = await gw.admin("GET", `/admin/vendor-events?accountId=${acct.id}`);
      return r.body.data.length === 2 && r.body.data.find((e: { deliveries: number }) => e.deliveries === 2) ? r.body.data : null;
    });
    expect(events.map((e: { type: string }) => e.type).sort()).toEqual(["anomaly.detected", "invoice.paid"]);
    const filtered = await gw.admin("GET", `/admin/vendor-events?accountId=${acct.id}&type=invoice.paid`);
    expect(filtered.body.data).toHaveLength(1);
  });

  it("answers 401 to a bad signature, a stale timestamp or a tampered body, and stores nothing", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const acct = t.accounts[0];
    expect((await sendSigned(acct.webhookUrl, "not-the-secret", "test", `bad-${Date.now()}`)).status).toBe(401);
    const body = JSON.stringify({ event: "test", deliveryId: "stale-1", timestamp: new Date().toISOString() });
    const old = Math.floor(Date.now() / 1000) - 600;
    const stale = await fetch(acct.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hillogy-delivery-id": "stale-1",
        "x-hillogy-timestamp": String(old),
        "x-hillogy-signature": `t=${old},v1=${signHillogy("dms-secret-one", old, body)}`,
      },
      body,
    });
    expect(stale.status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const tampered = await fetch(acct.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hillogy-delivery-id": "t-1",
        "x-hillogy-timestamp": String(now),
        "x-hillogy-signature": `t=${now},v1=${signHillogy("dms-secret-one", now, body)}`,
      },
      body: body.replace("test", "retry"),
    });
    expect(tampered.status).toBe(401);
    expect(await gw.db.inboundWebhook.count({ where: { vendorAccountId: acct.id } })).toBe(0);
    expect(await gw.db.vendorEvent.count({ where: { vendorAccountId: acct.id } })).toBe(0);
  });
});

describe("DMS account without webhook secrets", () => {
  const NO_WEBHOOKS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key" } };

  it("is accepted, verifies people, and refuses every account webhook", async () => {
    const t = await createTenantWithAccounts(gw, [NO_WEBHOOKS]);
    const acct = t.accounts[0];
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    expect(created.status).toBe(202);
    const v = await waitFinal(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved" });
    const sent = await fetch(`${gw.sandboxUrl}/dms/_control/send-webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: acct.webhookUrl,
        secret: "any-secret-at-all",
        event: "test",
        deliveryId: `nosecret-${Date.now()}`,
        retry: { maxAttempts: 1 },
      }),
    }).then((r) => r.json() as Promise<{ status: number }>);
    expect(sent.status).toBe(401);
    expect(await gw.db.vendorEvent.count({ where: { vendorAccountId: acct.id } })).toBe(0);
  });
});

describe("durability and the state machine", () => {
  it("accepts verifications while Redis is down and runs them when Redis is back", async () => {
    const down = await startTestGateway({ workers: false, envOverrides: { REDIS_URL: "redis://127.0.0.1:6399" } });
    try {
      const t = await createTenantWithAccounts(down, [GOOD]);
      // accepting still works through the outbox: the API stays in rotation, Redis is only reported
      const ready = await fetch(`${down.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", postgres: "ok", redis: expect.stringMatching(/^down/) });
      const created = await down.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
      expect(created.status).toBe(202);
      // a relay on the dead Redis publishes nothing; the work waits in Postgres
      const deadRelay = createOutboxRelay(down.db, down.queues, pino({ level: "silent" }), 1000);
      expect(await deadRelay.flush()).toBe(0);
      const waiting = await down.db.outboxMessage.findFirstOrThrow({ where: { jobId: `submit-${created.body.id}` } });
      expect(waiting.publishedAt).toBeNull();
      // Redis is back: a worker on the real Redis picks the work up
      const liveEnv = { ...down.env, REDIS_URL: gw.env.REDIS_URL };
      const liveQueues = createQueues(gw.env.REDIS_URL, `back${Date.now()}`);
      const live = startWorkers({ db: down.db, env: liveEnv, log: pino({ level: "silent" }), queues: liveQueues });
      try {
        const v = await waitUntil(async () => {
          const r = await down.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
          return r.body.status === "completed" ? r.body : null;
        });
        expect(v.decision).toBe("approved");
      } finally {
        await live.stop();
        for (const q of Object.values(liveQueues.byName)) await q.obliterate({ force: true }).catch(() => undefined);
        await liveQueues.close();
      }
    } finally {
      await down.close();
    }
  });

  it("a late vendor event never moves a verification back; it only lands in the event log", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const done = await waitFinal(t.apiKey, created.body.id);
    const late = await applyOutcome(
      { db: gw.db, log: pino({ level: "silent" }), env: gw.env },
      created.body.id,
      { status: "processing" },
      { source: "webhook", eventType: "vendor_webhook", detail: { vendorStatus: "3001" } },
    );
    expect(late.applied).toBe(false);
    const again = await applyOutcome(
      { db: gw.db, log: pino({ level: "silent" }), env: gw.env },
      created.body.id,
      { status: "failed", reasons: [reason("vendor_error", "dms")] },
      { source: "worker", eventType: "vendor_result" },
    );
    expect(again.applied).toBe(false);
    const after = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
    expect(after.body).toMatchObject({ status: "completed", decision: done.decision, updatedAt: done.updatedAt });
    const ignored = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id, detail: { path: ["ignored"], not: "" } } });
    expect(ignored.length).toBe(2);
  });

  it("erases personal data but keeps the decision and the audit trail", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...fullRequest(), checks: ["document"] });
    const done = await waitFinal(t.apiKey, created.body.id);
    expect(Object.keys(done.checks.document.fields).length).toBeGreaterThan(0);
    await rx.waitFor((r) => r.json.type === "verification.completed");
    const erased = await gw.tenant(t.apiKey, "DELETE", `/v1/verifications/${created.body.id}/personal-data`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ status: "completed", decision: "approved" });
    expect(erased.body.checks.document.fields).toEqual({});
    expect(await gw.db.verificationInput.count({ where: { verificationId: created.body.id } })).toBe(0);
    expect(await gw.db.vendorPayload.count({ where: { verificationId: created.body.id } })).toBe(0);
    const events = await gw.db.webhookEvent.findMany({ where: { verificationId: created.body.id } });
    for (const e of events) expect((e.payload as any).data.checks.document?.fields ?? {}).toEqual({});
    expect(await gw.db.verificationEvent.count({ where: { verificationId: created.body.id } })).toBeGreaterThanOrEqual(3);
    await rx.close();
  });
});

describe("metrics", () => {
  it("exposes vendor-call latency by vendor, endpoint and outcome, queue depths and outcomes", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/kyc_vendor_call_duration_seconds_bucket\{[^}]*vendor="dms"[^}]*endpoint="[^"]+"[^}]*outcome="ok"/);
    expect(text).toMatch(/kyc_verification_outcomes_total\{vendor="dms",status="completed",decision="approved"\}/);
    expect(text).toMatch(/kyc_queue_depth\{queue="submit",state="waiting"\}/);
  });
});

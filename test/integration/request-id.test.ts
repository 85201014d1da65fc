// The request id goes with the work it starts, across processes: into the outbox row (and the job),
// every vendor call row and every outbound webhook (X-Request-Id; webhook-id stays Standard Webhooks').
// Work the gateway starts by itself (a sweep, a vendor webhook) gets an id of its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signHillogy } from "../../src/adapters/dms/webhooks.js";
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

let gw: TestGateway;
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const request = () => ({
  reference: "rid-1",
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
  selfie: { contentType: "image/jpeg", data: fakeJpeg("selfie").toString("base64") },
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  // the sweeper steps in as soon as work is overdue (its own test below)
  gw = await startTestGateway({ workers: false, envOverrides: { SWEEP_GRACE_MS: "0" } });
});
afterAll(async () => gw?.close());

describe("the request id across processes", () => {
  it("a POST with X-Request-Id: abc puts abc on the job, every vendor call row and the delivered webhook", async () => {
    gw.startWorkers();
    try {
      const t = await createTenantWithAccounts(gw, [DMS]);
      const rx = await startWebhookReceiver();
      const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(), { "X-Request-Id": "abc" });
      expect(created.status).toBe(202);
      expect(created.headers.get("x-request-id")).toBe("abc");
      const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
      expect(hook.headers["x-request-id"]).toBe("abc");
      // Standard Webhooks' own id is the event's, untouched
      expect(hook.headers["webhook-id"]).toMatch(/^msg_/);
      expect(hook.headers["webhook-id"]).not.toBe("abc");
      rx.setSecrets([ep.body.secret]);
      expect(rx.verify(rx.received.indexOf(hook))).toBe(true);

      const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.map((c) => c.requestId)).toEqual(calls.map(() => "abc"));
      const submit = await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: `submit-${created.body.id}` } });
      expect(submit.requestId).toBe("abc");
      // the payload stays ids only: the context travels beside it
      expect(submit.payload).toEqual({ verificationId: created.body.id });
      const job = await gw.queues.byName.submit.getJob(`submit-${created.body.id}`);
      expect(job?.data).toMatchObject({ verificationId: created.body.id, context: { requestId: "abc" } });
      const events = await gw.db.webhookEvent.findMany({ where: { verificationId: created.body.id } });
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.requestId === "abc")).toBe(true);
      await rx.close();
    } finally {
      await gw.stopWorkers();
    }
  });

  it("a request id that is not a plain token is replaced by a fresh one", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(), { "X-Request-Id": "Juan Aparicio <j@example.com>" });
    expect(created.status).toBe(202);
    const given = created.headers.get("x-request-id")!;
    expect(given).toMatch(UUID);
    expect((await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: `submit-${created.body.id}` } })).requestId).toBe(given);
  });

  it("work the sweeper starts again carries an id of its own, and so do its vendor calls", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(), { "X-Request-Id": "lost-job" });
    // its job lost (Redis flushed after the publish): the row is published and done, the verification overdue
    const published = await waitUntil(() => gw.queues.byName.submit.getJob(`submit-${created.body.id}`), 5_000, "the accept's own publish");
    await published.remove();
    await gw.db.outboxMessage.updateMany({ where: { jobId: `submit-${created.body.id}` }, data: { publishedAt: new Date(), doneAt: new Date() } });
    await gw.db.verification.update({ where: { id: created.body.id }, data: { nextDueAt: new Date(Date.now() - 60_000) } });
    gw.startWorkers();
    try {
      const swept = await waitUntil(
        () => gw.db.outboxMessage.findFirst({ where: { subjectId: created.body.id, jobId: { contains: "swept" } } }),
        20_000,
        "the sweeper's job",
      );
      expect(swept.requestId).toMatch(UUID);
      expect(swept.requestId).not.toBe("lost-job");
      const calls = await waitUntil(
        async () => {
          const rows = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
          return rows.length >= 3 ? rows : null;
        },
        20_000,
        "the swept start's vendor calls",
      );
      expect(new Set(calls.map((c) => c.requestId))).toEqual(new Set([swept.requestId]));
    } finally {
      await gw.stopWorkers();
    }
  });

  it("a vendor webhook's work carries the id of the webhook request", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const acct = t.accounts[0];
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ event: "test", deliveryId: `rid-${now}`, timestamp: new Date().toISOString() });
    const res = await fetch(acct.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hillogy-delivery-id": `rid-${now}`,
        "x-hillogy-timestamp": String(now),
        "x-hillogy-signature": `t=${now},v1=${signHillogy("dms-secret-one", now, body)}`,
      },
      body,
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const hookRequestId = res.headers.get("x-request-id")!;
    expect(hookRequestId).toMatch(UUID);
    const ingest = await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: `ingest-${id}` } });
    expect(ingest.requestId).toBe(hookRequestId);
  });
});

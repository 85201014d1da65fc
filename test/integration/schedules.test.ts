// Durable schedules (the durability issue's points 2, 5 and 6): Postgres knows what is due, the
// sweeper re-enqueues whatever lost its job, follow-ups and vendor erasures retry on their own rows,
// a processing verification waits for the vendor's deadline, and vendor webhooks that arrive while
// Postgres is down are spooled in Redis and drained in order.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { startTcpProxy } from "../support/tcp-proxy.js";

let gw: TestGateway;
const IDM = (settings: Record<string, unknown> = {}) => ({
  vendor: "identomat",
  credentials: { companyKey: "sandbox-identomat-key" },
  settings: { pollScheduleSeconds: [2], maxPollsPerMinute: 600, maxRetries: 0, ...settings },
});
const idmRequest = (query: string) => ({
  checks: ["document", "liveness", "face_match"],
  document: { country: "GE" },
  hosted: { returnUrl: `https://tenant.example/done?${query}` },
});
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } };
const dmsRequest = () => ({
  checks: ["document"],
  subject: DMS_SANDBOX_SUBJECT,
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
});
const VI_HOOK = { webhookUser: "vi-hook", webhookPassword: "vi-hook-password-1" };
const VI = (apiUser: string, settings: Record<string, unknown> = {}) => ({
  vendor: "verificaridentidad",
  credentials: { apiUser, apiToken: `${apiUser}-token`, ...VI_HOOK },
  settings,
});
const viRequest = (phone: string) => ({
  reference: "vi",
  checks: ["document", "liveness", "face_match"],
  subject: { phone, documentNumber: "00000000T" },
  hosted: { smsMessage: "Verifique su identidad: [LINK]", smsSender: "MiEmpresa" },
});
const viControl = (g: TestGateway, path: string, body: unknown) =>
  fetch(`${g.sandboxUrl}/verificaridentidad/_control/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

const until = (g: TestGateway, apiKey: string, id: string, wanted: (v: any) => boolean, ms = 20_000) =>
  waitUntil(
    async () => {
      const r = await g.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return wanted(r.body) ? r.body : null;
    },
    ms,
    `verification ${id}`,
  );

/** What a Redis flush or a failover without persistence does to this gateway: every key of its prefix gone. */
async function loseRedisData(g: TestGateway) {
  const keys = await g.queues.connection.keys(`${g.queues.prefix}:*`);
  if (keys.length) await g.queues.connection.del(...keys);
}

beforeAll(async () => {
  gw = await startTestGateway({ envOverrides: { SWEEP_GRACE_MS: "300", RETRY_BASE_MS: "20", RETRY_MAX_MS: "150", INGEST_UNKNOWN_REFERENCE_GRACE_MS: "0" } });
});
afterAll(async () => gw?.close());

describe("the sweeper re-enqueues what lost its job", () => {
  it("a poll job Redis lost (flushed after it was published) is published again: the verification still completes", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ pollScheduleSeconds: [2.5] })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", idmRequest("polls=0"));
    await until(gw, t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    // the delayed poll is in Redis by now; then Redis loses everything
    await waitUntil(
      async () => (await gw.db.outboxMessage.count({ where: { subjectId: created.body.id, queue: "poll", publishedAt: { not: null } } })) > 0,
      5000,
      "poll published",
    );
    await loseRedisData(gw);
    const v = await until(gw, t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("approved");
    // the row of the lost job was published again, ran, and is done
    await waitUntil(
      async () => (await gw.db.outboxMessage.findFirstOrThrow({ where: { subjectId: created.body.id, queue: "poll" }, orderBy: { id: "asc" } })).doneAt,
      5000,
      "poll row done",
    );
  });

  it("a verification whose job chain died (its last job failed for good, nothing open) is polled again from its due time", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ pollScheduleSeconds: [2] })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", idmRequest("polls=0"));
    await until(gw, t.apiKey, created.body.id, (v) => v.status === "awaiting_user");
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.nextDueAt).not.toBeNull();
    // the chain dies: no job in Redis, every outbox row of it finished
    await gw.db.outboxMessage.updateMany({ where: { subjectId: created.body.id }, data: { doneAt: new Date(), publishedAt: new Date() } });
    await loseRedisData(gw);
    const v = await until(gw, t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("approved");
    const swept = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id, type: "swept" } });
    expect(swept.length).toBeGreaterThanOrEqual(1);
    const ended = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(ended.nextDueAt).toBeNull();
  });

  it("an inbound vendor webhook still `received` whose ingest job was lost is ingested", async () => {
    const t = await createTenantWithAccounts(gw, [VI("sandboxsweep")]);
    await gw.stopWorkers();
    try {
      const body = readFileSync("src/adapters/verificaridentidad/fixtures/webhook-5001.json", "utf8");
      const auth = `Basic ${Buffer.from(`${VI_HOOK.webhookUser}:${VI_HOOK.webhookPassword}`).toString("base64")}`;
      const res = await fetch(t.accounts[0].webhookUrl, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body });
      expect(res.status).toBe(200);
      const { id } = (await res.json()) as { id: string };
      await gw.db.outboxMessage.updateMany({ where: { subjectId: id }, data: { doneAt: new Date(), publishedAt: new Date() } });
      gw.startWorkers();
      await waitUntil(async () => (await gw.db.inboundWebhook.findUniqueOrThrow({ where: { id } })).status === "processed", 15_000, "ingested");
      const hook = await gw.db.inboundWebhook.findUniqueOrThrow({ where: { id } });
      expect(hook.nextDueAt).toBeNull();
      expect(hook.rawBody.length).toBe(0); // the raw body (DNI, name, address, GPS) is not kept once ingested
    } finally {
      if (!gw.workers) gw.startWorkers();
    }
  });

  it("an outbound delivery still pending whose deliver job was lost is delivered", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    await gw.stopWorkers();
    try {
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest());
      const cancelled = await gw.tenant(t.apiKey, "POST", `/v1/verifications/${created.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      const delivery = await gw.db.webhookDelivery.findFirstOrThrow({ where: { event: { verificationId: created.body.id } } });
      await gw.db.outboxMessage.updateMany({ where: { subjectId: delivery.id }, data: { doneAt: new Date(), publishedAt: new Date() } });
      gw.startWorkers();
      await waitUntil(async () => rx.received.some((r) => r.json.data.id === created.body.id), 15_000, "delivered");
      await waitUntil(
        async () => (await gw.db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).status === "succeeded",
        5000,
        "delivery succeeded",
      );
    } finally {
      if (!gw.workers) gw.startWorkers();
      await rx.close();
    }
  });
});

describe("follow-ups and vendor erasure retry on their own rows", () => {
  it("a certificate the vendor refuses ten times (more than a job's attempts) is still fetched", async () => {
    const t = await createTenantWithAccounts(gw, [VI("sandboxcert")]);
    const cfg = await viControl(gw, "webhook-config", {
      apiUser: "sandboxcert",
      url: t.accounts[0].webhookUrl,
      user: VI_HOOK.webhookUser,
      password: VI_HOOK.webhookPassword,
      format: "json",
      stepDelayMs: 20,
    });
    expect(cfg.status).toBeLessThan(300);
    // unreadable answers (not outages: the circuit stays closed), ten in a row
    gw.faults.add({ vendor: "verificaridentidad", endpoint: "GetCertificadoIdentidad", fault: "malformed", times: 10, latencyMs: 0 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", viRequest("+34600000001"));
    await until(gw, t.apiKey, created.body.id, (v) => v.status === "completed");
    const cert = await waitUntil(
      async () => {
        const r = await fetch(`${gw.url}/v1/verifications/${created.body.id}/certificate`, { headers: { authorization: `Bearer ${t.apiKey}` } });
        return r.status === 200 ? r : null;
      },
      20_000,
      "certificate",
    );
    expect(cert.headers.get("content-type")).toContain("application/pdf");
    const fu = await gw.db.followUp.findFirstOrThrow({ where: { verificationId: created.body.id } });
    expect(fu).toMatchObject({ status: "done", attempts: 11 });
  });

  it("erasure at Identomat is a retried job with a receipt the tenant can read; DMS has none to offer", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ pollScheduleSeconds: [0.2] })]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", idmRequest("polls=0"));
    await until(gw, t.apiKey, created.body.id, (v) => v.status === "completed");
    // more 503s than one attempt's own HTTP retries absorb: the erasure job itself has to come back
    // before erasure the tenant can read what the vendor sent (redacted), and only its own
    const data = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}/vendor-data`);
    expect(data.status).toBe(200);
    expect(data.body.data.length).toBeGreaterThan(0);
    expect(data.body.data[0]).toMatchObject({ vendor: "identomat", kind: expect.any(String), receivedAt: expect.any(String) });
    expect(JSON.stringify(data.body)).not.toMatch(/[A-Za-z0-9+/]{400,}/); // no image or base64 blob
    const other = await createTenantWithAccounts(gw, [IDM()]);
    expect((await gw.tenant(other.apiKey, "GET", `/v1/verifications/${created.body.id}/vendor-data`)).status).toBe(404);
    gw.faults.add({ vendor: "identomat", endpoint: "delete/", fault: "http_503", times: 4, latencyMs: 0 });
    const erased = await gw.tenant(t.apiKey, "DELETE", `/v1/verifications/${created.body.id}/personal-data`);
    expect(erased.status).toBe(200);
    expect(erased.body.erasure).toMatchObject({ status: "pending", vendors: [{ vendor: "identomat", status: "requested" }] });
    const done = await until(gw, t.apiKey, created.body.id, (v) => v.erasure?.status === "done");
    expect(done.erasure.vendors).toEqual([expect.objectContaining({ vendor: "identomat", status: "confirmed" })]);
    expect((await gw.db.vendorErasure.findFirstOrThrow({ where: { verificationId: created.body.id } })).attempts).toBeGreaterThanOrEqual(2);
    expect(await gw.db.verificationEvent.count({ where: { verificationId: created.body.id, type: "vendor_erasure_confirmed" } })).toBe(1);
    // nothing personal stays: the stored vendor payloads are gone with the rest
    expect((await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}/vendor-data`)).body.data).toEqual([]);

    const d = await createTenantWithAccounts(gw, [DMS]);
    const dv = await gw.tenant(d.apiKey, "POST", "/v1/verifications", dmsRequest());
    await until(gw, d.apiKey, dv.body.id, (v) => v.status === "completed");
    const de = await gw.tenant(d.apiKey, "DELETE", `/v1/verifications/${dv.body.id}/personal-data`);
    expect(de.body.erasure).toMatchObject({ status: "done", vendors: [{ vendor: "dms", status: "not_supported" }] });
    expect(de.body.checks.document.fields).toEqual({});
  });
});

describe("vendor webhooks while Postgres is down", () => {
  it("a VerificarIdentidad request in operator review outlives the link; the operator's 5100, sent while Postgres is down, is spooled and applied once it is back", async () => {
    const proxy = startTcpProxy({ host: "127.0.0.1", port: 5432 });
    await proxy.listen();
    const pgw = await startTestGateway({
      envOverrides: { SWEEP_GRACE_MS: "300" },
      runtimeDatabaseUrl: (url) => {
        const u = new URL(url);
        u.port = String(proxy.port);
        return u.toString();
      },
    });
    try {
      // the link lives 1.8 s; the operator's review takes longer
      const t = await createTenantWithAccounts(pgw, [VI("sandboxreview", { linkTtlHours: 0.0005 })]);
      await viControl(pgw, "webhook-config", {
        apiUser: "sandboxreview",
        url: t.accounts[0].webhookUrl,
        user: VI_HOOK.webhookUser,
        password: VI_HOOK.webhookPassword,
        format: "json",
        stepDelayMs: 20,
      });
      const created = await pgw.tenant(t.apiKey, "POST", "/v1/verifications", viRequest("+34600000009"));
      const processing = await until(pgw, t.apiKey, created.body.id, (v) => v.status === "processing");
      await new Promise((r) => setTimeout(r, 2500));
      const still = await pgw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
      expect(still.body.status).toBe("processing"); // not expired by the link's life, not failed
      const row = await pgw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
      expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(71 * 3_600_000); // the vendor's deadline, 72 h by default

      await proxy.cut();
      const replay = await viControl(pgw, "replay", { id: processing.vendorReference, estado: 5100 });
      expect(replay.status).toBeLessThan(300);
      const spooledLen = await waitUntil(
        async () => {
          const n = await pgw.queues.connection.xlen(`${pgw.queues.prefix}:webhook-spool`);
          return n > 0 ? n : null;
        },
        10_000,
        "spooled",
      );
      expect(spooledLen).toBe(1);
      await proxy.restore();
      const v = await until(pgw, t.apiKey, created.body.id, (x) => x.status === "completed", 30_000);
      expect(v.decision).toBeTruthy();
      expect(await pgw.queues.connection.xlen(`${pgw.queues.prefix}:webhook-spool`)).toBe(0);
      // the ingest marks its hook processed after the outcome it applied commits: the completion can be seen first
      const hooks = await waitUntil(
        async () => {
          const rows = await pgw.db.inboundWebhook.findMany({ where: { vendorAccountId: t.accounts[0].id } });
          return rows.every((h) => h.status === "processed") ? rows : null;
        },
        10_000,
        "every hook processed",
      );
      expect(hooks.every((h) => h.status === "processed" && h.rawBody.length === 0)).toBe(true);
      expect(hooks.filter((h) => h.verificationId === created.body.id).length).toBe(hooks.length);
    } finally {
      await proxy.restore();
      await pgw.close();
      await proxy.close();
    }
  });
});

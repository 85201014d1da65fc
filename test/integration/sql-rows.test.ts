// Issue 13: the hot paths read and write with plain SQL (src/db/sql.ts); what they return must be the row Prisma
// would return (same fields, same values, timestamps in UTC whatever the process's time zone), and what they write
// must read back through Prisma as it was written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, startTestGateway, type TestGateway, waitUntil } from "../support/gateway.js";
import { findVerification, listVerifications, loadForAdapter, lockVerification, updateVerificationRow } from "../../src/core/verifications.js";
import { apiKeyWithRouting, tenantForRouting } from "../../src/core/accounts.js";
import { apiKeyIdOf } from "../../src/domain/crypto.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { inTransaction, poolOf } from "../../src/db/sql.js";
import { claimAndLoad } from "../../src/workers/processors.js";
import { emitVerificationEvent } from "../../src/core/emit.js";
import { loadDelivery } from "../../src/webhooks/outbound/deliver.js";
import type { VerificationResource } from "../../src/domain/model.js";

let gw: TestGateway;
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = (reference: string) => ({
  reference,
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
  selfie: { contentType: "image/jpeg", data: img("selfie") },
  metadata: { order: 7, tags: ["a", "b"] },
});

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("plain-SQL rows", () => {
  it("a verification created, read and listed is the row Prisma reads, in a time zone that is not UTC", async () => {
    const zone = process.env.TZ;
    // Node applies a new TZ at once; pg would read and write a zone-less timestamp in local time
    process.env.TZ = "America/Sao_Paulo";
    try {
      const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
      const before = Date.now();
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("sql-rows"), { "idempotency-key": "sql-rows-1" });
      expect(created.status).toBe(202);
      const prisma = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
      // the create's own answer is built from the statement's RETURNING row
      expect(Date.parse(created.body.createdAt)).toBe(prisma.createdAt.getTime());
      expect(Math.abs(prisma.createdAt.getTime() - before)).toBeLessThan(60_000);
      expect(Object.keys(prisma).sort()).toEqual(Object.keys(Prisma.VerificationScalarFieldEnum).sort());

      const found = await findVerification(gw.db, t.tenantId, created.body.id);
      expect(found).toEqual(prisma);
      expect(await findVerification(gw.db, "ten_other", created.body.id)).toBeNull();
      const listed = await listVerifications(gw.db, t.tenantId, { reference: "sql-rows" }, 10);
      expect(listed).toEqual([prisma]);
      // what every job loads: the same row, and the input the request sent
      const loaded = await loadForAdapter(gw.db, gw.env.keys, created.body.id);
      expect(loaded?.row).toEqual(prisma);
      expect(loaded?.adapterView.input.document?.images[0]?.data.equals(Buffer.from(request("sql-rows").document.images[0]!.data, "base64"))).toBe(true);
      expect(await loadForAdapter(gw.db, gw.env.keys, "ver_missing")).toBeNull();
      // what every decision reads under its row lock
      await gw.db.$transaction(async (tx) => {
        expect(await lockVerification(tx, created.body.id)).toEqual(prisma);
        expect(await lockVerification(tx, "ver_missing")).toBeNull();
      });

      // the rest of the create: sealed input, its event and its outbox row, as the Prisma path wrote them
      expect(await gw.db.verificationInput.count({ where: { verificationId: prisma.id } })).toBe(1);
      const event = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: prisma.id } });
      expect(event).toMatchObject({ source: "api", type: "created", fromStatus: null, toStatus: "pending" });
      expect(event.createdAt.getTime()).toBe(prisma.createdAt.getTime());
      const job = await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: `submit-${prisma.id}` } });
      // claimed by the accept, which publishes it itself after the commit (src/core/publish.ts)
      expect(job).toMatchObject({ queue: "submit", payload: { verificationId: prisma.id }, subjectId: prisma.id, publishedAt: expect.any(Date), doneAt: null });
      expect((await waitUntil(() => gw.queues.byName.submit.getJob(`submit-${prisma.id}`), 5_000, "the accept's job in Redis")).data).toMatchObject({
        verificationId: prisma.id,
        context: { requestId: created.headers.get("x-request-id") },
      });
      expect(job.availableAt.getTime()).toBe(prisma.createdAt.getTime());
      expect(job.requestId).toBe(created.headers.get("x-request-id"));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("the tenant's accounts for routing are Prisma's rows", async () => {
    const t = await createTenantWithAccounts(gw, [
      { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } },
      { vendor: "shareid", credentials: { apiKey: "k", businessHash: "h" } },
    ]);
    await gw.db.vendorAccount.update({ where: { id: t.accounts[0]!.id }, data: { disabledAt: new Date("2026-01-02T03:04:05.678Z") } });
    const view = await tenantForRouting(gw.db, t.tenantId);
    const tenant = await gw.db.tenant.findUniqueOrThrow({ where: { id: t.tenantId }, include: { vendorAccounts: true } });
    expect(view?.routing).toEqual(tenant.routing);
    expect(view?.verificationsPerDay).toBe(tenant.verificationsPerDay);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect([...(view?.vendorAccounts ?? [])].sort(byId)).toEqual([...tenant.vendorAccounts].sort(byId));
    expect(view?.vendorAccounts.find((a) => a.id === t.accounts[0]!.id)?.disabledAt?.toISOString()).toBe("2026-01-02T03:04:05.678Z");

    // the accept's form: the same tenant, read with its API key in one statement, and the key's row
    const keyId = apiKeyIdOf(t.apiKey)!;
    const withKey = await apiKeyWithRouting(gw.db, keyId);
    expect(withKey?.tenant).toEqual(view);
    const keyRow = await gw.db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(withKey?.key).toEqual({ tenantId: keyRow.tenantId, keyHash: keyRow.keyHash, revokedAt: keyRow.revokedAt });

    const empty = await createTenantWithAccounts(gw, []);
    expect(await tenantForRouting(gw.db, empty.tenantId)).toMatchObject({ vendorAccounts: [] });
    expect((await apiKeyWithRouting(gw.db, apiKeyIdOf(empty.apiKey)!))?.tenant).toEqual({
      routing: expect.anything(),
      verificationsPerDay: null,
      vendorAccounts: [],
    });
    expect(await tenantForRouting(gw.db, "ten_nobody")).toBeNull();
    expect(await apiKeyWithRouting(gw.db, "0000000000000000")).toBeNull();
  });

  it("a daily quota is taken by the create's statement: the unit past it writes nothing", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: 2 })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(`quota-${i}`))).status);
    expect(statuses).toEqual([202, 202, 429]);
    expect(await gw.db.verification.count({ where: { tenantId: t.tenantId } })).toBe(2);
    expect(
      await gw.db.outboxMessage.count({
        where: { subjectId: { in: (await gw.db.verification.findMany({ where: { tenantId: t.tenantId } })).map((v) => v.id) } },
      }),
    ).toBe(2);
    const usage = await gw.db.tenantUsage.findFirstOrThrow({ where: { tenantId: t.tenantId, kind: "verifications" } });
    expect(usage).toMatchObject({ used: 2, refused: 1 });
  });
});

describe("the start's claim", () => {
  it("takes the claim and reads the verification, its input and its stored plan's accounts as Prisma reads them", async () => {
    const t = await createTenantWithAccounts(gw, [
      { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } },
      { vendor: "dms", credentials: { apiKey: "sandbox-dms-key-2", webhookSecrets: ["s2"] } },
    ]);
    // every timestamp column set, one with a zone-less value's last digit
    await gw.db.vendorAccount.update({
      where: { id: t.accounts[0]!.id },
      data: {
        credits: 12,
        creditsCheckedAt: new Date("2026-01-02T03:04:05.678Z"),
        healthOk: true,
        healthDetail: "ok",
        healthCheckedAt: new Date("2026-01-03T00:00:00.001Z"),
      },
    });
    await gw.db.vendorAccount.update({ where: { id: t.accounts[1]!.id }, data: { pausedAt: new Date("2026-02-01T10:00:00.000Z"), pausedReason: "credits" } });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("claim-and-load"));
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const viaPrisma = await loadForAdapter(gw.db, gw.env.keys, id);

    const claimed = await claimAndLoad(gw, id, "pending");
    expect(claimed?.claim).toEqual({ repeat: false, claims: 1 });
    expect(claimed?.loaded.adapterView).toEqual(viaPrisma?.adapterView);
    const { startClaimedUntil: _u, startClaims: _c, updatedAt: _a, ...row } = claimed!.loaded.row;
    const { startClaimedUntil: _pu, startClaims: _pc, updatedAt: _pa, ...prismaRow } = viaPrisma!.row;
    expect(row).toEqual(prismaRow);
    const planned = (claimed!.loaded.row.routePlan as { accounts: string[] }).accounts;
    const prismaAccounts = await gw.db.vendorAccount.findMany({ where: { id: { in: planned } } });
    const byId = (rows: { id: string }[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(claimed!.planAccounts)).toEqual(byId(prismaAccounts));
    expect(claimed!.planAccounts.length).toBeGreaterThanOrEqual(1);

    // held: not claimed again; a verification whose plan is not a list of accounts reads none
    expect(await claimAndLoad(gw, id, "pending")).toBeNull();
    await gw.db.verification.update({ where: { id }, data: { startClaimedUntil: null, routePlan: { accounts: "not-a-list" } } });
    expect((await claimAndLoad(gw, id, "pending"))?.planAccounts).toEqual([]);
  });
});

describe("a decision's update", () => {
  it("writes what Prisma's update would and returns the row Prisma reads", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    const mk = async (ref: string) => (await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(ref))).body.id as string;
    const [viaSql, viaPrisma] = [await mk("update-sql"), await mk("update-prisma")];
    const data = (id: string): Prisma.VerificationUncheckedUpdateInput => ({
      status: "completed",
      decision: "approved",
      updatedAt: new Date("2026-03-04T05:06:07.890Z"),
      completedAt: new Date("2026-03-04T05:06:07.891Z"),
      expiresAt: null,
      nextDueAt: null,
      vendor: "dms",
      vendorAccountId: t.accounts[0]!.id,
      routeIndex: 1,
      pollCount: { increment: 2 },
      vendorReference: `ref-${id}`,
      reasons: [{ code: "document_expired", vendor: "dms", vendorCode: 7, message: 'it\'s "quoted"' }],
      checks: { document: { number: "B12345678" }, list: [1, null, "x"] },
      checksEnc: null,
      nextAction: Prisma.DbNull,
      decidedMapping: "dms@1",
      decidedPolicy: 3,
      vendorDecision: "approved",
      humanDecision: true,
    });
    const returned = await gw.db.$transaction((tx) => updateVerificationRow(tx, viaSql, data(viaSql)));
    await gw.db.verification.update({ where: { id: viaPrisma }, data: data(viaPrisma) });
    const stored = await gw.db.verification.findUniqueOrThrow({ where: { id: viaSql } });
    expect(returned).toEqual(stored);
    const other = await gw.db.verification.findUniqueOrThrow({ where: { id: viaPrisma } });
    const strip = (r: typeof stored) => ({
      ...r,
      id: null,
      reference: null,
      vendorReference: null,
      createdAt: null,
      requestHash: null,
      routePlan: null,
      idempotencyKey: null,
    });
    expect(strip(stored)).toEqual(strip(other));
    expect(stored).toMatchObject({ pollCount: 2, nextAction: null, humanDecision: true, routeIndex: 1 });
  });
});

describe("inTransaction", () => {
  it("a connection lost inside the transaction rejects its promise (no uncaught client error) and the pool goes on", async () => {
    const pool = poolOf(gw.db);
    await expect(
      inTransaction(gw.db, async (query) => {
        const [me] = await query<{ pid: number }>({ text: "SELECT pg_backend_pid() AS pid", values: [] });
        await pool.query("SELECT pg_terminate_backend($1)", [me!.pid]);
        await query({ text: "SELECT 1", values: [] });
      }),
    ).rejects.toThrow();
    // the broken client was dropped, not given back
    expect(await inTransaction(gw.db, (query) => query<{ one: number }>({ text: "SELECT 1 AS one", values: [] }))).toEqual([{ one: 1 }]);
  });

  it("rolls back what it wrote when its work throws", async () => {
    const jobId = `rollback-${Date.now()}`;
    await expect(
      inTransaction(gw.db, async (query) => {
        await query({ text: "INSERT INTO outbox (queue, job_id, payload) VALUES ('submit', $1, '{}')", values: [jobId] });
        throw new Error("after the insert");
      }),
    ).rejects.toThrow("after the insert");
    expect(await gw.db.outboxMessage.count({ where: { jobId } })).toBe(0);
  });
});

describe("emitVerificationEvent and loadDelivery", () => {
  it("one event; a delivery and a deliver job for each live endpoint subscribed to its type, none for the others", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const other = await createTenantWithAccounts(gw, []);
    const endpoint = async (tenant: typeof t, events: string[]) =>
      (await gw.tenant(tenant.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook", events })).body.id as string;
    const all = await endpoint(t, []);
    const completed = await endpoint(t, ["verification.completed", "verification.failed"]);
    const updatedOnly = await endpoint(t, ["verification.updated"]);
    const disabled = await endpoint(t, []);
    const deleted = await endpoint(t, []);
    const otherTenants = await endpoint(other, []);
    await gw.db.webhookEndpoint.update({ where: { id: disabled }, data: { disabledAt: new Date() } });
    await gw.db.webhookEndpoint.update({ where: { id: deleted }, data: { deletedAt: new Date() } });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("emit"));
    const resource = created.body as VerificationResource;
    const now = new Date(Date.now() - 1000);

    const eventId = await gw.db.$transaction((tx) => emitVerificationEvent(tx, gw.env.keys, t.tenantId, "verification.completed", resource, now));

    const event = await gw.db.webhookEvent.findUniqueOrThrow({ where: { id: eventId }, include: { deliveries: true } });
    expect(event).toMatchObject({ tenantId: t.tenantId, type: "verification.completed", verificationId: resource.id, createdAt: now });
    expect(event.payload).toEqual(JSON.parse(JSON.stringify({ type: "verification.completed", timestamp: now.toISOString(), data: resource })));
    expect(event.deliveries.map((d) => d.endpointId).sort()).toEqual([all, completed].sort());
    for (const d of event.deliveries) {
      expect(d.id).toMatch(/^dlv_[0-9a-f]{32}$/);
      expect(d).toMatchObject({ status: "pending", attemptCount: 0, nextAttemptAt: now });
    }
    expect(new Set(event.deliveries.map((d) => d.id)).size).toBe(2);
    const jobs = await gw.db.outboxMessage.findMany({ where: { queue: "deliver", subjectId: { in: event.deliveries.map((d) => d.id) } } });
    expect(jobs.map((j) => [j.jobId, j.payload]).sort()).toEqual(event.deliveries.map((d) => [`${d.id}-1`, { deliveryId: d.id }]).sort());
    for (const j of jobs) expect(j.requestId).toBeTruthy();
    expect([updatedOnly, disabled, deleted, otherTenants]).not.toContain(event.deliveries[0]!.endpointId);

    // what the deliver job reads before its POST: the row Prisma's include reads, its timestamps in UTC whatever the zone
    await gw.db.webhookEndpoint.update({ where: { id: all }, data: { failingSince: new Date("2026-11-30T23:59:58.123Z") } });
    await gw.db.webhookEndpoint.update({ where: { id: completed }, data: { disabledAt: new Date("2026-12-01T00:00:00.000Z") } });
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Kolkata";
    try {
      for (const d of event.deliveries)
        expect(await loadDelivery(gw.db, d.id)).toEqual(
          await gw.db.webhookDelivery.findUniqueOrThrow({ where: { id: d.id }, include: { event: true, endpoint: true } }),
        );
    } finally {
      process.env.TZ = zone;
    }
    expect(await loadDelivery(gw.db, "dlv_nope")).toBeNull();

    // the other tenant's event: its own endpoint's delivery only
    const theirs = await gw.db.$transaction((tx) => emitVerificationEvent(tx, gw.env.keys, other.tenantId, "verification.updated", resource, now));
    expect((await gw.db.webhookDelivery.findMany({ where: { eventId: theirs } })).map((d) => d.endpointId)).toEqual([otherTenants]);

    // the decision's event-log entry, written by the same statement as the outbound event
    const at = new Date("2026-12-03T10:00:00.123Z");
    const logEntry = {
      verificationId: resource.id,
      source: "worker",
      type: "vendor_result",
      fromStatus: "pending",
      toStatus: "completed",
      detail: { decision: "approved" },
      at,
    };
    await gw.db.$transaction((tx) => emitVerificationEvent(tx, gw.env.keys, other.tenantId, "verification.completed", resource, now, undefined, logEntry));
    expect(await gw.db.verificationEvent.findFirst({ where: { verificationId: resource.id, type: "vendor_result" } })).toMatchObject({
      source: "worker",
      fromStatus: "pending",
      toStatus: "completed",
      detail: { decision: "approved" },
      createdAt: at,
    });
    expect(await gw.db.verificationEvent.count({ where: { verificationId: resource.id } })).toBe(2); // its "created" and this one
  });
});

// Per-tenant retention (issue 11, point 6): the durable sweeper erases the personal data of
// verifications that ended more than eraseAfterDays ago, through erasePersonalData, each erasure
// audited; the default (null) keeps the data until the tenant asks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key" } };
const dmsRequest = () => ({
  checks: ["document"],
  subject: DMS_SANDBOX_SUBJECT,
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
});
const DAY = 86_400_000;

/** a completed DMS verification whose end is moved `daysAgo` into the past */
async function completedDaysAgo(t: { apiKey: string }, daysAgo: number) {
  const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest());
  expect(created.status).toBe(202);
  await waitUntil(async () => (await gw.db.verification.findUnique({ where: { id: created.body.id } }))?.status === "completed", 20_000, "completed");
  await gw.db.verification.update({ where: { id: created.body.id }, data: { completedAt: new Date(Date.now() - daysAgo * DAY) } });
  return created.body.id as string;
}

describe("retention", () => {
  it("PUT/GET /admin/tenants/:id/retention: null by default, 400 naming the field, 404, 403 for a viewer; audited", async () => {
    const t = await createTenantWithAccounts(gw, []);
    expect((await gw.admin("GET", `/admin/tenants/${t.tenantId}/retention`)).body).toEqual({ tenantId: t.tenantId, eraseAfterDays: null });
    for (const bad of [{ eraseAfterDays: -1 }, { eraseAfterDays: "30" }, { eraseAfterDays: 1.5 }, {}]) {
      const r = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/retention`, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.eraseAfterDays"]);
    }
    expect((await gw.admin("PUT", "/admin/tenants/ten_nope/retention", { eraseAfterDays: 30 })).status).toBe(404);
    const viewer = (await gw.admin("POST", "/admin/operators", { name: "retention-viewer", role: "viewer" })).body.token;
    const refused = await fetch(`${gw.url}/admin/tenants/${t.tenantId}/retention`, {
      method: "PUT",
      headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" },
      body: JSON.stringify({ eraseAfterDays: 1 }),
    });
    expect(refused.status).toBe(403);
    const set = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/retention`, { eraseAfterDays: 30 });
    expect(set.body).toEqual({ tenantId: t.tenantId, eraseAfterDays: 30 });
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { entityId: t.tenantId, action: "tenant.retention.updated" } });
    expect(audit).toMatchObject({ operatorId: "bootstrap", before: { eraseAfterDays: null }, after: { eraseAfterDays: 30 } });
  });

  it("the sweeper erases what ended more than eraseAfterDays ago, audited; younger ones and tenants without retention keep their data", async () => {
    const kept = await createTenantWithAccounts(gw, [DMS]);
    const t = await createTenantWithAccounts(gw, [DMS]);
    const old = await completedDaysAgo(t, 31);
    const young = await completedDaysAgo(t, 5);
    const untouched = await completedDaysAgo(kept, 400);
    expect((await gw.db.verification.findUniqueOrThrow({ where: { id: old } })).erasedAt).toBeNull();
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/retention`, { eraseAfterDays: 30 });

    const erased = await waitUntil(
      async () => {
        const v = await gw.db.verification.findUniqueOrThrow({ where: { id: old } });
        return v.erasedAt ? v : null;
      },
      15_000,
      "retention erasure",
    );
    expect(await gw.db.verificationInput.count({ where: { verificationId: old } })).toBe(0);
    expect(await gw.db.vendorPayload.count({ where: { verificationId: old } })).toBe(0);
    expect((erased.checks as { document: { fields: unknown } }).document.fields).toEqual({});
    // the decision stays; the tenant sees the erasure receipt
    const resource = (await gw.tenant(t.apiKey, "GET", `/v1/verifications/${old}`)).body;
    expect(resource).toMatchObject({ status: "completed", decision: erased.decision, erasure: { status: "done" } });
    const audit = await gw.db.auditLog.findMany({ where: { entityType: "verification", entityId: old } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "system",
      operatorId: null,
      action: "verification.personal_data_erased",
      after: { tenantId: t.tenantId, reason: "retention", eraseAfterDays: 30 },
    });
    const event = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: old, type: "personal_data_erased" } });
    expect(event).toMatchObject({ source: "worker", detail: { why: { reason: "retention" } } });

    // a few more sweeps: the young one and the other tenant's are kept, the old one is not erased twice
    await new Promise((r) => setTimeout(r, 2500));
    expect((await gw.db.verification.findUniqueOrThrow({ where: { id: young } })).erasedAt).toBeNull();
    expect(await gw.db.verificationInput.count({ where: { verificationId: young } })).toBe(1);
    expect((await gw.db.verification.findUniqueOrThrow({ where: { id: untouched } })).erasedAt).toBeNull();
    expect(await gw.db.verificationInput.count({ where: { verificationId: untouched } })).toBe(1);
    expect(await gw.db.auditLog.count({ where: { action: "verification.personal_data_erased", entityId: old } })).toBe(1);
  });
});

// Per-tenant daily quotas (issue 11, point 2): set by operations, counted in Postgres so parallel
// API and worker processes never go past them; a verification over the quota is a 429 naming it,
// an SMS over the SMS quota is refused before the vendor is called; both leave an audit row (and
// the SMS one a vendor event of the account).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { QuotaExceeded, takeQuota } from "../../src/core/quotas.js";
import { createTenantWithAccounts, startGatewayWithSecondApi, type startSecondApi, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let other: Awaited<ReturnType<typeof startSecondApi>>;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ gw, other, close } = await startGatewayWithSecondApi());
});
afterAll(async () => close?.());

const post = (base: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/verifications`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const VI = {
  vendor: "verificaridentidad",
  credentials: { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "vi-hook", webhookPassword: "vi-hook-password-1" },
};
const viRequest = (phone: string) => ({
  checks: ["document", "liveness", "face_match"],
  subject: { phone, documentNumber: "00000000T" },
  hosted: { smsMessage: "Verifique su identidad: [LINK]", smsSender: "MiEmpresa" },
});

describe("PUT /admin/tenants/:id/quotas", () => {
  it("sets and reads the quotas (null = unlimited); every change audited with the operator", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const initial = await gw.admin("GET", `/admin/tenants/${t.tenantId}/quotas`);
    expect(initial.body).toMatchObject({
      tenantId: t.tenantId,
      verificationsPerDay: null,
      smsPerDay: null,
      today: { verifications: { used: 0, refused: 0 }, sms: { used: 0, refused: 0 } },
    });
    const set = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: 100, smsPerDay: 20 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ verificationsPerDay: 100, smsPerDay: 20 });
    // a field not sent is kept; null lifts it
    const lifted = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { smsPerDay: null });
    expect(lifted.body).toMatchObject({ verificationsPerDay: 100, smsPerDay: null });
    const audit = await gw.db.auditLog.findMany({ where: { entityId: t.tenantId, action: "tenant.quotas.updated" }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.operatorId, a.before, a.after])).toEqual([
      ["bootstrap", { verificationsPerDay: null, smsPerDay: null }, { verificationsPerDay: 100, smsPerDay: 20 }],
      ["bootstrap", { verificationsPerDay: 100, smsPerDay: 20 }, { verificationsPerDay: 100, smsPerDay: null }],
    ]);
  });

  it("400 naming the field, 404 for an unknown tenant, 401 without a token, 403 for a viewer", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const neg = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: -1 });
    expect(neg.status).toBe(400);
    expect(neg.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.verificationsPerDay"]);
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { smsPerDay: "10" })).body.errors[0].path).toBe("$.smsPerDay");
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { perHour: 3 })).status).toBe(400);
    expect((await gw.admin("PUT", "/admin/tenants/ten_nope/quotas", { smsPerDay: 1 })).status).toBe(404);
    expect((await gw.admin("GET", "/admin/tenants/ten_nope/quotas")).status).toBe(404);
    expect((await fetch(`${gw.url}/admin/tenants/${t.tenantId}/quotas`, { method: "PUT" })).status).toBe(401);
    const viewer = (await gw.admin("POST", "/admin/operators", { name: "quota-viewer", role: "viewer" })).body.token;
    const refused = await fetch(`${gw.url}/admin/tenants/${t.tenantId}/quotas`, {
      method: "PUT",
      headers: { authorization: `Bearer ${viewer}`, "content-type": "application/json" },
      body: JSON.stringify({ smsPerDay: 1 }),
    });
    expect(refused.status).toBe(403);
    expect((await gw.db.tenant.findUniqueOrThrow({ where: { id: t.tenantId } })).smsPerDay).toBeNull();
  });
});

describe("the verifications quota", () => {
  it("a burst through two API processes gets exactly the quota accepted; the rest is 429 problem+json naming the quota, once in the audit log", async () => {
    const t = await createTenantWithAccounts(gw, []);
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: 3 });
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(i % 2 ? other.url : gw.url, t.apiKey, { checks: ["document"], reference: `q-${i}` })),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    const problem = await refused.json();
    expect(problem).toMatchObject({ status: 429, type: "https://kyc-gateway.dev/problems/quota-exceeded/verificationsPerDay", title: "Quota exceeded" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(await gw.db.verification.count({ where: { tenantId: t.tenantId } })).toBe(3);
    const q = await gw.admin("GET", `/admin/tenants/${t.tenantId}/quotas`);
    expect(q.body.today.verifications).toEqual({ used: 3, refused: 9 });
    const audit = await gw.db.auditLog.findMany({ where: { entityId: t.tenantId, action: "quota.exhausted" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "system", operatorId: null, after: { quota: "verificationsPerDay", limit: 3 } });
  });

  it("an Idempotency-Key replay takes no unit; lifting the quota lets requests through again", async () => {
    const t = await createTenantWithAccounts(gw, []);
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: 1 });
    const first = await post(gw.url, t.apiKey, { checks: ["document"] }, { "idempotency-key": "k1" });
    expect(first.status).toBe(202);
    const replay = await post(other.url, t.apiKey, { checks: ["document"] }, { "idempotency-key": "k1" });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await post(gw.url, t.apiKey, { checks: ["document"] })).status).toBe(429);
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { verificationsPerDay: null });
    expect((await post(gw.url, t.apiKey, { checks: ["document"] })).status).toBe(202);
  });

  it("takeQuota is atomic across Postgres connections: 40 parallel takes with a limit of 7 take exactly 7", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const db2 = createDb(gw.env.DATABASE_URL);
    try {
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => takeQuota(i % 2 ? db2 : gw.db, t.tenantId, "sms", 7)));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
      expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof QuotaExceeded)).toBe(true);
      const usage = await gw.db.tenantUsage.findFirstOrThrow({ where: { tenantId: t.tenantId, kind: "sms" } });
      expect(usage.used).toBe(7);
    } finally {
      await db2.$disconnect();
    }
  });
});

describe("the SMS quota", () => {
  it("a VerificarIdentidad start over the SMS quota is refused before the vendor is called: failed, vendor null, a vendor event and an audit row", async () => {
    const t = await createTenantWithAccounts(gw, [VI]);
    const acct = t.accounts[0];
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/quotas`, { smsPerDay: 1 });
    const sent = await gw.tenant(t.apiKey, "POST", "/v1/verifications", viRequest("+34600000001"));
    expect(sent.status).toBe(202);
    await waitUntil(
      async () => (await gw.tenant(t.apiKey, "GET", `/v1/verifications/${sent.body.id}`)).body.status === "awaiting_user",
      15_000,
      "first SMS sent",
    );
    const over = await gw.tenant(t.apiKey, "POST", "/v1/verifications", viRequest("+34600000002"));
    expect(over.status).toBe(202);
    const failed = await waitUntil(
      async () => {
        const v = (await gw.tenant(t.apiKey, "GET", `/v1/verifications/${over.body.id}`)).body;
        return v.status === "failed" ? v : null;
      },
      15_000,
      "second refused",
    );
    expect(failed.reasons).toEqual([expect.objectContaining({ code: "vendor_rejected_request", category: "technical", vendor: null, vendorCode: null })]);
    expect(failed.reasons[0].message).toContain("smsPerDay");
    // the vendor was called for the first only
    const calls = await gw.db.vendorCall.findMany({ where: { vendorAccountId: acct.id, endpoint: { contains: "VerificarIdentidad" } } });
    expect(calls.map((c) => c.verificationId)).toEqual([sent.body.id]);
    expect(await gw.db.verificationEvent.count({ where: { verificationId: over.body.id, type: "vendor_start_attempted" } })).toBe(0);
    const events = await gw.admin("GET", `/admin/vendor-events?accountId=${acct.id}&type=quota_exhausted`);
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0].payload).toMatchObject({ quota: "smsPerDay", limit: 1 });
    expect(await gw.db.auditLog.count({ where: { entityId: t.tenantId, action: "quota.exhausted" } })).toBe(1);
    expect((await gw.admin("GET", `/admin/tenants/${t.tenantId}/quotas`)).body.today.sms).toEqual({ used: 1, refused: 1 });
  });
});

// Issue 14 points 1 and 2: a weighted split between a rule's accounts, deterministic per verification, and shadow
// runs of a sample on another account after the primary decided, stored beside the verification and reported.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAccountSlots } from "../../src/core/account-slots.js";
import { planRoute, RoutingSchema } from "../../src/core/routing.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  waitForFinal,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

let gw: TestGateway;
const DMS = (settings: Record<string, unknown> = {}) => ({
  vendor: "dms",
  credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] },
  settings,
});
const CHECKS = ["document", "liveness", "face_match"];
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = (n: number) => ({
  reference: `shadow-${n}`,
  checks: CHECKS,
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img(`doc-${n}`) }] },
  selfie: { contentType: "image/jpeg", data: img(`selfie-${n}`) },
});

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("weighted routing", () => {
  it("splits a rule's traffic by weight, the same way for the same verification, the others staying fall-overs", async () => {
    const t = await createTenantWithAccounts(gw, [DMS(), DMS()]);
    const [a, b] = t.accounts as [{ id: string }, { id: string }];
    const put = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, {
      default: [a.id],
      rules: [{ checks: CHECKS, accounts: [a.id, b.id], weights: [3, 1] }],
    });
    expect(put.status).toBe(200);
    const ruleId = put.body.routing.rules[0].id;
    expect(ruleId).toMatch(/^rule_[0-9a-f]{8}$/);

    const plans = [];
    for (let i = 0; i < 40; i++) {
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(i));
      expect(created.status).toBe(202);
      plans.push({
        id: created.body.id as string,
        plan: (await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } })).routePlan as {
          accounts: string[];
          weighted: string;
          ruleId: string;
        },
      });
    }
    const onA = plans.filter((p) => p.plan.weighted === a.id).length;
    // 3:1 over 40 verifications: about 30 on A (binomial, p = 0.75: 20..38 holds with overwhelming probability)
    expect(onA).toBeGreaterThanOrEqual(20);
    expect(onA).toBeLessThanOrEqual(38);
    for (const p of plans) {
      expect(p.plan.ruleId).toBe(ruleId);
      expect(p.plan.accounts).toEqual(p.plan.weighted === a.id ? [a.id, b.id] : [b.id, a.id]);
    }
    // deterministic: routing the same verification again gives the same split
    const tenant = await gw.db.tenant.findUniqueOrThrow({ where: { id: t.tenantId }, include: { vendorAccounts: true } });
    for (const p of plans.slice(0, 10)) {
      const again = planRoute(RoutingSchema.parse(tenant.routing), tenant.vendorAccounts, {
        checks: CHECKS as never,
        country: "ES",
        requestedVendor: null,
        verificationId: p.id,
      });
      expect(again.plan.weighted).toBe(p.plan.weighted);
    }

    // the split and each account's outcome, in the analytics by account
    gw.startWorkers();
    try {
      for (const p of plans) await waitForFinal(gw, t.apiKey, p.id);
    } finally {
      await gw.stopWorkers();
    }
    const day = new Date().toISOString().slice(0, 10);
    const report = await gw.admin(
      "GET",
      `/admin/analytics?tenantId=${t.tenantId}&from=${day}T00:00:00Z&to=${new Date(Date.now() + 86_400_000).toISOString()}&bucket=day&by=account`,
    );
    expect(report.status).toBe(200);
    const completed = (accountId: string) =>
      report.body.data
        .filter((d: { accountId: string }) => d.accountId === accountId)
        .reduce((n: number, d: { verifications: { byStatus: Record<string, number> } }) => n + (d.verifications.byStatus.completed ?? 0), 0);
    expect(completed(a.id)).toBe(onA);
    expect(completed(b.id)).toBe(plans.length - onA);
  });

  it("refuses weights that do not match the accounts, and a shadow account that cannot shadow, naming the field", async () => {
    const t = await createTenantWithAccounts(gw, [
      DMS(),
      { vendor: "verificaridentidad", credentials: { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "u", webhookPassword: "p" } },
    ]);
    const [a, vi] = t.accounts as [{ id: string }, { id: string }];
    const weights = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, { default: [], rules: [{ accounts: [a.id], weights: [1, 2] }] });
    expect(weights.status).toBe(400);
    expect(weights.body.errors).toEqual([expect.objectContaining({ path: "$.rules[0].weights" })]);
    const shadow = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, {
      default: [],
      rules: [{ accounts: [a.id], shadow: { accountId: vi.id, sampleRate: 1 } }],
    });
    expect(shadow.status).toBe(422);
    expect(shadow.body.errors).toEqual([
      expect.objectContaining({ path: "$.rules[0].shadow.accountId", message: expect.stringContaining("needs the end user again") }),
    ]);
  });
});

describe("shadow runs", () => {
  it("decide a sample again on the shadow account after the primary, beside the verification, and report agreement", async () => {
    const t = await createTenantWithAccounts(gw, [DMS(), DMS({ prices: { currency: "EUR", calls: {}, default: 0.05 } })]);
    const [primary, shadow] = t.accounts as [{ id: string }, { id: string }];
    const put = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, {
      default: [primary.id],
      rules: [{ id: "es-trial", checks: CHECKS, accounts: [primary.id], shadow: { accountId: shadow.id, sampleRate: 0.5 } }],
    });
    expect(put.status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push((await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(i))).body.id);
    const sampled = [];
    for (const id of ids) if (((await gw.db.verification.findUniqueOrThrow({ where: { id } })).routePlan as { shadow?: unknown }).shadow) sampled.push(id);
    expect(sampled.length).toBeGreaterThan(2);
    expect(sampled.length).toBeLessThan(14);

    gw.startWorkers();
    try {
      for (const id of ids) expect(await waitForFinal(gw, t.apiKey, id)).toMatchObject({ status: "completed", decision: "approved", vendor: "dms" });
      await waitUntil(
        async () =>
          (await gw.db.shadowRun.count({ where: { tenantId: t.tenantId, status: "pending" } })) === 0 &&
          (await gw.db.shadowRun.count({ where: { tenantId: t.tenantId } })) === sampled.length,
        20_000,
        "the shadow runs",
      );
    } finally {
      await gw.stopWorkers();
    }
    const runs = await gw.db.shadowRun.findMany({ where: { tenantId: t.tenantId } });
    expect(runs.map((r) => r.verificationId).sort()).toEqual([...sampled].sort());
    expect(runs.every((r) => r.status === "done" && r.decision === "approved" && r.primaryDecision === "approved" && r.ruleId === "es-trial")).toBe(true);

    // beside, never inside: the verification's calls are the primary's, the shadow's calls are the run's
    for (const id of sampled) {
      const calls = await gw.db.vendorCall.findMany({ where: { verificationId: id } });
      expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([primary.id]));
      expect((await gw.db.verificationEvent.findMany({ where: { verificationId: id } })).map((e) => e.type)).not.toContain("shadow");
    }
    const shadowCalls = await gw.db.vendorCall.findMany({ where: { shadowRunId: { in: runs.map((r) => r.id) } } });
    expect(shadowCalls.length).toBeGreaterThanOrEqual(runs.length);
    expect(shadowCalls.every((c) => c.vendorAccountId === shadow.id && c.verificationId === null)).toBe(true);
    expect(shadowCalls.filter((c) => c.outcome === "ok").every((c) => Number(c.cost) === 0.05 && c.currency === "EUR")).toBe(true);
    // the tenant heard once per verification, of the primary's decision
    const events = await gw.db.webhookEvent.findMany({ where: { tenantId: t.tenantId, type: "verification.completed" } });
    expect(events.length).toBe(ids.length);

    const report = await gw.admin("GET", `/admin/shadow-reports?tenantId=${t.tenantId}&ruleId=es-trial`);
    expect(report.status).toBe(200);
    expect(report.body.rules).toEqual([
      expect.objectContaining({
        ruleId: "es-trial",
        shadowAccountIds: [shadow.id],
        runs: sampled.length,
        compared: sampled.length,
        agreementRate: 1,
        confusion: { approved: { approved: sampled.length } },
        reasonsDiffer: {},
        primary: expect.objectContaining({ p50LatencyMs: expect.any(Number), cost: null }),
        shadow: expect.objectContaining({
          p50LatencyMs: expect.any(Number),
          cost: { total: expect.closeTo(0.05 * shadowCalls.filter((c) => c.outcome === "ok").length, 6), currency: "EUR" },
        }),
      }),
    ]);
  });

  it("is dropped, not queued, when the shadow account is saturated", async () => {
    const t = await createTenantWithAccounts(gw, [DMS(), DMS({ concurrency: 1 })]);
    const [primary, shadow] = t.accounts as [{ id: string }, { id: string }];
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, {
      default: [primary.id],
      rules: [{ id: "busy", checks: CHECKS, accounts: [primary.id], shadow: { accountId: shadow.id, sampleRate: 1 } }],
    });
    // real traffic holds the shadow account's only slot (shared by every process, in Redis)
    const release = await redisAccountSlots(gw.queues.connection, gw.queues.prefix).acquire(shadow.id, 1, 60_000, 1000);
    try {
      const id = (await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(99))).body.id;
      gw.startWorkers();
      expect(await waitForFinal(gw, t.apiKey, id)).toMatchObject({ status: "completed", decision: "approved" });
      const run = await waitUntil(
        async () => gw.db.shadowRun.findFirst({ where: { verificationId: id, status: { not: "pending" } } }),
        20_000,
        "the shadow run",
      );
      expect(run).toMatchObject({ status: "dropped", detail: "the shadow account was saturated" });
      expect(await gw.db.vendorCall.count({ where: { shadowRunId: run.id, httpStatus: { not: null } } })).toBe(0);
    } finally {
      await release();
      await gw.stopWorkers();
    }
  });
});

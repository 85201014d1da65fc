// Issue 14 point 3: calls, errors, latency percentiles, cost and the verification mix per bucket and vendor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollUpVendorCalls } from "../../src/core/analytics.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("GET /admin/analytics", () => {
  it("aggregates one tenant's vendor calls and verifications by bucket and vendor", async () => {
    const t = await createTenantWithAccounts(gw, [
      { vendor: "dms", credentials: { apiKey: "k", webhookSecrets: ["s"] } },
      { vendor: "shareid", credentials: { apiKey: "k", businessHash: "b" } },
    ]);
    const other = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "k", webhookSecrets: ["s"] } }]);
    const [dms, shareid] = t.accounts as [{ id: string }, { id: string }];
    const day1 = new Date("2026-11-01T10:00:00Z");
    const day2 = new Date("2026-11-02T10:00:00Z");
    const call = (vendorAccountId: string, vendor: string, at: Date, latencyMs: number, outcome: string, cost: number | null) => ({
      vendorAccountId,
      vendor,
      endpoint: "x",
      latencyMs,
      outcome,
      createdAt: at,
      cost,
      currency: cost === null ? null : "EUR",
    });
    await gw.db.vendorCall.createMany({
      data: [
        ...[100, 200, 300, 400].map((l) => call(dms.id, "dms", day1, l, "ok", 0.1)),
        call(dms.id, "dms", day1, 900, "error", null),
        call(shareid.id, "shareid", day1, 50, "ok", null),
        call(dms.id, "dms", day2, 70, "ok", 0.1),
        // another tenant's calls are not counted
        call((other.accounts[0] as { id: string }).id, "dms", day1, 5, "ok", 9),
      ],
    });
    const v = (id: string, vendor: string, status: string, decision: string | null, at: Date) => ({
      id,
      tenantId: t.tenantId,
      requestedChecks: ["document"],
      vendor,
      status,
      decision,
      createdAt: at,
    });
    await gw.db.verification.createMany({
      data: [
        v("ver_a1", "dms", "completed", "approved", day1),
        v("ver_a2", "dms", "completed", "approved", day1),
        v("ver_a3", "dms", "completed", "declined", day1),
        v("ver_a4", "dms", "failed", null, day1),
        v("ver_a5", "shareid", "completed", "review", day1),
      ],
    });

    const expected = [
      {
        bucket: "2026-11-01T00:00:00.000Z",
        vendor: "dms",
        calls: 5,
        errors: 1,
        p50LatencyMs: 300,
        // the bucket 900 falls in, (750, 1000], bounded by the largest latency seen
        p95LatencyMs: 900,
        cost: { amount: expect.closeTo(0.4, 6), currency: "EUR" },
        verifications: { byStatus: { completed: 3, failed: 1 }, byDecision: { approved: 2, declined: 1 }, approvalRate: 2 / 3 },
      },
      {
        bucket: "2026-11-01T00:00:00.000Z",
        vendor: "shareid",
        calls: 1,
        errors: 0,
        p50LatencyMs: 50,
        p95LatencyMs: 50,
        cost: null,
        verifications: { byStatus: { completed: 1 }, byDecision: { review: 1 }, approvalRate: 0 },
      },
      {
        bucket: "2026-11-02T00:00:00.000Z",
        vendor: "dms",
        calls: 1,
        errors: 0,
        p50LatencyMs: 70,
        p95LatencyMs: 70,
        cost: { amount: expect.closeTo(0.1, 6), currency: "EUR" },
        verifications: { byStatus: {}, byDecision: {}, approvalRate: null },
      },
    ];
    const report = () => gw.admin("GET", `/admin/analytics?tenantId=${t.tenantId}&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&bucket=day`);
    // before the sweeper rolled the calls up (read raw), after (read from the hourly rollup), and with both halves
    const raw = await report();
    expect(raw.status).toBe(200);
    expect(raw.body.data).toEqual(expected);
    // every call of the database (the other tenant's too), once they are a minute old
    expect(await rollUpVendorCalls(gw.db, new Date(Date.now() + 120_000))).toBe(8);
    expect((await report()).body.data).toEqual(expected);
    expect(await rollUpVendorCalls(gw.db, new Date(Date.now() + 120_000))).toBe(0);
    await gw.db.vendorCall.create({ data: call(dms.id, "dms", day2, 70, "ok", 0.1) });
    const merged = (await report()).body.data;
    expect(merged[2]).toMatchObject({ calls: 2, cost: { amount: expect.closeTo(0.2, 6) } });
    const onlyShareid = await gw.admin(
      "GET",
      `/admin/analytics?tenantId=${t.tenantId}&vendor=shareid&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&bucket=hour`,
    );
    expect(onlyShareid.body.data).toEqual([expect.objectContaining({ bucket: "2026-11-01T10:00:00.000Z", vendor: "shareid", calls: 1 })]);
  });

  it("answers 400 naming the field for a bad query and 404 for an unknown tenant", async () => {
    const bad = await gw.admin("GET", `/admin/analytics?tenantId=x&from=yesterday&to=2026-11-03T00:00:00Z`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: "$.query.from" })]);
    const range = await gw.admin("GET", `/admin/analytics?tenantId=x&from=2026-11-03T00:00:00Z&to=2026-11-01T00:00:00Z`);
    expect(range.body.errors).toEqual([expect.objectContaining({ path: "$.query.to" })]);
    const none = await gw.admin("GET", `/admin/analytics?tenantId=ten_missing&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z`);
    expect(none.status).toBe(404);
    const shadow = await gw.admin("GET", `/admin/shadow-reports?tenantId=ten_missing`);
    expect(shadow.status).toBe(404);
  });
});

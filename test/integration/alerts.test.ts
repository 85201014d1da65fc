// Issue 14 point 4: credit and call-allowance thresholds per account; crossing one writes a vendor event and an
// audit row and sends the signed operations webhook; the hard threshold takes the account out of routing, so
// traffic falls over to the next account, and recovery puts it back.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../src/core/alerts.js";
import { generateWebhookSecret } from "../../src/webhooks/outbound/signing.js";
import { createTenantWithAccounts, startTestGateway, startWebhookReceiver, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let ops: Awaited<ReturnType<typeof startWebhookReceiver>>;
const secret = generateWebhookSecret();
const DMS = (settings: Record<string, unknown> = {}) => ({ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] }, settings });

beforeAll(async () => {
  ops = await startWebhookReceiver();
  ops.setSecrets([secret]);
  gw = await startTestGateway({ workers: false, envOverrides: { OPS_WEBHOOK_URL: ops.url, OPS_WEBHOOK_SECRET: secret } });
});
afterAll(async () => {
  await gw?.close();
  await ops?.close();
});

const planOf = async (apiKey: string) => {
  const created = await gw.tenant(apiKey, "POST", "/v1/verifications", {
    checks: ["document"],
    document: {
      type: "id_card",
      country: "ES",
      images: [{ side: "front", contentType: "image/jpeg", data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]).toString("base64") }],
    },
  });
  expect(created.status).toBe(202);
  return (await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } })).routePlan as { accounts: string[] };
};

describe("alerts that act", () => {
  it("warns at the soft threshold, takes the account out of routing at the hard one, and puts it back on recovery", async () => {
    const t = await createTenantWithAccounts(gw, [DMS({ alerts: { callsPerDay: { soft: 2, hard: 3 } } }), DMS()]);
    const [capped, next] = t.accounts as [{ id: string }, { id: string }];
    const now = new Date("2026-12-02T12:00:00Z");
    const calls = (n: number, at = now) =>
      gw.db.vendorCall.createMany({
        data: Array.from({ length: n }, () => ({
          vendorAccountId: capped.id,
          vendor: "dms",
          endpoint: "face_verify",
          httpStatus: 200,
          latencyMs: 100,
          outcome: "ok",
          createdAt: at,
        })),
      });

    await calls(1);
    expect(await evaluateAlerts(gw.db, now)).toEqual([]);
    await calls(1);
    expect(await evaluateAlerts(gw.db, now)).toEqual([{ accountId: capped.id, metric: "callsPerDay", from: "ok", to: "soft", value: 2, threshold: 2 }]);
    expect(await evaluateAlerts(gw.db, now)).toEqual([]); // told once, not every sweep
    expect((await planOf(t.apiKey)).accounts[0]).toBe(capped.id); // soft: still routed

    await calls(1);
    expect(await evaluateAlerts(gw.db, now)).toEqual([{ accountId: capped.id, metric: "callsPerDay", from: "soft", to: "hard", value: 3, threshold: 3 }]);
    const paused = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: capped.id } });
    expect(paused.pausedAt).not.toBeNull();
    expect(paused.pausedReason).toBe("hard alert threshold: callsPerDay");
    expect((await planOf(t.apiKey)).accounts).toEqual([next.id]); // traffic falls over before the vendor refuses

    // the next UTC day the count starts again: recovered, back in routing
    const tomorrow = new Date("2026-12-03T00:05:00Z");
    expect(await evaluateAlerts(gw.db, tomorrow)).toEqual([{ accountId: capped.id, metric: "callsPerDay", from: "hard", to: "ok", value: 0, threshold: 3 }]);
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: capped.id } })).pausedAt).toBeNull();
    expect((await planOf(t.apiKey)).accounts).toEqual([capped.id, next.id]);

    const events = await gw.db.vendorEvent.findMany({ where: { vendorAccountId: capped.id }, orderBy: { createdAt: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["alert_soft", "alert_hard", "alert_recovered"]);
    const audit = await gw.db.auditLog.findMany({ where: { entityId: capped.id, action: { startsWith: "vendor_account.alert" } }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ["vendor_account.alert_soft", "system"],
      ["vendor_account.alert_hard", "system"],
      ["vendor_account.alert_recovered", "system"],
    ]);
    expect(await gw.db.auditLog.count({ where: { entityId: capped.id, action: { in: ["vendor_account.paused", "vendor_account.resumed"] } } })).toBe(2);

    // each change is an operations webhook, signed like tenant webhooks
    gw.startWorkers();
    try {
      for (const type of ["vendor_account.alert_soft", "vendor_account.alert_hard", "vendor_account.alert_recovered"]) {
        const hook = await ops.waitFor((r) => r.json.type === type && r.json.data.accountId === capped.id);
        expect(() => new Webhook(secret).verify(hook.body, hook.headers)).not.toThrow();
        expect(hook.json.data).toMatchObject({ metric: "callsPerDay", vendor: "dms", tenantId: t.tenantId });
      }
    } finally {
      await gw.stopWorkers();
    }
  });

  it("watches the credits left, which alarm when low", async () => {
    const t = await createTenantWithAccounts(gw, [DMS({ alerts: { credits: { soft: 100, hard: 10 } } })]);
    const id = (t.accounts[0] as { id: string }).id;
    await gw.db.vendorAccount.update({ where: { id }, data: { credits: 50 } });
    const mine = async () => (await evaluateAlerts(gw.db)).filter((c) => c.accountId === id);
    expect(await mine()).toEqual([expect.objectContaining({ metric: "credits", to: "soft", value: 50, threshold: 100 })]);
    await gw.db.vendorAccount.update({ where: { id }, data: { credits: 9 } });
    expect(await mine()).toEqual([expect.objectContaining({ metric: "credits", from: "soft", to: "hard", value: 9 })]);
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id } })).pausedAt).not.toBeNull();
  });

  it("refuses thresholds it does not know, naming the field", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const r = await gw.admin("POST", `/admin/tenants/${t.tenantId}/vendor-accounts`, {
      vendor: "dms",
      name: "x",
      baseUrl: `${gw.sandboxUrl}/dms`,
      credentials: { apiKey: "k", webhookSecrets: ["s"] },
      settings: { alerts: { scans: { hard: 1 } } },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.errors)).toContain("alerts");
  });
});

// Vendor health probes feed the account's health; VerificarIdentidad's GetCreditos is
// called sparingly (the vendor blocks accounts that call it too often).
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeVendorHealth } from "../../src/workers/health.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const log = pino({ level: "silent" });
const MIN = 60_000;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("vendor health", () => {
  it("IWS face_health feeds the account's health, and a change is a vendor event", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "identy", credentials: {} }]);
    const id = t.accounts[0].id;
    const t0 = new Date();
    expect(await probeVendorHealth({ db: gw.db, env: gw.env, log }, 5 * MIN, t0)).toBeGreaterThanOrEqual(1);
    expect(await gw.db.vendorAccount.findUniqueOrThrow({ where: { id } })).toMatchObject({ healthOk: true });
    await fetch(`${gw.sandboxUrl}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "identy", endpoint: "face_health", fault: "http_503", times: 0 }),
    });
    try {
      await probeVendorHealth({ db: gw.db, env: gw.env, log }, 5 * MIN, new Date(t0.getTime() + 6 * MIN));
    } finally {
      await fetch(`${gw.sandboxUrl}/_control/faults`, { method: "DELETE" });
    }
    const row = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id } });
    expect(row.healthOk).toBe(false);
    const events = await gw.admin("GET", `/admin/vendor-events?accountId=${id}&type=health_down`);
    expect(events.body.data).toHaveLength(1);
    const health = await gw.admin("GET", `/admin/vendor-accounts/${id}/health`);
    expect(health.body.health.ok).toBe(false);
  });

  it("calls GetCreditos at most once in 15 minutes however often it is probed, and records the credits", async () => {
    const t = await createTenantWithAccounts(gw, [
      { vendor: "verificaridentidad", credentials: { apiUser: "sandboxhealth", apiToken: "sandboxhealth-token", webhookUser: "u", webhookPassword: "p" } },
    ]);
    const id = t.accounts[0].id;
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await probeVendorHealth({ db: gw.db, env: gw.env, log }, 1 * MIN, new Date(t0 + i * 2 * MIN));
    const calls = await gw.db.vendorCall.count({ where: { vendorAccountId: id, endpoint: { contains: "GetCreditos" } } });
    expect(calls).toBe(1);
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id } })).credits).toBe(100);
  });
});

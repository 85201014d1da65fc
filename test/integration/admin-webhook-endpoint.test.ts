// Issue 11 point 3: an operator re-enables (or edits) a tenant's webhook endpoint, e.g. one the gateway disabled
// after failing deliveries; the change is audited with the operator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, startWebhookReceiver, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  rx = await startWebhookReceiver();
});
afterAll(async () => {
  await gw?.close();
  await rx?.close();
});

describe("PATCH /admin/webhook-endpoints/:id", () => {
  it("re-enables an endpoint the gateway disabled, clearing its failing streak, and audits it", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    expect(ep.status).toBe(201);
    await gw.db.webhookEndpoint.update({ where: { id: ep.body.id }, data: { disabledAt: new Date(), failingSince: new Date(Date.now() - 6 * 86_400_000) } });

    const r = await gw.admin("PATCH", `/admin/webhook-endpoints/${ep.body.id}`, { enabled: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: ep.body.id, tenantId: t.tenantId, disabled: false });
    const row = await gw.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.body.id } });
    expect(row).toMatchObject({ disabledAt: null, failingSince: null });
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { action: "webhook_endpoint.updated", entityId: ep.body.id } });
    expect(audit).toMatchObject({ actor: "admin", before: expect.objectContaining({ disabled: true }), after: expect.objectContaining({ disabled: false }) });
    // the tenant sees it enabled
    const list = await gw.tenant(t.apiKey, "GET", "/v1/webhook-endpoints");
    expect(list.body.data.find((e: { id: string }) => e.id === ep.body.id)).toMatchObject({ disabled: false });
  });

  it("answers 404 for an unknown endpoint and 400 naming a bad field", async () => {
    expect((await gw.admin("PATCH", "/admin/webhook-endpoints/whe_missing", { enabled: true })).status).toBe(404);
    const t = await createTenantWithAccounts(gw, []);
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    const bad = await gw.admin("PATCH", `/admin/webhook-endpoints/${ep.body.id}`, { enabled: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: "$.enabled" })]);
  });
});

// Issue 9 point 3: one routing decision per verification, taken by the API when it accepts it and stored
// with it; the worker starts on that decision, so a routing change in between does not move the verification
// to an account its request was never validated against.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, startTestGateway, waitForFinal, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const GOOD = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const REFUSED = { vendor: "dms", credentials: { apiKey: "wrong-key", webhookSecrets: ["x"] } };
const SHAREID = { vendor: "shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } };
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = () => ({
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
  selfie: { contentType: "image/jpeg", data: img("selfie") },
});

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("one routing decision per verification", () => {
  it("is stored when the API accepts the verification, and the worker starts on it after the routing changed", async () => {
    const t = await createTenantWithAccounts(gw, [GOOD, REFUSED]);
    const [good, refused] = t.accounts as [{ id: string }, { id: string }];
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, { default: [good.id], rules: [] })).status).toBe(200);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request());
    expect(created.status).toBe(202);
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.routePlan).toEqual({ accounts: [good.id], resolved: 1 });
    const event = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: created.body.id, type: "created" } });
    expect(event.detail).toMatchObject({ route: [good.id] });

    // operations move the tenant to the other account before a worker picks the verification up
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/routing`, { default: [refused.id], rules: [] })).status).toBe(200);
    gw.startWorkers();
    try {
      const done = await waitForFinal(gw, t.apiKey, created.body.id);
      expect(done).toMatchObject({ status: "completed", decision: "approved" });
      const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([good.id]));
    } finally {
      await gw.stopWorkers();
    }
  });

  it("skips an account of the decision that operations disabled since, falling over to the next one", async () => {
    const t = await createTenantWithAccounts(gw, [REFUSED, GOOD]);
    const [first, second] = t.accounts as [{ id: string }, { id: string }];
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request());
    expect(created.status).toBe(202);
    expect((await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } })).routePlan).toEqual({
      accounts: [first.id, second.id],
      resolved: 2,
    });
    await gw.db.vendorAccount.update({ where: { id: first.id }, data: { disabledAt: new Date() } });
    gw.startWorkers();
    try {
      const done = await waitForFinal(gw, t.apiKey, created.body.id);
      expect(done).toMatchObject({ status: "completed", decision: "approved" });
      const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
      expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([second.id]));
    } finally {
      await gw.stopWorkers();
    }
  });

  it("checks the request against each account before its start: a fall-over to one that cannot take it ends technical, uncalled", async () => {
    // the API judged the request against DMS, the first account; ShareID, the fall-over, wants images of at least
    // 224 x 224 px and this one's size cannot be read. The worker's guard (core/request-guard.ts) refuses it
    // before ShareID is called; the adapter does not check again
    const t = await createTenantWithAccounts(gw, [REFUSED, SHAREID]);
    const [dms, shareid] = t.accounts as [{ id: string }, { id: string }];
    const { selfie: _selfie, ...documentOnly } = request();
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...documentOnly, checks: ["document"] });
    expect(created.status).toBe(202);
    expect((await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } })).routePlan).toEqual({
      accounts: [dms.id, shareid.id],
      resolved: 2,
    });
    gw.startWorkers();
    try {
      const done = await waitForFinal(gw, t.apiKey, created.body.id);
      expect(done).toMatchObject({ status: "failed", decision: null });
      expect(done.reasons).toEqual([expect.objectContaining({ code: "vendor_rejected_request", category: "technical", vendor: "shareid", vendorCode: null })]);
      const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
      expect(calls.length).toBeGreaterThan(0);
      expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([dms.id]));
      const refused = await gw.db.verificationEvent.findFirstOrThrow({
        where: { verificationId: created.body.id, type: "vendor_failed", detail: { path: ["vendorAccountId"], equals: shareid.id } },
      });
      expect(refused.detail).toMatchObject({ reason: "vendor_rejected_request", request: expect.stringContaining("document.images[0].data (422)") });
    } finally {
      await gw.stopWorkers();
    }
  });
});

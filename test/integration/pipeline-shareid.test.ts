// ShareID through the pipeline: one multipart call, verdicts and reasons normalized,
// what ShareID cannot take refused before any vendor call, a 408 sent again only when the account allows it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { png } from "../unit/adapters/shareid/images.js";
import { createTenantWithAccounts, startTestGateway, startWebhookReceiver, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const SHAREID = { vendor: "shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } };
const image = (w = 400, h = 260, shade = 0x80) => ({ side: "front", contentType: "image/png", data: png(w, h, shade).toString("base64") });
const request = (lastName: string, images = [image()], over: Record<string, unknown> = {}) => ({
  reference: "sid",
  checks: ["document"],
  subject: { firstName: "Robert", lastName },
  document: { type: "id_card", country: "FR", images },
  tags: ["onboarding"],
  ...over,
});
async function final(apiKey: string, id: string) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return ["completed", "failed"].includes(r.body.status) ? r.body : null;
    },
    15_000,
    `verification ${id}`,
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("ShareID end to end", () => {
  it("approves an authentic document and sends a verified webhook with the normalized OCR", async () => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("Martin", [image(), image(400, 260, 0x40)]));
    expect(created.status).toBe(202);
    const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(hook.json.data).toMatchObject({
      status: "completed",
      decision: "approved",
      vendor: "shareid",
      checks: { document: { outcome: "pass", country: "FR", type: "id_card" } },
    });
    expect(hook.json.data.vendorReference).toBeTruthy();
    await rx.close();
  });

  it.each([
    ["DOC_EXPIRED", "document_expired"],
    ["DOC_SPOOF", "document_screen_capture"],
    ["INVERSED_NAME", "names_inverted"],
    // BLUR_IMG is a retake now: test/integration/decision-policy.test.ts
  ])("last name %s is declined with %s", async (magic, code) => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(magic));
    const v = await final(t.apiKey, created.body.id);
    expect(v.decision).toBe("declined");
    expect(v.reasons[0]).toMatchObject({ code, vendor: "shareid", vendorCode: magic.toLowerCase() });
  });

  it("a 408 is not sent again by default: failed, vendor_timeout, one upload", async () => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("TIMEOUT_ONCE"));
    const v = await final(t.apiKey, created.body.id);
    expect(v.status).toBe("failed");
    expect(v.reasons[0]).toMatchObject({ code: "vendor_timeout", vendor: "shareid", vendorCode: "408" });
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id }, orderBy: { id: "asc" } });
    expect(calls.map((c) => c.httpStatus)).toEqual([408]);
  });

  it("an account with resendUpload sends the upload again after a 408 and completes", async () => {
    const t = await createTenantWithAccounts(gw, [{ ...SHAREID, settings: { resendUpload: true } }]);
    // other photos than the test above (TIMEOUT_ONCE answers 408 once per set of photos)
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("TIMEOUT_ONCE", [image(400, 260, 0x21)]));
    const v = await final(t.apiKey, created.body.id);
    expect(v.status).toBe("completed");
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id }, orderBy: { id: "asc" } });
    expect(calls.map((c) => c.httpStatus)).toEqual([408, 200]);
  });

  it("a free-text reason is one reason (generic code, text kept), and doc_model is carried", async () => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("FREE_TEXT"));
    const v = await final(t.apiKey, created.body.id);
    expect(v.decision).toBe("declined");
    const fromShareid = v.reasons.filter((r: { vendor: string | null }) => r.vendor === "shareid");
    expect(fromShareid).toEqual([expect.objectContaining({ code: "document_suspicious", vendorCode: "Document expired" })]);
    expect(v.checks.document.model).toBe("2021");
  });

  it.each([
    ["three documents", request("Martin", [image(), image(), image()]), 422, "$.document.images"],
    ["an image under 224 x 224", request("Martin", [image(200, 300)]), 422, "$.document.images[0]"],
    ["a tag outside ^[a-z0-9_]{4,16}$", request("Martin", [image()], { tags: ["Bad-Tag"] }), 400, "$.tags[0]"],
  ])("refuses %s before any vendor call", async (_what, body, status, pathPrefix) => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const r = await gw.tenant(t.apiKey, "POST", "/v1/verifications", body);
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.errors.some((e: { path: string }) => e.path.startsWith(pathPrefix))).toBe(true);
    expect(await gw.db.vendorCall.count({ where: { vendorAccountId: t.accounts[0].id } })).toBe(0);
    expect(await gw.db.verification.count({ where: { tenantId: t.tenantId } })).toBe(0);
  });
});

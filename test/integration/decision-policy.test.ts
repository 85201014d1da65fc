// The decision policy through the pipeline: the claimed identity against the document on every
// vendor, the tenant's policy as versioned data, retakes of user-fixable captures, and
// re-decision of stored verifications without calling a vendor.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { png } from "../unit/adapters/shareid/images.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  startWebhookReceiver,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

let gw: TestGateway;
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const SHAREID = { vendor: "shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } };
const jpeg = (tag: string) => ({ contentType: "image/jpeg", data: fakeJpeg(tag).toString("base64") });
const dmsRequest = (over: { subject?: Record<string, unknown>; document?: Record<string, unknown>; docTag?: string; selfieTag?: string } = {}) => ({
  checks: ["document", "liveness", "face_match"],
  subject: over.subject ?? { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, ...over.document, images: [{ side: "front", ...jpeg(over.docTag ?? "doc") }] },
  selfie: jpeg(over.selfieTag ?? "selfie"),
});
const settled = (apiKey: string, id: string, statuses = ["completed", "failed", "expired", "cancelled"]) =>
  waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return statuses.includes(r.body.status) ? r.body : null;
    },
    20_000,
    `verification ${id} in ${statuses.join("|")}`,
  );
const codes = (v: { reasons: { code: string }[] }) => v.reasons.map((r) => r.code).sort();

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("the claimed identity against the document", () => {
  it("declines the README's mismatch example: another person's driving licence (found by the gateway, vendor null)", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const body = JSON.parse(readFileSync("examples/dms-verification-mismatch.json", "utf8"));
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", body);
    expect(created.status).toBe(202);
    const v = await settled(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "declined", decidedBy: { mapping: expect.stringMatching(/^dms-/), policy: 1 } });
    expect(codes(v)).toEqual(["date_of_birth_mismatch", "document_number_mismatch", "document_type_mismatch", "first_name_mismatch", "last_name_mismatch"]);
    expect(v.reasons.every((r: { vendor: unknown; vendorCode: unknown }) => r.vendor === null && r.vendorCode === null)).toBe(true);
    // nothing personal in the reasons' messages
    expect(JSON.stringify(v.reasons)).not.toMatch(/carlos|garcia|juan|aparicio|B12345678|00000000T|1990|1955/i);
    const event = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: v.id, type: "vendor_result" } });
    expect(event.detail).toMatchObject({ policy: { version: 1, vendorDecision: "approved" } });
  });

  it("approves the README's quickstart example, whose subject is the sandbox document's", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", JSON.parse(readFileSync("examples/dms-verification.json", "utf8")));
    const v = await settled(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved", reasons: [] });
  });

  it("a mismatch the tenant's policy sends to review, a close name is review, a field not sent is not compared", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const put = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { onMismatch: { document_number_mismatch: "review" } });
    expect(put.status).toBe(200);
    const number = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ subject: { ...DMS_SANDBOX_SUBJECT, documentNumber: "B12345679" } }));
    const close = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ subject: { ...DMS_SANDBOX_SUBJECT, lastName: "Garcia Lopes" } }));
    const partial = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      dmsRequest({ subject: { lastName: "GARCÍA-LÓPEZ" }, document: { type: undefined, country: undefined } }),
    );
    const inverted = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ subject: { firstName: "García López", lastName: "Carlos" } }));
    expect(await settled(t.apiKey, number.body.id)).toMatchObject({
      decision: "review",
      decidedBy: { policy: 2 },
      reasons: [{ code: "document_number_mismatch", vendor: null }],
    });
    expect(await settled(t.apiKey, close.body.id)).toMatchObject({ decision: "review", reasons: [{ code: "last_name_mismatch", vendor: null }] });
    expect(await settled(t.apiKey, partial.body.id)).toMatchObject({ decision: "approved", reasons: [] });
    expect(await settled(t.apiKey, inverted.body.id)).toMatchObject({ decision: "review", reasons: [{ code: "names_inverted" }] });
  });

  it("an expired document and an underage holder are declined whatever the vendor said", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { minimumAge: 40 });
    const young = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest());
    const v = await settled(t.apiKey, young.body.id);
    expect(v).toMatchObject({ decision: "declined", reasons: [{ code: "underage", vendor: null }] });
  });
});

describe("DMS: a document without proof is never approved", () => {
  it.each([
    ["MAGIC:noexpiry", "a GENUINE document without DateOfExpiry"],
    ["MAGIC:bare", 'a bare {"FraudCheck":{"Result":"GENUINE"}}'],
  ])("%s (%s) is review with data_not_extracted, not approved", async (tag) => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { ...dmsRequest({ docTag: tag }), checks: ["document"], selfie: undefined });
    const v = await settled(t.apiKey, created.body.id);
    // the policy refuses the missing expiry (vendor null); the adapter itself already says a bare answer proves nothing (vendor dms)
    expect(v).toMatchObject({ status: "completed", decision: "review", reasons: [{ code: "data_not_extracted" }] });
    expect(v.checks.document.fields.expiryDate ?? null).toBeNull();
    const vendorDecision = (await gw.db.verification.findUniqueOrThrow({ where: { id: v.id } })).vendorDecision;
    expect(vendorDecision).toBe(tag === "MAGIC:bare" ? "review" : "approved");
    if (tag === "MAGIC:noexpiry") expect(v.reasons[0].vendor).toBeNull();
  });
});

describe("the policy as data", () => {
  it("GET answers the defaults as version 1; PUT changes only what it names, versioned and audited", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const first = await gw.admin("GET", `/admin/tenants/${t.tenantId}/policy`);
    expect(first.body).toEqual({
      minimumAge: 18,
      acceptedDocumentTypes: null,
      acceptedCountries: null,
      requiredLivenessLevel: null,
      minimumFaceSimilarity: null,
      maxRetakes: 2,
      onMismatch: {
        first_name_mismatch: "review",
        last_name_mismatch: "review",
        names_inverted: "review",
        date_of_birth_mismatch: "decline",
        document_number_mismatch: "decline",
        document_type_mismatch: "review",
        document_country_mismatch: "decline",
      },
      version: 1,
      updatedAt: null,
    });
    const put = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { acceptedCountries: ["es"], minimumFaceSimilarity: 0.85 });
    expect(put.body).toMatchObject({ version: 2, acceptedCountries: ["ES"], minimumFaceSimilarity: 0.85, minimumAge: 18 });
    const again = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { minimumAge: 21 });
    expect(again.body).toMatchObject({ version: 3, acceptedCountries: ["ES"], minimumAge: 21 });
    expect((await gw.admin("GET", `/admin/tenants/${t.tenantId}/policy`)).body).toMatchObject({ version: 3, minimumAge: 21 });
    const history = await gw.db.tenantPolicy.findMany({ where: { tenantId: t.tenantId }, orderBy: { version: "asc" } });
    expect(history.map((h) => [h.version, (h.policy as { minimumAge: number }).minimumAge, h.actor])).toEqual([
      [2, 18, "admin"],
      [3, 21, "admin"],
    ]);
    const audits = await gw.db.auditLog.findMany({ where: { entityId: t.tenantId, action: "policy.updated" }, orderBy: { id: "asc" } });
    expect(audits.map((a) => (a.after as { version: number }).version)).toEqual([2, 3]);
  });

  it("refuses bad fields with their path as problem+json and answers 404 for an unknown tenant", async () => {
    const t = await createTenantWithAccounts(gw, []);
    for (const [body, path] of [
      [{ minimumAge: -1 }, "$.minimumAge"],
      [{ onMismatch: { nickname_mismatch: "decline" } }, "$.onMismatch"],
      [{ onMismatch: { first_name_mismatch: "ignore" } }, "$.onMismatch.first_name_mismatch"],
      [{ requiredLivenessLevel: "SUPER" }, "$.requiredLivenessLevel"],
      [{ acceptedCountries: ["Spain"] }, "$.acceptedCountries[0]"],
      [{ minimumFaceSimilarity: 1.5 }, "$.minimumFaceSimilarity"],
      [{ colour: "blue" }, "$"],
    ] as const) {
      const r = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(
        r.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await gw.admin("GET", `/admin/tenants/${t.tenantId}/policy`)).body.version).toBe(1);
    expect((await gw.admin("GET", "/admin/tenants/ten_nope/policy")).status).toBe(404);
    expect((await gw.admin("PUT", "/admin/tenants/ten_nope/policy", { minimumAge: 20 })).status).toBe(404);
  });
});

describe("retakes of user-fixable captures", () => {
  it("a low-quality selfie asks for a retake; the new selfie on the same verification is decided", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ selfieTag: "MAGIC:lowquality" }));
    const waiting = await settled(t.apiKey, created.body.id, ["awaiting_user", "completed", "failed"]);
    expect(waiting).toMatchObject({ status: "awaiting_user", decision: null, nextAction: { type: "retake", reasons: ["image_low_quality"], attemptsLeft: 2 } });
    expect(waiting.reasons.map((r: { code: string }) => r.code)).toEqual(["image_low_quality"]);
    // nothing to retake with
    expect((await gw.tenant(t.apiKey, "POST", `/v1/verifications/${created.body.id}/retake`, {})).status).toBe(400);
    const retake = await gw.tenant(t.apiKey, "POST", `/v1/verifications/${created.body.id}/retake`, { selfie: jpeg("a better selfie") });
    expect(retake.status).toBe(202);
    expect(retake.body).toMatchObject({ status: "processing", nextAction: null, reasons: [] });
    const v = await settled(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved", reasons: [] });
    const events = await gw.db.verificationEvent.findMany({ where: { verificationId: v.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.type, e.toStatus])).toEqual([
      ["created", "pending"],
      ["vendor_result", "awaiting_user"],
      ["retake_received", "processing"],
      ["retake_result", "completed"],
    ]);
    expect(events[2]!.detail).toEqual({ inputs: ["selfie"], attempt: 1 });
    // a second retake is not expected any more
    const late = await gw.tenant(t.apiKey, "POST", `/v1/verifications/${created.body.id}/retake`, { selfie: jpeg("again") });
    expect(late.status).toBe(409);
    expect(late.headers.get("content-type")).toMatch(/application\/problem\+json/);
  });

  it("the attempts are bounded by the policy: past them the outcome is a decline", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { maxRetakes: 1 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ selfieTag: "MAGIC:lowquality" }));
    const waiting = await settled(t.apiKey, created.body.id, ["awaiting_user", "completed"]);
    expect(waiting.nextAction).toMatchObject({ type: "retake", attemptsLeft: 1 });
    // multipart works too
    const form = new FormData();
    form.append("request", JSON.stringify({}));
    form.append("selfie", new Blob([new Uint8Array(fakeJpeg("MAGIC:lowquality still"))], { type: "image/jpeg" }), "selfie.jpg");
    const res = await fetch(`${gw.url}/v1/verifications/${created.body.id}/retake`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}` },
      body: form,
    });
    expect(res.status).toBe(202);
    const v = await settled(t.apiKey, created.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "declined", reasons: [{ code: "image_low_quality", vendor: "dms" }] });
  });

  it("ShareID's blurry image is a retake, not a final decline", async () => {
    const t = await createTenantWithAccounts(gw, [SHAREID]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", {
      checks: ["document"],
      subject: { firstName: "Robert", lastName: "BLUR_IMG" },
      document: { type: "id_card", country: "FR", images: [{ side: "front", contentType: "image/png", data: png(400, 260, 0x80).toString("base64") }] },
    });
    const v = await settled(t.apiKey, created.body.id, ["awaiting_user", "completed", "failed"]);
    expect(v).toMatchObject({
      status: "awaiting_user",
      nextAction: { type: "retake", reasons: ["image_blurry"], attemptsLeft: 2 },
      reasons: [{ code: "image_blurry", vendor: "shareid", vendorCode: "blur_img" }],
    });
  });
});

describe("re-decision from stored vendor payloads", () => {
  it("dry-run reports what a new policy would change; applying it changes only those and tells the tenant once each, calling no vendor", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const from = new Date(Date.now() - 1000).toISOString();
    const approved = [];
    for (let i = 0; i < 2; i++) approved.push((await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest())).body.id);
    const declined = (await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest({ docTag: "MAGIC:expired" }))).body.id;
    for (const id of approved) expect((await settled(t.apiKey, id)).decision).toBe("approved");
    expect((await settled(t.apiKey, declined)).decision).toBe("declined");
    const to = new Date(Date.now() + 1000).toISOString();
    await waitUntil(async () => rx.received.filter((r) => r.json.type === "verification.completed").length === 3 || null, 10_000, "three completed webhooks");
    const callsBefore = await gw.db.vendorCall.count();

    // the tenant now accepts passports only: the two driving licences would be declined
    expect((await gw.admin("PUT", `/admin/tenants/${t.tenantId}/policy`, { acceptedDocumentTypes: ["passport"] })).status).toBe(200);
    const dry = await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: t.tenantId, from, to });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ compared: 3, applied: false, byChange: { "approved→declined": 2 }, policyVersion: 2 });
    expect(dry.body.changed.map((c: { id: string }) => c.id).sort()).toEqual([...approved].sort());
    expect(dry.body.changed[0]).toMatchObject({ from: "approved", to: "declined" });
    for (const id of approved) expect((await gw.tenant(t.apiKey, "GET", `/v1/verifications/${id}`)).body.decision).toBe("approved");

    const applied = await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: t.tenantId, from, to, apply: true });
    expect(applied.body).toMatchObject({ compared: 3, applied: true, byChange: { "approved→declined": 2 } });
    for (const id of approved) {
      const v = (await gw.tenant(t.apiKey, "GET", `/v1/verifications/${id}`)).body;
      expect(v).toMatchObject({
        status: "completed",
        decision: "declined",
        decidedBy: { policy: 2 },
        reasons: [{ code: "document_not_supported", vendor: null }],
      });
    }
    await waitUntil(async () => rx.received.filter((r) => r.json.type === "verification.updated").length === 2 || null, 10_000, "two updated webhooks");
    const updated = rx.received
      .filter((r) => r.json.type === "verification.updated")
      .map((r) => r.json.data.id)
      .sort();
    expect(updated).toEqual([...approved].sort());
    expect(await gw.db.vendorCall.count()).toBe(callsBefore);
    const audit = await gw.db.auditLog.findMany({
      where: { entityId: t.tenantId, action: { in: ["verifications.re_decided", "verifications.re_decide_dry_run"] } },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["verifications.re_decide_dry_run", "verifications.re_decided"]);
    // a second run finds nothing left to change
    expect((await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: t.tenantId, from, to, apply: true })).body.changed).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received.filter((r) => r.json.type === "verification.updated")).toHaveLength(2);
    await rx.close();
  });

  it("refuses a bad request with field paths", async () => {
    expect(
      (await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: "x", from: "yesterday", to: new Date().toISOString() })).body.errors[0].path,
    ).toBe("$.from");
    const now = new Date().toISOString();
    expect((await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: "x", from: now, to: now })).status).toBe(400);
    expect((await gw.admin("POST", "/admin/verifications/re-decide", { tenantId: "ten_nope", from: "2026-01-01T00:00:00Z", to: now })).status).toBe(404);
  });
});

describe("VerificarIdentidad: the operator's decision, and stored data kept", () => {
  const WEBHOOK = { webhookUser: "vi-hook", webhookPassword: "vi-hook-password-1" };
  const VI = { vendor: "verificaridentidad", credentials: { apiUser: "sandbox", apiToken: "sandbox-token", ...WEBHOOK } };
  // the sandbox's document (all magic phones but 34600000019) is the design's sample subject
  const JUAN = { firstName: "Juan", lastName: "Aparicio López", dateOfBirth: "1955-12-18", documentNumber: "00000000T" };
  async function viVerification(phone: string) {
    const t = await createTenantWithAccounts(gw, [VI]);
    // steps far enough apart that the ingest worker sees them in order
    const r = await fetch(`${gw.sandboxUrl}/verificaridentidad/_control/webhook-config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiUser: "sandbox",
        url: t.accounts[0].webhookUrl,
        user: WEBHOOK.webhookUser,
        password: WEBHOOK.webhookPassword,
        format: "json",
        stepDelayMs: 250,
      }),
    });
    expect(r.status).toBeLessThan(300);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", {
      checks: ["document", "liveness", "face_match"],
      subject: { ...JUAN, phone },
      document: { type: "id_card", country: "ES" },
      hosted: { smsMessage: "Verifique: [LINK]", smsSender: "MiEmpresa" },
    });
    expect(created.status).toBe(202);
    return { t, id: created.body.id as string };
  }

  it("a 5100 without Result keeps the checks stored at 5001 and is approved", async () => {
    const { t, id } = await viVerification("+34600000015");
    const v = await settled(t.apiKey, id);
    expect(v).toMatchObject({
      status: "completed",
      decision: "approved",
      checks: { document: { fields: { firstName: expect.any(String), expiryDate: expect.any(String) } }, faceMatch: { similarity: expect.any(Number) } },
    });
    expect(await gw.db.verification.findUniqueOrThrow({ where: { id } })).toMatchObject({ humanDecision: true, vendorDecision: "approved" });
  });

  it("a 5500 with nothing attached is a decline with the rejection's own reason, not a review code", async () => {
    const { t, id } = await viVerification("+34600000016");
    const v = await settled(t.apiKey, id);
    expect(v.decision).toBe("declined");
    expect(v.reasons).toContainEqual(expect.objectContaining({ code: "document_suspicious", vendor: "verificaridentidad", vendorCode: "5500" }));
    expect(v.reasons.map((r: { code: string }) => r.code)).not.toContain("manual_review_required");
    expect(v.checks.document.fields.firstName).toBeTruthy();
  });

  it("a 5100 whose Result carries failures is the operator's approval with its reasons", async () => {
    const { t, id } = await viVerification("+34600000017");
    const v = await settled(t.apiKey, id);
    expect(v).toMatchObject({ decision: "approved" });
    expect(v.reasons).toContainEqual(expect.objectContaining({ code: "document_sides_mismatch", vendor: "verificaridentidad", vendorCode: "-3" }));
  });

  it("an operator's approval of another person's document is still declined by the gateway's identity checks", async () => {
    const { t, id } = await viVerification("+34600000019");
    const v = await settled(t.apiKey, id);
    expect(v.decision).toBe("declined");
    expect(
      v.reasons
        .filter((r: { vendor: unknown }) => r.vendor === null)
        .map((r: { code: string }) => r.code)
        .sort(),
    ).toEqual(["date_of_birth_mismatch", "first_name_mismatch", "last_name_mismatch"]);
    // the event that completed it (not a later one on the completed verification, such as certificate_stored)
    const event = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: id, toStatus: "completed", fromStatus: { not: "completed" } } });
    expect(event.detail).toMatchObject({ policy: { vendorDecision: "approved" } });
  });
});

describe("erasure is final", () => {
  it("webhooks after an erase change status and decision only: no document field, payload or certificate is written back; raw bodies are not kept", async () => {
    const WEBHOOK = { webhookUser: "vi-hook", webhookPassword: "vi-hook-password-1" };
    const t = await createTenantWithAccounts(gw, [
      { vendor: "verificaridentidad", credentials: { apiUser: "sandbox", apiToken: "sandbox-token", ...WEBHOOK } },
    ]);
    await fetch(`${gw.sandboxUrl}/verificaridentidad/_control/webhook-config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiUser: "sandbox",
        url: t.accounts[0].webhookUrl,
        user: WEBHOOK.webhookUser,
        password: WEBHOOK.webhookPassword,
        format: "json",
        stepDelayMs: 200,
      }),
    });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", {
      checks: ["document", "liveness", "face_match"],
      subject: { phone: "+34600000001" },
      hosted: { smsMessage: "Verifique: [LINK]", smsSender: "MiEmpresa" },
    });
    await settled(t.apiKey, created.body.id, ["awaiting_user", "processing"]);
    const erased = await gw.tenant(t.apiKey, "DELETE", `/v1/verifications/${created.body.id}/personal-data`);
    expect(erased.status).toBe(200);
    const v = await settled(t.apiKey, created.body.id);
    expect(v.status).toBe("completed");
    expect(v.checks.document?.fields ?? {}).toEqual({});
    await new Promise((r) => setTimeout(r, 500)); // the certificate follow-up runs after the decision
    expect(await gw.db.vendorPayload.count({ where: { verificationId: v.id } })).toBe(0);
    expect(await gw.db.verificationArtifact.count({ where: { verificationId: v.id } })).toBe(0);
    const raw = await gw.db.inboundWebhook.findMany({ where: { vendorAccountId: t.accounts[0].id } });
    expect(raw.length).toBeGreaterThan(3);
    expect(raw.filter((h) => h.status === "processed").every((h) => h.rawBody.length === 0)).toBe(true);
    const webhookBodies = await gw.db.webhookEvent.findMany({ where: { verificationId: v.id } });
    expect(JSON.stringify(webhookBodies.map((w) => w.payload))).not.toMatch(/APARICIO|00000000T|1955/);
  });
});

describe("Identomat: the vendor's human decision wins", () => {
  const IDM = (settings: Record<string, unknown> = {}) => ({
    vendor: "identomat",
    credentials: { companyKey: "sandbox-identomat-key" },
    settings: { pollScheduleSeconds: [0.2], maxPollsPerMinute: 600, ...settings },
  });
  // the Identomat sandbox's document (see src/sandbox/identomat/simulator.ts)
  const SPECIMEN = { firstName: "Sandbox", lastName: "Specimen", dateOfBirth: "1979-11-25", documentNumber: "SBX000001" };
  const start = (t: { apiKey: string }, query: string, subject: Record<string, string> = SPECIMEN) =>
    gw.tenant(t.apiKey, "POST", "/v1/verifications", {
      checks: ["document", "liveness", "face_match"],
      subject,
      document: { country: "GE" },
      hosted: { returnUrl: `https://tenant.example/done?${query}` },
    });

  it("the operator's APPROVED after a MANUAL_CHECK at similarity 0.62 is approved, not declined by a gateway threshold", async () => {
    const t = await createTenantWithAccounts(gw, [IDM({ manualCheckPollSeconds: 0.3 })]);
    const created = await start(t, "magic=MANUAL_CHECK_THEN_APPROVED_LOW&settle=1&polls=0");
    const v = await waitUntil(
      async () => {
        const r = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
        return r.body.decision === "approved" || r.body.decision === "declined" ? r.body : null;
      },
      20_000,
      "the operator's decision",
    );
    expect(v).toMatchObject({ status: "completed", decision: "approved", checks: { faceMatch: { similarity: 0.62 } } });
    expect(await gw.db.verification.findUniqueOrThrow({ where: { id: v.id } })).toMatchObject({ humanDecision: true });
  });

  it("a plain APPROVED at similarity 0.75 is approved; with the tenant's minimum of 0.8 it is review, never declined", async () => {
    const plain = await createTenantWithAccounts(gw, [IDM()]);
    const a = await start(plain, "magic=MEDIUM_SIMILARITY&polls=0");
    expect(await settled(plain.apiKey, a.body.id)).toMatchObject({ decision: "approved", reasons: [] });
    const strict = await createTenantWithAccounts(gw, [IDM()]);
    await gw.admin("PUT", `/admin/tenants/${strict.tenantId}/policy`, { minimumFaceSimilarity: 0.8 });
    const b = await start(strict, "magic=MEDIUM_SIMILARITY&polls=0");
    expect(await settled(strict.apiKey, b.body.id)).toMatchObject({ decision: "review", reasons: [{ code: "face_similarity_low", vendor: null }] });
  });

  it("a Cyrillic document matches its Latin claim; another person's document does not", async () => {
    const t = await createTenantWithAccounts(gw, [IDM()]);
    const ru = await start(t, "doc=RU&polls=0", { firstName: "Ivan", lastName: "Petrov" });
    expect(await settled(t.apiKey, ru.body.id)).toMatchObject({ decision: "approved" });
    const other = await start(t, "doc=MISMATCH&polls=0");
    const v = await settled(t.apiKey, other.body.id);
    expect(v.decision).toBe("declined");
    expect(v.reasons.map((r: { code: string }) => r.code)).toEqual(
      expect.arrayContaining(["first_name_mismatch", "last_name_mismatch", "date_of_birth_mismatch", "document_number_mismatch"]),
    );
  });
});

describe("IDENTY: technical is never a decision", () => {
  const IWS = { vendor: "identy", credentials: {}, settings: { livenessLevel: "HIGH" } };
  const blob = (marker: string) => Buffer.from(`IDENTY-SDK-BLOB v6 ${marker} ${Math.random()}`).toString("base64");

  it.each([504, 507, 601, 901])("IWS code %i ends failed with a technical reason, and a BLOB never falls over to another IWS", async (code) => {
    const t = await createTenantWithAccounts(gw, [IWS, IWS]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { checks: ["liveness"], faceCapture: { identyBlob: blob(`MAGIC:code=${code}`) } });
    const v = await settled(t.apiKey, created.body.id);
    expect(v).toMatchObject({
      status: "failed",
      decision: null,
      reasons: [{ code: "vendor_rejected_request", category: "technical", vendor: "identy", vendorCode: String(code) }],
    });
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: v.id } });
    expect(new Set(calls.map((c) => c.vendorAccountId))).toEqual(new Set([t.accounts[0].id]));
  });
});

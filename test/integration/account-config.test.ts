// An account's configuration through the real API, Postgres and Redis (issue 9 point 4): settings refused with
// their path on write (never stripped), parsed once when loaded, and a configuration that no longer parses is a
// technical failure of the attempt (failed, falling over to the next account), never a decision about the user.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } };
const request = {
  checks: ["document"],
  subject: DMS_SANDBOX_SUBJECT,
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
};

async function finished(apiKey: string, id: string) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return ["completed", "failed", "expired"].includes(r.body.status) ? r.body : null;
    },
    20_000,
    `verification ${id}`,
  );
}

describe("writing an account", () => {
  it.each([
    ["dms", { apiKey: "k" }],
    ["verificaridentidad", { apiUser: "u", apiToken: "t", webhookUser: "w", webhookPassword: "p" }],
    ["identomat", { companyKey: "c" }],
    ["shareid", { apiKey: "a", businessHash: "b" }],
  ])("%s: an unknown setting is a 400 naming it (it used to be dropped silently); the shared ones are kept", async (vendor, credentials) => {
    const t = await gw.admin("POST", "/admin/tenants", { name: `cfg-${vendor}` });
    const bad = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor,
      name: "x",
      credentials,
      settings: { maxRetries: 1, concurency: 2 },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.body.errors).toEqual([{ path: "$.settings.concurency", message: "unknown key concurency" }]);
    const good = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor,
      name: "x",
      credentials,
      settings: { concurrency: 2, timeoutMs: 9_000, maxRetries: 1 },
    });
    expect(good.status).toBe(201);
    expect(good.body.settings).toMatchObject({ concurrency: 2, timeoutMs: 9_000, maxRetries: 1 });
  });

  it("every bad field of credentials and settings at once", async () => {
    const t = await gw.admin("POST", "/admin/tenants", { name: "cfg-both" });
    const r = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: "identy",
      name: "x",
      credentials: { nope: 1 },
      settings: { throughput: { proces: 3 } },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.credentials.nope", "$.settings.throughput.proces"]);
  });
});

describe("an account whose stored configuration no longer parses", () => {
  it("fails the attempt technical before any vendor call, and the next account serves", async () => {
    const t = await createTenantWithAccounts(gw, [DMS, DMS]);
    const [broken, spare] = t.accounts as { id: string }[];
    // as a row written before a key was retired, or by hand
    await gw.db.vendorAccount.update({ where: { id: broken!.id }, data: { settings: { idverifrPrefix: "/idcard_recognition_v2", retiredKey: true } } });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
    expect(created.status).toBe(202);
    const done = await finished(t.apiKey, created.body.id);
    expect(done).toMatchObject({ status: "completed", decision: "approved" });
    const failed = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: created.body.id, type: "vendor_failed" } });
    expect(failed.detail).toMatchObject({
      vendorAccountId: broken!.id,
      reason: "vendor_rejected_request",
      configuration: ["settings.retiredKey"],
      fallover: true,
    });
    expect(await gw.db.vendorCall.count({ where: { vendorAccountId: broken!.id } })).toBe(0);
    expect(await gw.db.vendorCall.count({ where: { vendorAccountId: spare!.id } })).toBeGreaterThan(0);
  });

  it("alone: the verification fails with the technical reason naming the key, never declined", async () => {
    const t = await createTenantWithAccounts(gw, [DMS]);
    await gw.db.vendorAccount.update({ where: { id: t.accounts[0].id }, data: { settings: { retiredKey: true } } });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
    const done = await finished(t.apiKey, created.body.id);
    expect(done.status).toBe("failed");
    expect(done.decision).toBeNull();
    expect(done.reasons).toEqual([
      {
        code: "vendor_rejected_request",
        category: "technical",
        vendor: "dms",
        vendorCode: null,
        message: "dms account settings are not valid at settings.retiredKey",
      },
    ]);
    const health = await gw.admin("GET", `/admin/vendor-accounts/${t.accounts[0].id}/health?probe=true`);
    expect(health.status).toBe(200);
    expect(health.body.probe).toMatchObject({ ok: false, detail: "dms account settings are not valid at settings.retiredKey" });
  });
});

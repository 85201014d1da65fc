// Credential lifecycle (issue 11, point 3): tenant API keys created, listed and revoked (several
// live at once; a revoked one refused at once by every API process), vendor accounts updated
// (merged, validated, masked) and disabled (routing skips them), the DMS two-secret rotation as its
// vendor file documents it, and webhook endpoints edited and re-enabled. Every change audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signHillogy } from "../../src/adapters/dms/webhooks.js";
import { decryptJson } from "../../src/domain/crypto.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startGatewayWithSecondApi,
  type startSecondApi,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

let gw: TestGateway;
let other: Awaited<ReturnType<typeof startSecondApi>>;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ gw, other, close } = await startGatewayWithSecondApi());
});
afterAll(async () => close?.());

const DMS = (webhookSecrets = ["old-secret"]) => ({ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets } });
const dmsRequest = () => ({
  checks: ["document"],
  subject: DMS_SANDBOX_SUBJECT,
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
});
const get = (base: string, key: string, path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
/** what an audit row says, as text (its id is a BigInt) */
const auditText = (rows: { before: unknown; after: unknown } | { before: unknown; after: unknown }[]) =>
  JSON.stringify([rows].flat().map((a) => [a.before, a.after]));
const paths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path);

describe("tenant API keys", () => {
  it("several live keys; the list never shows a secret; a revoked key is refused at once by every process, the others keep working", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const second = await gw.admin("POST", `/admin/tenants/${t.tenantId}/api-keys`);
    expect(second.status).toBe(201);
    expect(second.body).toEqual({ id: expect.stringMatching(/^key_/), apiKey: expect.stringMatching(/^kyc_/) });
    const firstId = `key_${t.apiKey.split("_")[1]}`;
    // both keys work in both processes (warming anything a process might keep)
    for (const base of [gw.url, other.url]) for (const key of [t.apiKey, second.body.apiKey]) expect(await get(base, key, "/v1/verifications")).toBe(200);

    const list = await gw.admin("GET", `/admin/tenants/${t.tenantId}/api-keys`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { id: string }) => k.id).sort()).toEqual([firstId, second.body.id].sort());
    expect(list.body.data[0]).toEqual({ id: expect.any(String), lastFour: expect.stringMatching(/^.{4}$/), createdAt: expect.any(String), revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(t.apiKey.slice(-20));
    expect(JSON.stringify(list.body)).not.toContain(second.body.apiKey.slice(-20));

    const revoked = await gw.admin("DELETE", `/admin/tenants/${t.tenantId}/api-keys/${firstId}`);
    expect(revoked.status).toBe(204);
    expect(await get(gw.url, t.apiKey, "/v1/verifications")).toBe(401);
    expect(await get(other.url, t.apiKey, "/v1/verifications")).toBe(401);
    expect(await get(gw.url, second.body.apiKey, "/v1/verifications")).toBe(200);
    expect(await get(other.url, second.body.apiKey, "/v1/verifications")).toBe(200);
    // the accept reads the key together with its tenant's routing (one statement): the same refusals
    const accept = async (base: string, key: string) =>
      (
        await fetch(`${base}/v1/verifications`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ checks: [] }),
        })
      ).status;
    expect(await accept(gw.url, t.apiKey)).toBe(401);
    expect(await accept(other.url, t.apiKey)).toBe(401);
    const forged = `${second.body.apiKey.split("_").slice(0, 2).join("_")}_${"x".repeat(32)}`;
    expect(await accept(gw.url, forged)).toBe(401);
    // past the key: the body's own refusal
    expect(await accept(gw.url, second.body.apiKey)).toBe(400);
    const after = await gw.admin("GET", `/admin/tenants/${t.tenantId}/api-keys`);
    expect(after.body.data.find((k: { id: string }) => k.id === firstId).revokedAt).toEqual(expect.any(String));

    // revoking twice changes nothing; audit rows name the operator
    expect((await gw.admin("DELETE", `/admin/tenants/${t.tenantId}/api-keys/${firstId}`)).status).toBe(204);
    const audit = await gw.db.auditLog.findMany({ where: { entityId: t.tenantId, action: { startsWith: "api_key." } }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.actor, a.operatorId])).toEqual([
      ["api_key.created", "admin", "bootstrap"],
      ["api_key.revoked", "admin", "bootstrap"],
    ]);
    expect(auditText(audit)).not.toContain(second.body.apiKey);
  });

  it("404 for an unknown tenant or key, or another tenant's key; 401 without the admin token", async () => {
    const a = await createTenantWithAccounts(gw, []);
    const b = await createTenantWithAccounts(gw, []);
    const bKey = `key_${b.apiKey.split("_")[1]}`;
    expect((await gw.admin("DELETE", `/admin/tenants/${a.tenantId}/api-keys/${bKey}`)).status).toBe(404);
    expect(await get(gw.url, b.apiKey, "/v1/verifications")).toBe(200);
    expect((await gw.admin("DELETE", `/admin/tenants/${a.tenantId}/api-keys/key_0000000000000000`)).status).toBe(404);
    expect((await gw.admin("GET", "/admin/tenants/ten_nope/api-keys")).status).toBe(404);
    expect((await gw.admin("POST", "/admin/tenants/ten_nope/api-keys")).status).toBe(404);
    expect((await fetch(`${gw.url}/admin/tenants/${a.tenantId}/api-keys`)).status).toBe(401);
  });
});

describe("PATCH /admin/vendor-accounts/:id", () => {
  it("merges credentials and settings key by key, validates them with the vendor's schemas, answers them masked and audits without secrets", async () => {
    const t = await createTenantWithAccounts(gw, [DMS()]);
    const acct = t.accounts[0];
    const r = await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, {
      credentials: { apiKey: "rotated-dms-key-123456" },
      settings: { timeoutMs: 5000 },
    });
    expect(r.status).toBe(200);
    expect(r.body.credentials).toEqual({ apiKey: "••••", webhookSecrets: ["••••"] });
    expect(r.body.settings).toMatchObject({ timeoutMs: 5000, idverifrPrefix: "/idcard_recognition_v2" });
    expect(JSON.stringify(r.body)).not.toContain("rotated-dms-key");
    const row = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: acct.id } });
    // the secret not sent is kept
    expect(decryptJson(gw.env.masterKey, row.credentialsEnc, `vendor-account:${acct.id}`)).toEqual({
      apiKey: "rotated-dms-key-123456",
      webhookSecrets: ["old-secret"],
    });
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { action: "vendor_account.updated", entityId: acct.id } });
    expect(audit).toMatchObject({ actor: "admin", operatorId: "bootstrap", after: { credentialsChanged: ["apiKey"], settings: { timeoutMs: 5000 } } });
    expect(auditText(audit)).not.toContain("rotated-dms-key");
    expect(auditText(audit)).not.toContain("old-secret");
  });

  it("400 naming the field for bad credentials, settings or body; 404 for an unknown account; nothing changes", async () => {
    const t = await createTenantWithAccounts(gw, [DMS()]);
    const acct = t.accounts[0];
    const before = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: acct.id } });
    const badCred = await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { credentials: { apiKey: "" } });
    expect(badCred.status).toBe(400);
    expect(badCred.headers.get("content-type")).toContain("application/problem+json");
    expect(paths(badCred.body)).toEqual(["$.credentials.apiKey"]);
    // null removes a key: removing the required one is refused
    expect(paths((await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { credentials: { apiKey: null } })).body)).toEqual(["$.credentials.apiKey"]);
    expect(paths((await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { settings: { concurrency: 0 } })).body)).toEqual(["$.settings.concurrency"]);
    expect(paths((await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { disabled: "yes" })).body)).toEqual(["$.disabled"]);
    const unknownField = await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { baseUrl: "http://elsewhere" });
    expect(unknownField.status).toBe(400);
    expect((await gw.admin("PATCH", "/admin/vendor-accounts/va_nope", { disabled: true })).status).toBe(404);
    const after = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: acct.id } });
    expect(after.credentialsEnc).toBe(before.credentialsEnc);
    expect(after.settings).toEqual(before.settings);
    expect(await gw.db.auditLog.count({ where: { action: "vendor_account.updated", entityId: acct.id } })).toBe(0);
  });

  it("routing skips a disabled account: disable → the next account takes the traffic; re-enable → back", async () => {
    const t = await createTenantWithAccounts(gw, [DMS(), DMS()]);
    const [a, b] = t.accounts;
    const routedTo = async () => {
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", dmsRequest());
      expect(created.status).toBe(202);
      const v = await waitUntil(
        async () => {
          const row = await gw.db.verification.findUnique({ where: { id: created.body.id } });
          return row?.status === "completed" ? row : null;
        },
        20_000,
        "completed",
      );
      return v.vendorAccountId;
    };
    expect(await routedTo()).toBe(a.id);
    const off = await gw.admin("PATCH", `/admin/vendor-accounts/${a.id}`, { disabled: true });
    expect(off.status).toBe(200);
    expect(off.body.disabled).toBe(true);
    expect(await routedTo()).toBe(b.id);
    const on = await gw.admin("PATCH", `/admin/vendor-accounts/${a.id}`, { disabled: false });
    expect(on.body.disabled).toBe(false);
    expect(await routedTo()).toBe(a.id);
    const audit = await gw.db.auditLog.findMany({ where: { action: "vendor_account.updated", entityId: a.id }, orderBy: { id: "asc" } });
    expect(audit.map((x) => [(x.before as { disabled: boolean }).disabled, (x.after as { disabled: boolean }).disabled])).toEqual([
      [false, true],
      [true, false],
    ]);
  });

  it("DMS two-secret rotation: stage a second webhook secret (both accepted, in every process), promote it (only the new one accepted)", async () => {
    const t = await createTenantWithAccounts(gw, [DMS(["old-secret"])]);
    const acct = t.accounts[0];
    let n = 0;
    const send = async (base: string, secret: string) => {
      const ts = Math.floor(Date.now() / 1000);
      const deliveryId = `rot-${acct.id}-${n++}`;
      const body = JSON.stringify({ event: "test", deliveryId, timestamp: new Date().toISOString() });
      const url = acct.webhookUrl.replace(gw.url, base);
      const r = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hillogy-delivery-id": deliveryId,
          "x-hillogy-timestamp": String(ts),
          "x-hillogy-signature": `t=${ts},v1=${signHillogy(secret, ts, body)}`,
        },
        body,
      });
      return r.status;
    };
    const phase = async () => ({
      old: [await send(gw.url, "old-secret"), await send(other.url, "old-secret")],
      next: [await send(gw.url, "new-secret"), await send(other.url, "new-secret")],
    });

    expect(await phase()).toEqual({ old: [200, 200], next: [401, 401] });

    const staged = await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { credentials: { webhookSecretNext: "new-secret" } });
    expect(staged.status).toBe(200);
    expect(staged.body.credentials).toEqual({ apiKey: "••••", webhookSecrets: ["••••"], webhookSecretNext: "••••" });
    expect(await phase()).toEqual({ old: [200, 200], next: [200, 200] });

    const promoted = await gw.admin("PATCH", `/admin/vendor-accounts/${acct.id}`, { credentials: { webhookSecrets: ["new-secret"], webhookSecretNext: null } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.credentials).toEqual({ apiKey: "••••", webhookSecrets: ["••••"] });
    expect(await phase()).toEqual({ old: [401, 401], next: [200, 200] });

    const row = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: acct.id } });
    expect(decryptJson(gw.env.masterKey, row.credentialsEnc, `vendor-account:${acct.id}`)).toEqual({
      apiKey: "sandbox-dms-key",
      webhookSecrets: ["new-secret"],
    });
    const audit = await gw.db.auditLog.findMany({ where: { action: "vendor_account.updated", entityId: acct.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => (a.after as { credentialsChanged: string[] }).credentialsChanged)).toEqual([
      ["webhookSecretNext"],
      ["webhookSecrets", "webhookSecretNext"],
    ]);
    expect(auditText(audit)).not.toContain("new-secret");
  });
});

describe("PATCH /v1/webhook-endpoints/:id", () => {
  it("edits url and events, disables, and re-enables an endpoint the gateway disabled (disabledAt and the failing clock cleared)", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook" });
    const edited = await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, {
      url: "http://127.0.0.1:9/other",
      events: ["verification.completed"],
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: ep.body.id, url: "http://127.0.0.1:9/other", events: ["verification.completed"], disabled: false });
    expect(edited.body.secret).toBeUndefined();

    const off = await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { enabled: false });
    expect(off.body.disabled).toBe(true);
    // as the delivery worker leaves an endpoint that failed for too long
    await gw.db.webhookEndpoint.update({
      where: { id: ep.body.id },
      data: { disabledAt: new Date(Date.now() - 3600_000), failingSince: new Date(Date.now() - 6 * 86_400_000) },
    });
    const on = await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body.disabled).toBe(false);
    const row = await gw.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.body.id } });
    expect(row.disabledAt).toBeNull();
    expect(row.failingSince).toBeNull();
    const listed = await gw.tenant(t.apiKey, "GET", "/v1/webhook-endpoints");
    expect(listed.body.data[0]).toMatchObject({ url: "http://127.0.0.1:9/other", disabled: false });
  });

  it("the url passes the create guard (422 naming $.url); a bad body is 400 naming the field; another tenant's endpoint is 404", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const u = await createTenantWithAccounts(gw, []);
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook" });
    const creds = await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { url: "http://user:pw@127.0.0.1:9/hook" });
    expect(creds.status).toBe(422);
    expect(paths(creds.body)).toEqual(["$.url"]);
    const ftp = await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { url: "ftp://127.0.0.1/hook" });
    expect(ftp.status).toBe(422);
    expect(paths((await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { events: ["verification.exploded"] })).body)).toEqual([
      "$.events[0]",
    ]);
    expect(paths((await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { enabled: "true" })).body)).toEqual(["$.enabled"]);
    expect((await gw.tenant(t.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { secret: "mine" })).status).toBe(400);
    expect((await gw.tenant(u.apiKey, "PATCH", `/v1/webhook-endpoints/${ep.body.id}`, { enabled: true })).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/webhook-endpoints/${ep.body.id}`, { method: "PATCH" })).status).toBe(401);
    const row = await gw.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.body.id } });
    expect(row.url).toBe("http://127.0.0.1:9/hook");
  });
});

describe("/openapi.json", () => {
  it("documents every lifecycle route with its request and answer schemas", async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, unknown> }>>;
    };
    const methods = (p: string) => Object.keys(doc.paths[p] ?? {}).sort();
    expect(methods("/admin/tenants/{id}/api-keys")).toEqual(["get", "post"]);
    expect(methods("/admin/tenants/{id}/api-keys/{keyId}")).toEqual(["delete"]);
    expect(methods("/admin/vendor-accounts/{id}")).toEqual(["patch"]);
    expect(methods("/v1/webhook-endpoints/{id}")).toEqual(["delete", "patch"]);
    expect(methods("/admin/operators")).toEqual(["get", "post"]);
    expect(methods("/admin/operators/{id}")).toEqual(["delete"]);
    expect(methods("/admin/whoami")).toEqual(["get"]);
    expect(methods("/admin/tenants/{id}/quotas")).toEqual(["get", "put"]);
    expect(methods("/admin/tenants/{id}/retention")).toEqual(["get", "put"]);
    const body = (p: string, m: string) => doc.paths[p]![m]!.requestBody?.content["application/json"]?.schema.$ref;
    expect(body("/admin/vendor-accounts/{id}", "patch")).toBe("#/components/schemas/UpdateVendorAccount");
    expect(body("/v1/webhook-endpoints/{id}", "patch")).toBe("#/components/schemas/UpdateWebhookEndpoint");
    expect(body("/admin/operators", "post")).toBe("#/components/schemas/CreateOperator");
    expect(body("/admin/tenants/{id}/quotas", "put")).toBe("#/components/schemas/QuotaUpdate");
    expect(body("/admin/tenants/{id}/retention", "put")).toBe("#/components/schemas/Retention");
    expect(Object.keys(doc.paths["/admin/operators"]!.post!.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "429"]));
  });
});

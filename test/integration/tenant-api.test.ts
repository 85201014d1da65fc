// The tenant and admin API against the real Postgres: validation as problem+json,
// idempotency, tenant isolation, pagination, masking and hashing of secrets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/domain/crypto.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let t1: Awaited<ReturnType<typeof createTenantWithAccounts>>;
let t2: Awaited<ReturnType<typeof createTenantWithAccounts>>;
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["whs-one"] } };
const jpeg = (tag = "doc") => fakeJpeg(tag).toString("base64");
const body = (over: Record<string, unknown> = {}) => ({
  reference: "customer-42",
  checks: ["document"],
  document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: jpeg() }] },
  ...over,
});

beforeAll(async () => {
  // no workers: these tests look at what the API itself does
  gw = await startTestGateway({ workers: false, envOverrides: { MAX_BODY_BYTES: String(2 * 1024 * 1024), MAX_IMAGE_BYTES: String(512 * 1024) } });
  t1 = await createTenantWithAccounts(gw, [DMS]);
  t2 = await createTenantWithAccounts(gw, [DMS]);
});
afterAll(async () => gw?.close());

describe("admin API", () => {
  it("needs the admin token", async () => {
    const r = await gw.tenant("wrong-token-0123456789", "POST", "/admin/tenants", { name: "x" });
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
  });

  it("shows the tenant API key once and stores only its hash", async () => {
    const r = await gw.admin("POST", "/admin/tenants", { name: "Acme" });
    expect(r.status).toBe(201);
    expect(r.body.apiKey).toMatch(/^kyc_[0-9a-f]{16}_/);
    const keys = await gw.db.apiKey.findMany({ where: { tenantId: r.body.id } });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.keyHash).toBe(sha256Hex(r.body.apiKey));
    const list = await gw.admin("GET", "/admin/tenants");
    expect(JSON.stringify(list.body)).not.toContain(r.body.apiKey);
  });

  it("masks vendor credentials in every answer and encrypts them at rest", async () => {
    const r = await gw.admin("POST", `/admin/tenants/${t1.tenantId}/vendor-accounts`, {
      vendor: "dms",
      name: "second",
      credentials: { apiKey: "sk_test_supersecretvalue", webhookSecrets: ["whsec-a", "whsec-b"] },
    });
    expect(r.status).toBe(201);
    expect(r.body.webhookUrl).toBe(`${gw.url}/hooks/dms/${r.body.id}`);
    expect(JSON.stringify(r.body)).not.toContain("supersecret");
    expect(JSON.stringify(r.body)).not.toContain("whsec-a");
    const row = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: r.body.id } });
    expect(row.credentialsEnc).not.toContain("supersecret");
    const list = await gw.admin("GET", "/admin/tenants");
    expect(JSON.stringify(list.body)).not.toContain("supersecret");
    const audit = await gw.db.auditLog.findFirst({ where: { entityId: r.body.id } });
    expect(audit?.action).toBe("vendor_account.created");
    expect(JSON.stringify(audit?.after)).not.toContain("supersecret");
  });

  it("refuses bad credentials shapes naming the field", async () => {
    const r = await gw.admin("POST", `/admin/tenants/${t1.tenantId}/vendor-accounts`, { vendor: "dms", name: "x", credentials: {} });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain("$.credentials.apiKey");
  });

  it("refuses a vendor base URL with a query string, a fragment, credentials or another scheme, naming the field", async () => {
    for (const baseUrl of [
      "https://iws.tenant.example/base?x=",
      "https://iws.tenant.example/#frag",
      "https://u:p@iws.tenant.example",
      "file:///etc/passwd",
      "gopher://iws.tenant.example",
    ]) {
      const r = await gw.admin("POST", `/admin/tenants/${t1.tenantId}/vendor-accounts`, { vendor: "identy", name: "x", baseUrl, credentials: {} });
      expect(r.status, baseUrl).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain("$.baseUrl");
    }
  });

  it("refuses routing to another tenant's account", async () => {
    const r = await gw.admin("PUT", `/admin/tenants/${t1.tenantId}/routing`, { default: [t2.accounts[0].id] });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].path).toBe("$.default[0]");
  });
});

describe("POST /v1/verifications validation", () => {
  it("needs a tenant key", async () => {
    expect((await gw.tenant("nope", "POST", "/v1/verifications", body())).status).toBe(401);
  });

  it.each([
    [{ checks: [] }, "$.checks"],
    [{ checks: ["document", "document"] }, "$.checks"],
    [{ checks: ["fingerprint"] }, "$.checks[0]"],
    [{ vendor: "acme" }, "$.vendor"],
    [{ subject: { phone: "12345" } }, "$.subject.phone"],
    [{ subject: { dateOfBirth: "1955-02-30" } }, "$.subject.dateOfBirth"],
    [{ document: { country: "XX", images: [] } }, "$.document.country"],
    [{ document: { images: [{ contentType: "image/gif", data: jpeg() }] } }, "$.document.images[0].contentType"],
    [{ hosted: { returnUrl: "not a url" } }, "$.hosted.returnUrl"],
    [{ unexpected: true }, "$"],
  ])("%j is a 400 naming %s", async (over, path) => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body(over));
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ status: 400, title: expect.any(String) });
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("malformed JSON is a 400, not a 500", async () => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", '{"checks": [');
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe("$");
  });

  it("an image whose bytes contradict its declared type is a 415 naming the image", async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40)]).toString("base64");
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ document: { images: [{ contentType: "image/jpeg", data: png }] } }));
    expect(r.status).toBe(415);
    expect(r.body.errors[0].path).toBe("$.document.images[0].data");
  });

  it("bytes that are no image at all are a 415", async () => {
    const r = await gw.tenant(
      t1.apiKey,
      "POST",
      "/v1/verifications",
      body({ selfie: { contentType: "image/jpeg", data: Buffer.from("hello world").toString("base64") } }),
    );
    expect(r.status).toBe(415);
    expect(r.body.errors[0].path).toBe("$.selfie.data");
  });

  it("invalid base64 is a 400", async () => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ selfie: { contentType: "image/jpeg", data: "!!!notbase64" } }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe("$.selfie.data");
  });

  it("an image over the image limit is a 413 naming it; a body over the body limit is a 413", async () => {
    const big = Buffer.concat([fakeJpeg(), Buffer.alloc(600 * 1024)]).toString("base64");
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ selfie: { contentType: "image/jpeg", data: big } }));
    expect(r.status).toBe(413);
    expect(r.body.errors[0].path).toBe("$.selfie.data");
    const huge = Buffer.alloc(3 * 1024 * 1024).toString("base64");
    const r2 = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ selfie: { contentType: "image/jpeg", data: huge } }));
    expect(r2.status).toBe(413);
    expect(r2.headers.get("content-type")).toContain("application/problem+json");
  });

  it("a verification naming a vendor the tenant has no account for is a 422", async () => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ vendor: "shareid" }));
    expect(r.status).toBe(422);
    expect(r.body.errors[0].path).toBe("$.vendor");
  });

  it("no half-written verification is left by a refused request", async () => {
    const before = await gw.db.verification.count({ where: { tenantId: t1.tenantId } });
    await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ checks: [] }));
    await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ selfie: { contentType: "image/png", data: jpeg() } }));
    expect(await gw.db.verification.count({ where: { tenantId: t1.tenantId } })).toBe(before);
  });
});

describe("accepting a verification", () => {
  it("answers 202 pending and writes the verification, its encrypted input and an outbox row in one go", async () => {
    const r = await gw.tenant(
      t1.apiKey,
      "POST",
      "/v1/verifications",
      body({ subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" }, metadata: { plan: "gold" } }),
    );
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: "pending", reference: "customer-42", decision: null, reasons: [], metadata: { plan: "gold" }, nextAction: null });
    expect(r.body.id).toMatch(/^ver_/);
    const input = await gw.db.verificationInput.findUniqueOrThrow({ where: { verificationId: r.body.id } });
    expect(Buffer.from(input.payloadEnc).toString("latin1")).not.toContain("Aparicio");
    const outbox = await gw.db.outboxMessage.findMany({ where: { jobId: `submit-${r.body.id}` } });
    expect(outbox).toHaveLength(1);
    expect(JSON.stringify(outbox[0]!.payload)).toBe(JSON.stringify({ verificationId: r.body.id }));
  });

  it("accepts multipart with a request part and image parts", async () => {
    const form = new FormData();
    form.append("request", JSON.stringify({ checks: ["document", "liveness"], reference: "mp-1", document: { type: "passport", country: "FR" } }));
    form.append("document_front", new Blob([new Uint8Array(fakeJpeg("front"))], { type: "image/jpeg" }), "front.jpg");
    form.append("selfie", new Blob([new Uint8Array(fakeJpeg("selfie"))], { type: "image/jpeg" }), "selfie.jpg");
    const res = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${t1.apiKey}` }, body: form });
    expect(res.status).toBe(202);
    const v = (await res.json()) as { id: string };
    const { openInput } = await import("../../src/core/verifications.js");
    const input = await gw.db.verificationInput.findUniqueOrThrow({ where: { verificationId: v.id } });
    const opened = openInput(gw.env.masterKey, v.id, input.payloadEnc);
    expect(opened.document?.images).toHaveLength(1);
    expect(opened.document?.images[0]?.side).toBe("front");
    expect(opened.selfie?.data.equals(fakeJpeg("selfie"))).toBe(true);
  });

  it("multipart image parts are checked against their bytes too", async () => {
    const form = new FormData();
    form.append("request", JSON.stringify({ checks: ["document"] }));
    form.append("document_front", new Blob([new Uint8Array(Buffer.from("%PDF-1.4 not a jpeg"))], { type: "image/jpeg" }), "front.jpg");
    const res = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${t1.apiKey}` }, body: form });
    expect(res.status).toBe(415);
  });

  it("Idempotency-Key: same body gives the same verification, another body is a 409", async () => {
    const key = `idem-${Date.now()}`;
    const a = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body(), { "idempotency-key": key });
    const b = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body(), { "idempotency-key": key });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    const c = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ reference: "other" }), { "idempotency-key": key });
    expect(c.status).toBe(409);
    // the same key in another tenant is another verification
    const d = await gw.tenant(t2.apiKey, "POST", "/v1/verifications", body(), { "idempotency-key": key });
    expect(d.status).toBe(202);
    expect(d.body.id).not.toBe(a.body.id);
  });

  it("concurrent duplicates with one Idempotency-Key create one verification", async () => {
    const key = `race-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 12 }, () => gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ reference: key }), { "idempotency-key": key })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(202));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await gw.db.verification.count({ where: { tenantId: t1.tenantId, reference: key } })).toBe(1);
    expect(await gw.db.outboxMessage.count({ where: { jobId: `submit-${results[0]!.body.id}` } })).toBe(1);
  });
});

describe("reading, listing, cancelling", () => {
  it("another tenant's verification is a 404", async () => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body());
    expect((await gw.tenant(t2.apiKey, "GET", `/v1/verifications/${r.body.id}`)).status).toBe(404);
    expect((await gw.tenant(t2.apiKey, "POST", `/v1/verifications/${r.body.id}/cancel`)).status).toBe(404);
    expect((await gw.tenant(t2.apiKey, "DELETE", `/v1/verifications/${r.body.id}/personal-data`)).status).toBe(404);
    expect((await gw.tenant(t1.apiKey, "GET", `/v1/verifications/${r.body.id}`)).body.id).toBe(r.body.id);
  });

  it("lists by reference and status with a cursor, newest first", async () => {
    const ref = `list-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body({ reference: ref }))).body.id);
    const p1 = await gw.tenant(t1.apiKey, "GET", `/v1/verifications?reference=${ref}&limit=2`);
    expect(p1.body.data.map((v: { id: string }) => v.id)).toEqual([ids[4], ids[3]]);
    const p2 = await gw.tenant(t1.apiKey, "GET", `/v1/verifications?reference=${ref}&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.data.map((v: { id: string }) => v.id)).toEqual([ids[2], ids[1]]);
    const p3 = await gw.tenant(t1.apiKey, "GET", `/v1/verifications?reference=${ref}&limit=2&cursor=${p2.body.nextCursor}`);
    expect(p3.body.data.map((v: { id: string }) => v.id)).toEqual([ids[0]]);
    expect(p3.body.nextCursor).toBeNull();
    const other = await gw.tenant(t2.apiKey, "GET", `/v1/verifications?reference=${ref}`);
    expect(other.body.data).toEqual([]);
    const bad = await gw.tenant(t1.apiKey, "GET", `/v1/verifications?status=done`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("$.query.status");
  });

  it("cancels a pending verification once; cancelling again is a 409", async () => {
    const r = await gw.tenant(t1.apiKey, "POST", "/v1/verifications", body());
    const c = await gw.tenant(t1.apiKey, "POST", `/v1/verifications/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe("cancelled");
    expect((await gw.tenant(t1.apiKey, "POST", `/v1/verifications/${r.body.id}/cancel`)).status).toBe(409);
    const events = await gw.db.verificationEvent.findMany({ where: { verificationId: r.body.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.source, e.type, e.toStatus])).toEqual([
      ["api", "created", "pending"],
      ["api", "cancelled", "cancelled"],
    ]);
  });

  it("another tenant's webhook endpoints and deliveries are 404s, and the secret is shown only once", async () => {
    const ep = await gw.tenant(t1.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook" });
    expect(ep.status).toBe(201);
    expect(ep.body.secret).toMatch(/^whsec_/);
    for (const [method, path] of [
      ["GET", `/v1/webhook-endpoints/${ep.body.id}/deliveries`],
      ["DELETE", `/v1/webhook-endpoints/${ep.body.id}`],
      ["POST", `/v1/webhook-endpoints/${ep.body.id}/rotate-secret`],
    ] as const) {
      expect((await gw.tenant(t2.apiKey, method, path)).status, `${method} ${path}`).toBe(404);
    }
    const list2 = await gw.tenant(t2.apiKey, "GET", "/v1/webhook-endpoints");
    expect(list2.body.data.map((e: { id: string }) => e.id)).not.toContain(ep.body.id);
    const list1 = await gw.tenant(t1.apiKey, "GET", "/v1/webhook-endpoints");
    expect(JSON.stringify(list1.body)).not.toContain("whsec_");
    const row = await gw.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.body.id } });
    expect(row.secretsEnc).not.toContain(ep.body.secret.slice(6, 20));
    expect((await gw.tenant(t2.apiKey, "POST", "/v1/webhook-deliveries/dlv_nope/replay")).status).toBe(404);
  });

  it("unknown routes and ids are problem+json 404s", async () => {
    const r = await gw.tenant(t1.apiKey, "GET", "/v1/verifications/ver_nope");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("operability", () => {
  it("serves /healthz, /openapi.json generated from the schemas, and /docs", async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as any;
    expect(doc.paths["/v1/verifications"].post).toBeDefined();
    expect(doc.components.schemas.Verification.properties.status.enum).toEqual([
      "pending",
      "awaiting_user",
      "processing",
      "completed",
      "failed",
      "expired",
      "cancelled",
    ]);
    expect(doc.components.schemas.Reason.properties.code.enum).toContain("document_expired");
    const docs = await fetch(`${gw.url}/docs`);
    expect(docs.headers.get("content-type")).toContain("text/html");
  });

  it("/readyz checks Postgres and Redis", async () => {
    const r = await fetch(`${gw.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ready", postgres: "ok", redis: "ok" });
  });
});

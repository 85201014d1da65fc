// Issue 9 point 5: a throwaway sixth vendor wired as a new vendor is (test/fixtures/sixth-vendor/README.md): one
// adapter folder, one simulator folder, and one line in the adapter registry (below, the first vi.mock factory
// adds exactly that line; the second only points the sandbox's folder discovery at the fixture's folder too).
// Nothing else of the gateway is told about it, and it works end to end against its simulator through the real API, Postgres, Redis and workers: the request enum, the admin API, the
// console's forms, /openapi.json, routing, the worker, the sandbox's fault injection.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

vi.mock("../../src/adapters/registry.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/adapters/registry.js")>();
  const { registryOf } = await import("../../src/adapters/kit/registry.js");
  const { acmeAdapter } = await import("../fixtures/sixth-vendor/adapters/acme/index.js");
  const REGISTERED = [...actual.REGISTERED, acmeAdapter] as const; // the registry's one line
  return { REGISTERED, ...registryOf(REGISTERED) };
});
vi.mock("../../src/sandbox/simulators.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/sandbox/simulators.js")>();
  // no line names the simulator: its folder is found as those of src/sandbox/ are (the fixture lives outside src/)
  const SIMULATORS = { ...actual.SIMULATORS, ...(await actual.discoverSimulators(new URL("../fixtures/sixth-vendor/sandbox/", import.meta.url))) };
  return { ...actual, SIMULATORS, SIMULATED_VENDORS: Object.keys(SIMULATORS) };
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

const ACME = { vendor: "acme", credentials: { apiKey: "sandbox-acme-key" } };
const request = (tag: string) => ({
  reference: `acme-${tag}`,
  vendor: "acme",
  checks: ["document"],
  document: { images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg(tag).toString("base64") }] },
});

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

describe("a sixth vendor, from its folders and one line", () => {
  it("is offered to operators: the console's form from its manifest, the admin API's validation, /openapi.json", async () => {
    const vendors = await gw.admin("GET", "/admin/vendors");
    const acme = vendors.body.data.find((v: { vendor: string }) => v.vendor === "acme");
    expect(vendors.body.data.map((v: { vendor: string }) => v.vendor)).toEqual(["dms", "shareid", "identomat", "verificaridentidad", "identy", "acme"]);
    expect(acme).toMatchObject({
      displayName: "Acme Document Check",
      defaultBaseUrl: "https://api.acme.invalid",
      secretKeys: ["apiKey"],
      credentialsTemplate: { apiKey: "" },
    });
    expect(acme.credentialsSchema).toMatchObject({ type: "object", required: ["apiKey"], properties: { apiKey: { type: "string", minLength: 1 } } });
    expect(acme.settingsSchema.properties).toHaveProperty("checksPath");
    expect(acme.settingsSchema.properties).toHaveProperty("maxRetries");
    expect(acme.settingsSchema.additionalProperties).toBe(false);

    const t = await gw.admin("POST", "/admin/tenants", { name: "acme-operators" });
    const bad = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: "acme",
      name: "a",
      credentials: {},
      settings: { checkPath: "/x" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.credentials.apiKey", "$.settings.checkPath"]);
    const good = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: "acme",
      name: "a",
      credentials: { apiKey: "k_live_123456789" },
    });
    expect(good.status).toBe(201);
    // secret: masked whole
    expect(good.body).toMatchObject({
      vendor: "acme",
      baseUrl: "https://api.acme.invalid",
      credentials: { apiKey: "••••" },
      settings: { checksPath: "/v2/document-checks" },
    });

    // every field naming a vendor lists the registry's, the new one included
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
      components: { schemas: { VendorAccount: { properties: { vendor: { enum: string[] } } } } };
    };
    expect(doc.components.schemas.VendorAccount.properties.vendor.enum).toContain("acme");
  });

  it("create -> worker -> completed, approved, against its simulator", async () => {
    const t = await createTenantWithAccounts(gw, [ACME]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("clear"));
    expect(created.status).toBe(202);
    const done = await finished(t.apiKey, created.body.id);
    expect(done).toMatchObject({
      status: "completed",
      decision: "approved",
      vendor: "acme",
      reasons: [],
      checks: { document: { outcome: "pass", country: "ES", fields: { firstName: "Ana", lastName: "Acme", dateOfBirth: "1990-01-01" } } },
      decidedBy: { mapping: "acme-1" },
    });
    expect(done.vendorReference).toMatch(/^chk_/);
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
    expect(calls.map((c) => [c.vendor, c.endpoint, c.httpStatus, c.outcome])).toEqual([["acme", "document_checks", 200, "ok"]]);
    const data = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}/vendor-data`);
    expect(data.body.data.map((p: { vendor: string; kind: string }) => `${p.vendor}:${p.kind}`)).toEqual(["acme:document_checks"]);
  });

  it("its table's reasons decide: an expired document is declined", async () => {
    const t = await createTenantWithAccounts(gw, [ACME]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("MAGIC:EXPIRED"));
    const done = await finished(t.apiKey, created.body.id);
    expect(done).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "document_expired", category: "document", vendor: "acme", vendorCode: "EXPIRED" }],
      checks: { document: { outcome: "fail" } },
    });
  });

  it("its request check answers 4xx before any call, and the sandbox's faults reach it (technical, never a decision)", async () => {
    const t = await createTenantWithAccounts(gw, [ACME]);
    const refused = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { vendor: "acme", checks: ["document"] });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: "$.document.images", message: "Acme needs one document image" }]);

    const fault = await fetch(`${gw.sandboxUrl}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "acme", endpoint: "/v2/document-checks", fault: "http_503", times: 3 }),
    });
    expect(fault.status).toBe(201);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("down"));
    const done = await finished(t.apiKey, created.body.id);
    expect(done).toMatchObject({ status: "failed", decision: null, reasons: [{ code: "vendor_unavailable", category: "technical", vendor: "acme" }] });
    expect(await gw.db.vendorCall.count({ where: { verificationId: created.body.id } })).toBe(3);
  });
});

// Admin: a tenant's browser origins (CORS of the IDENTY SDK proxy), validated field by field, audited,
// in /openapi.json; "*" refused in production (and ignored there if stored before).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allowedOriginsSchema, allowOriginFor } from "../../src/domain/origins.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let tenantId: string;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  tenantId = (await gw.admin("POST", "/admin/tenants", { name: "origins" })).body.id;
});
afterAll(async () => gw?.close());

describe("PUT|GET /admin/tenants/:id/allowed-origins", () => {
  it("stores canonical origins, audits the change, and reads them back", async () => {
    const put = await gw.admin("PUT", `/admin/tenants/${tenantId}/allowed-origins`, {
      allowedOrigins: ["https://Shop.Example", "http://127.0.0.1:4200", "https://shop.example:443"],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ tenantId, allowedOrigins: ["https://shop.example", "http://127.0.0.1:4200"] });
    expect((await gw.admin("GET", `/admin/tenants/${tenantId}/allowed-origins`)).body.allowedOrigins).toEqual([
      "https://shop.example",
      "http://127.0.0.1:4200",
    ]);
    const audit = await gw.db.auditLog.findFirst({ where: { entityId: tenantId, action: "tenant.allowed_origins.updated" } });
    expect(audit?.after).toEqual({ allowedOrigins: ["https://shop.example", "http://127.0.0.1:4200"] });
  });

  it("answers problem+json 400 naming each bad entry", async () => {
    const r = await gw.admin("PUT", `/admin/tenants/${tenantId}/allowed-origins`, {
      allowedOrigins: ["https://ok.example", "https://shop.example/checkout", "ftp://x.example", 7],
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.allowedOrigins[1]", "$.allowedOrigins[2]", "$.allowedOrigins[3]"]);
    const unknown = await gw.admin("PUT", `/admin/tenants/${tenantId}/allowed-origins`, { allowedOrigins: [], origins: [] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe("$");
    expect((await gw.admin("PUT", "/admin/tenants/ten_nope/allowed-origins", { allowedOrigins: [] })).status).toBe(404);
  });

  it('accepts "*" outside production', async () => {
    expect((await gw.admin("PUT", `/admin/tenants/${tenantId}/allowed-origins`, { allowedOrigins: ["*"] })).body.allowedOrigins).toEqual(["*"]);
  });

  it("is in /openapi.json", async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/admin/tenants/{id}/allowed-origins"] ?? {}).sort()).toEqual(["get", "put"]);
  });
});

describe('"*" in production', () => {
  it("is refused on write with the entry's path", () => {
    const r = allowedOriginsSchema(true).safeParse({ allowedOrigins: ["https://shop.example", "*"] });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path)).toEqual([["allowedOrigins", 1]]);
  });

  it("is ignored on read when it was stored before", () => {
    expect(allowOriginFor("https://any.example", ["*"], false)).toBe("*");
    expect(allowOriginFor("https://any.example", ["*"], true)).toBeNull();
    expect(allowOriginFor("https://shop.example", ["*", "https://shop.example"], true)).toBe("https://shop.example");
  });
});

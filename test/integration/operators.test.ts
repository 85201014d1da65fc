// Named operators (issue 11, point 4): their own tokens (shown once, stored hashed), roles
// (viewer: GET only), revocation at once in every API process, and every audit row naming the
// operator who made the change ("bootstrap" for ADMIN_TOKEN).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/domain/crypto.js";
import { startGatewayWithSecondApi, type startSecondApi, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let other: Awaited<ReturnType<typeof startSecondApi>>;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ gw, other, close } = await startGatewayWithSecondApi({ workers: false }));
});
afterAll(async () => close?.());

const as = async (base: string, token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: text ? JSON.parse(text) : null };
};

async function operator(role: "viewer" | "admin", name = `${role}-${Math.random().toString(36).slice(2, 8)}`) {
  const r = await gw.admin("POST", "/admin/operators", { name, role });
  expect(r.status).toBe(201);
  return r.body as { id: string; name: string; role: string; token: string };
}

describe("operators", () => {
  it("are created by the bootstrap token: the token is shown once and stored as its sha256 only; the list never shows it", async () => {
    const op = await operator("admin", "alice");
    expect(op).toMatchObject({
      id: expect.stringMatching(/^op_[0-9a-f]{16}$/),
      name: "alice",
      role: "admin",
      token: expect.stringMatching(/^kop_[0-9a-f]{16}_/),
    });
    const row = await gw.db.operator.findUniqueOrThrow({ where: { id: op.id } });
    expect(row.tokenHash).toBe(sha256Hex(op.token));
    expect(JSON.stringify(row)).not.toContain(op.token);
    const list = await gw.admin("GET", "/admin/operators");
    expect(list.status).toBe(200);
    const listed = list.body.data.find((o: { id: string }) => o.id === op.id);
    expect(listed).toEqual({ id: op.id, name: "alice", role: "admin", createdBy: "bootstrap", createdAt: expect.any(String), revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(op.token);
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { action: "operator.created", entityId: op.id } });
    expect(audit).toMatchObject({ actor: "admin", operatorId: "bootstrap", after: { name: "alice", role: "admin" } });
  });

  it("refuses a bad body with 400 naming the field, and names the audit log already uses", async () => {
    const noRole = await gw.admin("POST", "/admin/operators", { name: "bob" });
    expect(noRole.status).toBe(400);
    expect(noRole.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.role"]);
    const badRole = await gw.admin("POST", "/admin/operators", { name: "bob", role: "root" });
    expect(badRole.body.errors.map((e: { path: string }) => e.path)).toEqual(["$.role"]);
    for (const reserved of ["admin", "bootstrap", "System"]) {
      const r = await gw.admin("POST", "/admin/operators", { name: reserved, role: "viewer" });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe("$.name");
    }
    const extra = await gw.admin("POST", "/admin/operators", { name: "bob", role: "viewer", token: "chosen" });
    expect(extra.status).toBe(400);
  });

  it("an operator token works wherever ADMIN_TOKEN does, within its role: viewer reads, every write is 403 problem+json", async () => {
    const viewer = await operator("viewer");
    for (const path of ["/admin/tenants", "/admin/audit-log", "/admin/vendor-accounts", "/admin/queues", "/admin/operators"])
      expect((await as(gw.url, viewer.token, "GET", path)).status, path).toBe(200);
    const writes = [
      ["POST", "/admin/tenants", { name: "x" }],
      ["PUT", "/admin/tenants/ten_x/routing", { default: [] }],
      ["POST", "/admin/webhook-deliveries/whd_x/replay", undefined],
      ["DELETE", "/admin/operators/op_0000000000000000", undefined],
      ["PATCH", "/admin/vendor-accounts/va_x", { disabled: true }],
    ] as const;
    for (const [method, path, body] of writes) {
      const r = await as(gw.url, viewer.token, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.type).toContain("application/problem+json");
    }
    expect(await gw.db.tenant.count({ where: { name: "x" } })).toBe(0);
  });

  it("every audit row names the operator: an admin operator's change carries its id and name, the bootstrap token's 'bootstrap'", async () => {
    const op = await operator("admin", "carol");
    const byOp = await as(gw.url, op.token, "POST", "/admin/tenants", { name: "by-carol" });
    expect(byOp.status).toBe(201);
    const byBootstrap = await gw.admin("POST", "/admin/tenants", { name: "by-bootstrap" });
    const rows = await gw.db.auditLog.findMany({ where: { action: "tenant.created", entityId: { in: [byOp.body.id, byBootstrap.body.id] } } });
    expect(rows.find((r) => r.entityId === byOp.body.id)).toMatchObject({ actor: "carol", operatorId: op.id });
    expect(rows.find((r) => r.entityId === byBootstrap.body.id)).toMatchObject({ actor: "admin", operatorId: "bootstrap" });
    // the policy history and the re-decision audit too
    await as(gw.url, op.token, "PUT", `/admin/tenants/${byOp.body.id}/policy`, { minimumAge: 21 });
    expect(await gw.db.auditLog.findFirst({ where: { action: "policy.updated", entityId: byOp.body.id } })).toMatchObject({
      actor: "carol",
      operatorId: op.id,
    });
    expect((await gw.db.tenantPolicy.findFirstOrThrow({ where: { tenantId: byOp.body.id } })).actor).toBe("carol");
    const redecided = await as(gw.url, op.token, "POST", "/admin/verifications/re-decide", {
      tenantId: byOp.body.id,
      from: "2026-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
    });
    expect(redecided.status).toBe(200);
    expect(await gw.db.auditLog.findFirst({ where: { action: "verifications.re_decide_dry_run", entityId: byOp.body.id } })).toMatchObject({
      actor: "carol",
      operatorId: op.id,
    });
  });

  it("only the bootstrap token manages operators: an admin operator cannot mint or revoke tokens", async () => {
    const op = await operator("admin");
    const mint = await as(gw.url, op.token, "POST", "/admin/operators", { name: "shadow", role: "admin" });
    expect(mint.status).toBe(403);
    expect((await as(gw.url, op.token, "DELETE", `/admin/operators/${op.id}`)).status).toBe(403);
    expect(await gw.db.operator.count({ where: { name: "shadow" } })).toBe(0);
  });

  it("GET /admin/whoami says who is signed in", async () => {
    const viewer = await operator("viewer", "dave");
    expect((await as(gw.url, viewer.token, "GET", "/admin/whoami")).body).toEqual({ id: viewer.id, name: "dave", role: "viewer", bootstrap: false });
    expect((await gw.admin("GET", "/admin/whoami")).body).toEqual({ id: "bootstrap", name: "admin", role: "admin", bootstrap: true });
    const anon = await fetch(`${gw.url}/admin/whoami`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("content-type")).toContain("application/problem+json");
    expect((await as(gw.url, "kop_0123456789abcdef_notarealtokennotarealtoken", "GET", "/admin/whoami")).status).toBe(401);
  });

  it("a revoked token stops working at once in every API process, without a restart", async () => {
    const op = await operator("admin");
    // both processes have served it
    expect((await as(gw.url, op.token, "GET", "/admin/tenants")).status).toBe(200);
    expect((await as(other.url, op.token, "GET", "/admin/tenants")).status).toBe(200);
    expect((await gw.admin("DELETE", `/admin/operators/${op.id}`)).status).toBe(204);
    expect((await as(gw.url, op.token, "GET", "/admin/tenants")).status).toBe(401);
    expect((await as(other.url, op.token, "GET", "/admin/tenants")).status).toBe(401);
    // revoking again changes nothing; an unknown id is a 404
    expect((await gw.admin("DELETE", `/admin/operators/${op.id}`)).status).toBe(204);
    expect(await gw.db.auditLog.count({ where: { action: "operator.revoked", entityId: op.id } })).toBe(1);
    const unknown = await gw.admin("DELETE", "/admin/operators/op_0000000000000000");
    expect(unknown.status).toBe(404);
    const listed = (await gw.admin("GET", "/admin/operators")).body.data.find((o: { id: string }) => o.id === op.id);
    expect(listed.revokedAt).toEqual(expect.any(String));
  });
});

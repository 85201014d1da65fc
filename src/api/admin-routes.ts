// Admin API for operations staff (DESIGN.md "Admin API"), behind ADMIN_TOKEN.
// Every change is written to the audit log (who, what, before, after).
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Prisma } from "../generated/prisma/client.js";
import type { AppContext } from "../app/context.js";
import { adapterFor } from "../adapters/registry.js";
import { parseAccountConfig, sealCredentials, toAccountResource } from "../core/accounts.js";
import { constantTimeEqual, generateApiKey, newId } from "../domain/crypto.js";
import { RoutingSchema } from "../core/routing.js";
import { circuitStateOf } from "../core/vendor-http.js";
import { isAccountConfigError } from "../domain/errors.js";
import { probeAccount } from "../core/adapter-runtime.js";
import { Problem, fromZod, jsonPath } from "./problem.js";
import { CreateTenantSchema, CreateVendorAccountSchema, RedecideSchema } from "./schemas.js";
import { PolicyUpdateSchema } from "../core/policy.js";
import { readPolicy, writePolicy } from "../core/policy-store.js";
import { redecide } from "../core/redecide.js";

export function adminAuth(token: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m || !constantTimeEqual(m[1]!, token)) return next(new Problem(401, "Unauthorized", "send Authorization: Bearer $ADMIN_TOKEN"));
    next();
  };
}

export function adminRoutes(app: AppContext): Router {
  const r = express.Router();
  const audit = (action: string, entityType: string, entityId: string, before: unknown, after: unknown) =>
    app.db.auditLog.create({ data: { actor: "admin", action, entityType, entityId, before: (before ?? undefined) as Prisma.InputJsonValue, after: (after ?? undefined) as Prisma.InputJsonValue } });

  r.post("/tenants", async (req, res) => {
    const p = CreateTenantSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const id = newId("ten");
    const key = generateApiKey();
    const t = await app.db.tenant.create({ data: { id, name: p.data.name, apiKeys: { create: { id: key.id, keyHash: key.hash, lastFour: key.lastFour } } } });
    await audit("tenant.created", "tenant", id, null, { name: t.name });
    res.status(201).json({ id: t.id, name: t.name, apiKey: key.key });
  });

  r.get("/tenants", async (_req, res) => {
    const rows = await app.db.tenant.findMany({ orderBy: { createdAt: "asc" }, include: { vendorAccounts: true } });
    res.json({ data: rows.map((t) => ({ id: t.id, name: t.name, routing: t.routing, vendorAccounts: t.vendorAccounts.map((a) => toAccountResource(app.env.PUBLIC_BASE_URL, app.env.masterKey, a)), createdAt: t.createdAt.toISOString() })) });
  });

  r.post("/tenants/:id/api-keys", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    const key = generateApiKey();
    await app.db.apiKey.create({ data: { id: key.id, tenantId: t.id, keyHash: key.hash, lastFour: key.lastFour } });
    await audit("api_key.created", "tenant", t.id, null, { keyId: key.id, lastFour: key.lastFour });
    res.status(201).json({ id: key.id, apiKey: key.key });
  });

  r.post("/tenants/:id/vendor-accounts", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    const p = CreateVendorAccountSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const adapter = adapterFor(p.data.vendor)!;
    let credentials: Record<string, unknown>, settings: Record<string, unknown>;
    try {
      ({ credentials, settings } = parseAccountConfig(p.data.vendor, p.data));
    } catch (e) {
      if (!isAccountConfigError(e)) throw e;
      // every bad field of both parts, by its path in the request (never its value: it may be a secret)
      const errors = e.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }));
      throw new Problem(400, "Invalid request", errors.map((x) => `${x.path}: ${x.message}`).join("; "), errors);
    }
    const id = newId("va");
    const row = await app.db.vendorAccount.create({
      data: { id, tenantId: t.id, vendor: p.data.vendor, name: p.data.name, baseUrl: (p.data.baseUrl ?? adapter.defaultBaseUrl).replace(/\/$/, ""), credentialsEnc: sealCredentials(app.env.masterKey, id, credentials), settings: settings as Prisma.InputJsonValue },
    });
    const resource = toAccountResource(app.env.PUBLIC_BASE_URL, app.env.masterKey, row);
    await audit("vendor_account.created", "vendor_account", id, null, { ...resource });
    res.status(201).json(resource);
  });

  r.put("/tenants/:id/routing", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) }, include: { vendorAccounts: true } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    const p = RoutingSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const own = new Set(t.vendorAccounts.map((a) => a.id));
    const lists = [["default", p.data.default] as const, ...p.data.rules.map((rule, i) => [`rules[${i}].accounts`, rule.accounts] as const)];
    const errors = lists.flatMap(([path, ids]) => ids.map((id, j) => (own.has(id) ? null : { path: `$.${path}[${j}]`, message: `${id} is not a vendor account of this tenant` }))).filter((e): e is { path: string; message: string } => !!e);
    if (errors.length) throw new Problem(422, "Unknown vendor accounts", errors.map((e) => e.message).join("; "), errors);
    await app.db.tenant.update({ where: { id: t.id }, data: { routing: p.data as Prisma.InputJsonValue } });
    await audit("routing.updated", "tenant", t.id, t.routing, p.data);
    res.json({ tenantId: t.id, routing: p.data });
  });

  r.get("/vendor-events", async (req, res) => {
    const accountId = typeof req.query.accountId === "string" ? req.query.accountId : undefined;
    const type = typeof req.query.type === "string" ? req.query.type : undefined;
    const rows = await app.db.vendorEvent.findMany({ where: { ...(accountId ? { vendorAccountId: accountId } : {}), ...(type ? { type } : {}) }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 200 });
    res.json({ data: rows.map((e) => ({ id: e.id, vendorAccountId: e.vendorAccountId, vendor: e.vendor, type: e.type, externalId: e.externalId, payload: e.payload, deliveries: e.deliveries, createdAt: e.createdAt.toISOString(), lastSeenAt: e.lastSeenAt.toISOString() })) });
  });

  r.get("/vendor-accounts/:id/health", async (req, res) => {
    const row = await app.db.vendorAccount.findUnique({ where: { id: String(req.params.id) } });
    if (!row) throw new Problem(404, "Not found", "no such vendor account");
    const since = new Date(Date.now() - 15 * 60_000);
    const calls = await app.db.vendorCall.findMany({ where: { vendorAccountId: row.id, createdAt: { gte: since } }, select: { latencyMs: true, outcome: true } });
    const latencies = calls.map((c) => c.latencyMs).sort((a, b) => a - b);
    const adapter = adapterFor(row.vendor);
    let probe = null;
    if (req.query.probe === "true" && adapter?.health) probe = await probeAccount(app, adapter, row);
    res.json({
      id: row.id,
      vendor: row.vendor,
      circuit: circuitStateOf(row.id),
      credits: row.credits,
      health: { ok: row.healthOk, detail: row.healthDetail, checkedAt: row.healthCheckedAt?.toISOString() ?? null },
      last15Minutes: { calls: calls.length, errorRate: calls.length ? calls.filter((c) => c.outcome !== "ok").length / calls.length : 0, p50LatencyMs: latencies[Math.floor(latencies.length / 2)] ?? null, p95LatencyMs: latencies[Math.floor(latencies.length * 0.95)] ?? null },
      probe,
    });
  });

  r.get("/tenants/:id/policy", async (req, res) => {
    const policy = await readPolicy(app.db, String(req.params.id));
    if (!policy) throw new Problem(404, "Not found", "no such tenant");
    res.json(policy);
  });

  r.put("/tenants/:id/policy", async (req, res) => {
    const p = PolicyUpdateSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const policy = await writePolicy(app.db, String(req.params.id), p.data, "admin");
    if (!policy) throw new Problem(404, "Not found", "no such tenant");
    res.json(policy);
  });

  r.post("/verifications/re-decide", async (req, res) => {
    const p = RedecideSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    if (new Date(p.data.from) >= new Date(p.data.to)) throw new Problem(400, "Invalid range", "`from` must be before `to`", [{ path: "$.to", message: "must be after from" }]);
    const report = await redecide(app, { tenantId: p.data.tenantId, from: new Date(p.data.from), to: new Date(p.data.to), apply: p.data.apply, actor: "admin" });
    if (!report) throw new Problem(404, "Not found", "no such tenant", [{ path: "$.tenantId", message: "no such tenant" }]);
    if (report.applied && report.changed.length) (app as { onEnqueued?: () => void }).onEnqueued?.();
    res.json(report);
  });

  r.get("/audit-log", async (_req, res) => {
    const rows = await app.db.auditLog.findMany({ orderBy: { id: "desc" }, take: 200 });
    res.json({ data: rows.map((a) => ({ ...a, id: a.id.toString() })) });
  });

  return r;
}

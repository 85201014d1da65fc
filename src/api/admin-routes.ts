// Admin API for operations staff (DESIGN.md "Admin API"), behind ADMIN_TOKEN or an operator's
// token (src/api/admin-auth.ts). Every change is written to the audit log (who, what, before, after).
import express, { type Router } from "express";
import type { Prisma } from "../generated/prisma/client.js";
import type { AppContext } from "../app/context.js";
import type { VendorId } from "../domain/model.js";
import { adapterFor } from "../adapters/registry.js";
import { parseAccountConfig, sealCredentials, toAccountResource, type VendorAccountRow } from "../core/accounts.js";
import { recordAudit } from "../core/audit.js";
import { decryptJson, generateApiKey, newId } from "../domain/crypto.js";
import { AAD } from "../core/at-rest.js";
import { routingProblems, RoutingSchema, withRuleIds, type Routing } from "../core/routing.js";
import { circuitStateOf } from "../core/vendor-http.js";
import { isAccountConfigError } from "../domain/errors.js";
import { circuitView, newestProbe, readSharedHealth, redisAccountHealth } from "../core/account-health.js";
import { probeAccount } from "../core/adapter-runtime.js";
import { Problem, fromZod, jsonPath } from "./problem.js";
import { CreateTenantSchema, CreateVendorAccountSchema, RedecideSchema, UpdateVendorAccountSchema } from "./schemas.js";
import { PolicyUpdateSchema } from "../core/policy.js";
import { readPolicy, writePolicy } from "../core/policy-store.js";
import { redecide } from "../core/redecide.js";
import { operatorOf } from "./admin-auth.js";
import type {
  Answer,
  AuditLogSchema,
  CreatedApiKeySchema,
  CreatedTenantSchema,
  PolicyResourceSchema,
  RedecideReportSchema,
  RoutingResourceSchema,
  TenantListSchema,
  VendorAccountHealthSchema,
  VendorAccountSchema,
  VendorEventListSchema,
} from "./resources.js";

/**
 * The vendor's parse of an account's credentials and settings (its manifest's schemas, strict); every bad field of
 * both parts is a 400 naming its path in the request, never its value (it may be a secret).
 */
function validateAccountConfig(
  vendor: string,
  credentials: unknown,
  settings: unknown,
): { credentials: Record<string, unknown>; settings: Record<string, unknown> } {
  try {
    return parseAccountConfig(vendor, { credentials, settings });
  } catch (e) {
    if (!isAccountConfigError(e)) throw e;
    const errors = e.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }));
    throw new Problem(400, "Invalid request", errors.map((x) => `${x.path}: ${x.message}`).join("; "), errors);
  }
}

/** A PATCH of a JSON object: given keys replace, null removes a key, keys not given are kept. */
function mergePatch(current: Record<string, unknown>, patch: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!patch) return current;
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

export function adminRoutes(app: AppContext): Router {
  const r = express.Router();
  const healthBoard = redisAccountHealth(app.queues.connection, app.queues.prefix);
  const accountResource = (row: VendorAccountRow) => toAccountResource(app.env.PUBLIC_BASE_URL, app.env.keys, row);

  r.post("/tenants", async (req, res) => {
    const p = CreateTenantSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const id = newId("ten");
    const key = generateApiKey();
    const t = await app.db.tenant.create({ data: { id, name: p.data.name, apiKeys: { create: { id: key.id, keyHash: key.hash, lastFour: key.lastFour } } } });
    await recordAudit(app.db, operatorOf(req), { action: "tenant.created", entityType: "tenant", entityId: id, after: { name: t.name, apiKeyId: key.id } });
    res.status(201).json({ id: t.id, name: t.name, apiKey: key.key } satisfies Answer<typeof CreatedTenantSchema>);
  });

  r.get("/tenants", async (_req, res) => {
    const rows = await app.db.tenant.findMany({ orderBy: { createdAt: "asc" }, include: { vendorAccounts: true } });
    res.json({
      data: rows.map((t) => ({
        id: t.id,
        name: t.name,
        routing: t.routing as Routing,
        vendorAccounts: t.vendorAccounts.map((a) => toAccountResource(app.env.PUBLIC_BASE_URL, app.env.keys, a)),
        createdAt: t.createdAt.toISOString(),
      })),
    } satisfies Answer<typeof TenantListSchema>);
  });

  const findTenant = async (id: unknown) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(id) } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    return t;
  };

  // several live keys per tenant: a key is rolled by creating the next one, moving over, then revoking the old one
  r.get("/tenants/:id/api-keys", async (req, res) => {
    const t = await findTenant(req.params.id);
    const keys = await app.db.apiKey.findMany({ where: { tenantId: t.id }, orderBy: { createdAt: "asc" } });
    res.json({
      data: keys.map((k) => ({ id: k.id, lastFour: k.lastFour, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null })),
    });
  });

  r.post("/tenants/:id/api-keys", async (req, res) => {
    const t = await findTenant(req.params.id);
    const key = generateApiKey();
    await app.db.$transaction(async (tx) => {
      await tx.apiKey.create({ data: { id: key.id, tenantId: t.id, keyHash: key.hash, lastFour: key.lastFour } });
      await recordAudit(tx, operatorOf(req), {
        action: "api_key.created",
        entityType: "tenant",
        entityId: t.id,
        after: { keyId: key.id, lastFour: key.lastFour },
      });
    });
    res.status(201).json({ id: key.id, apiKey: key.key } satisfies Answer<typeof CreatedApiKeySchema>);
  });

  // tenantAuth reads the key's row on every request: the revocation holds at once in every process
  r.delete("/tenants/:id/api-keys/:keyId", async (req, res) => {
    const t = await findTenant(req.params.id);
    const key = await app.db.apiKey.findFirst({ where: { id: String(req.params.keyId), tenantId: t.id } });
    if (!key) throw new Problem(404, "Not found", "no such API key for this tenant");
    if (!key.revokedAt) {
      const now = new Date();
      await app.db.$transaction(async (tx) => {
        await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: now } });
        await recordAudit(tx, operatorOf(req), {
          action: "api_key.revoked",
          entityType: "tenant",
          entityId: t.id,
          before: { keyId: key.id, lastFour: key.lastFour },
          after: { keyId: key.id, revokedAt: now.toISOString() },
        });
      });
    }
    res.status(204).end();
  });

  r.post("/tenants/:id/vendor-accounts", async (req, res) => {
    const t = await findTenant(req.params.id);
    const p = CreateVendorAccountSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const adapter = adapterFor(p.data.vendor)!;
    const { credentials, settings } = validateAccountConfig(p.data.vendor, p.data.credentials, p.data.settings);
    const id = newId("va");
    const row = await app.db.vendorAccount.create({
      data: {
        id,
        tenantId: t.id,
        vendor: p.data.vendor,
        name: p.data.name,
        baseUrl: (p.data.baseUrl ?? adapter.defaultBaseUrl).replace(/\/$/, ""),
        credentialsEnc: sealCredentials(app.env.keys, id, credentials),
        settings: settings as Prisma.InputJsonValue,
      },
    });
    const resource = accountResource(row);
    await recordAudit(app.db, operatorOf(req), { action: "vendor_account.created", entityType: "vendor_account", entityId: id, after: resource });
    res.status(201).json(resource satisfies Answer<typeof VendorAccountSchema>);
  });

  // Credentials and settings are merged key by key (credentials are write-only: an operator
  // rotating one key cannot resend the others), then the whole is validated by the vendor's schemas.
  r.patch("/vendor-accounts/:id", async (req, res) => {
    const p = UpdateVendorAccountSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const resource = await app.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM vendor_accounts WHERE id = ${String(req.params.id)} FOR UPDATE`;
      const row = await tx.vendorAccount.findUnique({ where: { id: String(req.params.id) } });
      if (!row) throw new Problem(404, "Not found", "no such vendor account");
      const adapter = adapterFor(row.vendor);
      if (!adapter) throw new Problem(409, "Unknown vendor", `the account's vendor ${row.vendor} has no adapter`);
      // as stored, unparsed: a configuration that no longer parses is what this PATCH may be fixing
      const current = {
        credentials: decryptJson<Record<string, unknown>>(app.env.keys, row.credentialsEnc, AAD.vendorCredentials(row.id)),
        settings: (row.settings ?? {}) as Record<string, unknown>,
      };
      const { credentials, settings } = validateAccountConfig(
        row.vendor,
        mergePatch(current.credentials, p.data.credentials),
        mergePatch(current.settings, p.data.settings),
      );
      const disabledAt = p.data.disabled === undefined ? row.disabledAt : p.data.disabled ? (row.disabledAt ?? new Date()) : null;
      const updated = await tx.vendorAccount.update({
        where: { id: row.id },
        data: {
          ...(p.data.credentials ? { credentialsEnc: sealCredentials(app.env.keys, row.id, credentials) } : {}),
          settings: settings as Prisma.InputJsonValue,
          disabledAt,
        },
      });
      const before = accountResource(row);
      const after = accountResource(updated);
      // masked on both sides: the audit names which credential keys changed, never their values
      await recordAudit(tx, operatorOf(req), {
        action: "vendor_account.updated",
        entityType: "vendor_account",
        entityId: row.id,
        before,
        after: { ...after, credentialsChanged: Object.keys(p.data.credentials ?? {}) },
      });
      return after;
    });
    res.json(resource);
  });

  r.put("/tenants/:id/routing", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) }, include: { vendorAccounts: true } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    const p = RoutingSchema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    const errors = routingProblems(p.data, t.vendorAccounts);
    if (errors.length) throw new Problem(422, "Invalid routing", errors.map((e) => e.message).join("; "), errors);
    const routing = withRuleIds(p.data);
    await app.db.tenant.update({ where: { id: t.id }, data: { routing: routing as Prisma.InputJsonValue } });
    await recordAudit(app.db, operatorOf(req), { action: "routing.updated", entityType: "tenant", entityId: t.id, before: t.routing, after: routing });
    res.json({ tenantId: t.id, routing } satisfies Answer<typeof RoutingResourceSchema>);
  });

  r.get("/vendor-events", async (req, res) => {
    const accountId = typeof req.query.accountId === "string" ? req.query.accountId : undefined;
    const type = typeof req.query.type === "string" ? req.query.type : undefined;
    const rows = await app.db.vendorEvent.findMany({
      where: { ...(accountId ? { vendorAccountId: accountId } : {}), ...(type ? { type } : {}) },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 200,
    });
    res.json({
      data: rows.map((e) => ({
        id: e.id,
        vendorAccountId: e.vendorAccountId,
        vendor: e.vendor as VendorId,
        type: e.type,
        externalId: e.externalId,
        payload: e.payload,
        deliveries: e.deliveries,
        createdAt: e.createdAt.toISOString(),
        lastSeenAt: e.lastSeenAt.toISOString(),
      })),
    } satisfies Answer<typeof VendorEventListSchema>);
  });

  r.get("/vendor-accounts/:id/health", async (req, res) => {
    const row = await app.db.vendorAccount.findUnique({ where: { id: String(req.params.id) } });
    if (!row) throw new Problem(404, "Not found", "no such vendor account");
    const since = new Date(Date.now() - 15 * 60_000);
    const calls = await app.db.vendorCall.findMany({
      where: { vendorAccountId: row.id, createdAt: { gte: since } },
      select: { latencyMs: true, outcome: true },
    });
    const latencies = calls.map((c) => c.latencyMs).sort((a, b) => a - b);
    const adapter = adapterFor(row.vendor);
    let probe = null;
    if (req.query.probe === "true" && adapter?.health) probe = await probeAccount({ ...app, health: healthBoard }, adapter, row);
    // circuit and last probe as every process reported them (a worker's breaker, another API's probe)
    const shared = (await readSharedHealth(healthBoard, [row.id])).get(row.id);
    res.json({
      id: row.id,
      vendor: row.vendor as VendorId,
      ...circuitView(shared, circuitStateOf(row.id)),
      credits: row.credits,
      health: newestProbe({ ok: row.healthOk, detail: row.healthDetail, checkedAt: row.healthCheckedAt?.toISOString() ?? null }, shared?.probe),
      last15Minutes: {
        calls: calls.length,
        errorRate: calls.length ? calls.filter((c) => c.outcome !== "ok").length / calls.length : 0,
        p50LatencyMs: latencies[Math.floor(latencies.length / 2)] ?? null,
        p95LatencyMs: latencies[Math.floor(latencies.length * 0.95)] ?? null,
      },
      probe,
    } satisfies Answer<typeof VendorAccountHealthSchema>);
  });

  r.get("/tenants/:id/policy", async (req, res) => {
    const policy = await readPolicy(app.db, String(req.params.id));
    if (!policy) throw new Problem(404, "Not found", "no such tenant");
    res.json(policy satisfies Answer<typeof PolicyResourceSchema>);
  });

  r.put("/tenants/:id/policy", async (req, res) => {
    const p = PolicyUpdateSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const policy = await writePolicy(app.db, String(req.params.id), p.data, operatorOf(req));
    if (!policy) throw new Problem(404, "Not found", "no such tenant");
    res.json(policy satisfies Answer<typeof PolicyResourceSchema>);
  });

  r.post("/verifications/re-decide", async (req, res) => {
    const p = RedecideSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    if (new Date(p.data.from) >= new Date(p.data.to))
      throw new Problem(400, "Invalid range", "`from` must be before `to`", [{ path: "$.to", message: "must be after from" }]);
    const report = await redecide(app, {
      tenantId: p.data.tenantId,
      from: new Date(p.data.from),
      to: new Date(p.data.to),
      apply: p.data.apply,
      actor: operatorOf(req),
    });
    if (!report) throw new Problem(404, "Not found", "no such tenant", [{ path: "$.tenantId", message: "no such tenant" }]);
    if (report.applied && report.changed.length) (app as { onEnqueued?: () => void }).onEnqueued?.();
    res.json(report satisfies Answer<typeof RedecideReportSchema>);
  });

  r.get("/audit-log", async (_req, res) => {
    const rows = await app.db.auditLog.findMany({ orderBy: { id: "desc" }, take: 200 });
    res.json({ data: rows.map((a) => ({ ...a, id: a.id.toString(), createdAt: a.createdAt.toISOString() })) } satisfies Answer<typeof AuditLogSchema>);
  });

  return r;
}

// Admin: a tenant's daily quotas and its retention of personal data.
//   GET|PUT /admin/tenants/:id/quotas     {verificationsPerDay?, smsPerDay?}  (null = unlimited)
//   GET|PUT /admin/tenants/:id/retention  {eraseAfterDays: n | null}          (null = kept until asked)
import express, { type Router } from "express";
import type { AppContext } from "../app/context.js";
import { recordAudit } from "../core/audit.js";
import { QuotaUpdateSchema, readQuotas } from "../core/quotas.js";
import { RetentionSchema, retentionOf } from "../core/retention.js";
import { operatorOf } from "./admin-auth.js";
import { Problem, fromZod } from "./problem.js";

export function tenantSettingsRoutes(app: AppContext): Router {
  const r = express.Router();
  const notFound = () => new Problem(404, "Not found", "no such tenant");

  r.get("/tenants/:id/quotas", async (req, res) => {
    const q = await readQuotas(app.db, String(req.params.id));
    if (!q) throw notFound();
    res.json(q);
  });

  r.put("/tenants/:id/quotas", async (req, res) => {
    const p = QuotaUpdateSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const id = String(req.params.id);
    await app.db.$transaction(async (tx) => {
      const t = await tx.tenant.findUnique({ where: { id }, select: { verificationsPerDay: true, smsPerDay: true } });
      if (!t) throw notFound();
      await tx.tenant.update({ where: { id }, data: p.data });
      await recordAudit(tx, operatorOf(req), { action: "tenant.quotas.updated", entityType: "tenant", entityId: id, before: t, after: { ...t, ...p.data } });
    });
    res.json(await readQuotas(app.db, id));
  });

  r.get("/tenants/:id/retention", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) }, select: { id: true, eraseAfterDays: true } });
    if (!t) throw notFound();
    res.json(retentionOf(t));
  });

  r.put("/tenants/:id/retention", async (req, res) => {
    const p = RetentionSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const id = String(req.params.id);
    const updated = await app.db.$transaction(async (tx) => {
      const t = await tx.tenant.findUnique({ where: { id }, select: { id: true, eraseAfterDays: true } });
      if (!t) throw notFound();
      const u = await tx.tenant.update({ where: { id }, data: { eraseAfterDays: p.data.eraseAfterDays }, select: { id: true, eraseAfterDays: true } });
      await recordAudit(tx, operatorOf(req), {
        action: "tenant.retention.updated",
        entityType: "tenant",
        entityId: id,
        before: { eraseAfterDays: t.eraseAfterDays },
        after: { eraseAfterDays: u.eraseAfterDays },
      });
      return u;
    });
    res.json(retentionOf(updated));
  });

  return r;
}

// Admin: the browser origins of a tenant (CORS of the IDENTY SDK proxy, src/adapters/identy/routes.ts).
//   GET /admin/tenants/:id/allowed-origins  -> { tenantId, allowedOrigins }
//   PUT /admin/tenants/:id/allowed-origins  { allowedOrigins: ["https://shop.example"] } -> the same
// A bad entry is a problem+json 400 naming it ($.allowedOrigins[1]); "*" is refused when NODE_ENV=production.
import express, { type Router } from "express";
import type { AppContext } from "../app/context.js";
import { allowedOriginsSchema } from "../domain/origins.js";
import { Problem, fromZod } from "./problem.js";
import { recordAudit } from "../core/audit.js";
import { operatorOf } from "./admin-auth.js";

export function allowedOriginsRoutes(app: AppContext): Router {
  const r = express.Router();
  const schema = allowedOriginsSchema(app.env.NODE_ENV === "production");

  r.get("/tenants/:id/allowed-origins", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) }, select: { id: true, allowedOrigins: true } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    res.json({ tenantId: t.id, allowedOrigins: t.allowedOrigins });
  });

  r.put("/tenants/:id/allowed-origins", async (req, res) => {
    const t = await app.db.tenant.findUnique({ where: { id: String(req.params.id) }, select: { id: true, allowedOrigins: true } });
    if (!t) throw new Problem(404, "Not found", "no such tenant");
    const p = schema.safeParse(req.body);
    if (!p.success) throw fromZod(p.error);
    await app.db.$transaction(async (tx) => {
      await tx.tenant.update({ where: { id: t.id }, data: { allowedOrigins: p.data.allowedOrigins } });
      await recordAudit(tx, operatorOf(req), {
        action: "tenant.allowed_origins.updated",
        entityType: "tenant",
        entityId: t.id,
        before: { allowedOrigins: t.allowedOrigins },
        after: p.data,
      });
    });
    res.json({ tenantId: t.id, allowedOrigins: p.data.allowedOrigins });
  });
  return r;
}

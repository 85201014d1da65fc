// Operations reports (DESIGN "Contract additions"): shadow-run agreement and cost/performance analytics.
// Read-only; mounted under /admin behind the operator auth.
import express, { type Router } from "express";
import type { AppContext } from "../app/context.js";
import { analytics } from "../core/analytics.js";
import { shadowReport } from "../core/shadow.js";
import { z } from "../domain/zod.js";
import { fromZod, Problem } from "./problem.js";

const isoDate = z.iso.datetime({ offset: true });

export const ShadowReportQuerySchema = z.strictObject({
  tenantId: z.string().min(1).max(100),
  ruleId: z.string().min(1).max(64).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});

export const AnalyticsQuerySchema = z.strictObject({
  tenantId: z.string().min(1).max(100),
  vendor: z.string().min(1).max(40).optional(),
  from: isoDate,
  to: isoDate,
  bucket: z.enum(["hour", "day"]).default("day"),
  /** account: one entry per vendor account, e.g. the two sides of a weighted split */
  by: z.enum(["vendor", "account"]).default("vendor"),
});

export function opsReportRoutes(app: AppContext): Router {
  const r = express.Router();
  const tenantExists = async (id: string) => !!(await app.db.tenant.findUnique({ where: { id }, select: { id: true } }));

  r.get("/shadow-reports", async (req, res) => {
    const q = ShadowReportQuerySchema.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, ["query"]);
    if (!(await tenantExists(q.data.tenantId)))
      throw new Problem(404, "Not found", "no such tenant", [{ path: "$.query.tenantId", message: "no such tenant" }]);
    res.json(
      await shadowReport(app.db, {
        tenantId: q.data.tenantId,
        ruleId: q.data.ruleId,
        from: q.data.from ? new Date(q.data.from) : undefined,
        to: q.data.to ? new Date(q.data.to) : undefined,
      }),
    );
  });

  r.get("/analytics", async (req, res) => {
    const q = AnalyticsQuerySchema.safeParse(req.query);
    if (!q.success) throw fromZod(q.error, ["query"]);
    const from = new Date(q.data.from);
    const to = new Date(q.data.to);
    if (from >= to) throw new Problem(400, "Invalid range", "`from` must be before `to`", [{ path: "$.query.to", message: "must be after from" }]);
    // an hourly report is for days, not years: a bounded number of buckets
    if (q.data.bucket === "hour" && to.getTime() - from.getTime() > 93 * 86_400_000)
      throw new Problem(400, "Range too long", "hourly buckets cover at most 93 days", [
        { path: "$.query.bucket", message: "use day for ranges over 93 days" },
      ]);
    if (!(await tenantExists(q.data.tenantId)))
      throw new Problem(404, "Not found", "no such tenant", [{ path: "$.query.tenantId", message: "no such tenant" }]);
    res.json(await analytics(app.db, { tenantId: q.data.tenantId, vendor: q.data.vendor, from, to, bucket: q.data.bucket, by: q.data.by }));
  });
  return r;
}

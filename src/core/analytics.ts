// Cost and performance per tenant and vendor (issue 14): GET /admin/analytics. Computed in SQL over the indexed
// vendor_calls (vendor_account_id, created_at) and verifications (tenant_id, created_at) tables: the tenant's
// accounts are looked up first so that the call scan is an index range per account.
import type { Db } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";

export interface AnalyticsQuery {
  tenantId: string;
  vendor?: string;
  from: Date;
  to: Date;
  bucket: "hour" | "day";
}

type CallRow = { bucket: Date; vendor: string; calls: number; errors: number; p50: number | null; p95: number | null; cost: string | null; currency: string | null };
type VerificationRow = { bucket: Date; vendor: string | null; status: string; decision: string | null; n: number };

export async function analytics(db: Db, q: AnalyticsQuery) {
  const accounts = await db.vendorAccount.findMany({ where: { tenantId: q.tenantId, ...(q.vendor ? { vendor: q.vendor } : {}) }, select: { id: true } });
  const ids = accounts.map((a) => a.id);
  const calls = ids.length
    ? await db.$queryRaw<CallRow[]>`
        SELECT date_trunc(${q.bucket}, created_at) AS bucket, vendor,
               count(*)::int AS calls,
               (count(*) FILTER (WHERE outcome <> 'ok'))::int AS errors,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
               percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
               sum(cost)::text AS cost, min(currency) AS currency
          FROM vendor_calls
         WHERE vendor_account_id = ANY(${ids}) AND created_at >= ${q.from} AND created_at < ${q.to}
         GROUP BY 1, 2 ORDER BY 1, 2`
    : [];
  const verifications = await db.$queryRaw<VerificationRow[]>`
      SELECT date_trunc(${q.bucket}, created_at) AS bucket, vendor, status, decision, count(*)::int AS n
        FROM verifications
       WHERE tenant_id = ${q.tenantId} AND created_at >= ${q.from} AND created_at < ${q.to}
         ${q.vendor ? Prisma.sql`AND vendor = ${q.vendor}` : Prisma.empty}
       GROUP BY 1, 2, 3, 4`;

  const buckets = new Map<string, { bucket: string; vendor: string | null; calls: number; errors: number; p50LatencyMs: number | null; p95LatencyMs: number | null; cost: { amount: number; currency: string } | null; verifications: { byStatus: Record<string, number>; byDecision: Record<string, number>; approvalRate: number | null } }>();
  const entry = (bucket: Date, vendor: string | null) => {
    const key = `${bucket.toISOString()}|${vendor ?? ""}`;
    let e = buckets.get(key);
    if (!e) buckets.set(key, (e = { bucket: bucket.toISOString(), vendor, calls: 0, errors: 0, p50LatencyMs: null, p95LatencyMs: null, cost: null, verifications: { byStatus: {}, byDecision: {}, approvalRate: null } }));
    return e;
  };
  for (const c of calls) {
    const e = entry(c.bucket, c.vendor);
    Object.assign(e, { calls: c.calls, errors: c.errors, p50LatencyMs: c.p50, p95LatencyMs: c.p95, cost: c.cost !== null && c.currency ? { amount: Number(c.cost), currency: c.currency } : null });
  }
  for (const v of verifications) {
    const e = entry(v.bucket, v.vendor);
    e.verifications.byStatus[v.status] = (e.verifications.byStatus[v.status] ?? 0) + v.n;
    if (v.decision) e.verifications.byDecision[v.decision] = (e.verifications.byDecision[v.decision] ?? 0) + v.n;
  }
  for (const e of buckets.values()) {
    const decided = Object.values(e.verifications.byDecision).reduce((a, b) => a + b, 0);
    e.verifications.approvalRate = decided ? (e.verifications.byDecision.approved ?? 0) / decided : null;
  }
  const data = [...buckets.values()].sort((a, b) => a.bucket.localeCompare(b.bucket) || (a.vendor ?? "").localeCompare(b.vendor ?? ""));
  return { tenantId: q.tenantId, vendor: q.vendor ?? null, from: q.from.toISOString(), to: q.to.toISOString(), bucket: q.bucket, data };
}

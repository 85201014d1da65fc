// Cost and performance per tenant and vendor (issue 14): GET /admin/analytics. Vendor calls are rolled up per
// account and hour by the durable sweeper (vendor_call_hourly: counts, cost, a latency histogram), so a month of a
// million calls is a few hundred rows to read; the calls not rolled up yet (the last minutes) are aggregated raw
// the same way and merged. Latency percentiles are read from the histogram: the upper bound of the bucket the
// percentile falls in (exact for the bounds below, within one bucket otherwise), the largest latency above them.
// Verifications are counted from the indexed verifications table (tenant_id, created_at).
import type { Db } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";

/** latency histogram bucket bounds, ms: bucket k holds latencies in (bounds[k-1], bounds[k]]; the last, above all */
export const LATENCY_BOUNDS_MS = [
  10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000,
] as const;
const BOUNDS_SQL = Prisma.sql`ARRAY[${Prisma.join([...LATENCY_BOUNDS_MS])}]::int[]`;
const ROLLUP = "vendor_calls";
/** calls younger than this are left for the next sweep: every insert before them has committed */
const SETTLE_MS = 60_000;
const ROLLUP_BATCH = 100_000;

type Bucketed = {
  vendor_account_id: string;
  vendor: string;
  hour: Date;
  bucket: number;
  n: number;
  errors: number;
  max: number;
  cost: string | null;
  currency: string | null;
};

/** Rolls the vendor calls the rollup has not read yet (and older than a minute) into vendor_call_hourly. Returns how many. */
export async function rollUpVendorCalls(db: Db, now = new Date()): Promise<number> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`INSERT INTO rollup_state (name, last_id) VALUES (${ROLLUP}, 0) ON CONFLICT DO NOTHING`;
      const [state] = await tx.$queryRaw<{ last_id: bigint }[]>`SELECT last_id FROM rollup_state WHERE name = ${ROLLUP} FOR UPDATE`;
      const lastId = state?.last_id ?? 0n;
      const [range] = await tx.$queryRaw<{ upto: bigint | null; n: number }[]>`
        SELECT max(id) AS upto, count(*)::int AS n FROM (
          SELECT id, created_at FROM vendor_calls WHERE id > ${lastId} ORDER BY id LIMIT ${ROLLUP_BATCH}) s
        WHERE created_at < ${new Date(now.getTime() - SETTLE_MS)}`;
      if (!range?.upto) return 0;
      const rows = await tx.$queryRaw<Bucketed[]>`
        SELECT vendor_account_id, vendor, date_trunc('hour', created_at) AS hour, width_bucket(latency_ms - 1, ${BOUNDS_SQL}) AS bucket,
               count(*)::int AS n, (count(*) FILTER (WHERE outcome <> 'ok'))::int AS errors, max(latency_ms) AS max,
               sum(cost)::text AS cost, min(currency) AS currency
          FROM vendor_calls WHERE id > ${lastId} AND id <= ${range.upto}
         GROUP BY 1, 2, 3, 4`;
      for (const h of mergeBuckets(rows).values()) {
        await tx.$executeRaw`
          INSERT INTO vendor_call_hourly AS t (vendor_account_id, hour, vendor, calls, errors, latency_ms_max, latency_hist, cost, currency)
          VALUES (${h.accountId}, ${h.hour}, ${h.vendor}, ${h.calls}, ${h.errors}, ${h.max}, ${h.hist}::int[], ${h.cost}::numeric, ${h.currency})
          ON CONFLICT (vendor_account_id, hour) DO UPDATE SET
            calls = t.calls + EXCLUDED.calls, errors = t.errors + EXCLUDED.errors,
            latency_ms_max = greatest(t.latency_ms_max, EXCLUDED.latency_ms_max),
            latency_hist = (SELECT array_agg(a + b ORDER BY o) FROM unnest(t.latency_hist, EXCLUDED.latency_hist) WITH ORDINALITY AS u(a, b, o)),
            cost = CASE WHEN t.cost IS NULL AND EXCLUDED.cost IS NULL THEN NULL ELSE coalesce(t.cost, 0) + coalesce(EXCLUDED.cost, 0) END,
            currency = coalesce(t.currency, EXCLUDED.currency)`;
      }
      await tx.$executeRaw`UPDATE rollup_state SET last_id = ${range.upto} WHERE name = ${ROLLUP}`;
      return range.n;
    },
    { timeout: 60_000 },
  );
}

interface Hourly {
  accountId: string;
  vendor: string;
  hour: Date;
  calls: number;
  errors: number;
  max: number;
  hist: number[];
  cost: number | null;
  currency: string | null;
}

type Counts = Pick<Hourly, "calls" | "errors" | "max" | "cost" | "currency"> & { hist: readonly number[] };

const emptyHourly = (accountId: string, vendor: string, hour: Date): Hourly => ({
  accountId,
  vendor,
  hour,
  calls: 0,
  errors: 0,
  max: 0,
  hist: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
  cost: null,
  currency: null,
});

/** Adds one group's counts, latency histogram and cost into a running total. */
function accumulate(into: Hourly, from: Counts): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.max = Math.max(into.max, from.max);
  from.hist.forEach((n, i) => {
    into.hist[i]! += n;
  });
  if (from.cost !== null) into.cost = (into.cost ?? 0) + from.cost;
  into.currency ??= from.currency;
}

/** The bucketed rows of the SQL, one total per (account, hour). */
function mergeBuckets(rows: Bucketed[]): Map<string, Hourly> {
  const out = new Map<string, Hourly>();
  for (const r of rows) {
    const k = `${r.vendor_account_id}|${r.hour.toISOString()}`;
    let h = out.get(k);
    if (!h) out.set(k, (h = emptyHourly(r.vendor_account_id, r.vendor, r.hour)));
    const hist = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    hist[r.bucket] = r.n;
    accumulate(h, { calls: r.n, errors: r.errors, max: r.max, hist, cost: r.cost === null ? null : Number(r.cost), currency: r.currency });
  }
  return out;
}

/** The p-th percentile (0..100) of a histogram: its bucket's upper bound, or the largest latency above the bounds. */
export function histogramPercentile(hist: readonly number[], p: number, max: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let k = 0; k < hist.length; k++) {
    seen += hist[k]!;
    if (seen >= rank) return k < LATENCY_BOUNDS_MS.length ? Math.min(LATENCY_BOUNDS_MS[k]!, max) : max;
  }
  return max;
}

export interface AnalyticsQuery {
  tenantId: string;
  vendor?: string;
  from: Date;
  to: Date;
  bucket: "hour" | "day";
  /** one entry per vendor (default) or per vendor account (a weighted split between accounts of one vendor) */
  by?: "vendor" | "account";
}

type VerificationRow = { bucket: Date; vendor: string | null; account: string | null; status: string; decision: string | null; n: number };
type RolledRow = {
  vendor_account_id: string;
  vendor: string;
  hour: Date;
  calls: number;
  errors: number;
  latency_ms_max: number;
  latency_hist: number[];
  cost: string | null;
  currency: string | null;
};

export async function analytics(db: Db, q: AnalyticsQuery) {
  const accounts = await db.vendorAccount.findMany({ where: { tenantId: q.tenantId, ...(q.vendor ? { vendor: q.vendor } : {}) }, select: { id: true } });
  const ids = accounts.map((a) => a.id);
  const state = await db.rollupState.findUnique({ where: { name: ROLLUP } });
  const lastId = state?.lastId ?? 0n;
  const rolled = ids.length
    ? await db.$queryRaw<RolledRow[]>`
        SELECT vendor_account_id, vendor, hour, calls, errors, latency_ms_max, latency_hist, cost::text AS cost, currency
          FROM vendor_call_hourly WHERE vendor_account_id = ANY(${ids}) AND hour >= date_trunc('hour', ${q.from}::timestamp) AND hour < ${q.to}`
    : [];
  // the calls since the last rollup, bucketed the same way
  const fresh = ids.length
    ? await db.$queryRaw<Bucketed[]>`
        SELECT vendor_account_id, vendor, date_trunc('hour', created_at) AS hour, width_bucket(latency_ms - 1, ${BOUNDS_SQL}) AS bucket,
               count(*)::int AS n, (count(*) FILTER (WHERE outcome <> 'ok'))::int AS errors, max(latency_ms) AS max,
               sum(cost)::text AS cost, min(currency) AS currency
          FROM vendor_calls WHERE id > ${lastId} AND vendor_account_id = ANY(${ids}) AND created_at >= ${q.from} AND created_at < ${q.to}
         GROUP BY 1, 2, 3, 4`
    : [];
  const truncate = (d: Date) => {
    const t = new Date(d);
    if (q.bucket === "day") t.setUTCHours(0, 0, 0, 0);
    else t.setUTCMinutes(0, 0, 0);
    return t;
  };
  // one histogram per (report bucket, vendor), from the rolled-up hours and the fresh calls
  const perBucket = new Map<string, Hourly>();
  const byAccount = q.by === "account";
  const add = (bucket: Date, vendor: string, h: Counts & { accountId: string }) => {
    const k = `${bucket.toISOString()}|${vendor}|${byAccount ? h.accountId : ""}`;
    let e = perBucket.get(k);
    if (!e) perBucket.set(k, (e = emptyHourly(byAccount ? h.accountId : "", vendor, bucket)));
    accumulate(e, h);
  };
  for (const r of rolled)
    add(truncate(r.hour), r.vendor, {
      accountId: r.vendor_account_id,
      calls: r.calls,
      errors: r.errors,
      max: r.latency_ms_max,
      hist: r.latency_hist,
      cost: r.cost === null ? null : Number(r.cost),
      currency: r.currency,
    });
  for (const h of mergeBuckets(fresh).values()) add(truncate(h.hour), h.vendor, h);
  const calls = [...perBucket.values()].map((h) => ({
    bucket: h.hour,
    vendor: h.vendor,
    accountId: h.accountId || null,
    calls: h.calls,
    errors: h.errors,
    p50: histogramPercentile(h.hist, 50, h.max),
    p95: histogramPercentile(h.hist, 95, h.max),
    cost: h.cost,
    currency: h.currency,
  }));
  const verifications = await db.$queryRaw<VerificationRow[]>`
      SELECT date_trunc(${q.bucket}, created_at) AS bucket, vendor, vendor_account_id AS account, status, decision, count(*)::int AS n
        FROM verifications
       WHERE tenant_id = ${q.tenantId} AND created_at >= ${q.from} AND created_at < ${q.to}
         ${q.vendor ? Prisma.sql`AND vendor = ${q.vendor}` : Prisma.empty}
       GROUP BY 1, 2, 3, 4, 5`;

  type Entry = {
    bucket: string;
    vendor: string | null;
    accountId?: string | null;
    calls: number;
    errors: number;
    p50LatencyMs: number | null;
    p95LatencyMs: number | null;
    cost: { amount: number; currency: string } | null;
    verifications: { byStatus: Record<string, number>; byDecision: Record<string, number>; approvalRate: number | null };
  };
  const buckets = new Map<string, Entry>();
  const entry = (bucket: Date, vendor: string | null, account: string | null) => {
    const key = `${bucket.toISOString()}|${vendor ?? ""}|${byAccount ? (account ?? "") : ""}`;
    let e = buckets.get(key);
    if (!e)
      buckets.set(
        key,
        (e = {
          bucket: bucket.toISOString(),
          vendor,
          ...(byAccount ? { accountId: account } : {}),
          calls: 0,
          errors: 0,
          p50LatencyMs: null,
          p95LatencyMs: null,
          cost: null,
          verifications: { byStatus: {}, byDecision: {}, approvalRate: null },
        }),
      );
    return e;
  };
  for (const c of calls) {
    const e = entry(c.bucket, c.vendor, c.accountId);
    Object.assign(e, {
      calls: c.calls,
      errors: c.errors,
      p50LatencyMs: c.p50,
      p95LatencyMs: c.p95,
      cost: c.cost !== null && c.currency ? { amount: c.cost, currency: c.currency } : null,
    });
  }
  for (const v of verifications) {
    const e = entry(v.bucket, v.vendor, v.account);
    e.verifications.byStatus[v.status] = (e.verifications.byStatus[v.status] ?? 0) + v.n;
    if (v.decision) e.verifications.byDecision[v.decision] = (e.verifications.byDecision[v.decision] ?? 0) + v.n;
  }
  for (const e of buckets.values()) {
    const decided = Object.values(e.verifications.byDecision).reduce((a, b) => a + b, 0);
    e.verifications.approvalRate = decided ? (e.verifications.byDecision.approved ?? 0) / decided : null;
  }
  const data = [...buckets.values()].sort(
    (a, b) => a.bucket.localeCompare(b.bucket) || (a.vendor ?? "").localeCompare(b.vendor ?? "") || (a.accountId ?? "").localeCompare(b.accountId ?? ""),
  );
  return { tenantId: q.tenantId, vendor: q.vendor ?? null, from: q.from.toISOString(), to: q.to.toISOString(), bucket: q.bucket, by: q.by ?? "vendor", data };
}

// Shadow runs (issue 14): before operations switch a tenant's traffic to another vendor, the candidate decides a
// sample of the same verifications after the primary did. Its normalized outcome goes through the tenant's same
// decision policy, so the two decisions compare like with like, and is stored beside the verification in
// shadow_runs: never in it, never told to the tenant, never counted in its quotas.
import type { Outcome } from "../adapters/types.js";
import type { Db } from "../db/client.js";
import type { Keys } from "../domain/crypto.js";
import type { Decision, Reason } from "../domain/model.js";
import { effectivePolicy } from "./policy.js";
import { openInput, policyOver, type VerificationRow } from "./verifications.js";

export type ShadowEnd =
  | { status: "done"; outcome: Outcome; latencyMs: number }
  | { status: "dropped" | "failed" | "skipped"; detail: string; latencyMs?: number };

/** The shadow's decision under the tenant's policy, judged as if it were the first and only vendor of the verification. */
async function shadowDecision(
  db: Db,
  keys: Keys,
  v: VerificationRow,
  outcome: Extract<Outcome, { status: "completed" }>,
): Promise<{ decision: Decision; reasons: Reason[] }> {
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: v.tenantId }, select: { policy: true } });
  const sealed = await db.verificationInput.findUnique({ where: { verificationId: v.id } });
  const input = sealed ? openInput(keys, v.id, sealed.payloadEnc) : {};
  // nothing the primary found is carried over: a fresh row, open, without reasons or checks
  const fresh: VerificationRow = { ...v, status: "processing", decision: null, reasons: [], checks: {} };
  const r = policyOver(keys, fresh, input, outcome, effectivePolicy(tenant.policy), new Date());
  return { decision: r.decision, reasons: r.reasons };
}

/** Stores how a shadow run ended, with the primary's decision as it stands now (a review settled since counts as settled). */
export async function finishShadowRun(db: Db, keys: Keys, runId: string, end: ShadowEnd, now = new Date()): Promise<void> {
  const run = await db.shadowRun.findUniqueOrThrow({ where: { id: runId } });
  const v = await db.verification.findUnique({ where: { id: run.verificationId } });
  const primary = v
    ? { primaryVendor: v.vendor, primaryDecision: v.decision, primaryReasons: ((v.reasons ?? []) as unknown as Reason[]).map((r) => r.code) }
    : {};
  if (end.status !== "done") {
    await db.shadowRun.update({
      where: { id: runId },
      data: { ...primary, status: end.status, detail: end.detail, latencyMs: end.latencyMs ?? null, completedAt: now },
    });
    return;
  }
  const o = end.outcome;
  if (o.status === "completed" && v) {
    const d = await shadowDecision(db, keys, v, o);
    await db.shadowRun.update({
      where: { id: runId },
      data: {
        ...primary,
        status: "done",
        decision: d.decision,
        reasons: [...new Set(d.reasons.map((r) => r.code))],
        latencyMs: end.latencyMs,
        completedAt: now,
      },
    });
    return;
  }
  // a technical end, or a vendor that wants the user again: nothing to compare
  const reasons = "reasons" in o && o.reasons ? o.reasons.map((r) => r.code) : [];
  await db.shadowRun.update({
    where: { id: runId },
    data: {
      ...primary,
      status: o.status === "failed" ? "failed" : "skipped",
      reasons,
      detail: `the shadow vendor answered ${o.status}`,
      latencyMs: end.latencyMs,
      completedAt: now,
    },
  });
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : null);

/** The agreement report of a tenant's shadow runs (one rule, or all): GET /admin/shadow-reports. */
export async function shadowReport(db: Db, q: { tenantId: string; ruleId?: string; from?: Date; to?: Date }) {
  const runs = await db.shadowRun.findMany({
    where: {
      tenantId: q.tenantId,
      ...(q.ruleId ? { ruleId: q.ruleId } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lt: q.to } : {}) } } : {}),
    },
    orderBy: { createdAt: "asc" },
  });
  const byRule = new Map<string, typeof runs>();
  for (const r of runs) byRule.set(r.ruleId, [...(byRule.get(r.ruleId) ?? []), r]);
  const rules = [];
  for (const [ruleId, list] of byRule) {
    const compared = list.filter((r) => r.status === "done" && r.primaryDecision && r.decision);
    const agreed = compared.filter((r) => r.primaryDecision === r.decision).length;
    const confusion: Record<string, Record<string, number>> = {};
    for (const r of compared) {
      const row = (confusion[r.primaryDecision!] ??= {});
      row[r.decision!] = (row[r.decision!] ?? 0) + 1;
    }
    const reasonsDiffer: Record<string, { primaryOnly: number; shadowOnly: number }> = {};
    for (const r of compared) {
      const p = new Set(r.primaryReasons);
      const s = new Set(r.reasons);
      for (const c of p) if (!s.has(c)) (reasonsDiffer[c] ??= { primaryOnly: 0, shadowOnly: 0 }).primaryOnly++;
      for (const c of s) if (!p.has(c)) (reasonsDiffer[c] ??= { primaryOnly: 0, shadowOnly: 0 }).shadowOnly++;
    }
    const sides = await sideFigures(
      db,
      compared.map((r) => r.verificationId),
      compared.map((r) => r.id),
    );
    const statuses: Record<string, number> = {};
    for (const r of list) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const shadowLatencies = compared.map((r) => r.latencyMs ?? 0).sort((a, b) => a - b);
    rules.push({
      ruleId,
      shadowAccountIds: [...new Set(list.map((r) => r.vendorAccountId))],
      runs: list.length,
      byStatus: statuses,
      compared: compared.length,
      agreementRate: compared.length ? agreed / compared.length : null,
      confusion,
      reasonsDiffer,
      primary: sides.primary,
      shadow: { ...sides.shadow, p50LatencyMs: percentile(shadowLatencies, 50), p95LatencyMs: percentile(shadowLatencies, 95) },
    });
  }
  return { tenantId: q.tenantId, rules };
}

/**
 * Latency and cost of each side over the compared verifications. The primary's latency is the sum of its vendor
 * calls' latencies per verification (the vendor's time, not the user's); the shadow's is the wall time of its run,
 * and its cost the sum of its calls' prices.
 */
async function sideFigures(db: Db, verificationIds: string[], runIds: string[]) {
  type Row = { k: string; latency: number; cost: string | null; currency: string | null };
  const primary = verificationIds.length
    ? await db.$queryRaw<Row[]>`SELECT verification_id AS k, SUM(latency_ms)::int AS latency, SUM(cost)::text AS cost, MIN(currency) AS currency
        FROM vendor_calls WHERE verification_id = ANY(${verificationIds}) AND shadow_run_id IS NULL GROUP BY verification_id`
    : [];
  const shadow = runIds.length
    ? await db.$queryRaw<Row[]>`SELECT shadow_run_id AS k, SUM(latency_ms)::int AS latency, SUM(cost)::text AS cost, MIN(currency) AS currency
        FROM vendor_calls WHERE shadow_run_id = ANY(${runIds}) GROUP BY shadow_run_id`
    : [];
  const summary = (rows: Row[]) => {
    const lat = rows.map((r) => r.latency).sort((a, b) => a - b);
    const priced = rows.filter((r) => r.cost !== null);
    return {
      p50LatencyMs: percentile(lat, 50),
      p95LatencyMs: percentile(lat, 95),
      cost: priced.length ? { total: priced.reduce((a, r) => a + Number(r.cost), 0), currency: priced[0]!.currency } : null,
    };
  };
  const s = summary(shadow);
  return { primary: summary(primary), shadow: { cost: s.cost } };
}

// Re-decision (POST /admin/verifications/re-decide): after a mapping or policy change, the
// stored raw vendor payloads are normalized again by the adapter (renormalize) and the
// tenant's current policy is applied; no vendor is called. Dry-run by default; applying it
// writes the new decision, an event, and a verification.updated only where the decision changed.
import type { Prisma } from "../generated/prisma/client.js";
import { adapterFor } from "../adapters/registry.js";
import type { Outcome } from "../adapters/types.js";
import { emitVerificationEvent } from "./emit.js";
import type { Decision, Reason } from "../domain/model.js";
import { effectivePolicy } from "./policy.js";
import { recordAudit, type Actor } from "./audit.js";
import { changeTime, loadForAdapter, policyOver, toResource, type VerificationDeps } from "./verifications.js";
import { checksColumns, checksOf, vendorPayloadOf } from "./at-rest.js";

export interface RedecideRequest {
  tenantId: string;
  from: Date;
  to: Date;
  apply: boolean;
  actor: Actor;
}

export interface RedecideReport {
  compared: number;
  changed: { id: string; from: Decision; to: Decision }[];
  applied: boolean;
  /** verifications in the range that could not be re-decided, by why (erased, no vendor payloads...) */
  skipped: Record<string, number>;
  /** counts of changes by "old→new" decision */
  byChange: Record<string, number>;
  policyVersion: number;
}

const BATCH = 200;

export async function redecide(deps: VerificationDeps, req: RedecideRequest): Promise<RedecideReport | null> {
  const tenant = await deps.db.tenant.findUnique({ where: { id: req.tenantId }, select: { policy: true, policyVersion: true } });
  if (!tenant) return null;
  const policy = effectivePolicy(tenant.policy);
  // one day for the whole run's policy (document age, expiry); each change is stamped under its own lock
  const today = new Date();
  const report: RedecideReport = { compared: 0, changed: [], applied: req.apply, skipped: {}, byChange: {}, policyVersion: tenant.policyVersion };
  const skip = (why: string) => void (report.skipped[why] = (report.skipped[why] ?? 0) + 1);
  let cursor: string | undefined;
  for (;;) {
    const rows = await deps.db.verification.findMany({
      where: { tenantId: req.tenantId, status: "completed", createdAt: { gte: req.from, lt: req.to }, ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: BATCH,
      select: { id: true },
    });
    if (rows.length === 0) break;
    cursor = rows[rows.length - 1]!.id;
    for (const { id } of rows) {
      const loaded = await loadForAdapter(deps.db, deps.env.keys, id);
      if (!loaded) continue;
      const { row, adapterView } = loaded;
      // erased data cannot be compared again: its decision stands as made
      if (row.erasedAt) {
        skip("erased");
        continue;
      }
      const adapter = row.vendor ? adapterFor(row.vendor) : null;
      if (!adapter) {
        skip("no_vendor");
        continue;
      }
      const payloads = await deps.db.vendorPayload.findMany({ where: { verificationId: id }, orderBy: { id: "asc" } });
      let vendorOutcome: Outcome | null =
        adapter.renormalize?.(
          payloads.map((p) => ({ kind: p.kind, body: vendorPayloadOf(deps.env.keys, p), receivedAt: p.createdAt })),
          adapterView,
        ) ?? null;
      if (!vendorOutcome && row.vendorDecision) {
        // the adapter cannot normalize its payloads again: the vendor's verdict as stored, under today's policy
        vendorOutcome = {
          status: "completed",
          decision: row.vendorDecision as Decision,
          reasons: ((row.reasons ?? []) as unknown as Reason[]).filter((r) => r.vendor !== null),
          checks: checksOf(deps.env.keys, row),
          humanDecision: row.humanDecision,
        };
      }
      if (vendorOutcome?.status !== "completed") {
        skip(vendorOutcome ? "not_a_decision" : "no_vendor_payloads");
        continue;
      }
      report.compared++;
      const result = policyOver(deps.env.keys, row, adapterView.input, vendorOutcome, policy, today, vendorOutcome.humanDecision === true || row.humanDecision);
      const { checks, humanDecision } = result;
      const before = row.decision as Decision;
      if (result.decision === before) continue;
      report.changed.push({ id, from: before, to: result.decision });
      const key = `${before}→${result.decision}`;
      report.byChange[key] = (report.byChange[key] ?? 0) + 1;
      if (!req.apply) continue;
      await deps.db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM verifications WHERE id = ${id} FOR UPDATE`;
        const cur = await tx.verification.findUniqueOrThrow({ where: { id } });
        if (cur.status !== "completed" || cur.decision !== before) return; // moved meanwhile: its own event decided it
        const now = changeTime(cur);
        const u = await tx.verification.update({
          where: { id },
          data: {
            decision: result.decision,
            reasons: result.reasons as unknown as Prisma.InputJsonValue,
            ...checksColumns(deps.env.keys, id, checks),
            decidedMapping: adapter.mappingVersion,
            decidedPolicy: tenant.policyVersion,
            vendorDecision: vendorOutcome.decision,
            humanDecision,
            updatedAt: now,
          },
        });
        await tx.verificationEvent.create({
          data: {
            verificationId: id,
            source: "api",
            type: "re_decided",
            fromStatus: cur.status,
            toStatus: u.status,
            detail: {
              from: before,
              to: result.decision,
              mapping: adapter.mappingVersion,
              policy: tenant.policyVersion,
              findings: result.findings,
              actor: req.actor.name,
              operatorId: req.actor.id,
            } as unknown as Prisma.InputJsonValue,
          },
        });
        await emitVerificationEvent(tx, deps.env.keys, u.tenantId, "verification.updated", toResource(deps.env.keys, u), now);
      });
    }
  }
  await recordAudit(deps.db, req.actor, {
    action: req.apply ? "verifications.re_decided" : "verifications.re_decide_dry_run",
    entityType: "tenant",
    entityId: req.tenantId,
    after: {
      from: req.from.toISOString(),
      to: req.to.toISOString(),
      compared: report.compared,
      changed: report.changed.length,
      byChange: report.byChange,
      policyVersion: tenant.policyVersion,
    },
  });
  return report;
}

// Per-tenant retention: the personal data of verifications that ended more than `eraseAfterDays`
// days ago is erased by the durable sweeper through erasePersonalData (the same erasure as the
// tenant's DELETE .../personal-data: vendor erasure receipts included), each one audited.
// null (the default) keeps the data until the tenant asks.
import type { VerificationDeps } from "./verifications.js";
import { erasePersonalData } from "./verifications.js";
import { SYSTEM_ACTOR } from "./audit.js";
import { z } from "../domain/zod.js";

export const RetentionSchema = z
  .object({
    /** days after a verification ended (completedAt) before its personal data is erased; null = kept until asked */
    eraseAfterDays: z.number().int().min(0).max(36_500).nullable(),
  })
  .strict()
  .openapi("Retention");

export function retentionOf(t: { id: string; eraseAfterDays: number | null }) {
  return { tenantId: t.id, eraseAfterDays: t.eraseAfterDays };
}

const BATCH = 200;

/** Erases what is past its tenant's retention, at most BATCH per call; returns how many were erased. */
export async function eraseExpiredPersonalData(deps: Pick<VerificationDeps, "db" | "log" | "env">, now = new Date()): Promise<number> {
  const due = await deps.db.$queryRaw<{ id: string; completed_at: Date; erase_after_days: number }[]>`
    SELECT v.id, v.completed_at, t.erase_after_days
    FROM tenants t
    JOIN verifications v ON v.tenant_id = t.id AND v.erased_at IS NULL
      AND v.completed_at < ${now}::timestamptz - make_interval(days => t.erase_after_days)
    WHERE t.erase_after_days IS NOT NULL
    ORDER BY v.completed_at
    LIMIT ${BATCH}`;
  let erased = 0;
  for (const v of due) {
    try {
      await erasePersonalData(deps, v.id, now, {
        source: "worker",
        audit: { actor: SYSTEM_ACTOR, why: { reason: "retention", eraseAfterDays: v.erase_after_days, completedAt: v.completed_at.toISOString() } },
      });
      erased++;
    } catch (e) {
      // one verification that cannot be erased now (a lock timeout) does not hold back the others; the next sweep retries it
      deps.log.warn({ verificationId: v.id, err: (e as Error).name }, "retention erasure failed; retried by the next sweep");
    }
  }
  return erased;
}

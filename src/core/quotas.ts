// Per-tenant daily quotas set by operations (verifications accepted, SMS sent), counted in
// Postgres per UTC day. One conditional upsert takes a unit only while the count is below the
// limit, so parallel API and worker processes can never go past it; a refusal is counted on the
// same row and the first one of the day is written to the audit log.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import { recordAudit, SYSTEM_ACTOR } from "./audit.js";
import { z } from "../domain/zod.js";

export const QUOTA_KINDS = { verifications: "verificationsPerDay", sms: "smsPerDay" } as const;
export type QuotaKind = keyof typeof QUOTA_KINDS;

const limit = z.number().int().min(0).max(10_000_000).nullable();
export const QuotaUpdateSchema = z
  .object({
    /** verifications accepted per UTC day; null = unlimited */
    verificationsPerDay: limit.optional(),
    /** SMS sends (VerificarIdentidad links) per UTC day; null = unlimited */
    smsPerDay: limit.optional(),
  })
  .strict()
  .openapi("QuotaUpdate");

export const QuotasSchema = z
  .object({
    tenantId: z.string(),
    verificationsPerDay: z.number().int().nullable(),
    smsPerDay: z.number().int().nullable(),
    /** what was used (and refused) of each quota today (UTC) */
    today: z.object({
      day: z.string(),
      verifications: z.object({ used: z.number().int(), refused: z.number().int() }),
      sms: z.object({ used: z.number().int(), refused: z.number().int() }),
    }),
  })
  .openapi("Quotas");

type Writer = Prisma.TransactionClient | Db;

export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The problem type of a spent quota: it names the quota (…/problems/quota-exceeded/verificationsPerDay). */
export function quotaProblemType(kind: QuotaKind): string {
  return `https://kyc-gateway.dev/problems/quota-exceeded/${QUOTA_KINDS[kind]}`;
}

export class QuotaExceeded extends Error {
  constructor(
    readonly kind: QuotaKind,
    readonly limit: number,
    readonly day: string,
  ) {
    super(`the tenant's daily ${QUOTA_KINDS[kind]} quota of ${limit} is spent for ${day} (UTC)`);
  }
}

/**
 * Takes one unit of the tenant's quota for today, or throws QuotaExceeded. `limit` null: nothing is
 * counted. Run it inside the transaction that does the work, so work rolled back gives its unit back.
 */
export async function takeQuota(tx: Writer, tenantId: string, kind: QuotaKind, limit: number | null, now = new Date()): Promise<void> {
  if (limit === null) return;
  const day = utcDay(now);
  const taken =
    limit > 0
      ? await tx.$queryRaw<{ used: number }[]>`
          INSERT INTO tenant_usage (tenant_id, day, kind, used) VALUES (${tenantId}, ${day}, ${kind}, 1)
          ON CONFLICT (tenant_id, day, kind) DO UPDATE SET used = tenant_usage.used + 1 WHERE tenant_usage.used < ${limit}
          RETURNING used`
      : [];
  if (taken.length === 0) throw new QuotaExceeded(kind, limit, day);
}

/**
 * Counts a refusal (outside the refused work's transaction, which rolled back). The first refusal
 * of the day goes to the audit log; returns whether this was it, so callers record other
 * once-a-day signals (a vendor event) alongside.
 */
export async function noteQuotaRefused(db: Db, tenantId: string, e: QuotaExceeded, detail: Record<string, unknown> = {}): Promise<boolean> {
  const rows = await db.$queryRaw<{ refused: number }[]>`
    INSERT INTO tenant_usage (tenant_id, day, kind, used, refused, exhausted_at) VALUES (${tenantId}, ${e.day}, ${e.kind}, 0, 1, now())
    ON CONFLICT (tenant_id, day, kind) DO UPDATE SET refused = tenant_usage.refused + 1, exhausted_at = COALESCE(tenant_usage.exhausted_at, now())
    RETURNING refused`;
  const first = rows[0]?.refused === 1;
  if (first)
    await recordAudit(db, SYSTEM_ACTOR, {
      action: "quota.exhausted",
      entityType: "tenant",
      entityId: tenantId,
      after: { quota: QUOTA_KINDS[e.kind], limit: e.limit, day: e.day, ...detail },
    });
  return first;
}

export async function readQuotas(db: Db, tenantId: string, now = new Date()): Promise<z.infer<typeof QuotasSchema> | null> {
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { id: true, verificationsPerDay: true, smsPerDay: true } });
  if (!t) return null;
  const day = utcDay(now);
  const usage = await db.tenantUsage.findMany({ where: { tenantId, day } });
  const of = (kind: QuotaKind) => {
    const u = usage.find((x) => x.kind === kind);
    return { used: u?.used ?? 0, refused: u?.refused ?? 0 };
  };
  return {
    tenantId: t.id,
    verificationsPerDay: t.verificationsPerDay,
    smsPerDay: t.smsPerDay,
    today: { day, verifications: of("verifications"), sms: of("sms") },
  };
}

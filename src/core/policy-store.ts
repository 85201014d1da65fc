// The tenant's decision policy as stored: versioned (every version kept with its operator) and audited.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import { recordAudit, type Actor } from "./audit.js";
import { effectivePolicy, updatePolicy, type DecisionPolicy, type PolicyUpdate } from "./policy.js";

export interface PolicyResource extends DecisionPolicy {
  version: number;
  updatedAt: string | null;
}

export async function readPolicy(db: Db, tenantId: string): Promise<PolicyResource | null> {
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { policy: true, policyVersion: true } });
  if (!t) return null;
  const last = await db.tenantPolicy.findFirst({ where: { tenantId, version: t.policyVersion }, select: { createdAt: true } });
  return { ...effectivePolicy(t.policy), version: t.policyVersion, updatedAt: last?.createdAt.toISOString() ?? null };
}

/** A new version of the tenant's policy, its history row and its audit entry in one transaction. */
export async function writePolicy(db: Db, tenantId: string, update: PolicyUpdate, actor: Actor): Promise<PolicyResource | null> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${tenantId} FOR UPDATE`;
    const t = await tx.tenant.findUnique({ where: { id: tenantId }, select: { policy: true, policyVersion: true } });
    if (!t) return null;
    const before = { ...effectivePolicy(t.policy), version: t.policyVersion };
    const next = updatePolicy(effectivePolicy(t.policy), update);
    const version = t.policyVersion + 1;
    await tx.tenant.update({ where: { id: tenantId }, data: { policy: next as unknown as Prisma.InputJsonValue, policyVersion: version } });
    const row = await tx.tenantPolicy.create({ data: { tenantId, version, policy: next as unknown as Prisma.InputJsonValue, actor: actor.name } });
    await recordAudit(tx, actor, { action: "policy.updated", entityType: "tenant", entityId: tenantId, before, after: { ...next, version } });
    return { ...next, version, updatedAt: row.createdAt.toISOString() };
  });
}

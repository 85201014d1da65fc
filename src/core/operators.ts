// Named operators: their own admin tokens (shown once, stored as sha256), a role, revocation that
// holds at once in every process (every request reads the row: nothing is cached).
import type { Db } from "../db/client.js";
import { BOOTSTRAP_ACTOR, recordAudit, SYSTEM_ACTOR, type Actor, type OperatorRole } from "./audit.js";
import { constantTimeEqual, generateOperatorToken, operatorIdOf, sha256Hex } from "../domain/crypto.js";
import { z } from "../domain/zod.js";

export const OPERATOR_ROLES = ["viewer", "admin"] as const satisfies readonly OperatorRole[];

/** names the audit log already uses for someone else */
const RESERVED_NAMES = new Set([BOOTSTRAP_ACTOR.id, BOOTSTRAP_ACTOR.name, SYSTEM_ACTOR.name]);

export const CreateOperatorSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((n) => !RESERVED_NAMES.has(n.toLowerCase()), "reserved (the bootstrap token and the gateway use it in the audit log)"),
    role: z.enum(OPERATOR_ROLES),
  })
  .strict()
  .openapi("CreateOperator");

export interface OperatorResource {
  id: string;
  name: string;
  role: OperatorRole;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

type OperatorRow = { id: string; name: string; role: string; createdBy: string; createdAt: Date; revokedAt: Date | null };

function toOperatorResource(o: OperatorRow): OperatorResource {
  return {
    id: o.id,
    name: o.name,
    role: o.role as OperatorRole,
    createdBy: o.createdBy,
    createdAt: o.createdAt.toISOString(),
    revokedAt: o.revokedAt?.toISOString() ?? null,
  };
}

export async function createOperator(db: Db, by: Actor, input: z.infer<typeof CreateOperatorSchema>): Promise<OperatorResource & { token: string }> {
  const token = generateOperatorToken();
  return db.$transaction(async (tx) => {
    const row = await tx.operator.create({ data: { id: token.id, name: input.name, role: input.role, tokenHash: token.hash, createdBy: by.id } });
    await recordAudit(tx, by, { action: "operator.created", entityType: "operator", entityId: row.id, after: { name: row.name, role: row.role } });
    return { ...toOperatorResource(row), token: token.key };
  });
}

export async function listOperators(db: Db): Promise<OperatorResource[]> {
  const rows = await db.operator.findMany({ orderBy: { createdAt: "asc" } });
  return rows.map(toOperatorResource);
}

/** Revokes an operator's token; false when there is no such operator. Revoking twice changes nothing. */
export async function revokeOperator(db: Db, by: Actor, id: string, now = new Date()): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const row = await tx.operator.findUnique({ where: { id } });
    if (!row) return false;
    if (row.revokedAt) return true;
    await tx.operator.update({ where: { id }, data: { revokedAt: now } });
    await recordAudit(tx, by, {
      action: "operator.revoked",
      entityType: "operator",
      entityId: id,
      before: { name: row.name, role: row.role },
      after: { revokedAt: now.toISOString() },
    });
    return true;
  });
}

/** The actor a bearer token stands for: ADMIN_TOKEN (the bootstrap admin) or a live operator's token; null otherwise. */
export async function actorOfToken(db: Db, bootstrapToken: string, token: string): Promise<Actor | null> {
  if (constantTimeEqual(token, bootstrapToken)) return BOOTSTRAP_ACTOR;
  const id = operatorIdOf(token);
  if (!id) return null;
  const row = await db.operator.findUnique({ where: { id } });
  if (!row || row.revokedAt || !constantTimeEqual(sha256Hex(token), row.tokenHash)) return null;
  return { id: row.id, name: row.name, role: row.role as OperatorRole };
}

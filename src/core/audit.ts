// The audit log of every operations change (who, what, before, after): the one writer every
// change goes through, so no row can be written without saying which operator made it.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";

export type OperatorRole = "viewer" | "admin";

/** Who made a change: the bootstrap ADMIN_TOKEN, a named operator, or the gateway itself. */
export interface Actor {
  /** "bootstrap" for ADMIN_TOKEN, op_... for an operator, "system" for the gateway */
  id: string;
  name: string;
  role: OperatorRole;
}

/** ADMIN_TOKEN. Its audit name stays "admin", the name its rows always had. */
export const BOOTSTRAP_ACTOR: Actor = { id: "bootstrap", name: "admin", role: "admin" };
/** The gateway acting on its own (an endpoint disabled after failing, retention). */
export const SYSTEM_ACTOR: Actor = { id: "system", name: "system", role: "admin" };

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

type Writer = Prisma.TransactionClient | Db;

export async function recordAudit(db: Writer, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      actor: actor.name,
      operatorId: actor.id === SYSTEM_ACTOR.id ? null : actor.id,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      before: (entry.before ?? undefined) as Prisma.InputJsonValue | undefined,
      after: (entry.after ?? undefined) as Prisma.InputJsonValue | undefined,
    },
  });
}

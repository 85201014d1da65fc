// When open work is next due, kept in Postgres beside the work itself (verifications.next_due_at,
// inbound_webhooks.next_due_at, webhook_deliveries.next_attempt_at, follow_ups and vendor_erasures
// next_due_at). BullMQ carries the jobs on time; the sweeper (src/workers/sweeper.ts) re-enqueues
// whatever is overdue and has no open job, so a lost job chain never strands anything.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import { enqueue, type JobPayloads, type QueueName } from "./jobs.js";
import type { Decision, VerificationStatus } from "../domain/model.js";
import { isTerminal } from "./state-machine.js";

type Tx = Prisma.TransactionClient | Db;

/** A verification nobody scheduled anything for is still looked at this often (a heartbeat, never a deadline). */
export const HEARTBEAT_MS = 3600_000;
/** A pending verification's start is due at once; the sweeper steps in once it is this late. */
export const START_DUE_MS = 60_000;

/** Default processing deadline (the vendor's operator review), unless the account's settings say `processingDeadlineHours`. */
export const DEFAULT_PROCESSING_DEADLINE_HOURS = 72;

export function processingDeadline(settings: unknown, now: Date): Date {
  const h = (settings as Record<string, unknown> | null)?.processingDeadlineHours;
  const hours = typeof h === "number" && h > 0 ? h : DEFAULT_PROCESSING_DEADLINE_HOURS;
  return new Date(now.getTime() + hours * 3_600_000);
}

/**
 * The next time a worker must look at a verification: its next scheduled job, else its deadline
 * (the user's while awaiting_user, the vendor's while processing), else a heartbeat; null once it
 * has ended, unless polls still settle a review (`nextJobAt` set).
 */
export function verificationDueAt(v: { status: string; decision?: string | null; expiresAt: Date | null }, nextJobAt: Date | null, now: Date): Date | null {
  const status = v.status as VerificationStatus;
  if (isTerminal(status)) return status === "completed" && (v.decision as Decision | null) === "review" && nextJobAt ? nextJobAt : null;
  if (status === "pending") return nextJobAt ?? new Date(now.getTime() + START_DUE_MS);
  const candidates = [nextJobAt, v.expiresAt].filter((d): d is Date => d !== null);
  if (candidates.length === 0) return new Date(now.getTime() + HEARTBEAT_MS);
  return new Date(Math.min(...candidates.map((d) => d.getTime())));
}

/** A job about a verification, and the verification's next due time with it, in one transaction. */
export async function scheduleForVerification<Q extends "submit" | "poll">(
  tx: Tx,
  verificationId: string,
  queue: Q,
  jobId: string,
  payload: JobPayloads[Q],
  at: Date,
): Promise<void> {
  await enqueue(tx, queue as QueueName, jobId, payload as never, at);
  await tx.verification.updateMany({ where: { id: verificationId }, data: { nextDueAt: at } });
}

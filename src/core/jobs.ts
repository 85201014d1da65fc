// The work the gateway hands to its workers, and the one way to hand it over: a row in the
// Postgres outbox, written in the caller's transaction (src/workers/outbox.ts publishes it to
// BullMQ). Jobs carry ids only, never personal data.
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import { currentRequestId, newRequestId } from "../observability/work-context.js";
import { traceparentOf } from "../observability/tracing.js";

export const QUEUE_NAMES = ["submit", "poll", "ingest", "deliver", "followup", "erase", "maintenance", "shadow", "notify"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  submit: { verificationId: string; mode?: "start" | "capture" | "retake" };
  /** failures: consecutive failed polls before this one (the backoff of the next retry) */
  poll: { verificationId: string; failures?: number };
  ingest: { inboundWebhookId: string };
  deliver: { deliveryId: string };
  followup: { verificationId: string; name: "certificate" };
  erase: { erasureId: string };
  /** an operations webhook (an alert threshold crossed): ids, metric and figures only, nothing personal */
  notify: {
    notification: {
      id: string;
      type: string;
      accountId: string;
      vendor: string;
      tenantId: string;
      metric: string;
      from: string;
      to: string;
      value: number;
      threshold: number | null;
      at: string;
    };
  };
  /** a shadow run of a decided verification on its rule's shadow account */
  shadow: { shadowRunId: string };
  /** the durable sweeper, run by a BullMQ job scheduler (one at a time across processes) */
  maintenance: { task: "sweep" };
}

type Tx = Prisma.TransactionClient | Db;

/** What a job is about: the outbox row keeps it so the sweeper can tell whether open work has a job. */
export function subjectOf(payload: object): string | null {
  const p = payload as Record<string, unknown>;
  const id = p.verificationId ?? p.inboundWebhookId ?? p.deliveryId ?? p.erasureId ?? p.shadowRunId;
  return typeof id === "string" ? id : null;
}

/**
 * What a job carries beside its payload, in its data's `context`: the request id of the work that
 * asked for it and the W3C trace context to continue. Kept in the outbox row's own columns.
 */
export interface JobContext {
  requestId: string | null;
  traceparent: string | null;
}

/** The context a job written now carries: work with no request id of its own (none is running) gets one, so every job has one. */
export function jobContextNow(): { requestId: string; traceparent: string | null } {
  return { requestId: currentRequestId() ?? newRequestId(), traceparent: traceparentOf() };
}

/** An outbox row's values, for the writers that insert it in their own SQL statement (OUTBOX_COLUMNS' order). */
export function outboxValues<Q extends QueueName>(queue: Q, jobId: string, payload: JobPayloads[Q], availableAt = new Date()) {
  return {
    queue,
    jobId,
    payload: payload as unknown as Prisma.InputJsonValue,
    availableAt,
    subjectId: subjectOf(payload),
    ...jobContextNow(),
  };
}

/** The outbox's columns in outboxValues' order, for a plain INSERT. */
export const OUTBOX_COLUMNS = "queue, job_id, payload, available_at, subject_id, request_id, traceparent, created_at";

/** outboxValues as SQL parameters (OUTBOX_COLUMNS' order; created_at is the row's available_at's clock, now). */
export function outboxParams(o: ReturnType<typeof outboxValues>, now: Date): unknown[] {
  return [o.queue, o.jobId, JSON.stringify(o.payload), o.availableAt.toISOString(), o.subjectId, o.requestId, o.traceparent, now.toISOString()];
}

export async function enqueue<Q extends QueueName>(tx: Tx, queue: Q, jobId: string, payload: JobPayloads[Q], availableAt?: Date): Promise<void> {
  // one statement: the row, and the notification delivered when the transaction commits to every listening relay
  // (src/workers/outbox.ts), so that work created in any process is published at once, not at the next poll
  await tx.$executeRawUnsafe(ENQUEUE_SQL, OUTBOX_CHANNEL, ...outboxParams(outboxValues(queue, jobId, payload, availableAt), new Date()));
}

// $1 the outbox channel; $2.. the outbox row (OUTBOX_COLUMNS): a fixed text, its values as parameters
const ENQUEUE_SQL = `
WITH row AS (
  INSERT INTO outbox (${OUTBOX_COLUMNS})
  VALUES ($2, $3, $4::jsonb, $5::timestamp, $6, $7, $8, $9::timestamp)
  RETURNING 1
)
SELECT pg_notify($1, '') FROM row`;

/** The Postgres channel a commit that wrote outbox rows notifies. */
export const OUTBOX_CHANNEL = "kyc_outbox";

/** A job's BullMQ data: its payload, and its context under a key no payload uses. */
export function jobData(payload: unknown, ctx: JobContext): Record<string, unknown> {
  return { ...(payload as Record<string, unknown>), context: ctx };
}

/** The payload a processor gets (without the context) and the context the job runs in. */
export function splitJobData(data: unknown): { payload: Record<string, unknown>; context: JobContext } {
  const { context, ...payload } = (data ?? {}) as Record<string, unknown> & { context?: Partial<JobContext> };
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 && v.length <= 200 ? v : null);
  return { payload, context: { requestId: str(context?.requestId), traceparent: str(context?.traceparent) } };
}

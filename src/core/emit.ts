// Outbound events: one webhook_events row per change, one delivery per subscribed
// endpoint, and a deliver job per delivery, all in the caller's transaction, in one statement.
import type { Prisma } from "../generated/prisma/client.js";
import { newId, type Keys } from "../domain/crypto.js";
import { eventPayloadColumns } from "./at-rest.js";
import type { VerificationResource } from "../domain/model.js";
import { jobContextNow, OUTBOX_CHANNEL, OUTBOX_COLUMNS } from "./jobs.js";
import type { ClaimedJob } from "./publish.js";
import { currentRequestId } from "../observability/work-context.js";

/** An entry of a verification's event log (verification_events). */
export interface LogEntry {
  verificationId: string;
  source: string;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  detail: Record<string, unknown>;
  at: Date;
}

export const EVENT_TYPES = ["verification.updated", "verification.completed", "verification.failed"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export async function emitVerificationEvent(
  tx: Prisma.TransactionClient,
  keys: Keys,
  tenantId: string,
  type: EventType,
  resource: VerificationResource,
  /** the change's time, taken under the verification's row lock (changeTime in verifications.ts) */
  now: Date,
  /** given: the deliveries' jobs are claimed for the caller to publish after its commit (src/core/publish.ts) and added here */
  claimed?: ClaimedJob[],
  /** the verification's event-log entry of the same change, written by the same statement */
  logEntry?: LogEntry,
): Promise<string> {
  const eventId = newId("msg");
  const payload = { type, timestamp: now.toISOString(), data: resource };
  const columns = eventPayloadColumns(keys, eventId, payload);
  const job = jobContextNow();
  // one statement (issue 13: the event, the endpoints, and a delivery and an outbox row per endpoint were 2 + 2n
  // round trips of the decision's transaction)
  const written = new Date();
  const jobs = await tx.$queryRawUnsafe<{ job_id: string; delivery_id: string }[]>(
    EMIT_SQL,
    eventId,
    tenantId,
    type,
    resource.id,
    JSON.stringify(columns.payload),
    columns.payloadEnc,
    currentRequestId(),
    now.toISOString(),
    written.toISOString(),
    job.requestId,
    job.traceparent,
    OUTBOX_CHANNEL,
    claimed !== undefined,
    logEntry?.verificationId ?? null,
    logEntry?.source ?? null,
    logEntry?.type ?? null,
    logEntry?.fromStatus ?? null,
    logEntry?.toStatus ?? null,
    logEntry ? JSON.stringify(logEntry.detail) : null,
    logEntry ? logEntry.at.toISOString() : null,
  );
  for (const j of jobs) {
    claimed?.push({
      queue: "deliver",
      jobId: j.job_id,
      payload: { deliveryId: j.delivery_id },
      availableAt: written,
      requestId: job.requestId,
      traceparent: job.traceparent,
    });
  }
  return eventId;
}

// $1 event id, $2 tenant, $3 type, $4 verification, $5 payload, $6 payloadEnc, $7 request id, $8 the change's time, $9 now,
// $10 and $11 the jobs' request id and traceparent, $12 the outbox channel, $13 whether the caller claims the jobs. A
// delivery's id is the event's time part and a digest of the event and the endpoint (one delivery per event and endpoint;
// the ids keep newId's shape); a deliver job per delivery (job id "<delivery>-1", as a first attempt's). Jobs the caller
// claims are published (published_at set) for it to add after its commit; others wake every relay at commit.
// $14..$20 the verification's event-log entry of the change, when given (verification_events' columns).
const EMIT_SQL = `
WITH logged AS (
  INSERT INTO verification_events (verification_id, source, type, from_status, to_status, detail, created_at)
  SELECT $14::text, $15::text, $16::text, $17::text, $18::text, $19::jsonb, $20::timestamp WHERE $14::text IS NOT NULL
), ev AS (
  INSERT INTO webhook_events (id, tenant_id, type, verification_id, payload, payload_enc, request_id, created_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::timestamp)
  RETURNING id
), dlv AS (
  INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
  SELECT 'dlv_' || substr(ev.id, 5, 12) || substr(md5(ev.id || ':' || ep.id), 1, 20), ev.id, ep.id, 'pending', $8::timestamp, $9::timestamp, $9::timestamp
  FROM ev JOIN webhook_endpoints ep
    ON ep.tenant_id = $2 AND ep.disabled_at IS NULL AND ep.deleted_at IS NULL AND (cardinality(ep.events) = 0 OR $3 = ANY (ep.events))
  RETURNING id
), job AS (
  INSERT INTO outbox (${OUTBOX_COLUMNS}, published_at)
  SELECT 'deliver', dlv.id || '-1', jsonb_build_object('deliveryId', dlv.id), $9::timestamp, dlv.id, $10, $11, $9::timestamp,
         CASE WHEN $13::boolean THEN now() END
  FROM dlv
  RETURNING job_id, subject_id
)
SELECT job_id, subject_id AS delivery_id,
       (SELECT count(*) FROM (SELECT pg_notify($12, '')) AS n WHERE NOT $13::boolean) AS notified
FROM job`;

export function eventTypeFor(status: string): EventType {
  if (status === "completed") return "verification.completed";
  if (status === "failed") return "verification.failed";
  return "verification.updated";
}

// Outbound events: one webhook_events row per change, one delivery per subscribed
// endpoint, and a deliver job per delivery, all in the caller's transaction, in one statement.
import type { Prisma } from "../generated/prisma/client.js";
import { newId, type Keys } from "../domain/crypto.js";
import { eventPayloadColumns } from "./at-rest.js";
import type { VerificationResource } from "../domain/model.js";
import { jobContextNow, OUTBOX_CHANNEL, OUTBOX_COLUMNS } from "./jobs.js";
import { currentRequestId } from "../observability/work-context.js";

export const EVENT_TYPES = ["verification.updated", "verification.completed", "verification.failed"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export async function emitVerificationEvent(
  tx: Prisma.TransactionClient,
  keys: Keys,
  tenantId: string,
  type: EventType,
  resource: VerificationResource,
  now = new Date(),
): Promise<string> {
  const eventId = newId("msg");
  const payload = { type, timestamp: now.toISOString(), data: resource };
  const columns = eventPayloadColumns(keys, eventId, payload);
  const job = jobContextNow();
  // one statement (issue 13: the event, the endpoints, and a delivery and an outbox row per endpoint were 2 + 2n
  // round trips of the decision's transaction)
  await tx.$executeRawUnsafe(
    EMIT_SQL,
    eventId,
    tenantId,
    type,
    resource.id,
    JSON.stringify(columns.payload),
    columns.payloadEnc,
    currentRequestId(),
    now.toISOString(),
    new Date().toISOString(),
    job.requestId,
    job.traceparent,
    OUTBOX_CHANNEL,
  );
  return eventId;
}

// $1 event id, $2 tenant, $3 type, $4 verification, $5 payload, $6 payloadEnc, $7 request id, $8 the change's time, $9 now,
// $10 and $11 the jobs' request id and traceparent, $12 the outbox channel. A delivery's id is the event's time part and
// a digest of the event and the endpoint (one delivery per event and endpoint; the ids keep newId's shape); a deliver job
// per delivery (job id "<delivery>-1", as a first attempt's), and every relay notified at commit when there is one.
const EMIT_SQL = `
WITH ev AS (
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
  INSERT INTO outbox (${OUTBOX_COLUMNS})
  SELECT 'deliver', dlv.id || '-1', jsonb_build_object('deliveryId', dlv.id), $9::timestamp, dlv.id, $10, $11, $9::timestamp FROM dlv
  RETURNING 1
)
SELECT pg_notify($12, '') FROM (SELECT 1 FROM job LIMIT 1) AS any_job`;

export function eventTypeFor(status: string): EventType {
  if (status === "completed") return "verification.completed";
  if (status === "failed") return "verification.failed";
  return "verification.updated";
}

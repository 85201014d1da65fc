// Delivery of one outbound webhook attempt. Every attempt is a row; the retry
// schedule is configuration (WEBHOOK_RETRY_SCHEDULE, Standard Webhooks' by default);
// after the last attempt the delivery is `failed` and can be replayed.
import axios from "axios";
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import type { Env } from "../../config/env.js";
import { decryptJson } from "../../domain/crypto.js";
import { AAD, eventPayloadOf } from "../../core/at-rest.js";
import { webhookDeliveries } from "../../observability/metrics.js";
import { enqueue } from "../../core/jobs.js";
import { recordAudit, SYSTEM_ACTOR } from "../../core/audit.js";
import { activeSecrets, signatureHeaders, type StoredSecret } from "./signing.js";
import http from "node:http";
import https from "node:https";
import { checkWebhookUrl, guardedLookup } from "./url-guard.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { jsonTimestamp, prismaShaped, sql, utc } from "../../db/sql.js";
import { inSpan, SpanKind } from "../../observability/tracing.js";

const guardedAgents = {
  http: new http.Agent({ lookup: guardedLookup(), keepAlive: false }),
  https: new https.Agent({ lookup: guardedLookup(), keepAlive: false }),
};

export const endpointSecretsAad = AAD.endpointSecrets;

export async function deliverOnce(deps: { db: Db; env: Env; log: Logger }, deliveryId: string): Promise<void> {
  const delivery = await loadDelivery(deps.db, deliveryId);
  if (!delivery || delivery.status === "succeeded") return;
  // a span per attempt: ids, event type, attempt, status (never the URL, a header or the body)
  const attributes = {
    "kyc.delivery_id": deliveryId,
    "kyc.event_id": delivery.eventId,
    "kyc.event_type": delivery.event.type,
    "kyc.endpoint_id": delivery.endpointId,
    "kyc.tenant_id": delivery.endpoint.tenantId,
    "kyc.attempt": delivery.attemptCount + 1,
    ...(delivery.event.verificationId ? { "kyc.verification_id": delivery.event.verificationId } : {}),
  };
  await inSpan("webhook deliver", { kind: SpanKind.CLIENT, attributes }, (span) =>
    attemptDelivery(deps, delivery, (httpStatus, outcome) => {
      if (httpStatus !== null) span.setAttribute("http.response.status_code", httpStatus);
      span.setAttribute("kyc.outcome", outcome);
    }),
  );
}

type LoadedDelivery = Prisma.WebhookDeliveryGetPayload<{ include: { event: true; endpoint: true } }>;

/**
 * The delivery with its event and endpoint, as Prisma's include reads it, in one statement (Prisma's include was three
 * queries before every webhook POST; issue 13). The two joined rows come as JSON, their timestamps zone-less UTC text.
 */
export async function loadDelivery(db: Db, deliveryId: string): Promise<LoadedDelivery | null> {
  const [row] = await sql<WebhookDeliveryRow & { eventRow: Record<string, unknown>; endpointRow: Record<string, unknown> }>(db, {
    name: "kyc_load_delivery",
    text: `SELECT d.*, to_jsonb(e) AS event_row, to_jsonb(ep) AS endpoint_row
      FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
      WHERE d.id = $1`,
    values: [deliveryId],
  });
  if (!row) return null;
  const { eventRow, endpointRow, ...delivery } = row;
  const event = prismaShaped<LoadedDelivery["event"]>(eventRow);
  const endpoint = prismaShaped<LoadedDelivery["endpoint"]>(endpointRow);
  event.createdAt = jsonTimestamp(event.createdAt)!;
  endpoint.createdAt = jsonTimestamp(endpoint.createdAt)!;
  endpoint.disabledAt = jsonTimestamp(endpoint.disabledAt);
  endpoint.failingSince = jsonTimestamp(endpoint.failingSince);
  endpoint.deletedAt = jsonTimestamp(endpoint.deletedAt);
  return { ...delivery, event, endpoint };
}

type WebhookDeliveryRow = Prisma.WebhookDeliveryGetPayload<object>;

async function attemptDelivery(
  deps: { db: Db; env: Env; log: Logger },
  delivery: LoadedDelivery,
  onResult: (httpStatus: number | null, outcome: "succeeded" | "failed" | "endpoint_gone") => void,
): Promise<void> {
  const deliveryId = delivery.id;
  const { endpoint, event } = delivery;
  if (endpoint.disabledAt || endpoint.deletedAt) {
    onResult(null, "endpoint_gone");
    await deps.db.webhookDelivery.update({ where: { id: deliveryId }, data: { status: "failed", nextAttemptAt: null } });
    return;
  }
  const attemptNo = delivery.attemptCount + 1;
  const body = JSON.stringify(eventPayloadOf(deps.env.keys, event));
  const secrets = activeSecrets(decryptJson<StoredSecret[]>(deps.env.keys, endpoint.secretsEnc, endpointSecretsAad(endpoint.id)));
  const started = performance.now();
  let httpStatus: number | null = null;
  let error: string | null = null;
  const guard = await checkWebhookUrl(endpoint.url, deps.env.WEBHOOK_ALLOW_PRIVATE_URLS, undefined, { requireHttps: deps.env.NODE_ENV === "production" });
  if (!guard.ok) error = `url refused: ${guard.problem}`;
  else {
    try {
      const res = await axios.post(endpoint.url, body, {
        headers: {
          "content-type": "application/json",
          "user-agent": "kyc-gateway-webhooks/1",
          // the request that caused the event (the tenant's own X-Request-Id when it sent one); webhook-id stays the event's
          ...(event.requestId ? { "x-request-id": event.requestId } : {}),
          ...signatureHeaders(event.id, new Date(), body, secrets),
        },
        timeout: deps.env.WEBHOOK_TIMEOUT_MS,
        signal: AbortSignal.timeout(deps.env.WEBHOOK_TIMEOUT_MS),
        validateStatus: () => true,
        maxRedirects: 0,
        responseType: "text",
        maxContentLength: 64 * 1024,
        // the connection itself checks the addresses it connects to (DNS rebinding)
        ...(deps.env.WEBHOOK_ALLOW_PRIVATE_URLS ? {} : { httpAgent: guardedAgents.http, httpsAgent: guardedAgents.https }),
      });
      httpStatus = res.status;
      if (res.status < 200 || res.status >= 300) error = `endpoint answered ${res.status}`;
    } catch (e) {
      error = (e as { code?: string }).code ?? "request failed";
    }
  }
  const latencyMs = Math.round(performance.now() - started);
  const ok = error === null;
  webhookDeliveries.inc({ result: ok ? "succeeded" : "failed" });
  onResult(httpStatus, ok ? "succeeded" : "failed");
  const schedule = deps.env.webhookRetryScheduleMs;
  const delay = schedule[attemptNo - 1];
  const now = new Date();
  if (ok) {
    // the attempt, the delivery succeeded and the endpoint's failing clock cleared, in one statement (one transaction):
    // Prisma's interactive transaction was five round trips after every delivered webhook (issue 13)
    await sql(deps.db, {
      name: "kyc_delivery_succeeded",
      text: DELIVERY_SUCCEEDED_SQL,
      values: [deliveryId, attemptNo, httpStatus, latencyMs, utc(now), endpoint.id],
    });
    return;
  }
  await deps.db.$transaction(async (tx) => {
    await tx.webhookAttempt.create({ data: { deliveryId, attemptNo, httpStatus, error, latencyMs } });
    const next = delay === undefined ? null : new Date(now.getTime() + delay);
    await tx.webhookDelivery.update({
      where: { id: deliveryId },
      data: { status: next ? "retrying" : "failed", attemptCount: attemptNo, lastHttpStatus: httpStatus, nextAttemptAt: next },
    });
    if (next) await enqueue(tx, "deliver", `${deliveryId}-${attemptNo + 1}`, { deliveryId }, next);
    const failingSince = endpoint.failingSince ?? now;
    if (!endpoint.failingSince) await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { failingSince: now } });
    if (now.getTime() - failingSince.getTime() >= deps.env.webhookDisableAfterMs) {
      await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { disabledAt: now } });
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: "webhook_endpoint.disabled",
        entityType: "webhook_endpoint",
        entityId: endpoint.id,
        after: { reason: "failing", failingSince: failingSince.toISOString() },
      });
      deps.log.warn({ endpointId: endpoint.id, tenantId: endpoint.tenantId }, "webhook endpoint disabled after failing too long");
    }
  });
}

const DELIVERY_SUCCEEDED_SQL = `
WITH attempt AS (
  INSERT INTO webhook_attempts (delivery_id, attempt_no, http_status, error, latency_ms, created_at) VALUES ($1, $2, $3, NULL, $4, $5::timestamp)
), delivery AS (
  UPDATE webhook_deliveries SET status = 'succeeded', attempt_count = $2, last_http_status = $3, next_attempt_at = NULL, updated_at = $5::timestamp
  WHERE id = $1
)
UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $6 AND failing_since IS NOT NULL`;

/** Replay: a new delivery attempt series for the same event and endpoint. */
export async function replayDelivery(db: Db, deliveryId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const d = await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: "pending", nextAttemptAt: new Date() } });
    await enqueue(tx, "deliver", `${deliveryId}-replay-${Date.now()}-${d.attemptCount + 1}`, { deliveryId });
  });
}

// Delivery of one outbound webhook attempt. Every attempt is a row; the retry
// schedule is configuration (WEBHOOK_RETRY_SCHEDULE, Standard Webhooks' by default);
// after the last attempt the delivery is `failed` and can be replayed.
import axios from "axios";
import type { Logger } from "pino";
import type { Db } from "../../db/client.js";
import type { Env } from "../../config/env.js";
import { decryptJson } from "../../core/crypto.js";
import { AAD, eventPayloadOf } from "../../core/at-rest.js";
import { webhookDeliveries } from "../../observability/metrics.js";
import { enqueue } from "../../core/jobs.js";
import { activeSecrets, signatureHeaders, type StoredSecret } from "./signing.js";
import http from "node:http";
import https from "node:https";
import { checkWebhookUrl, guardedLookup } from "./url-guard.js";

const guardedAgents = { http: new http.Agent({ lookup: guardedLookup(), keepAlive: false }), https: new https.Agent({ lookup: guardedLookup(), keepAlive: false }) };

export const endpointSecretsAad = AAD.endpointSecrets;

export async function deliverOnce(deps: { db: Db; env: Env; log: Logger }, deliveryId: string): Promise<void> {
  const delivery = await deps.db.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { event: true, endpoint: true } });
  if (!delivery || delivery.status === "succeeded") return;
  const { endpoint, event } = delivery;
  if (endpoint.disabledAt || endpoint.deletedAt) {
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
        headers: { "content-type": "application/json", "user-agent": "kyc-gateway-webhooks/1", ...signatureHeaders(event.id, new Date(), body, secrets) },
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
  const schedule = deps.env.webhookRetryScheduleMs;
  const delay = schedule[attemptNo - 1];
  const now = new Date();
  await deps.db.$transaction(async (tx) => {
    await tx.webhookAttempt.create({ data: { deliveryId, attemptNo, httpStatus, error, latencyMs } });
    if (ok) {
      await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: "succeeded", attemptCount: attemptNo, lastHttpStatus: httpStatus, nextAttemptAt: null } });
      await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { failingSince: null } });
      return;
    }
    const next = delay === undefined ? null : new Date(now.getTime() + delay);
    await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: next ? "retrying" : "failed", attemptCount: attemptNo, lastHttpStatus: httpStatus, nextAttemptAt: next } });
    if (next) await enqueue(tx, "deliver", `${deliveryId}-${attemptNo + 1}`, { deliveryId }, next);
    const failingSince = endpoint.failingSince ?? now;
    if (!endpoint.failingSince) await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { failingSince: now } });
    if (now.getTime() - failingSince.getTime() >= deps.env.webhookDisableAfterMs) {
      await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { disabledAt: now } });
      await tx.auditLog.create({ data: { actor: "system", action: "webhook_endpoint.disabled", entityType: "webhook_endpoint", entityId: endpoint.id, after: { reason: "failing", failingSince: failingSince.toISOString() } } });
      deps.log.warn({ endpointId: endpoint.id, tenantId: endpoint.tenantId }, "webhook endpoint disabled after failing too long");
    }
  });
}

/** Replay: a new delivery attempt series for the same event and endpoint. */
export async function replayDelivery(db: Db, deliveryId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const d = await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: "pending", nextAttemptAt: new Date() } });
    await enqueue(tx, "deliver", `${deliveryId}-replay-${Date.now()}-${d.attemptCount + 1}`, { deliveryId });
  });
}

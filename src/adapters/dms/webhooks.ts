// DMS account webhooks ("Webhooks" in the doc): usage anomalies, invoices, test and retry
// deliveries, signed `X-Hillogy-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>`.
// They are operations events of the vendor account, never verification results.
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../../domain/crypto.js";
import type { VendorError } from "../../domain/errors.js";
import { vendorError } from "./client.js";
import type { AdapterAccount, ParsedWebhook, RawWebhookRequest } from "../types.js";
import { DmsCredentialsSchema, DmsWebhookSchema } from "./schemas.js";

/** "Reject requests older than ~5 minutes to defeat replays" (and as far in the future: clock skew only). */
export const REPLAY_WINDOW_SECONDS = 300;

export const HILLOGY_HEADERS = {
  deliveryId: "x-hillogy-delivery-id",
  timestamp: "x-hillogy-timestamp",
  signature: "x-hillogy-signature",
} as const;

/** hex HMAC-SHA256(secret, timestamp + "." + rawBody), over the raw bytes of the body */
export function signHillogy(secret: string, ts: string | number, rawBody: Buffer | string): string {
  return createHmac("sha256", secret)
    .update(Buffer.concat([Buffer.from(`${ts}.`, "utf8"), Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, "utf8")]))
    .digest("hex");
}

/** "t=<timestamp>,v1=<hmac>"; several v1 values are kept (a delivery signed with both secrets during rotation). */
export function parseSignatureHeader(header: string): { t: string | null; v1: string[] } {
  let t: string | null = null;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") t = value;
    else if (key === "v1") v1.push(value);
  }
  return { t, v1 };
}

function sameHex(candidate: string, expectedHex: string): boolean {
  if (!/^[0-9a-fA-F]+$/.test(candidate) || candidate.length !== expectedHex.length) return false;
  return constantTimeEqual(Buffer.from(candidate, "hex"), Buffer.from(expectedHex, "hex"));
}

export function authenticateWebhook(req: RawWebhookRequest, account: AdapterAccount): boolean {
  const creds = DmsCredentialsSchema.safeParse(account.credentials);
  // an account without webhook secrets takes no webhook: nothing could prove who sent it
  // the primary secret(s) and, during a rotation, the staged one: both sign while DMS rolls over
  const secrets = creds.success ? [...(creds.data.webhookSecrets ?? []), ...(creds.data.webhookSecretNext ? [creds.data.webhookSecretNext] : [])] : [];
  if (secrets.length === 0) return false;
  const header = req.headers[HILLOGY_HEADERS.signature];
  const tsHeader = req.headers[HILLOGY_HEADERS.timestamp];
  if (!header || !tsHeader) return false;

  const { t, v1 } = parseSignatureHeader(header);
  // the t= value is the one signed; the X-Hillogy-Timestamp header must say the same
  if (t === null || t !== tsHeader.trim() || !/^\d{1,12}$/.test(t) || v1.length === 0) return false;
  const ageSeconds = Math.floor(req.receivedAt.getTime() / 1000) - Number(t);
  if (Math.abs(ageSeconds) > REPLAY_WINDOW_SECONDS) return false;

  let ok = false;
  // every (secret, signature) pair is compared, so the time taken does not tell which one matched
  for (const secret of secrets) {
    const expected = signHillogy(secret, t, req.rawBody);
    for (const candidate of v1) if (sameHex(candidate, expected)) ok = true;
  }
  return ok;
}

function unreadable(message: string): VendorError {
  return vendorError({ kind: "parse", retryable: false, endpoint: "webhook", message });
}

/**
 * Every delivery becomes one account event named after `event` (the catalog's anomaly.detected,
 * invoice.*, test, retry; an event outside the catalog is kept too, never dropped), keyed by the
 * delivery id so that "retries and at-least-once delivery" store it once. The whole body is the
 * payload (a `retry` keeps its originalExecutionId). Account events carry no personal data.
 */
export function parseWebhook(req: RawWebhookRequest, _account: AdapterAccount): ParsedWebhook[] {
  let json: unknown;
  try {
    json = JSON.parse(req.rawBody.toString("utf8"));
  } catch {
    throw unreadable("DMS webhook body is not JSON");
  }
  const parsed = DmsWebhookSchema.safeParse(json);
  if (!parsed.success) throw unreadable("DMS webhook body has no `event` (or a malformed envelope)");
  const externalId = req.headers[HILLOGY_HEADERS.deliveryId]?.trim() || parsed.data.deliveryId;
  if (!externalId) throw unreadable("DMS webhook has no delivery id (X-Hillogy-Delivery-Id header or deliveryId)");
  return [{ type: "account_event", event: { type: parsed.data.event, externalId, payload: parsed.data } }];
}

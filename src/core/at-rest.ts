// Personal data at rest: what a stored row keeps in clear and what it seals with the master key.
//
// In clear (what the API and operations filter, count or show without personal data):
//   verifications: status, decision, reasons (codes, vendor codes), requested checks, vendor,
//     reference and metadata (the tenant's own), and of `checks` the outcome of every check,
//     liveness and face-match scores, levels and thresholds, quality signals, the document's
//     type, country and model and its security flags.
//   webhook_events: type, verification id, and the event with those same checks.
// Sealed (AES-256-GCM, row-bound AAD, the writing key's id in the ciphertext):
//   checks.document.fields (names, dates of birth, document and personal numbers, address...),
//   checks.session (operator comment, device, access, GPS position), the inputs (subject, images),
//   every stored vendor payload, vendor webhooks' raw bodies until ingested, the certificate
//   files, vendor credentials, webhook secrets.
// The clear part of checks is exactly what erasure leaves (mergeChecks(..., erased)), so erasing
// is deleting the sealed column. Rows written before this module hold plaintext in the same
// columns; the readers here accept it, and `npm run rekey` (src/core/rekey.ts) seals it.
import type { Prisma } from "../generated/prisma/client.js";
import { mergeChecks } from "./checks-merge.js";
import { decryptBytes, decryptJson, encryptBytes, encryptJson, isSealedText, type Keys } from "../domain/crypto.js";
import type { Checks } from "../domain/model.js";

/** What binds each ciphertext to its row (AES-GCM additional data): one place, so `rekey` seals exactly as the writers do. */
export const AAD = {
  vendorCredentials: (accountId: string) => `vendor-account:${accountId}`,
  endpointSecrets: (endpointId: string) => `webhook-endpoint:${endpointId}`,
  input: (verificationId: string) => `verification-input:${verificationId}`,
  checks: (verificationId: string) => `verification-checks:${verificationId}`,
  event: (eventId: string) => `webhook-event:${eventId}`,
  // the row id is only known once inserted: a payload is bound to its verification
  vendorPayload: (verificationId: string) => `vendor-payload:${verificationId}`,
  artifact: (verificationId: string, kind: string) => `verification-artifact:${verificationId}:${kind}`,
  inboundBody: (inboundWebhookId: string) => `inbound-webhook:${inboundWebhookId}`,
};

/** The checks without anything personal: what stays in clear. */
export function clearChecks(checks: Checks): Checks {
  return mergeChecks(checks, undefined, true);
}

export function holdsPersonalData(checks: Checks | undefined): boolean {
  return Object.keys(checks?.document?.fields ?? {}).length > 0 || checks?.session !== undefined;
}

/** The columns a verification's checks are written to. */
export function checksColumns(keys: Keys, verificationId: string, checks: Checks): { checks: Prisma.InputJsonValue; checksEnc: string | null } {
  return {
    checks: clearChecks(checks) as Prisma.InputJsonValue,
    checksEnc: holdsPersonalData(checks) ? encryptJson(keys, checks, AAD.checks(verificationId)) : null,
  };
}

/** A verification's whole checks: the sealed column, or the clear one (nothing personal, or a row from before sealing). */
export function checksOf(keys: Keys, row: { id: string; checks: unknown; checksEnc: string | null }): Checks {
  if (row.checksEnc) return decryptJson<Checks>(keys, row.checksEnc, AAD.checks(row.id));
  return (row.checks ?? {}) as Checks;
}

interface EventPayload {
  type: string;
  timestamp: string;
  data: { checks?: Checks } & Record<string, unknown>;
}

/** The columns an outbound event is written to: in clear without the personal parts of its checks, whole and sealed. */
export function eventPayloadColumns(keys: Keys, eventId: string, payload: EventPayload): { payload: Prisma.InputJsonValue; payloadEnc: string | null } {
  const checks = payload.data.checks;
  if (!holdsPersonalData(checks)) return { payload: payload as unknown as Prisma.InputJsonValue, payloadEnc: null };
  return {
    payload: { ...payload, data: { ...payload.data, checks: clearChecks(checks!) } } as unknown as Prisma.InputJsonValue,
    payloadEnc: encryptJson(keys, payload, AAD.event(eventId)),
  };
}

/** An outbound event as it is delivered. */
export function eventPayloadOf(keys: Keys, row: { id: string; payload: unknown; payloadEnc: string | null }): unknown {
  return row.payloadEnc ? decryptJson(keys, row.payloadEnc, AAD.event(row.id)) : row.payload;
}

export function sealVendorPayload(keys: Keys, verificationId: string, body: unknown): string {
  return encryptJson(keys, body, AAD.vendorPayload(verificationId));
}

/** A stored vendor payload's body: sealed, or the JSON text of a row from before sealing. */
export function vendorPayloadOf(keys: Keys, row: { verificationId: string; body: string }): unknown {
  return isSealedText(row.body) ? decryptJson(keys, row.body, AAD.vendorPayload(row.verificationId)) : JSON.parse(row.body);
}

export function sealArtifact(keys: Keys, verificationId: string, kind: string, data: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encryptBytes(keys, data, AAD.artifact(verificationId, kind)));
}

/**
 * A stored file: sealed (binary form, first byte 1 or 2), or the file itself in a row from before
 * sealing. The files are PDFs ("%PDF", first byte 0x25), so the two never look alike.
 */
export function artifactOf(keys: Keys, row: { verificationId: string; kind: string; data: Uint8Array }): Buffer {
  const bytes = Buffer.from(row.data);
  return isSealedBinary(bytes) ? decryptBytes(keys, bytes, AAD.artifact(row.verificationId, row.kind)) : bytes;
}

/** A binary column sealed (first byte 1 or 2), not a file or body from before sealing, nor emptied. */
export function isSealedBinary(data: Uint8Array): boolean {
  return data[0] === 1 || data[0] === 2;
}

/**
 * A vendor webhook's raw body (names, document numbers, GPS), kept sealed until it is ingested
 * and then emptied. Empty stays empty (what ingestion and erasure leave).
 */
export function sealInboundBody(keys: Keys, inboundWebhookId: string, body: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(body.length === 0 ? body : encryptBytes(keys, body, AAD.inboundBody(inboundWebhookId)));
}

/** The raw body as the vendor sent it; rows from before sealing hold it as is (JSON, form or multipart text). */
export function inboundBodyOf(keys: Keys, row: { id: string; rawBody: Uint8Array }): Buffer {
  const bytes = Buffer.from(row.rawBody);
  return isSealedBinary(bytes) ? decryptBytes(keys, bytes, AAD.inboundBody(row.id)) : bytes;
}

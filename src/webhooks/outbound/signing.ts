// Standard Webhooks signing (https://www.standardwebhooks.com/), with the
// `standardwebhooks` package; several signatures during a secret rotation.
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function signatureHeaders(msgId: string, timestamp: Date, body: string, secrets: string[]): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(msgId, timestamp, body));
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

export interface StoredSecret {
  secret: string;
  createdAt: string;
  /** set on the old secret when rotated: it keeps signing until then */
  expiresAt?: string | null;
}

export function activeSecrets(secrets: StoredSecret[], now = new Date()): string[] {
  return secrets.filter((s) => !s.expiresAt || new Date(s.expiresAt) > now).map((s) => s.secret);
}

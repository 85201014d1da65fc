// Vendor accounts: credentials are write-only (encrypted at rest, masked in answers).
import type { Prisma } from "../generated/prisma/client.js";
import type { AdapterAccount } from "../adapters/types.js";
import { adapterFor } from "../adapters/registry.js";
import { decryptJson, encryptJson } from "./crypto.js";
import type { VendorId } from "./model.js";

export type VendorAccountRow = Prisma.VendorAccountGetPayload<object>;

export function sealCredentials(masterKey: Buffer, accountId: string, credentials: Record<string, unknown>): string {
  return encryptJson(masterKey, credentials, `vendor-account:${accountId}`);
}

export function webhookUrlOf(publicBaseUrl: string, vendor: string, accountId: string): string {
  return `${publicBaseUrl}/hooks/${vendor}/${accountId}`;
}

export function toAdapterAccount(masterKey: Buffer, publicBaseUrl: string, row: VendorAccountRow): AdapterAccount {
  return {
    id: row.id,
    tenantId: row.tenantId,
    vendor: row.vendor as VendorId,
    baseUrl: row.baseUrl.replace(/\/$/, ""),
    credentials: decryptJson<Record<string, unknown>>(masterKey, row.credentialsEnc, `vendor-account:${row.id}`),
    settings: (row.settings as Record<string, unknown>) ?? {},
    webhookUrl: webhookUrlOf(publicBaseUrl, row.vendor, row.id),
  };
}

/** Every credential value shown as "••••" plus at most its last 4 characters for non-secret keys. */
export function maskCredentials(vendor: string, credentials: Record<string, unknown>): Record<string, unknown> {
  const secretKeys = new Set(adapterFor(vendor)?.credentials.secretKeys ?? Object.keys(credentials));
  const masked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(credentials)) {
    if (Array.isArray(v)) masked[k] = v.map(() => "••••");
    else if (typeof v === "string") masked[k] = secretKeys.has(k) || v.length <= 8 ? "••••" : `••••${v.slice(-4)}`;
    else masked[k] = "••••";
  }
  return masked;
}

export function toAccountResource(publicBaseUrl: string, masterKey: Buffer, row: VendorAccountRow) {
  const creds = decryptJson<Record<string, unknown>>(masterKey, row.credentialsEnc, `vendor-account:${row.id}`);
  return {
    id: row.id,
    tenantId: row.tenantId,
    vendor: row.vendor,
    name: row.name,
    baseUrl: row.baseUrl,
    webhookUrl: webhookUrlOf(publicBaseUrl, row.vendor, row.id),
    credentials: maskCredentials(row.vendor, creds),
    settings: row.settings,
    credits: row.credits,
    creditsCheckedAt: row.creditsCheckedAt?.toISOString() ?? null,
    disabled: row.disabledAt !== null,
    createdAt: row.createdAt.toISOString(),
  };
}

// Vendor accounts: credentials are write-only (encrypted at rest, masked in answers).
import type { Prisma } from "../generated/prisma/client.js";
import type { AdapterAccount } from "../adapters/types.js";
import { adapterFor } from "../adapters/registry.js";
import { decryptJson, encryptJson } from "./crypto.js";
import type { VendorId } from "./model.js";
import { z } from "./zod.js";

export type VendorAccountRow = Prisma.VendorAccountGetPayload<object>;

/**
 * The settings the core reads for every vendor (DESIGN "Vendor account settings"), validated here
 * and kept whatever the vendor's own schema does with keys it does not list.
 */
export const CoreSettingsSchema = z.object({
  concurrency: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** how long a verification may wait in processing (the vendor's operator review) before it ends failed/vendor_timeout */
  processingDeadlineHours: z.number().positive().optional(),
  /** the cap of a failing poll chain's backoff */
  pollBackoffMaxSeconds: z.number().positive().optional(),
});
export const CORE_SETTING_KEYS = Object.keys(CoreSettingsSchema.shape) as (keyof z.infer<typeof CoreSettingsSchema>)[];

/** The vendor's parse of its settings, with the core's settings (validated) laid over it. */
export function parseAccountSettings(vendorParse: (x: unknown) => Record<string, unknown>, raw: unknown): Record<string, unknown> {
  const input = (raw ?? {}) as Record<string, unknown>;
  const core = CoreSettingsSchema.parse(Object.fromEntries(Object.entries(input).filter(([k]) => (CORE_SETTING_KEYS as string[]).includes(k))));
  return { ...vendorParse(input), ...Object.fromEntries(Object.entries(core).filter(([, v]) => v !== undefined)) };
}

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
    // the column only ever holds a VendorId (checked when the account is created)
    vendor: row.vendor as VendorId,
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

// Vendor accounts: credentials are write-only (encrypted at rest, masked in answers).
import type { Prisma } from "../generated/prisma/client.js";
import type { AdapterAccount } from "../adapters/types.js";
import { adapterFor } from "../adapters/registry.js";
import { decryptJson, encryptJson, type Keys } from "../domain/crypto.js";
import { AAD } from "./at-rest.js";
import type { VendorId } from "../domain/model.js";
import { z } from "../domain/zod.js";

export type VendorAccountRow = Prisma.VendorAccountGetPayload<object>;

/**
 * The settings the core reads for every vendor (DESIGN "Vendor account settings"), validated here
 * and kept whatever the vendor's own schema does with keys it does not list.
 */
export const PricesSchema = z.strictObject({
  /** ISO 4217 */
  currency: z.string().regex(/^[A-Z]{3}$/),
  calls: z.record(z.string().min(1).max(100), z.number().min(0).max(1_000_000)).default({}),
  default: z.number().min(0).max(1_000_000).optional(),
});
export type Prices = z.infer<typeof PricesSchema>;

/** The price of one answered call, or null when the account sets none for it. Only answered calls are charged. */
export function priceOf(prices: Prices | undefined, endpoint: string, outcome: "ok" | "error"): { cost: number; currency: string } | null {
  if (!prices || outcome !== "ok") return null;
  const cost = prices.calls[endpoint] ?? prices.default;
  return cost === undefined ? null : { cost, currency: prices.currency };
}

const ThresholdsSchema = z.strictObject({ soft: z.number().int().min(0).optional(), hard: z.number().int().min(0).optional() });
/**
 * Thresholds that warn operations before a vendor stops (core/alerts.ts): credits left (VerificarIdentidad `Cred`),
 * calls per UTC day and month (a DMS scan allowance, an IWS licence). Soft: an event and an operations webhook;
 * hard: the same, and the account leaves routing until it recovers.
 */
export const AlertsSchema = z.strictObject({ credits: ThresholdsSchema.optional(), callsPerDay: ThresholdsSchema.optional(), callsPerMonth: ThresholdsSchema.optional() });
export type Alerts = z.infer<typeof AlertsSchema>;

/** Whether routing may send traffic to the account: not disabled by an operator, not paused by a hard alert. */
export function inRouting(a: { disabledAt: Date | null; pausedAt: Date | null }): boolean {
  return a.disabledAt === null && a.pausedAt === null;
}

export const CoreSettingsSchema = z.object({
  concurrency: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** how long a verification may wait in processing (the vendor's operator review) before it ends failed/vendor_timeout */
  processingDeadlineHours: z.number().positive().optional(),
  /** the cap of a failing poll chain's backoff */
  pollBackoffMaxSeconds: z.number().positive().optional(),
  /** what the vendor charges per call type (vendor_calls.cost): `calls` by endpoint label, `default` for the others */
  prices: PricesSchema.optional(),
  alerts: AlertsSchema.optional(),
});
export const CORE_SETTING_KEYS = Object.keys(CoreSettingsSchema.shape) as (keyof z.infer<typeof CoreSettingsSchema>)[];

/** The vendor's parse of its settings, with the core's settings (validated) laid over it. */
export function parseAccountSettings(vendorParse: (x: unknown) => Record<string, unknown>, raw: unknown): Record<string, unknown> {
  const input = (raw ?? {}) as Record<string, unknown>;
  const core = CoreSettingsSchema.parse(Object.fromEntries(Object.entries(input).filter(([k]) => (CORE_SETTING_KEYS as string[]).includes(k))));
  return { ...vendorParse(input), ...Object.fromEntries(Object.entries(core).filter(([, v]) => v !== undefined)) };
}

export function sealCredentials(keys: Keys, accountId: string, credentials: Record<string, unknown>): string {
  return encryptJson(keys, credentials, AAD.vendorCredentials(accountId));
}

export function webhookUrlOf(publicBaseUrl: string, vendor: string, accountId: string): string {
  return `${publicBaseUrl}/hooks/${vendor}/${accountId}`;
}

export function toAdapterAccount(keys: Keys, publicBaseUrl: string, row: VendorAccountRow): AdapterAccount {
  return {
    id: row.id,
    tenantId: row.tenantId,
    vendor: row.vendor as VendorId,
    baseUrl: row.baseUrl.replace(/\/$/, ""),
    credentials: decryptJson<Record<string, unknown>>(keys, row.credentialsEnc, AAD.vendorCredentials(row.id)),
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

export function toAccountResource(publicBaseUrl: string, keys: Keys, row: VendorAccountRow) {
  const creds = decryptJson<Record<string, unknown>>(keys, row.credentialsEnc, AAD.vendorCredentials(row.id));
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

// Vendor accounts: credentials are write-only (encrypted at rest, masked in answers). An account is parsed by
// its vendor's manifest once, when it is loaded (toAdapterAccount): every adapter method gets the typed values.
import type { Prisma } from "../generated/prisma/client.js";
import type { AdapterAccount } from "../adapters/types.js";
import { adapterFor } from "../adapters/registry.js";
import type { CoreSettings } from "../adapters/kit/settings.js";
import { decryptJson, encryptJson, type Keys } from "../domain/crypto.js";
import { AccountConfigError } from "../domain/errors.js";
import { AAD } from "./at-rest.js";
import type { VendorId } from "../domain/model.js";
import { PricesSchema, AlertsSchema, type Prices, type Alerts } from "../adapters/kit/settings.js";
import { sql } from "../db/sql.js";

export type VendorAccountRow = Prisma.VendorAccountGetPayload<object>;

/**
 * What an operator wrote for a new account, parsed as it will be read (strict: an unknown key is refused with its
 * path); an AccountConfigError naming every bad field of both parts at once otherwise.
 */
export { PricesSchema, AlertsSchema, type Prices, type Alerts };

/** The price of one answered call, or null when the account sets none for it. Only answered calls are charged. */
export function priceOf(prices: Prices | undefined, endpoint: string, outcome: "ok" | "error"): { cost: number; currency: string } | null {
  if (!prices || outcome !== "ok") return null;
  const cost = prices.calls[endpoint] ?? prices.default;
  return cost === undefined ? null : { cost, currency: prices.currency };
}

/** Whether routing may send traffic to the account: not disabled by an operator, not paused by a hard alert. */
export function inRouting(a: { disabledAt: Date | null; pausedAt: Date | null }): boolean {
  return a.disabledAt === null && a.pausedAt === null;
}

export function parseAccountConfig(
  vendor: string,
  input: { credentials: unknown; settings: unknown },
): { credentials: Record<string, unknown>; settings: Record<string, unknown> } {
  const adapter = adapterFor(vendor);
  if (!adapter) throw new AccountConfigError(vendor, "credentials", [{ path: ["vendor"], message: "no such vendor" }]);
  const draft: AdapterAccount = {
    id: "",
    tenantId: "",
    vendor,
    baseUrl: "",
    credentials: input.credentials as Record<string, unknown>,
    settings: (input.settings ?? {}) as Record<string, unknown>,
    webhookUrl: "",
  };
  const parsed = adapter.parseAccount(draft);
  return { credentials: parsed.credentials, settings: parsed.settings };
}

/** The settings the core reads itself, from an account the manifest parsed (their schema is in every vendor's). */
export function coreSettingsOf(account: AdapterAccount): CoreSettings {
  return account.settings as CoreSettings;
}

export function sealCredentials(keys: Keys, accountId: string, credentials: Record<string, unknown>): string {
  return encryptJson(keys, credentials, AAD.vendorCredentials(accountId));
}

export function webhookUrlOf(publicBaseUrl: string, vendor: string, accountId: string): string {
  return `${publicBaseUrl}/hooks/${vendor}/${accountId}`;
}

/**
 * The account as adapters get it: decrypted, and its credentials and settings parsed by the vendor's manifest, here
 * and only here. A configuration that no longer parses is an AccountConfigError (technical, never retried); an
 * account of a vendor no adapter knows is returned unparsed (nothing will call an adapter with it).
 */
export function toAdapterAccount(keys: Keys, publicBaseUrl: string, row: VendorAccountRow): AdapterAccount {
  // decrypting and parsing an account was a few percent of every accept and webhook: the parsed account is kept for
  // exactly what it was parsed from (its ciphertext is new at every change of the credentials), so it is never stale
  const memo = parsedAccounts.get(keys) ?? parsedAccounts.set(keys, new Map()).get(keys)!;
  const key = `${row.id}\u0000${row.vendor}\u0000${row.baseUrl}\u0000${publicBaseUrl}\u0000${row.credentialsEnc}\u0000${JSON.stringify(row.settings)}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const parsed = Object.freeze(parseAdapterAccount(keys, publicBaseUrl, row));
  if (memo.size >= PARSED_ACCOUNTS_MAX) memo.clear();
  memo.set(key, parsed);
  return parsed;
}

const parsedAccounts = new WeakMap<Keys, Map<string, AdapterAccount>>();
const PARSED_ACCOUNTS_MAX = 2_000;

function parseAdapterAccount(keys: Keys, publicBaseUrl: string, row: VendorAccountRow): AdapterAccount {
  const raw: AdapterAccount = {
    id: row.id,
    tenantId: row.tenantId,
    vendor: row.vendor,
    baseUrl: row.baseUrl.replace(/\/$/, ""),
    credentials: decryptJson<Record<string, unknown>>(keys, row.credentialsEnc, AAD.vendorCredentials(row.id)),
    settings: (row.settings as Record<string, unknown>) ?? {},
    webhookUrl: webhookUrlOf(publicBaseUrl, row.vendor, row.id),
  };
  return adapterFor(row.vendor)?.parseAccount(raw) ?? raw;
}

/** What the accept routes by: the tenant's routing and daily quota and all its vendor accounts. */
export interface TenantRouting {
  routing: unknown;
  verificationsPerDay: number | null;
  vendorAccounts: VendorAccountRow[];
}

type RoutingRow = VendorAccountRow & { tenantRouting: unknown; tenantVerificationsPerDay: number | null };

/** The join's rows (the tenant's columns on every account row; one row of nulls when it has no account) as one tenant. */
function routingOf(rows: RoutingRow[]): TenantRouting | null {
  const first = rows[0];
  if (!first) return null;
  const vendorAccounts = rows
    .filter((r) => r.id !== null)
    .map(({ tenantRouting: _r, tenantVerificationsPerDay: _q, ...account }) => account as VendorAccountRow);
  return { routing: first.tenantRouting, verificationsPerDay: first.tenantVerificationsPerDay, vendorAccounts };
}

/**
 * What the accept routes by, in one statement (a prepared join: the tenant's columns on every account row). Null when
 * there is no such tenant.
 */
export async function tenantForRouting(db: object, tenantId: string): Promise<TenantRouting | null> {
  return routingOf(
    await sql<RoutingRow>(db, {
      name: "kyc_tenant_for_routing",
      text: `SELECT t.routing AS tenant_routing, t.verifications_per_day AS tenant_verifications_per_day, a.*
             FROM tenants t LEFT JOIN vendor_accounts a ON a.tenant_id = t.id WHERE t.id = $1 ORDER BY a.created_at, a.id`,
      values: [tenantId],
    }),
  );
}

/** What an API key's check reads of its row. */
export interface ApiKeyRow {
  tenantId: string;
  keyHash: string;
  revokedAt: Date | null;
}

/**
 * An API key's row and its tenant's routing in one statement, for the accept (issue 13: the key and the tenant were two
 * round trips of its three). The caller checks the key (revoked, hash) exactly as for any other request.
 */
export async function apiKeyWithRouting(db: object, keyId: string): Promise<{ key: ApiKeyRow; tenant: TenantRouting } | null> {
  const rows = await sql<RoutingRow & { keyTenantId: string; keyHash: string; keyRevokedAt: Date | null }>(db, {
    name: "kyc_api_key_with_routing",
    text: `SELECT k.tenant_id AS key_tenant_id, k.key_hash AS key_hash, k.revoked_at AS key_revoked_at,
                  t.routing AS tenant_routing, t.verifications_per_day AS tenant_verifications_per_day, a.*
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id LEFT JOIN vendor_accounts a ON a.tenant_id = t.id
           WHERE k.id = $1 ORDER BY a.created_at, a.id`,
    values: [keyId],
  });
  const first = rows[0];
  if (!first) return null;
  const key = { tenantId: first.keyTenantId, keyHash: first.keyHash, revokedAt: first.keyRevokedAt };
  const tenant = routingOf(rows.map(({ keyTenantId: _t, keyHash: _h, keyRevokedAt: _r, ...row }) => row as RoutingRow))!;
  return { key, tenant };
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

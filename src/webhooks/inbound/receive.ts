// Receiving a vendor webhook: authenticate on the raw body (mandatory for every vendor that parses
// webhooks), store the raw request with its query, and hand it to the ingest worker. While Postgres
// is down the request is spooled in Redis instead (./spool.ts) and still acknowledged.
import type { Logger } from "pino";
import type { Redis } from "ioredis";
import type { Db } from "../../db/client.js";
import type { Env } from "../../config/env.js";
import { adapterFor } from "../../adapters/registry.js";
import type { AdapterAccount, RawWebhookRequest } from "../../adapters/types.js";
import { toAdapterAccount } from "../../core/accounts.js";
import { newId } from "../../domain/crypto.js";
import { sealInboundBody } from "../../core/at-rest.js";
import { OUTBOX_CHANNEL, OUTBOX_COLUMNS, outboxParams, outboxValues } from "../../core/jobs.js";
import { jsonb, sql, utc } from "../../db/sql.js";
import { isDatabaseUnavailable } from "../../db/errors.js";
import { isAccountConfigError } from "../../domain/errors.js";
import { spoolWebhook } from "./spool.js";
import type { Prisma } from "../../generated/prisma/client.js";

type AccountRow = Prisma.VendorAccountGetPayload<object>;

const NOT_STORED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
/** An account read this recently is used as is; an older copy only while Postgres cannot be reached. */
const ACCOUNT_STALE_MAX_MS = 24 * 3_600_000;

export type ReceiveResult = { kind: "stored"; id: string } | { kind: "spooled"; id: string } | { kind: "unknown_account" } | { kind: "unauthenticated" };

export interface InboundDeps {
  db: Db;
  env: Env;
  log: Logger;
  /** the producer connection (fails fast): the spool when Postgres is down */
  redis: Redis;
  prefix: string;
}

/**
 * Vendor accounts as last read. A webhook is authenticated against the copy kept here, and stored only if the account
 * still holds what it was authenticated against: the store statement compares the row's vendor, base URL, credentials
 * and settings to the copy's, in the same statement (no read of its own). When they differ (a webhook secret rotated
 * by a PATCH in any process), the account is read again and the webhook authenticated afresh, so a rotation holds at
 * once everywhere; a refusal by the kept copy is checked against a fresh read too. While Postgres cannot be reached
 * the copy authenticates the webhooks that are spooled, if it is younger than ACCOUNT_STALE_MAX_MS.
 */
export function createAccountCache(db: Db) {
  const cache = new Map<string, { row: AccountRow; at: number }>();
  return {
    /** the kept copy, if there is one young enough to be used */
    kept(id: string): AccountRow | null {
      const hit = cache.get(id);
      return hit && Date.now() - hit.at < ACCOUNT_STALE_MAX_MS ? hit.row : null;
    },
    /** the account as Postgres has it now (the kept copy while Postgres cannot be reached) */
    async read(id: string): Promise<AccountRow | null> {
      try {
        const [row = null] = await sql<AccountRow>(db, { name: "kyc_vendor_account", text: "SELECT * FROM vendor_accounts WHERE id = $1", values: [id] });
        if (row) {
          // ids are random: a flood of unknown ones is not kept, and the known ones are a bounded few
          if (cache.size >= ACCOUNTS_KEPT_MAX && !cache.has(id)) cache.clear();
          cache.set(id, { row, at: Date.now() });
        } else cache.delete(id);
        return row;
      } catch (e) {
        const kept = cache.get(id);
        if (isDatabaseUnavailable(e) && kept && Date.now() - kept.at < ACCOUNT_STALE_MAX_MS) return kept.row;
        throw e;
      }
    },
  };
}

export type AccountCache = ReturnType<typeof createAccountCache>;
const ACCOUNTS_KEPT_MAX = 10_000;

type Authentication = { kind: "ok"; row: AccountRow; account: AdapterAccount } | { kind: "unknown_account" } | { kind: "unauthenticated" };

function authenticate(deps: InboundDeps, vendor: string, row: AccountRow | null, raw: RawWebhookRequest, quiet: boolean): Authentication {
  const adapter = adapterFor(vendor);
  if (!row || row.vendor !== vendor || !adapter?.capabilities.webhooks || !adapter.parseWebhook) return { kind: "unknown_account" };
  let account: AdapterAccount;
  try {
    account = toAdapterAccount(deps.env.keys, deps.env.PUBLIC_BASE_URL, row);
  } catch (e) {
    if (!isAccountConfigError(e)) throw e;
    // its secrets cannot be read: nothing can be authenticated against them
    if (!quiet) deps.log.error({ vendor, vendorAccountId: row.id, err: e.message }, "vendor webhook refused: the account's configuration is not valid");
    return { kind: "unauthenticated" };
  }
  // fails closed: a vendor that parses webhooks without a way to authenticate them takes none
  if (!adapter.authenticateWebhook?.(raw, account)) {
    if (!quiet) deps.log.warn({ vendor, vendorAccountId: account.id }, "vendor webhook refused: authentication failed");
    return { kind: "unauthenticated" };
  }
  return { kind: "ok", row, account };
}

/** Authenticated against the kept copy of the account, or a fresh read when there is none or it refuses. */
async function authenticated(deps: InboundDeps, accounts: AccountCache, vendor: string, accountId: string, raw: RawWebhookRequest) {
  const kept = accounts.kept(accountId);
  if (kept) {
    const a = authenticate(deps, vendor, kept, raw, true);
    if (a.kind === "ok") return a;
  }
  return authenticate(deps, vendor, await accounts.read(accountId), raw, false);
}

/** How many times a store is tried again after the account changed under it (each time read and authenticated anew). */
const STORE_ACCOUNT_CHANGED_TRIES = 3;

export async function receiveVendorWebhook(
  deps: InboundDeps,
  accounts: AccountCache,
  vendor: string,
  accountId: string,
  raw: RawWebhookRequest,
): Promise<ReceiveResult> {
  let auth = await authenticated(deps, accounts, vendor, accountId, raw);
  if (auth.kind !== "ok") return auth;
  const id = newId("iwh");
  const headers = Object.fromEntries(Object.entries(raw.headers).filter(([k]) => !NOT_STORED_HEADERS.has(k)));
  const sealedBody = sealInboundBody(deps.env.keys, id, raw.rawBody);
  const job = outboxValues("ingest", `ingest-${id}`, { inboundWebhookId: id });
  try {
    for (let tries = 1; ; tries++) {
      // the raw request and its ingest job in one statement (one transaction, one round trip), every relay notified
      // at commit; nothing is written if the account no longer holds what the webhook was authenticated against
      const { row, account } = auth;
      const stored = await sql(deps.db, {
        name: "kyc_store_inbound_webhook",
        text: STORE_INBOUND_SQL,
        values: [
          id,
          vendor,
          account.id,
          jsonb(headers),
          jsonb(raw.query),
          sealedBody,
          utc(raw.receivedAt),
          OUTBOX_CHANNEL,
          ...outboxParams(job, new Date()),
          row.baseUrl,
          row.credentialsEnc,
          jsonb(row.settings),
        ],
      });
      if (stored.length > 0) return { kind: "stored", id };
      if (tries >= STORE_ACCOUNT_CHANGED_TRIES) throw new Error("vendor account changed under every try to store its webhook");
      auth = authenticate(deps, vendor, await accounts.read(accountId), raw, false);
      if (auth.kind !== "ok") return auth;
    }
  } catch (e) {
    if (!isDatabaseUnavailable(e)) throw e;
    const { account } = auth as Extract<Authentication, { kind: "ok" }>;
    // Postgres is down: spooled in Redis (sealed) and acknowledged; if Redis fails too, the database error stands (503)
    try {
      await spoolWebhook(deps.redis, deps.prefix, deps.env.keys, {
        id,
        vendor,
        vendorAccountId: account.id,
        headers,
        query: raw.query,
        rawBody: raw.rawBody,
        receivedAt: raw.receivedAt,
      });
    } catch {
      throw e;
    }
    deps.log.warn({ vendor, vendorAccountId: account.id, inboundWebhookId: id }, "Postgres unavailable: vendor webhook spooled in Redis");
    return { kind: "spooled", id };
  }
}

const STORE_INBOUND_SQL = `
WITH hook AS (
  INSERT INTO inbound_webhooks (id, vendor, vendor_account_id, headers, query, raw_body, status, received_at, next_due_at)
  SELECT $1, $2, $3, $4::jsonb, $5::jsonb, $6::bytea, 'received', $7::timestamp, $7::timestamp
  FROM vendor_accounts a
  WHERE a.id = $3 AND a.vendor = $2 AND a.base_url = $17 AND a.credentials_enc = $18 AND a.settings = $19::jsonb
  RETURNING id
), job AS (
  INSERT INTO outbox (${OUTBOX_COLUMNS})
  SELECT $9, $10, $11::jsonb, $12::timestamp, $13, $14, $15, $16::timestamp FROM hook
)
SELECT pg_notify($8, '') FROM hook`;

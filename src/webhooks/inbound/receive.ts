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
 * Vendor accounts as last read, so webhooks can still be authenticated while Postgres is down.
 * Read afresh whenever Postgres answers: a rotated webhook secret (PATCH of the account's
 * credentials) holds at once in every process; the copy serves only during an outage.
 */
export function createAccountCache(db: Db) {
  const cache = new Map<string, { row: AccountRow | null; at: number }>();
  return async function account(id: string): Promise<AccountRow | null> {
    const hit = cache.get(id);
    try {
      const [row = null] = await sql<AccountRow>(db, { name: "kyc_vendor_account", text: "SELECT * FROM vendor_accounts WHERE id = $1", values: [id] });
      cache.set(id, { row, at: Date.now() });
      return row;
    } catch (e) {
      if (isDatabaseUnavailable(e) && hit?.row && Date.now() - hit.at < ACCOUNT_STALE_MAX_MS) return hit.row;
      throw e;
    }
  };
}

export async function receiveVendorWebhook(
  deps: InboundDeps,
  accountOf: (id: string) => Promise<AccountRow | null>,
  vendor: string,
  accountId: string,
  raw: RawWebhookRequest,
): Promise<ReceiveResult> {
  const row = await accountOf(accountId);
  const adapter = adapterFor(vendor);
  if (!row || row.vendor !== vendor || !adapter?.capabilities.webhooks || !adapter.parseWebhook) return { kind: "unknown_account" };
  let account: AdapterAccount;
  try {
    account = toAdapterAccount(deps.env.keys, deps.env.PUBLIC_BASE_URL, row);
  } catch (e) {
    if (!isAccountConfigError(e)) throw e;
    // its secrets cannot be read: nothing can be authenticated against them
    deps.log.error({ vendor, vendorAccountId: row.id, err: e.message }, "vendor webhook refused: the account's configuration is not valid");
    return { kind: "unauthenticated" };
  }
  // fails closed: a vendor that parses webhooks without a way to authenticate them takes none
  if (!adapter.authenticateWebhook?.(raw, account)) {
    deps.log.warn({ vendor, vendorAccountId: account.id }, "vendor webhook refused: authentication failed");
    return { kind: "unauthenticated" };
  }
  const id = newId("iwh");
  const headers = Object.fromEntries(Object.entries(raw.headers).filter(([k]) => !NOT_STORED_HEADERS.has(k)));
  try {
    // the raw request and its ingest job in one statement (one transaction, one round trip), every relay notified at commit
    const job = outboxValues("ingest", `ingest-${id}`, { inboundWebhookId: id });
    await sql(deps.db, {
      name: "kyc_store_inbound_webhook",
      text: STORE_INBOUND_SQL,
      values: [
        id,
        vendor,
        account.id,
        jsonb(headers),
        jsonb(raw.query),
        sealInboundBody(deps.env.keys, id, raw.rawBody),
        utc(raw.receivedAt),
        OUTBOX_CHANNEL,
        ...outboxParams(job, new Date()),
      ],
    });
    return { kind: "stored", id };
  } catch (e) {
    if (!isDatabaseUnavailable(e)) throw e;
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
  VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::bytea, 'received', $7::timestamp, $7::timestamp)
  RETURNING id
), job AS (
  INSERT INTO outbox (${OUTBOX_COLUMNS})
  SELECT $9, $10, $11::jsonb, $12::timestamp, $13, $14, $15, $16::timestamp FROM hook
)
SELECT pg_notify($8, '') FROM hook`;

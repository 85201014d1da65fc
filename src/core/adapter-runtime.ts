// Builds the AdapterContext for one (verification, vendor account): vendor calls are
// recorded (vendor_calls rows + metrics, nothing personal), payloads kept redacted and sealed.
import { errorForLog } from "../observability/logger.js";
import type { Logger } from "pino";
import type { Prisma } from "../generated/prisma/client.js";
import type { AdapterAccount, AdapterContext, HealthResult, VendorAdapter } from "../adapters/types.js";
import type { Db } from "../db/client.js";
import { sql, utc } from "../db/sql.js";
import type { Env } from "../config/env.js";
import { deriveKey, newId, type Keys } from "../domain/crypto.js";
import { sealArtifact, sealVendorPayload } from "./at-rest.js";
import { redactPayload } from "./redact.js";
import { createVendorHttp, type VendorCallRecord } from "./vendor-http.js";
import type { AccountSlots } from "./account-slots.js";
import type { AccountRate } from "./account-rate.js";
import { vendorCallDuration } from "../observability/metrics.js";
import { coreSettingsOf, priceOf, toAdapterAccount, type VendorAccountRow } from "./accounts.js";
import { isAccountConfigError, toTechnicalReason } from "../domain/errors.js";
import { currentRequestId } from "../observability/work-context.js";
import type { AccountHealthBoard } from "./account-health.js";

export interface ContextEffects {
  /** resolves when every side effect asked for so far is persisted */
  flush(): Promise<void>;
}

export interface ContextOptions {
  /** a shadow run: its calls are rows of the run, nothing is stored on the verification, and a busy account drops it */
  shadowRunId?: string;
}

export function buildAdapterContext(
  deps: { db: Db; env: Env; log: Logger; slots?: AccountSlots; rate?: AccountRate; health?: AccountHealthBoard },
  account: AdapterAccount,
  verificationId: string | null,
  options: ContextOptions = {},
): { ctx: AdapterContext; effects: ContextEffects } {
  const requestId = currentRequestId();
  const pending: Promise<unknown>[] = [];
  const track = (p: Promise<unknown>) => {
    pending.push(
      p.catch((e) => deps.log.error({ err: errorForLog(e), verificationId, vendorAccountId: account.id }, "could not persist an adapter side effect")),
    );
  };
  const s = coreSettingsOf(account);
  const shadowRunId = options.shadowRunId ?? null;
  const onCall = (r: VendorCallRecord) => {
    const price = priceOf(s.prices, r.endpoint, r.outcome);
    vendorCallDuration.observe({ vendor: r.vendor, endpoint: r.endpoint, outcome: r.outcome === "ok" ? "ok" : (r.errorKind ?? "error") }, r.latencyMs / 1000);
    track(
      // plain SQL, prepared (db/sql.ts): a row per vendor call, on the path of every outcome.
      // created_at is when the answer came (not when the row is written): created_at - latency_ms is the start
      sql(deps.db, {
        name: "kyc_vendor_call",
        text: `INSERT INTO vendor_calls (verification_id, vendor_account_id, vendor, endpoint, http_status, latency_ms, attempt, outcome,
                 error_kind, cost, currency, shadow_run_id, request_id, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        values: [
          r.verificationId,
          account.id,
          r.vendor,
          r.endpoint,
          r.httpStatus,
          r.latencyMs,
          r.attempt,
          r.outcome,
          r.errorKind,
          price?.cost ?? null,
          price?.currency ?? null,
          shadowRunId,
          r.requestId,
          utc(new Date()),
        ],
      }),
    );
  };
  const ctx: AdapterContext = {
    http: createVendorHttp({
      vendor: account.vendor,
      // a shadow run's calls count in the account's shared in-flight limit and rate like any call, but never wait
      // for a slot (a saturated account drops the shadow instead of queueing it behind real traffic) and never
      // queue in the account's own bulkhead
      vendorAccountId: shadowRunId ? `${account.id}#shadow` : account.id,
      sharedKey: account.id,
      verificationId,
      settings: {
        concurrency: s.concurrency,
        timeoutMs: s.timeoutMs ?? deps.env.VENDOR_TIMEOUT_MS,
        maxRetries: shadowRunId ? 0 : s.maxRetries,
        retryBaseMs: deps.env.VENDOR_RETRY_BASE_MS,
        ...(shadowRunId ? { maxSlotWaitMs: 0 } : {}),
      },
      onCall,
      sharedSlots: deps.slots,
      sharedRate: deps.rate,
      healthBoard: deps.health,
      requestId,
    }),
    log: deps.log.child({ vendor: account.vendor, vendorAccountId: account.id, verificationId }),
    now: () => new Date(),
    recordPayload(kind, body) {
      if (!verificationId) return;
      track(recordVendorPayload(deps.db, deps.env.keys, verificationId, account.vendor, kind, body));
    },
    recordCredits(credits) {
      track(deps.db.vendorAccount.update({ where: { id: account.id }, data: { credits, creditsCheckedAt: new Date() } }));
    },
    recordAccountEvent(event) {
      track(recordAccountEvent(deps.db, account.id, account.vendor, event.type, event.externalId, event.payload));
    },
    async saveArtifact(a) {
      if (!verificationId) return;
      // nothing personal is written back after erasure (a certificate fetched late)
      const erased = await deps.db.verification.findFirst({ where: { id: verificationId, erasedAt: { not: null } }, select: { id: true } });
      if (erased) return;
      await deps.db.verificationArtifact.upsert({
        where: { verificationId_kind: { verificationId, kind: a.kind } },
        create: {
          id: newId("art"),
          verificationId,
          kind: a.kind,
          contentType: a.contentType,
          data: sealArtifact(deps.env.keys, verificationId, a.kind, a.data),
        },
        update: { contentType: a.contentType, data: sealArtifact(deps.env.keys, verificationId, a.kind, a.data) },
      });
    },
    publicBaseUrl: deps.env.PUBLIC_BASE_URL,
    deriveKey: (purpose) => deriveKey(deps.env.masterKey, purpose),
  };
  return { ctx, effects: { flush: async () => void (await Promise.all(pending)) } };
}

/** One row per (account, externalId) however often the vendor delivers it. */
export async function recordAccountEvent(
  db: Db | Prisma.TransactionClient,
  vendorAccountId: string,
  vendor: string,
  type: string,
  externalId: string,
  payload: unknown,
): Promise<{ created: boolean }> {
  const body = redactPayload(payload) as Prisma.InputJsonValue;
  const rows = await db.$queryRaw<{ inserted: boolean }[]>`
    INSERT INTO vendor_events (id, vendor_account_id, vendor, type, external_id, payload)
    VALUES (${newId("vev")}, ${vendorAccountId}, ${vendor}, ${type}, ${externalId}, ${JSON.stringify(body)}::jsonb)
    ON CONFLICT (vendor_account_id, external_id)
    DO UPDATE SET deliveries = vendor_events.deliveries + 1, last_seen_at = now()
    RETURNING (xmax = 0) AS inserted`;
  return { created: rows[0]?.inserted ?? false };
}

/**
 * Keeps a vendor payload (redacted) for audit and re-decision, unless the verification's
 * personal data was erased: the check and the insert are one statement, so an erase that
 * commits first is always seen.
 */
export async function recordVendorPayload(
  db: Db,
  keys: Keys,
  verificationId: string,
  vendor: string,
  kind: string,
  body: unknown,
  receivedAt = new Date(),
): Promise<void> {
  const sealed = sealVendorPayload(keys, verificationId, redactPayload(body));
  await sql(db, {
    name: "kyc_vendor_payload",
    text: `INSERT INTO vendor_payloads (verification_id, vendor, kind, body, created_at)
           SELECT $1, $2, $3, $4, $5
           WHERE EXISTS (SELECT 1 FROM verifications WHERE id = $1 AND erased_at IS NULL)`,
    values: [verificationId, vendor, kind, sealed, utc(receivedAt)],
  });
}

/**
 * One health probe of an account (periodic, or asked for by an operator): the adapter's answer, or the technical
 * reason it failed; an account whose configuration does not parse is reported unhealthy, saying why (no vendor
 * call). Published for every process (the admin API and console read it).
 */
export async function probeAccount(
  deps: { db: Db; env: Env; log: Logger; slots?: AccountSlots; rate?: AccountRate; health?: AccountHealthBoard },
  adapter: VendorAdapter,
  row: VendorAccountRow,
  now = new Date(),
): Promise<HealthResult> {
  let account: AdapterAccount;
  try {
    account = toAdapterAccount(deps.env.keys, deps.env.PUBLIC_BASE_URL, row);
  } catch (e) {
    if (isAccountConfigError(e)) return { ok: false, detail: e.message, credits: null };
    throw e;
  }
  const { ctx, effects } = buildAdapterContext(deps, account, null);
  const result = await adapter.health!(account, ctx).catch((e: unknown) => ({
    ok: false,
    detail: toTechnicalReason(e, row.vendor).message ?? "health probe failed",
    credits: null,
  }));
  await effects.flush();
  await deps.health
    ?.probed(account.id, result, now)
    .catch((e: unknown) => deps.log.debug({ err: errorForLog(e), vendorAccountId: account.id }, "health result not shared (Redis)"));
  return result;
}

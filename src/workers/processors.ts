// Job processors. Each loads state from Postgres by id, calls the adapter through the
// resilient HTTP path, and applies the result with applyOutcome (idempotent: a job run
// twice finds the verification already moved and changes nothing).
import { errorForLog } from "../observability/logger.js";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { jsonTimestamp, prismaShaped, sql, utc } from "../db/sql.js";
import type { Env } from "../config/env.js";
import { adapterFor } from "../adapters/registry.js";
import type { AdapterAccount, Outcome, RawWebhookRequest } from "../adapters/types.js";
import { inRouting, toAdapterAccount, type VendorAccountRow } from "../core/accounts.js";
import { isAccountConfigError, isVendorError, toTechnicalReason, type AccountConfigError } from "../domain/errors.js";
import { reason, type Reason, type VendorId } from "../domain/model.js";
import { noAccountMessage, planRoute, readRoutePlan, RoutingSchema, type RoutePlan } from "../core/routing.js";
import { isTerminal } from "../core/state-machine.js";
import { applyOutcome, loadedForAdapter, loadForAdapter, noteEvent, refreshErasureSummary, type VerificationRow } from "../core/verifications.js";
import { finishShadowRun, type ShadowEnd } from "../core/shadow.js";
import { inboundBodyOf } from "../core/at-rest.js";
import { scheduleForVerification } from "../core/schedule.js";
import { requestRefusal } from "../core/request-guard.js";
import { buildAdapterContext, recordAccountEvent, recordVendorPayload } from "../core/adapter-runtime.js";
import type { JobPayloads } from "../core/queues.js";
import type { Redis } from "ioredis";
import type { AccountSlots } from "../core/account-slots.js";
import type { JobPublisher } from "../core/publish.js";
import type { AccountRate } from "../core/account-rate.js";
import type { AccountHealthBoard } from "../core/account-health.js";
import { enqueue } from "../core/jobs.js";
import { QUOTA_KINDS, QuotaExceeded, noteQuotaRefused, takeQuota } from "../core/quotas.js";

export interface ProcessorDeps {
  db: Db;
  env: Env;
  log: Logger;
  /** for cross-process budgets (poll calls per vendor account per minute) */
  redis?: Redis;
  /** the per-account vendor concurrency limit shared by every process */
  slots?: AccountSlots;
  /** the per-account vendor call rate shared by every process (IDENTY's throughput tables) */
  rate?: AccountRate;
  /** circuit transitions and health probes told to every process */
  health?: AccountHealthBoard;
  /** the decisions' delivery jobs published by this process after their commit (src/core/publish.ts) */
  publisher?: JobPublisher;
}

/**
 * A vendor account's poll budget (settings.maxPollsPerMinute), shared by every worker
 * process through a Redis counter per minute. Returns the delay until the next minute
 * when the budget is spent, or 0 when this poll may go ahead.
 */
export async function takePollBudget(redis: Redis | undefined, accountId: string, maxPerMinute: unknown, now = Date.now()): Promise<number> {
  if (!redis || typeof maxPerMinute !== "number" || maxPerMinute <= 0) return 0;
  const minute = Math.floor(now / 60_000);
  const key = `kyc:pollbudget:${accountId}:${minute}`;
  const used = await redis.incr(key);
  if (used === 1) await redis.expire(key, 120);
  return used > maxPerMinute ? (minute + 1) * 60_000 - now + Math.floor(Math.random() * 2000) : 0;
}

/** The account, parsed; its AccountConfigError when its stored configuration no longer parses; null when gone. */
async function accountFor(deps: ProcessorDeps, accountId: string): Promise<AdapterAccount | AccountConfigError | null> {
  const row = await deps.db.vendorAccount.findUnique({ where: { id: accountId } });
  return row ? loadAccount(deps, row) : null;
}

function loadAccount(deps: ProcessorDeps, row: Parameters<typeof toAdapterAccount>[2]): AdapterAccount | AccountConfigError {
  try {
    return toAdapterAccount(deps.env.keys, deps.env.PUBLIC_BASE_URL, row);
  } catch (e) {
    if (isAccountConfigError(e)) return e;
    throw e;
  }
}

export async function processSubmit(deps: ProcessorDeps, job: JobPayloads["submit"]): Promise<void> {
  // a capture (IDENTY BLOB) or a retake (new images after a user-fixable outcome) goes to the account that asked for it
  const capture = job.mode === "capture" || job.mode === "retake";
  const expected = capture ? "processing" : "pending";
  // One vendor start at a time: a duplicated job, a stalled job run again or a sweeper re-enqueue
  // finds the claim held and comes back when it lapses (if its holder died before storing an answer).
  // The claim and the read are one statement on the usual path (issue 13); the rest is read only when it fails.
  const claimed = await claimAndLoad(deps, job.verificationId, expected);
  const loaded = claimed?.loaded ?? (await loadForAdapter(deps.db, deps.env.keys, job.verificationId));
  if (!loaded) return;
  const { row } = loaded;
  if (row.status !== expected) return; // already handled
  const claim = claimed?.claim ?? (await claimStart(deps, row.id, expected));
  if (claim === "held") {
    await scheduleForVerification(
      deps.db,
      row.id,
      "submit",
      `submit-${row.id}-after-claim-${Date.now()}`,
      job,
      new Date(Date.now() + deps.env.START_CLAIM_LEASE_MS + 1000),
    );
    return;
  }
  if (claim === "gone") return;
  try {
    await startClaimed(deps, job, loaded, capture, claim, claimed?.planAccounts);
  } finally {
    // the answer is stored (or the start failed for good): the claim is released for a later capture or retake
    await sql(deps.db, {
      name: "kyc_release_start",
      text: "UPDATE verifications SET start_claimed_until = NULL, updated_at = $2 WHERE id = $1",
      values: [row.id, utc(new Date())],
    }).catch(() => undefined);
  }
}

/** Routing, the vendor start with fail-over, and its outcome, under the start claim. */
async function startClaimed(
  deps: ProcessorDeps,
  job: JobPayloads["submit"],
  loaded: NonNullable<Awaited<ReturnType<typeof loadForAdapter>>>,
  capture: boolean,
  claim: { repeat: boolean; claims: number },
  /** the stored plan's accounts, when the claim read them */
  planAccounts?: VendorAccountRow[],
): Promise<void> {
  const { row, adapterView } = loaded;

  // the verification's one routing decision (taken by the API); a capture continues on the account that served it
  let capable: VendorAccountRow[];
  let plan: RoutePlan;
  if (capture) {
    capable = row.vendorAccountId ? [await deps.db.vendorAccount.findUniqueOrThrow({ where: { id: row.vendorAccountId } })] : [];
    plan = { accounts: capable.map((a) => a.id), resolved: capable.length };
  } else {
    const stored = readRoutePlan(row.routePlan);
    if (stored) {
      plan = stored;
      const rows =
        planAccounts ??
        (await sql<VendorAccountRow>(deps.db, {
          name: "kyc_plan_accounts",
          text: "SELECT * FROM vendor_accounts WHERE id = ANY($1::text[])",
          values: [stored.accounts],
        }));
      const byId = new Map(rows.map((a) => [a.id, a]));
      // an account operations disabled since is skipped like a technical failure; the order is the plan's
      capable = stored.accounts.map((id) => byId.get(id)).filter((a): a is VendorAccountRow => !!a && inRouting(a));
    } else {
      // accepted before routing decisions were stored
      const tenant = await deps.db.tenant.findUniqueOrThrow({ where: { id: row.tenantId }, include: { vendorAccounts: true } });
      ({ plan, accounts: capable } = planRoute(RoutingSchema.parse(tenant.routing), tenant.vendorAccounts, {
        checks: adapterView.checks,
        country: row.documentCountry,
        requestedVendor: row.requestedVendor,
      }));
    }
  }
  if (capable.length === 0) {
    await applyOutcome(
      deps,
      row.id,
      { status: "failed", reasons: [reason("vendor_feature_disabled", (row.requestedVendor as VendorId) ?? null, null, noAccountMessage(plan))] },
      { source: "worker", eventType: "routing_failed" },
    );
    return;
  }
  const failures: Reason[] = [];
  const first = capture ? 0 : row.routeIndex;
  // an IDENTY Face SDK BLOB is encrypted for the keys of the IWS that served the SDK: another
  // account cannot open it (its code 601), so a BLOB never falls over
  const last = adapterView.input.faceCapture ? Math.min(first, capable.length - 1) : capable.length - 1;
  for (let i = first; i <= last; i++) {
    const accountRow = capable[i]!;
    const adapter = adapterFor(accountRow.vendor)!;
    const account = loadAccount(deps, accountRow);
    if (isAccountConfigError(account)) {
      // the gateway's configuration of this account: technical, before any vendor call; the next account may serve
      failures.push(account.toReason());
      await noteEvent(deps.db, row, "worker", "vendor_failed", {
        vendor: accountRow.vendor,
        vendorAccountId: accountRow.id,
        reason: account.reasonCode,
        configuration: account.issues.map((x) => x.path.join(".")),
        fallover: i < last,
      });
      continue;
    }
    const noteAccountFailed = (r: Reason, detail: Record<string, unknown> = {}, fallover = i < last) =>
      noteEvent(deps.db, row, "worker", "vendor_failed", {
        vendor: account.vendor,
        vendorAccountId: account.id,
        reason: r.code,
        vendorCode: r.vendorCode,
        ...detail,
        fallover,
      });
    /** this account is passed over before any vendor call: nothing was sent, the next account may serve */
    const passOver = async (r: Reason, detail: Record<string, unknown>) => {
      failures.push(r);
      await noteAccountFailed(r, detail);
    };
    const refusal = requestRefusal(adapter, adapterView, account, row.createdAt);
    if (refusal) {
      // before the SMS quota and any vendor call
      await passOver(refusal, { request: refusal.message });
      continue;
    }
    if (adapter.startReachesUser && !capture) {
      const earlier = await deps.db.verificationEvent.findFirst({
        where: { verificationId: row.id, type: "vendor_start_attempted", detail: { path: ["vendorAccountId"], equals: account.id } },
      });
      if (earlier) {
        // a worker died between the vendor call and storing its answer: the user may already have the SMS
        await awaitUnknownStart(
          deps,
          row.id,
          account,
          "start_not_repeated",
          "the outcome of an earlier start is unknown (worker interrupted); not sent again to avoid a second message to the user",
        );
        return;
      }
      const quotaRefusal = adapter.sendsSms ? await takeSmsQuota(deps, row.tenantId, account) : null;
      if (quotaRefusal) {
        // no SMS, the next account (if any) may still do it
        await passOver(quotaRefusal, { quota: "smsPerDay" });
        continue;
      }
      await noteEvent(deps.db, row, "worker", "vendor_start_attempted", { vendor: account.vendor, vendorAccountId: account.id });
    } else if (claim.repeat && i === first) {
      if (adapter.repeatsLostStart && !adapter.repeatsLostStart(account)) {
        // not sent twice: the verification ends technical (the tenant may start a new one), operations are told
        await applyOutcome(
          deps,
          row.id,
          {
            status: "failed",
            reasons: [
              reason(
                "vendor_error",
                account.vendor,
                null,
                "the vendor's answer to this start was lost (its worker stopped) and the account does not send it again",
              ),
            ],
          },
          { source: "worker", eventType: "start_not_repeated", vendor: account.vendor, vendorAccountId: account.id, detail: { claims: claim.claims } },
        );
        await recordAccountEvent(deps.db, account.id, account.vendor, "start_outcome_unknown", `start-unknown:${row.id}:${claim.claims}`, {
          verificationId: row.id,
        });
        return;
      }
      await noteEvent(deps.db, row, "worker", "vendor_start_repeated", {
        vendor: account.vendor,
        vendorAccountId: account.id,
        claims: claim.claims,
        why: "the worker holding the start died before storing the vendor's answer",
      });
    }
    const { ctx, effects } = buildAdapterContext(deps, account, row.id);
    let outcome: Outcome;
    try {
      outcome = await adapter.start(adapterView, account, ctx);
    } catch (e) {
      if (!isVendorError(e)) deps.log.error({ err: errorForLog(e), verificationId: row.id, vendor: account.vendor }, "adapter crashed");
      const r = toTechnicalReason(e, account.vendor);
      await effects.flush();
      if (adapter.startReachesUser && !capture && mayHaveReachedUser(e)) {
        // "the SMS may have been sent": never a second one from the next account, never failed while the link may be followed
        await noteAccountFailed(r, {}, false);
        await awaitUnknownStart(deps, row.id, account, "start_outcome_unknown", r.message ?? "the vendor's answer to the start was lost");
        return;
      }
      failures.push(r);
      await noteAccountFailed(r);
      continue; // fall over to the next account: technical failure, never a decision
    }
    await effects.flush();
    await applyOutcome(deps, row.id, outcome, {
      source: "worker",
      eventType: job.mode === "capture" ? "capture_result" : job.mode === "retake" ? "retake_result" : "vendor_result",
      vendor: account.vendor,
      vendorAccountId: account.id,
      routeIndex: i,
      detail: { vendor: account.vendor, vendorAccountId: account.id },
    });
    return;
  }
  const lastTried = capable[last]!;
  await applyOutcome(
    deps,
    row.id,
    { status: "failed", reasons: failures.length ? [failures[failures.length - 1]!] : [reason("vendor_error", null)] },
    {
      source: "worker",
      eventType: "all_vendors_failed",
      vendor: lastTried.vendor as VendorId,
      vendorAccountId: lastTried.id,
      detail: { attempts: failures.map((f) => ({ vendor: f.vendor, code: f.code })) },
    },
  );
}

/**
 * One unit of the tenant's daily SMS quota, taken before the send; null when the send may go
 * ahead, otherwise the technical reason. A spent quota is a vendor event of the account (once a
 * day, its deliveries counting the refusals) and an audit row.
 */
async function takeSmsQuota(deps: ProcessorDeps, tenantId: string, account: AdapterAccount): Promise<Reason | null> {
  const { smsPerDay } = await deps.db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { smsPerDay: true } });
  try {
    await takeQuota(deps.db, tenantId, "sms", smsPerDay);
    return null;
  } catch (e) {
    if (!(e instanceof QuotaExceeded)) throw e;
    await noteQuotaRefused(deps.db, tenantId, e, { vendorAccountId: account.id });
    await recordAccountEvent(deps.db, account.id, account.vendor, "quota_exhausted", `quota:${QUOTA_KINDS.sms}:${tenantId}:${e.day}`, {
      quota: QUOTA_KINDS.sms,
      limit: e.limit,
      day: e.day,
    });
    // the gateway refused, not the vendor: vendor null (DESIGN "Contract additions")
    return reason("vendor_rejected_request", null, null, e.message);
  }
}

/** A vendor error after which a start that reaches the user may have reached them (timeout, 5xx, an unreadable answer). */
function mayHaveReachedUser(e: unknown): boolean {
  return !isVendorError(e) || e.kind === "timeout" || e.kind === "unavailable" || e.kind === "parse";
}

/**
 * A start that may have reached the user (an SMS link) but whose answer is unknown: the
 * verification waits for the link's life (the account's linkTtlHours, 72 by default) for the
 * vendor's webhooks, then ends by that deadline; it is never repeated nor failed meanwhile.
 */
async function awaitUnknownStart(deps: ProcessorDeps, id: string, account: AdapterAccount, eventType: string, why: string): Promise<void> {
  const ttlHours = typeof account.settings.linkTtlHours === "number" ? account.settings.linkTtlHours : 72;
  await applyOutcome(
    deps,
    id,
    { status: "awaiting_user", nextAction: null, expiresAt: new Date(Date.now() + ttlHours * 3_600_000), step: "start_outcome_unknown" },
    { source: "worker", eventType, vendor: account.vendor, vendorAccountId: account.id, detail: { why } },
  );
  await recordAccountEvent(deps.db, account.id, account.vendor, "start_outcome_unknown", `start-unknown:${id}`, { verificationId: id });
}

/**
 * The start claim taken and the verification read with its input and its stored plan's accounts, in one statement
 * (issue 13: the plan's accounts were a statement of their own before every vendor call); null when the claim is not
 * taken here (another holds it, the status moved on, or the verification is gone).
 */
export async function claimAndLoad(
  deps: Pick<ProcessorDeps, "db" | "env">,
  id: string,
  status: string,
): Promise<{ loaded: ReturnType<typeof loadedForAdapter>; claim: { repeat: boolean; claims: number }; planAccounts: VendorAccountRow[] } | null> {
  const [found] = await sql<VerificationRow & { sealedInput: Buffer | null; planAccounts: Record<string, unknown>[] }>(deps.db, {
    name: "kyc_claim_and_load",
    text: `WITH claimed AS (
             UPDATE verifications SET start_claimed_until = now() + make_interval(secs => $1::double precision), start_claims = start_claims + 1
             WHERE id = $2 AND status = $3 AND (start_claimed_until IS NULL OR start_claimed_until < now())
             RETURNING *
           )
           SELECT c.*, i.payload_enc AS sealed_input,
                  (SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) FROM vendor_accounts a
                   WHERE a.id = ANY (ARRAY(SELECT jsonb_array_elements_text(
                     CASE WHEN jsonb_typeof(c.route_plan->'accounts') = 'array' THEN c.route_plan->'accounts' ELSE '[]'::jsonb END)))) AS plan_accounts
           FROM claimed c LEFT JOIN verification_inputs i ON i.verification_id = c.id`,
    values: [deps.env.START_CLAIM_LEASE_MS / 1000, id, status],
  });
  if (!found) return null;
  const { planAccounts, ...verification } = found;
  return {
    // claims count per input: a capture or retake starts again from zero (acceptNewInput)
    loaded: loadedForAdapter(deps.env.keys, verification),
    claim: { repeat: found.startClaims > 1, claims: found.startClaims },
    planAccounts: planAccounts.map(vendorAccountOfJson),
  };
}

/** A vendor_accounts row as to_jsonb wrote it, as Prisma reads it. */
function vendorAccountOfJson(json: Record<string, unknown>): VendorAccountRow {
  const a = prismaShaped<VendorAccountRow>(json);
  a.createdAt = jsonTimestamp(a.createdAt)!;
  a.updatedAt = jsonTimestamp(a.updatedAt)!;
  a.creditsCheckedAt = jsonTimestamp(a.creditsCheckedAt);
  a.disabledAt = jsonTimestamp(a.disabledAt);
  a.pausedAt = jsonTimestamp(a.pausedAt);
  a.healthCheckedAt = jsonTimestamp(a.healthCheckedAt);
  return a;
}

/** The conditional update that takes the start claim: only while the status is the expected one and no live claim exists. */
async function claimStart(deps: ProcessorDeps, id: string, status: string): Promise<"held" | "gone" | { repeat: boolean; claims: number }> {
  // plain SQL, prepared (db/sql.ts): on the path of every start
  const rows = await sql<{ startClaims: number }>(deps.db, {
    name: "kyc_claim_start",
    text: `UPDATE verifications SET start_claimed_until = now() + make_interval(secs => $1::double precision), start_claims = start_claims + 1
           WHERE id = $2 AND status = $3 AND (start_claimed_until IS NULL OR start_claimed_until < now())
           RETURNING start_claims`,
    values: [deps.env.START_CLAIM_LEASE_MS / 1000, id, status],
  });
  // claims count per input: a capture or retake starts again from zero (acceptNewInput)
  if (rows[0]) return { repeat: rows[0].startClaims > 1, claims: rows[0].startClaims };
  const still = await deps.db.verification.findFirst({ where: { id, status }, select: { id: true } });
  return still ? "held" : "gone";
}

export async function processPoll(deps: ProcessorDeps, job: JobPayloads["poll"]): Promise<void> {
  const loaded = await loadForAdapter(deps.db, deps.env.keys, job.verificationId);
  if (!loaded) return;
  const { row, adapterView } = loaded;
  const settlingReview = row.status === "completed" && row.decision === "review";
  if (isTerminal(row.status as never) && !settlingReview) return;
  if (!row.vendorAccountId) return;
  const account = await accountFor(deps, row.vendorAccountId);
  if (isAccountConfigError(account)) {
    // a fault of the gateway's configuration, never the user's: failed, technical
    await applyOutcome(deps, row.id, { status: "failed", reasons: [account.toReason()] }, { source: "poll", eventType: "poll_failed" });
    return;
  }
  const adapter = account && adapterFor(account.vendor);
  if (!account || !adapter) return;
  const now = new Date();
  // only a wait for the user expires by time, and the vendor is asked one last time first
  const pastDeadline = row.status === "awaiting_user" && row.expiresAt !== null && row.expiresAt <= now;
  const expire = () =>
    applyOutcome(
      deps,
      row.id,
      { status: "expired", reasons: [reason("user_abandoned", account.vendor, null, "the user did not finish before the session expired")] },
      { source: "poll", eventType: "expired" },
    );
  if (pastDeadline && !(adapter.capabilities.polling && adapter.poll)) {
    await expire();
    return;
  }
  if (row.status === "processing" && row.expiresAt && row.expiresAt <= now) {
    // the user finished; the vendor (its operator review) never answered: a technical end, never user_abandoned
    await applyOutcome(
      deps,
      row.id,
      {
        status: "failed",
        reasons: [reason("vendor_timeout", account.vendor, null, "the vendor did not settle the verification before its processing deadline")],
      },
      { source: "poll", eventType: "processing_deadline" },
    );
    await recordAccountEvent(deps.db, account.id, account.vendor, "processing_deadline", `processing-deadline:${row.id}`, { verificationId: row.id });
    return;
  }
  if (!adapter.capabilities.polling || !adapter.poll) return; // an expiry check only
  const wait = pastDeadline ? 0 : await takePollBudget(deps.redis, account.id, account.settings.maxPollsPerMinute).catch(() => 0);
  if (wait > 0) {
    // over the account's budget: try again next minute without calling the vendor
    await scheduleForVerification(
      deps.db,
      row.id,
      "poll",
      `poll-${row.id}-${row.pollCount}-deferred-${Date.now()}`,
      { verificationId: row.id },
      new Date(Date.now() + wait),
    );
    return;
  }
  const { ctx, effects } = buildAdapterContext(deps, account, row.id);
  let outcome: Outcome;
  try {
    outcome = await adapter.poll(adapterView, account, ctx);
  } catch (e) {
    await effects.flush();
    const r = toTechnicalReason(e, account.vendor);
    await noteEvent(deps.db, row, "poll", "poll_failed", { reason: r.code, vendorCode: r.vendorCode, failures: (job.failures ?? 0) + 1 });
    if (isVendorError(e) && !e.retryable && e.kind === "auth") {
      await applyOutcome(deps, row.id, { status: "failed", reasons: [r] }, { source: "poll", eventType: "poll_failed" });
      return;
    }
    if (pastDeadline) {
      await expire(); // asked one last time, no answer: the user's time is over
      return;
    }
    // An outage, an open circuit or an unreadable answer never ends the chain: the next poll is
    // scheduled here (not left to the job's few attempts), backing off up to the account's cap
    // (an unreadable answer goes straight to the slow end), until the verification's own deadline.
    const failures = (job.failures ?? 0) + 1;
    const capMs = (typeof account.settings.pollBackoffMaxSeconds === "number" ? account.settings.pollBackoffMaxSeconds : 60) * 1000;
    const backoffMs = isVendorError(e) && e.kind === "parse" ? capMs : Math.min(capMs, 1000 * 2 ** (failures - 1));
    const at = new Date(Date.now() + backoffMs * (0.8 + Math.random() * 0.4));
    const due = row.status === "awaiting_user" && row.expiresAt && row.expiresAt < at ? row.expiresAt : at;
    await scheduleForVerification(deps.db, row.id, "poll", `poll-${row.id}-${row.pollCount}-retry-${failures}`, { verificationId: row.id, failures }, due);
    return;
  }
  await effects.flush();
  if (pastDeadline && outcome.status === "awaiting_user") {
    await expire();
    return;
  }
  const unchanged = outcome.status === row.status && (outcome.status !== "completed" || outcome.decision === row.decision);
  if (unchanged && isTerminal(row.status as never)) {
    // a review still under the vendor's operator: keep polling, slower, without noise in the log
    const after = "pollAfterMs" in outcome ? outcome.pollAfterMs : null;
    await deps.db.$transaction(async (tx) => {
      const v = await tx.verification.update({ where: { id: row.id }, data: { pollCount: { increment: 1 }, nextDueAt: null } });
      if (after) await scheduleForVerification(tx, row.id, "poll", `poll-${row.id}-${v.pollCount}`, { verificationId: row.id }, new Date(Date.now() + after));
    });
    return;
  }
  await applyOutcome(deps, row.id, outcome, { source: "poll", eventType: "poll", countPoll: true, detail: { vendor: account.vendor } });
}

export async function processIngest(deps: ProcessorDeps, job: JobPayloads["ingest"]): Promise<void> {
  const hook = await deps.db.inboundWebhook.findUnique({ where: { id: job.inboundWebhookId } });
  if (!hook || hook.status === "processed") return;
  const loaded = hook.vendorAccountId ? await accountFor(deps, hook.vendorAccountId) : null;
  if (isAccountConfigError(loaded)) {
    await deps.db.inboundWebhook.update({
      where: { id: hook.id },
      data: { status: "failed", error: loaded.message.slice(0, 500), processedAt: new Date(), nextDueAt: null },
    });
    return;
  }
  const account = loaded;
  const adapter = account && adapterFor(account.vendor);
  if (!account || !adapter?.parseWebhook) {
    await deps.db.inboundWebhook.update({
      where: { id: hook.id },
      data: { status: "failed", error: "no adapter for this account", processedAt: new Date(), nextDueAt: null },
    });
    return;
  }
  const req: RawWebhookRequest = {
    method: "POST",
    headers: hook.headers as Record<string, string>,
    query: (hook.query ?? {}) as Record<string, string>,
    rawBody: inboundBodyOf(deps.env.keys, hook),
    receivedAt: hook.receivedAt,
  };
  let parsed: ReturnType<NonNullable<typeof adapter.parseWebhook>>;
  try {
    parsed = adapter.parseWebhook(req, account);
  } catch (e) {
    const r = toTechnicalReason(e, account.vendor);
    await deps.db.inboundWebhook.update({
      where: { id: hook.id },
      data: { status: "failed", error: `${r.code}: ${r.message ?? ""}`.slice(0, 500), processedAt: new Date(), nextDueAt: null },
    });
    await recordAccountEvent(deps.db, account.id, account.vendor, "unreadable_webhook", `unreadable:${hook.id}`, {
      inboundWebhookId: hook.id,
      reason: r.message,
    });
    return;
  }
  let deferred = false;
  let linkedTo: string | null = null;
  for (const p of parsed) {
    if (p.type === "account_event") {
      await recordAccountEvent(deps.db, account.id, account.vendor, p.event.type, p.event.externalId, p.event.payload);
      continue;
    }
    const v = p.verificationId
      ? await deps.db.verification.findFirst({ where: { id: p.verificationId, tenantId: account.tenantId } })
      : await deps.db.verification.findFirst({
          where: { vendorAccountId: account.id, vendorReference: p.vendorReference ?? "\u0000" },
          orderBy: { createdAt: "desc" },
        });
    if (!v) {
      // a fast vendor can call back before the start call's answer is stored: wait a little
      const age = Date.now() - hook.receivedAt.getTime();
      if (age < deps.env.INGEST_UNKNOWN_REFERENCE_GRACE_MS) {
        deferred = true;
        continue;
      }
      await recordAccountEvent(deps.db, account.id, account.vendor, "unknown_reference", `unknown:${p.dedupeKey}`, {
        vendorReference: p.vendorReference ?? null,
        vendorStatus: p.vendorStatus,
        inboundWebhookId: hook.id,
      });
      continue;
    }
    linkedTo = v.id;
    const applied = await applyOutcome(deps, v.id, p.outcome, {
      source: "webhook",
      eventType: "vendor_webhook",
      dedupeKey: p.dedupeKey,
      detail: { ...p.detail, vendorStatus: p.vendorStatus, inboundWebhookId: hook.id },
    });
    // kept for audit and re-decision (redacted); a duplicate delivery is not kept twice, nor anything after erasure
    if (p.payload !== undefined && applied.applied)
      await recordVendorPayload(deps.db, deps.env.keys, v.id, account.vendor, "webhook", p.payload, hook.receivedAt);
  }
  if (deferred) {
    // the whole request is processed again later: every step above is idempotent
    const retryIn = Math.min(5_000, 250 + Math.floor((Date.now() - hook.receivedAt.getTime()) / 2));
    const at = new Date(Date.now() + retryIn);
    await deps.db.$transaction(async (tx) => {
      await enqueue(tx, "ingest", `ingest-${hook.id}-retry-${Date.now()}`, { inboundWebhookId: hook.id }, at);
      await tx.inboundWebhook.update({ where: { id: hook.id }, data: { nextDueAt: at } });
    });
    return;
  }
  // the raw body (a VerificarIdentidad webhook carries the DNI, name, address, GPS...) is kept only until ingested:
  // what it said lives on as the redacted "webhook" payload of its verification, which erasure removes
  await deps.db.inboundWebhook.update({
    where: { id: hook.id },
    data: { status: "processed", processedAt: new Date(), rawBody: new Uint8Array(0), nextDueAt: null, verificationId: linkedTo },
  });
}

/** Backoff between attempts of a follow-up or a vendor erasure: RETRY_BASE_MS doubling, at most RETRY_MAX_MS. */
export function retryDelayMs(env: Pick<Env, "RETRY_BASE_MS" | "RETRY_MAX_MS">, attempts: number): number {
  return Math.min(env.RETRY_MAX_MS, env.RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
}
/** A follow-up or vendor erasure still failing this long after it was asked for is given up (and reported). */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;

/**
 * Work after a decision (VerificarIdentidad's certificate). Each attempt is counted in its
 * follow_ups row; a failure is retried on the row's schedule (not the job's few attempts) until it
 * succeeds or a day has passed, then the row is `failed` and operations get a vendor event.
 */
export async function processFollowUp(deps: ProcessorDeps, job: JobPayloads["followup"]): Promise<void> {
  const row = await deps.db.followUp.findUnique({ where: { verificationId_name: { verificationId: job.verificationId, name: job.name } } });
  if (row && row.status !== "pending") return;
  const loaded = await loadForAdapter(deps.db, deps.env.keys, job.verificationId);
  const settle = (data: { status: string; lastError?: string | null; nextDueAt: Date | null; attempts?: number }) =>
    row ? deps.db.followUp.update({ where: { id: row.id }, data }) : Promise.resolve();
  if (!loaded?.row.vendorAccountId || loaded.row.erasedAt) {
    await settle({ status: "failed", lastError: loaded?.row.erasedAt ? "personal data erased" : "no vendor account", nextDueAt: null });
    return;
  }
  const account = await accountFor(deps, loaded.row.vendorAccountId);
  if (isAccountConfigError(account)) {
    await settle({ status: "failed", lastError: account.message.slice(0, 500), nextDueAt: null });
    return;
  }
  const adapter = account && adapterFor(account.vendor);
  if (!account || !adapter?.runFollowUp) {
    await settle({ status: "failed", lastError: "the vendor has no such follow-up", nextDueAt: null });
    return;
  }
  const attempts = (row?.attempts ?? 0) + 1;
  const { ctx, effects } = buildAdapterContext(deps, account, loaded.row.id);
  try {
    await adapter.runFollowUp(job.name, loaded.adapterView, account, ctx);
    await effects.flush();
    await settle({ status: "done", attempts, lastError: null, nextDueAt: null });
    await noteEvent(deps.db, loaded.row, "worker", `${job.name}_stored`, { attempts });
  } catch (e) {
    await effects.flush();
    const r = toTechnicalReason(e, account.vendor);
    const givenUp = !row || Date.now() - row.createdAt.getTime() >= GIVE_UP_AFTER_MS || (isVendorError(e) && !e.retryable && e.kind === "auth");
    await noteEvent(deps.db, loaded.row, "worker", `${job.name}_failed`, { reason: r.code, vendorCode: r.vendorCode, attempts, givenUp });
    if (givenUp) {
      await settle({ status: "failed", attempts, lastError: `${r.code}: ${r.message ?? ""}`.slice(0, 500), nextDueAt: null });
      await recordAccountEvent(deps.db, account.id, account.vendor, `${job.name}_failed`, `${job.name}-failed:${loaded.row.id}`, {
        verificationId: loaded.row.id,
        reason: r.code,
      });
      return;
    }
    const at = new Date(Date.now() + retryDelayMs(deps.env, attempts));
    await deps.db.$transaction(async (tx) => {
      await tx.followUp.update({ where: { id: row.id }, data: { attempts, lastError: `${r.code}: ${r.message ?? ""}`.slice(0, 500), nextDueAt: at } });
      await enqueue(tx, "followup", `followup-${loaded.row.id}-${job.name}-${attempts}`, job, at);
    });
  }
}

/**
 * Erasure at one vendor (Identomat delete/), retried on its row's schedule. The receipt says
 * confirmed, or failed with the vendor's reason once it refuses for good or a day has passed.
 */
export async function processErase(deps: ProcessorDeps, job: JobPayloads["erase"]): Promise<void> {
  const row = await deps.db.vendorErasure.findUnique({ where: { id: job.erasureId } });
  if (row?.status !== "requested") return;
  const finish = async (status: "confirmed" | "failed", detail: string, attempts: number) => {
    await deps.db.$transaction(async (tx) => {
      await tx.vendorErasure.update({ where: { id: row.id }, data: { status, detail: detail.slice(0, 500), attempts, nextDueAt: null } });
      await refreshErasureSummary(tx, row.verificationId);
      await tx.verificationEvent.create({
        data: {
          verificationId: row.verificationId,
          source: "worker",
          type: `vendor_erasure_${status}`,
          fromStatus: null,
          toStatus: null,
          detail: { vendor: row.vendor, vendorAccountId: row.vendorAccountId, attempts },
        },
      });
    });
  };
  const account = await accountFor(deps, row.vendorAccountId);
  if (isAccountConfigError(account)) {
    await finish("failed", account.message, row.attempts);
    return;
  }
  const adapter = account && adapterFor(account.vendor);
  const loaded = await loadForAdapter(deps.db, deps.env.keys, row.verificationId);
  if (!account || !adapter?.erase || !loaded) {
    await finish("failed", "the vendor account or its erasure API is gone", row.attempts);
    return;
  }
  const attempts = row.attempts + 1;
  const { ctx, effects } = buildAdapterContext(deps, account, null);
  try {
    const answer = await adapter.erase(loaded.adapterView, account, ctx);
    await effects.flush();
    await finish(answer.ok ? "confirmed" : "failed", answer.detail, attempts);
  } catch (e) {
    await effects.flush();
    const r = toTechnicalReason(e, account.vendor);
    const detail = `${r.code}${r.vendorCode ? ` (${r.vendorCode})` : ""}: ${r.message ?? "vendor erasure failed"}`;
    if ((isVendorError(e) && !e.retryable) || Date.now() - row.createdAt.getTime() >= GIVE_UP_AFTER_MS) {
      await finish("failed", detail, attempts);
      return;
    }
    const at = new Date(Date.now() + retryDelayMs(deps.env, attempts));
    await deps.db.$transaction(async (tx) => {
      await tx.vendorErasure.update({ where: { id: row.id }, data: { attempts, detail: detail.slice(0, 500), nextDueAt: at } });
      await enqueue(tx, "erase", `erase-${row.id}-${attempts}`, job, at);
    });
  }
}

/**
 * A shadow run: the rule's shadow account decides the verification again on the inputs the gateway holds, after
 * the primary decided. Nothing it does reaches the verification: its calls are the run's rows, its payloads are not
 * kept, its outcome is stored in shadow_runs. A busy shadow account drops the run rather than queue behind real traffic.
 */
export async function processShadow(deps: ProcessorDeps, job: JobPayloads["shadow"]): Promise<void> {
  const run = await deps.db.shadowRun.findUnique({ where: { id: job.shadowRunId } });
  if (run?.status !== "pending") return;
  const finish = (end: ShadowEnd) => finishShadowRun(deps.db, deps.env.keys, run.id, end);
  const loaded = await loadForAdapter(deps.db, deps.env.keys, run.verificationId);
  if (!loaded || loaded.row.erasedAt) return finish({ status: "skipped", detail: "the verification's personal data is gone" });
  const accountRow = await deps.db.vendorAccount.findUnique({ where: { id: run.vendorAccountId } });
  const adapter = accountRow && adapterFor(accountRow.vendor);
  if (!accountRow || !adapter || !inRouting(accountRow)) return finish({ status: "skipped", detail: "the shadow account is gone, disabled or paused" });
  const account = toAdapterAccount(deps.env.keys, deps.env.PUBLIC_BASE_URL, accountRow);
  // the shadow sees the verification as new: no vendor reference or state of the primary
  const view = { ...loaded.adapterView, status: "pending", decision: null, vendorReference: null, pollCount: 0, sessionExpiresAt: null };
  const refusal = requestRefusal(adapter, view, account, loaded.row.createdAt);
  if (refusal) return finish({ status: "skipped", detail: refusal.message ?? refusal.code });
  const { ctx, effects } = buildAdapterContext(deps, account, null, { shadowRunId: run.id });
  const started = Date.now();
  try {
    const outcome = await adapter.start(view, account, ctx);
    await effects.flush();
    await finish({ status: "done", outcome, latencyMs: Date.now() - started });
  } catch (e) {
    await effects.flush();
    const busy = isVendorError(e) && e.kind === "unavailable" && /no free call slot/.test(e.message);
    if (!isVendorError(e)) deps.log.error({ err: errorForLog(e), shadowRunId: run.id, vendor: account.vendor }, "adapter crashed in a shadow run");
    const r = toTechnicalReason(e, account.vendor);
    await finish({
      status: busy ? "dropped" : "failed",
      detail: busy ? "the shadow account was saturated" : `${r.code}${r.vendorCode ? ` (${r.vendorCode})` : ""}`,
      latencyMs: Date.now() - started,
    });
  }
}

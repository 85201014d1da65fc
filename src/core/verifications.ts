// The verification store: the public resource, the encrypted personal input, and
// applyOutcome(), the one place a verification changes status. Each change is one
// transaction: row lock, state-machine check, event row, outbound event, next jobs.
import type { Logger } from "pino";
import { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import type { AdapterVerification, Outcome, VerificationInputData } from "../adapters/types.js";
import { decryptBytes, encryptBytes, type Keys } from "../domain/crypto.js";
import type { Checks, Decision, NextAction, Reason, VendorId, VerificationResource, VerificationStatus } from "../domain/model.js";
import { judgeTransition, isTerminal } from "./state-machine.js";
import type { ErasureReceipt } from "../domain/model.js";
import { emitVerificationEvent, eventTypeFor } from "./emit.js";
import type { ClaimedJob, JobPublisher } from "./publish.js";
import type { LogEntry } from "./emit.js";
import { enqueue, OUTBOX_CHANNEL, OUTBOX_COLUMNS, outboxParams, outboxValues } from "./jobs.js";
import { columnOf, jsonb, prismaShaped, sql, utc } from "../db/sql.js";
import { readRoutePlan, type RoutePlan } from "./routing.js";
import { newId } from "../domain/crypto.js";
import { processingDeadline, verificationDueAt } from "./schedule.js";
import { verificationOutcomes } from "../observability/metrics.js";
import { adapterFor } from "../adapters/registry.js";
import { mergeChecks, mergeReasons } from "./checks-merge.js";
import { QuotaExceeded, utcDay } from "./quotas.js";
import { recordAudit, type Actor } from "./audit.js";
import { AAD, checksColumns, checksOf, clearChecks } from "./at-rest.js";
import { applyPolicy, effectivePolicy, isRetakeable, type DecisionPolicy, type IdentityClaim, type PolicyResult } from "./policy.js";

export type VerificationRow = Prisma.VerificationGetPayload<object>;
export type EventSource = "api" | "worker" | "poll" | "webhook";

export function toResource(keys: Keys, v: VerificationRow): VerificationResource {
  return {
    id: v.id,
    reference: v.reference,
    vendor: (v.vendor as VendorId | null) ?? null,
    status: v.status as VerificationStatus,
    decision: (v.decision as Decision | null) ?? null,
    reasons: (v.reasons as unknown as Reason[]) ?? [],
    checks: checksOf(keys, v),
    nextAction: (v.nextAction as unknown as NextAction | null) ?? null,
    vendorReference: v.vendorReference,
    metadata: (v.metadata as Record<string, unknown>) ?? {},
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    completedAt: v.completedAt?.toISOString() ?? null,
    decidedBy: v.decidedMapping && v.decidedPolicy !== null ? { mapping: v.decidedMapping, policy: v.decidedPolicy } : null,
    erasure: (v.erasure as unknown as ErasureReceipt | null) ?? null,
  };
}

/** What applyOutcome needs: the database, a logger, and the key that opens the sealed input (the claimed identity). */
export interface VerificationDeps {
  db: Db;
  log: Logger;
  env: { keys: Keys };
  /** this process publishes the hot path's jobs it writes itself, after their commit (no relay hop); else the relays do */
  publisher?: JobPublisher;
}

/** The identity the tenant claimed in the request, compared by the policy with the document. */
export function claimOf(input: VerificationInputData, documentCountry: string | null): IdentityClaim {
  return {
    firstName: input.subject?.firstName ?? null,
    lastName: input.subject?.lastName ?? null,
    dateOfBirth: input.subject?.dateOfBirth ?? null,
    documentNumber: input.subject?.documentNumber ?? null,
    documentType: input.document?.type ?? null,
    documentCountry: input.document?.country ?? documentCountry,
  };
}

// A sealed input is its JSON and then its images' bytes as they are (issue 13: base64 inside the JSON was four copies
// of every image, a 10 MB upload cost ~80 MB on its way to the database). The plaintext:
//   SEALED_INPUT_MAGIC (4 bytes) | the JSON's length (uint32 BE) | the JSON | each image's bytes, in order
// where the JSON holds each image's `bytes` (its length) in place of its data: the document's images, then the selfie.
// Inputs sealed before this format are the JSON alone with base64 `data`; openInput reads both.
const SEALED_INPUT_MAGIC = Buffer.from([0, 0x4b, 0x49, 0x32]); // "\0KI2": JSON never starts with NUL
type SealedImage = { side?: "front" | "back" | "single"; contentType: string } & ({ bytes: number } | { data: string });

export function sealInput(key: Keys, verificationId: string, input: VerificationInputData): Buffer {
  const blobs: Buffer[] = [];
  const img = (i: { side?: "front" | "back" | "single"; contentType: string; data: Buffer }): SealedImage => {
    blobs.push(i.data);
    return { side: i.side, contentType: i.contentType, bytes: i.data.length };
  };
  const plain = {
    ...input,
    document: input.document ? { ...input.document, images: input.document.images.map(img) } : undefined,
    selfie: input.selfie ? img(input.selfie) : undefined,
  };
  const json = Buffer.from(JSON.stringify(plain));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return encryptBytes(key, [SEALED_INPUT_MAGIC, length, json, ...blobs], AAD.input(verificationId));
}

/** The sealed bytes as the Uint8Array Prisma takes, without copying them (images make them megabytes). */
function bytesView(b: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
}

export function openInput(key: Keys, verificationId: string, sealed: Uint8Array): VerificationInputData {
  const bytes = decryptBytes(key, Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length), AAD.input(verificationId));
  const framed = bytes.subarray(0, SEALED_INPUT_MAGIC.length).equals(SEALED_INPUT_MAGIC);
  let plain: Record<string, unknown> & { document?: { images: SealedImage[] }; selfie?: SealedImage };
  // the images' bytes are views of the decrypted buffer, never copies
  let at: number;
  if (framed) {
    const jsonLength = bytes.readUInt32BE(SEALED_INPUT_MAGIC.length);
    const jsonStart = SEALED_INPUT_MAGIC.length + 4;
    plain = JSON.parse(bytes.toString("utf8", jsonStart, jsonStart + jsonLength));
    at = jsonStart + jsonLength;
  } else {
    plain = JSON.parse(bytes.toString("utf8"));
    at = 0;
  }
  const img = (i: SealedImage) => {
    if ("data" in i) return { side: i.side, contentType: i.contentType, data: Buffer.from(i.data, "base64") };
    const data = bytes.subarray(at, at + i.bytes);
    at += i.bytes;
    return { side: i.side, contentType: i.contentType, data };
  };
  const document = plain.document ? { ...plain.document, images: plain.document.images.map(img) } : undefined;
  const selfie = plain.selfie ? img(plain.selfie) : undefined;
  return { ...plain, document, selfie } as VerificationInputData;
}

/** The verification with its input opened, as the adapters see it: one prepared statement (db/sql.ts), on every job's path. */
export async function loadForAdapter(db: Db, inputKey: Keys, id: string): Promise<{ row: VerificationRow; adapterView: AdapterVerification } | null> {
  const [found] = await sql<VerificationRow & { sealedInput: Buffer | null }>(db, {
    name: "kyc_load_for_adapter",
    text: "SELECT v.*, i.payload_enc AS sealed_input FROM verifications v LEFT JOIN verification_inputs i ON i.verification_id = v.id WHERE v.id = $1",
    values: [id],
  });
  return found ? loadedForAdapter(inputKey, found) : null;
}

/** A verification row read with its sealed input (as `sealed_input`), its input opened as the adapters see it. */
export function loadedForAdapter(
  inputKey: Keys,
  found: VerificationRow & { sealedInput: Buffer | null },
): { row: VerificationRow; adapterView: AdapterVerification } {
  const { sealedInput, ...row } = found;
  const input = sealedInput ? openInput(inputKey, row.id, sealedInput) : {};
  return {
    row,
    adapterView: {
      id: row.id,
      tenantId: row.tenantId,
      reference: row.reference,
      checks: row.requestedChecks as AdapterVerification["checks"],
      createdAt: row.createdAt,
      status: row.status,
      decision: (row.decision as Decision | null) ?? null,
      vendorReference: row.vendorReference,
      pollCount: row.pollCount,
      sessionExpiresAt: row.expiresAt,
      metadata: (row.metadata as Record<string, unknown>) ?? {},
      input,
    },
  };
}

export interface ApplyOptions {
  source: EventSource;
  /** the event-log type, e.g. "vendor_result", "vendor_webhook", "poll" */
  eventType: string;
  detail?: Record<string, unknown>;
  vendor?: VendorId;
  vendorAccountId?: string;
  routeIndex?: number;
  countPoll?: boolean;
  /** a vendor event's stable key: checked under the row lock, so a repeated delivery is logged as `<eventType>_duplicate` and changes nothing */
  dedupeKey?: string;
}

export type ApplyResult = { applied: true; resource: VerificationResource } | { applied: false; why: string; resource: VerificationResource | null };

const json = (v: unknown) => v as Prisma.InputJsonValue;

/**
 * The time of a change, taken under the verification's row lock and later than its last change: the order of a
 * tenant's events by `timestamp` is the order the changes were made. A time taken before the lock was waited for
 * stamped a completion earlier than the processing event committed ahead of it (the chaos run's receiver saw
 * completed/approved, then processing).
 */
export function changeTime(current: { updatedAt: Date }): Date {
  return new Date(Math.max(Date.now(), current.updatedAt.getTime() + 1));
}

export async function applyOutcome(deps: VerificationDeps, id: string, vendorOutcome: Outcome, opts: ApplyOptions): Promise<ApplyResult> {
  const {
    db,
    log,
    env: { keys },
  } = deps;
  // the deliveries' jobs of a decision are this process's to publish after the commit, when it can (src/core/publish.ts)
  let claimed: ClaimedJob[] | undefined;
  const result = await db.$transaction(
    async (tx) => {
      claimed = deps.publisher?.ready() ? [] : undefined;
      const locked = await lockForOutcome(tx, id, vendorOutcome.status === "completed");
      if (!locked) return { applied: false as const, why: "not found", resource: null };
      const current = locked.row;
      const now = changeTime(current);
      const from = { status: current.status as VerificationStatus, decision: (current.decision as Decision | null) ?? null };
      const decided =
        vendorOutcome.status === "completed"
          ? decide(deps.env.keys, current, locked.decision, vendorOutcome, opts.vendor ?? (current.vendor as VendorId | null), now)
          : null;
      const outcome: Outcome = decided?.outcome ?? vendorOutcome;
      const toDecision = outcome.status === "completed" ? outcome.decision : null;
      // a retake request takes a capture being processed back to the user: the one backward step, and only before any decision
      const verdict =
        decided?.retake && !isTerminal(from.status)
          ? ({ allowed: true, kind: "advance" } as const)
          : judgeTransition(from, { status: outcome.status, decision: toDecision });
      const eventBase = { verificationId: id, source: opts.source, type: opts.eventType, fromStatus: current.status };
      if (opts.dedupeKey) {
        const seen = await tx.verificationEvent.findFirst({
          where: { verificationId: id, type: opts.eventType, detail: { path: ["dedupeKey"], equals: opts.dedupeKey } },
        });
        if (seen) {
          await tx.verificationEvent.create({
            data: { ...eventBase, type: `${opts.eventType}_duplicate`, toStatus: current.status, detail: json({ ...opts.detail, dedupeKey: opts.dedupeKey }) },
          });
          return { applied: false as const, why: "duplicate", resource: toResource(keys, current) };
        }
      }
      if (!verdict.allowed) {
        // a late or repeated vendor event changes nothing but the event log
        await tx.verificationEvent.create({
          data: {
            ...eventBase,
            toStatus: current.status,
            detail: json({ ...opts.detail, ...(opts.dedupeKey ? { dedupeKey: opts.dedupeKey } : {}), ignored: verdict.why, outcomeStatus: outcome.status }),
          },
        });
        return { applied: false as const, why: verdict.why, resource: toResource(keys, current) };
      }
      // the unchecked (scalar) form: a relation `connect` costs a SELECT of the account first; the foreign key checks it
      const data: Prisma.VerificationUncheckedUpdateInput = { status: outcome.status, updatedAt: now };
      if (opts.vendor) data.vendor = opts.vendor;
      if (opts.vendorAccountId) data.vendorAccountId = opts.vendorAccountId;
      if (opts.routeIndex !== undefined) data.routeIndex = opts.routeIndex;
      if (opts.countPoll) data.pollCount = { increment: 1 };
      if ("vendorReference" in outcome && outcome.vendorReference) data.vendorReference = outcome.vendorReference;
      const storedChecks = checksOf(keys, current);
      const erased = current.erasedAt !== null;
      switch (outcome.status) {
        case "completed":
          data.decision = outcome.decision;
          data.reasons = json(outcome.reasons);
          // merged with the stored checks by decide(), which every completed outcome goes through
          Object.assign(data, checksColumns(keys, id, outcome.checks));
          data.nextAction = Prisma.DbNull;
          data.completedAt = now;
          break;
        case "failed":
        case "expired":
          data.reasons = json(outcome.reasons);
          data.nextAction = Prisma.DbNull;
          data.completedAt = now;
          break;
        case "awaiting_user":
          if (outcome.nextAction) data.nextAction = json(outcome.nextAction);
          if (outcome.checks) Object.assign(data, checksColumns(keys, id, mergeChecks(storedChecks, outcome.checks, erased)));
          if (outcome.expiresAt) data.expiresAt = outcome.expiresAt;
          if (decided?.retake) data.reasons = json(decided.retake.reasons);
          break;
        case "processing":
          data.nextAction = Prisma.DbNull;
          if (outcome.checks) Object.assign(data, checksColumns(keys, id, mergeChecks(storedChecks, outcome.checks, erased)));
          // a later event without reasons keeps the ones an earlier event reported
          if (outcome.reasons?.length) data.reasons = json(mergeReasons((current.reasons ?? []) as unknown as Reason[], outcome.reasons));
          if (outcome.expiresAt) data.expiresAt = outcome.expiresAt;
          break;
      }
      if (decided) Object.assign(data, decided.columns);
      if (outcome.status === "processing" && current.status !== "processing") {
        // the user's part is done: the user's deadline no longer applies, the vendor's (its operator review) does
        const accountId = opts.vendorAccountId ?? current.vendorAccountId;
        data.expiresAt = outcome.expiresAt ?? (await processingDeadlineOf(tx, accountId, now));
      }
      const expiresAt = (data.expiresAt as Date | undefined) ?? current.expiresAt;
      const pollAfterMs = "pollAfterMs" in outcome ? outcome.pollAfterMs : null;
      const pollAt = pollAfterMs && pollAfterMs > 0 ? new Date(now.getTime() + pollAfterMs) : null;
      // nothing to poll, but the wait for the user (or the vendor) ends: check then
      const expiryAt = !pollAt && !isTerminal(outcome.status) && expiresAt && current.expiresAt?.getTime() !== expiresAt.getTime() ? expiresAt : null;
      data.nextDueAt = verificationDueAt({ status: outcome.status, decision: toDecision, expiresAt }, pollAt ?? expiryAt, now);
      const updated = await updateVerificationRow(tx, id, data);
      const step = "step" in outcome ? outcome.step : undefined;
      // the event-log entry: plain SQL (Prisma's create was a query-engine round of its own inside the decision's
      // transaction), and in the outbound event's own statement when there is one (issue 13)
      const logEntry: LogEntry = {
        verificationId: id,
        source: opts.source,
        type: opts.eventType,
        fromStatus: current.status,
        toStatus: updated.status,
        detail: {
          ...opts.detail,
          ...(opts.dedupeKey ? { dedupeKey: opts.dedupeKey } : {}),
          ...(step ? { step } : {}),
          ...(outcome.status === "completed" ? { decision: outcome.decision } : {}),
          ...(decided ? { policy: decided.policyDetail } : {}),
        },
        at: new Date(),
      };
      const resource = toResource(keys, updated);
      const changed = current.status !== updated.status || current.decision !== updated.decision || verdict.kind === "settle_review";
      if (changed) await emitVerificationEvent(tx, keys, updated.tenantId, eventTypeFor(updated.status), resource, now, claimed, logEntry);
      else
        await tx.$executeRawUnsafe(
          INSERT_EVENT_SQL,
          logEntry.verificationId,
          logEntry.source,
          logEntry.type,
          logEntry.fromStatus,
          logEntry.toStatus,
          jsonb(logEntry.detail),
          utc(logEntry.at),
        );
      if (pollAt) await enqueue(tx, "poll", `poll-${id}-${updated.pollCount}`, { verificationId: id }, pollAt);
      else if (expiryAt) await enqueue(tx, "poll", `expiry-${id}-${expiryAt.getTime()}`, { verificationId: id }, expiryAt);
      if (outcome.status === "completed" && !isTerminal(from.status)) await scheduleShadowRun(tx, updated, now);
      if (outcome.status === "completed" && outcome.followUps) {
        for (const name of outcome.followUps) {
          // a row per follow-up: its attempts and next due time survive any loss of its job
          const created = await tx.followUp.createMany({
            data: [{ id: newId("fup"), verificationId: id, name, status: "pending", nextDueAt: now }],
            skipDuplicates: true,
          });
          if (created.count > 0) await enqueue(tx, "followup", `followup-${id}-${name}`, { verificationId: id, name });
        }
      }
      return { applied: true as const, resource, changed, current };
    },
    { timeout: 15_000 },
  );
  if (claimed?.length) await deps.publisher!.publish(claimed);
  if (result.applied && isTerminal(result.resource.status) && "changed" in result && result.changed) {
    verificationOutcomes.inc({ vendor: result.resource.vendor ?? "none", status: result.resource.status, decision: result.resource.decision ?? "none" });
    log.info(
      { verificationId: id, status: result.resource.status, decision: result.resource.decision, vendor: result.resource.vendor },
      "verification finished",
    );
  }
  if (result.applied) return { applied: true, resource: result.resource };
  return result;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

// the columns of `verifications` whose values need a cast from the text they are sent as
const JSON_FIELDS = new Set(["routePlan", "reasons", "checks", "nextAction", "metadata", "erasure"]);
const TIMESTAMP_FIELDS = new Set(["expiresAt", "erasedAt", "createdAt", "updatedAt", "completedAt", "startClaimedUntil", "nextDueAt"]);

/**
 * A decision's update of its verification as one plain statement returning the row as Prisma reads it (issue 13:
 * Prisma's update was the slowest statement of the decision's transaction and a tenth of the end-to-end CPU). Takes
 * the scalar (unchecked) form applyOutcome builds: plain values, Prisma.DbNull for a JSON column's NULL, and
 * `{ increment }` for a counter.
 */
export async function updateVerificationRow(tx: Tx, id: string, data: Prisma.VerificationUncheckedUpdateInput): Promise<VerificationRow> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  const param = (v: unknown, cast = "") => (values.push(v), `$${values.length}${cast}`);
  for (const [field, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const column = columnOf(field);
    if (value === Prisma.DbNull || value === Prisma.JsonNull) sets.push(`${column} = NULL`);
    else if (value !== null && typeof value === "object" && "increment" in value) sets.push(`${column} = ${column} + ${param(value.increment, "::int")}`);
    else if (JSON_FIELDS.has(field)) sets.push(`${column} = ${param(value === null ? null : JSON.stringify(value), "::jsonb")}`);
    else if (TIMESTAMP_FIELDS.has(field)) sets.push(`${column} = ${param(value === null ? null : utc(value as Date), "::timestamp")}`);
    else if (value !== null && typeof value === "object") throw new Error(`updateVerificationRow: ${field} is not a plain value`);
    else sets.push(`${column} = ${param(value)}`);
  }
  const [row] = await tx.$queryRawUnsafe<Record<string, unknown>[]>(`UPDATE verifications SET ${sets.join(", ")} WHERE id = $1 RETURNING *`, ...values);
  if (!row) throw new Error(`verification ${id} not found for its update`);
  return prismaShaped<VerificationRow>(row);
}

/**
 * The verification locked for the rest of the transaction and read, in one statement: the row in Prisma's shape
 * (its columns are text, timestamps, json, int and arrays; test/integration/sql-rows.test.ts compares the two).
 */
const INSERT_EVENT_SQL = `INSERT INTO verification_events (verification_id, source, type, from_status, to_status, detail, created_at)
  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::timestamp)`;

export async function lockVerification(tx: Tx, id: string): Promise<VerificationRow | null> {
  return (await lockForOutcome(tx, id, false))?.row ?? null;
}

/** What a decision reads beside the verification: its tenant's policy and the sealed input the policy compares with. */
interface DecisionInputs {
  policy: unknown;
  policyVersion: number;
  sealedInput: Uint8Array | null;
}

/**
 * The verification locked and read, with what its decision needs when a decision is coming (issue 13: the policy and
 * the input were a statement of their own inside the decision's transaction): one statement either way.
 */
async function lockForOutcome(tx: Tx, id: string, deciding: boolean): Promise<{ row: VerificationRow; decision: DecisionInputs } | null> {
  const [locked] = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT v.*, t.policy AS decision_policy, t.policy_version AS decision_policy_version, i.payload_enc AS decision_sealed_input
    FROM verifications v
    JOIN tenants t ON t.id = v.tenant_id
    LEFT JOIN verification_inputs i ON ${deciding}::boolean AND i.verification_id = v.id
    WHERE v.id = ${id}
    FOR UPDATE OF v`;
  if (!locked) return null;
  const { decision_policy: policy, decision_policy_version: policyVersion, decision_sealed_input: sealedInput, ...row } = locked;
  return {
    row: prismaShaped<VerificationRow>(row),
    decision: { policy, policyVersion: policyVersion as number, sealedInput: (sealedInput as Uint8Array | null) ?? null },
  };
}
type CompletedOutcome = Extract<Outcome, { status: "completed" }>;

interface Decided {
  outcome: Outcome;
  /** set when the policy asks the end user for a retake instead of deciding */
  retake: { reasons: Reason[] } | null;
  columns: Prisma.VerificationUncheckedUpdateInput;
  policyDetail: Record<string, unknown>;
}

/**
 * The tenant's policy over a vendor's completed outcome (src/core/policy.ts): the vendor's
 * reasons merged with those an earlier event stored, the claimed identity compared with the
 * document, and a user-fixable outcome of a non-hosted vendor turned into a retake while
 * attempts are left.
 */
/**
 * The policy over a vendor's completed outcome on top of what the verification stored: checks
 * merged (a later event never erases data), and the reasons an earlier, undecided event reported
 * (a 5001 before its 5100) kept; a settled review starts afresh. Used by applyOutcome and re-decision.
 */
export function policyOver(
  keys: Keys,
  row: VerificationRow,
  input: VerificationInputData,
  vendorOutcome: CompletedOutcome,
  policy: DecisionPolicy,
  now: Date,
  humanDecision = vendorOutcome.humanDecision === true,
): PolicyResult & { checks: Checks; humanDecision: boolean } {
  const stillOpen = !isTerminal(row.status as VerificationStatus);
  const reasons = stillOpen
    ? mergeReasons(
        ((row.reasons ?? []) as unknown as Reason[]).filter((r) => r.vendor !== null),
        vendorOutcome.reasons,
      )
    : vendorOutcome.reasons;
  const checks = mergeChecks(checksOf(keys, row), vendorOutcome.checks, row.erasedAt !== null);
  const result = applyPolicy({
    decision: vendorOutcome.decision,
    reasons,
    checks,
    humanDecision,
    requestedChecks: row.requestedChecks,
    claim: claimOf(input, row.documentCountry),
    policy,
    today: now,
  });
  return { ...result, checks, humanDecision };
}

function decide(
  inputKey: Keys,
  current: VerificationRow,
  tenant: DecisionInputs,
  vendorOutcome: CompletedOutcome,
  vendor: VendorId | null,
  now: Date,
): Decided {
  const policy = effectivePolicy(tenant.policy);
  const sealed = current.erasedAt ? null : tenant.sealedInput;
  const input = sealed ? openInput(inputKey, current.id, sealed) : {};
  const stillOpen = !isTerminal(current.status as VerificationStatus);
  const result = policyOver(inputKey, current, input, vendorOutcome, policy, now);
  const { checks, humanDecision } = result;
  const adapter = vendor ? adapterFor(vendor) : null;
  const columns: Prisma.VerificationUncheckedUpdateInput = {
    decidedMapping: adapter?.mappingVersion ?? null,
    decidedPolicy: tenant.policyVersion,
    vendorDecision: vendorOutcome.decision,
    humanDecision,
  };
  const policyDetail = { version: tenant.policyVersion, vendorDecision: vendorOutcome.decision, findings: result.findings };
  const attemptsLeft = policy.maxRetakes - current.retakeCount;
  if (stillOpen && adapter && !adapter.capabilities.hosted && !humanDecision && attemptsLeft > 0 && isRetakeable(result)) {
    const codes = [...new Set(result.reasons.map((r) => r.code))];
    const expiresAt = new Date(now.getTime() + RETAKE_WINDOW_MS);
    return {
      outcome: {
        status: "awaiting_user",
        nextAction: { type: "retake", reasons: codes, attemptsLeft, expiresAt: expiresAt.toISOString() },
        checks: vendorOutcome.checks,
        vendorReference: vendorOutcome.vendorReference,
        expiresAt,
        step: "retake_requested",
      },
      retake: { reasons: result.reasons },
      columns: { decidedMapping: columns.decidedMapping, vendorDecision: vendorOutcome.decision },
      policyDetail: { ...policyDetail, retake: { attemptsLeft, reasons: codes } },
    };
  }
  return { outcome: { ...vendorOutcome, decision: result.decision, reasons: result.reasons, checks }, retake: null, columns, policyDetail };
}

/**
 * A verification its routing sampled for a shadow run has been decided: the run is written beside it and its job
 * enqueued in the same transaction, so it happens once whatever is killed. The tenant is never told about it.
 */
async function scheduleShadowRun(tx: Tx, v: VerificationRow, now: Date): Promise<void> {
  const plan = readRoutePlan(v.routePlan);
  if (!plan?.shadow || v.erasedAt) return;
  const account = await tx.vendorAccount.findUnique({ where: { id: plan.shadow.accountId }, select: { vendor: true } });
  if (!account) return;
  const reasons = ((v.reasons ?? []) as unknown as Reason[]).map((r) => r.code);
  const id = newId("shd");
  const created = await tx.shadowRun.createMany({
    data: [
      {
        id,
        verificationId: v.id,
        tenantId: v.tenantId,
        ruleId: plan.ruleId ?? "default",
        vendorAccountId: plan.shadow.accountId,
        vendor: account.vendor,
        status: "pending",
        primaryVendor: v.vendor,
        primaryDecision: v.decision,
        primaryReasons: reasons,
        createdAt: now,
      },
    ],
    skipDuplicates: true,
  });
  if (created.count > 0) await enqueue(tx, "shadow", `shadow-${v.id}`, { shadowRunId: id });
}

/** The vendor's deadline for a verification whose user is done: its account's processingDeadlineHours from now. */
async function processingDeadlineOf(tx: Tx, accountId: string | null, now: Date): Promise<Date> {
  const account = accountId ? await tx.vendorAccount.findUnique({ where: { id: accountId }, select: { settings: true } }) : null;
  return processingDeadline(account?.settings, now);
}

/** how long the end user has to send a retake before the verification expires (user_abandoned) */
export const RETAKE_WINDOW_MS = 24 * 3600_000;

/** An event-log entry that does not change the status (a vendor failure, a follow-up, a duplicate). */
export async function noteEvent(
  db: Db,
  v: { id: string; status: string },
  source: EventSource,
  type: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await db.verificationEvent.create({ data: { verificationId: v.id, source, type, fromStatus: v.status, toStatus: v.status, detail: json(detail) } });
}

export class NotAccepting extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/**
 * New input from the tenant for a verification waiting on the user: an IDENTY capture BLOB
 * (`capture`), or new images/capture after a user-fixable outcome (`retake`, bounded by the
 * policy's maxRetakes and counted). Under the row lock: the sealed input is replaced in part,
 * the verification moves to processing, and the submit job goes to the same vendor account.
 */
export async function acceptNewInput(
  deps: VerificationDeps,
  id: string,
  kind: "capture" | "retake",
  patch: Pick<VerificationInputData, "document" | "selfie" | "faceCapture">,
): Promise<VerificationResource> {
  return deps.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM verifications WHERE id = ${id} FOR UPDATE`;
    const cur = await tx.verification.findUniqueOrThrow({ where: { id }, include: { input: true } });
    const now = changeTime(cur);
    const next = (cur.nextAction ?? null) as NextAction | null;
    if (cur.status !== "awaiting_user") throw new NotAccepting(`the verification is ${cur.status}`);
    if (kind === "retake" && next?.type !== "retake") throw new NotAccepting("this verification is not waiting for a retake");
    const capture = cur.vendor ? adapterFor(cur.vendor)?.capture : undefined;
    if (kind === "capture" && !(capture && (next?.type === capture.nextAction || next?.type === "retake")))
      throw new NotAccepting("this verification is not waiting for a capture");
    const input = cur.input ? openInput(deps.env.keys, id, cur.input.payloadEnc) : {};
    if (patch.document)
      input.document = {
        ...input.document,
        ...patch.document,
        type: patch.document.type ?? input.document?.type,
        country: patch.document.country ?? input.document?.country,
      };
    if (patch.selfie) input.selfie = patch.selfie;
    if (patch.faceCapture) input.faceCapture = patch.faceCapture;
    const payloadEnc = bytesView(sealInput(deps.env.keys, id, input));
    await tx.verificationInput.upsert({ where: { verificationId: id }, create: { verificationId: id, payloadEnc }, update: { payloadEnc } });
    const retake = kind === "retake" || next?.type === "retake";
    const u = await tx.verification.update({
      where: { id },
      // the wait for the user is over: a capture queued for a vendor slot is not expired by the user's deadline, only by the vendor's
      data: {
        status: "processing",
        nextAction: Prisma.DbNull,
        reasons: [],
        expiresAt: await processingDeadlineOf(tx, cur.vendorAccountId, now),
        nextDueAt: now,
        startClaimedUntil: null,
        startClaims: 0,
        updatedAt: now,
        ...(retake ? { retakeCount: { increment: 1 } } : {}),
      },
    });
    const changed = [patch.document ? "document" : null, patch.selfie ? "selfie" : null, patch.faceCapture ? "faceCapture" : null].filter(Boolean);
    await tx.verificationEvent.create({
      data: {
        verificationId: id,
        source: "api",
        type: retake ? "retake_received" : "capture_received",
        fromStatus: cur.status,
        toStatus: "processing",
        detail: json({ inputs: changed, ...(retake ? { attempt: u.retakeCount } : {}) }),
      },
    });
    const resource = toResource(deps.env.keys, u);
    await emitVerificationEvent(tx, deps.env.keys, u.tenantId, "verification.updated", resource, now);
    await enqueue(tx, "submit", `submit-${retake ? `retake-${u.retakeCount}` : "capture"}-${id}`, { verificationId: id, mode: retake ? "retake" : "capture" });
    return resource;
  });
}

export interface NewVerification {
  id: string;
  tenantId: string;
  reference: string | null;
  checks: string[];
  requestedVendor: string | null;
  metadata: Record<string, unknown>;
  documentCountry: string | null;
  idempotencyKey: string | null;
  /** the canonical body's sha256, when an Idempotency-Key was sent */
  requestHash: string | null;
  input: VerificationInputData;
  /** the routing decision (core/routing.ts planRoute), taken once by the API */
  routePlan: RoutePlan;
  /** the tenant's daily quota, when the caller has the tenant already (else it is read here) */
  verificationsPerDay?: number | null;
}

/**
 * A new verification: pending, its input sealed, its start due now (the submit job), in one statement (so one
 * transaction and one round trip): the day's quota taken, the verification, its sealed input, its `created` event and
 * its outbox row written, every relay notified at commit. A quota that is spent writes nothing and is QuotaExceeded;
 * a unique violation (the Idempotency-Key raced) rolls all of it back, the quota's unit included.
 */
export async function createVerification(deps: VerificationDeps, v: NewVerification, now = new Date()): Promise<VerificationRow> {
  // sealed before the statement: encrypting megabytes of images must not hold a pooled connection
  const payloadEnc = sealInput(deps.env.keys, v.id, v.input);
  const limit =
    v.verificationsPerDay !== undefined
      ? v.verificationsPerDay
      : (await deps.db.tenant.findUniqueOrThrow({ where: { id: v.tenantId }, select: { verificationsPerDay: true } })).verificationsPerDay;
  const detail = { checks: v.checks, requestedVendor: v.requestedVendor, route: v.routePlan.accounts };
  const job = outboxValues("submit", `submit-${v.id}`, { verificationId: v.id }, now);
  // its submit job this process's to publish after the commit, when it can (src/core/publish.ts); else the relays'
  const claim = deps.publisher?.ready() ?? false;
  const [row] = await sql<VerificationRow & { notified?: unknown }>(deps.db, {
    name: "kyc_create_verification",
    text: CREATE_VERIFICATION_SQL,
    values: [
      v.id,
      v.tenantId,
      v.reference,
      v.checks,
      v.requestedVendor,
      jsonb(v.metadata),
      v.documentCountry,
      v.idempotencyKey,
      v.requestHash,
      utc(now),
      jsonb(v.routePlan),
      payloadEnc,
      limit,
      utcDay(now),
      jsonb(detail),
      OUTBOX_CHANNEL,
      ...outboxParams(job, now),
      claim,
    ],
  });
  if (!row) throw new QuotaExceeded("verifications", limit ?? 0, utcDay(now));
  delete row.notified;
  if (claim) void deps.publisher!.publish([job]);
  return row;
}

// $13 the day's quota (null: none), $14 its day; $16 the outbox channel; $17.. the outbox row (OUTBOX_COLUMNS); $25 whether
// the caller claims the job (published for it to add after the commit; else every relay is woken at commit)
const CREATE_VERIFICATION_SQL = `
WITH quota AS (
  INSERT INTO tenant_usage (tenant_id, day, kind, used)
  SELECT $2, $14, 'verifications', 1 WHERE $13::int > 0
  ON CONFLICT (tenant_id, day, kind) DO UPDATE SET used = tenant_usage.used + 1 WHERE tenant_usage.used < $13::int
  RETURNING used
), v AS (
  INSERT INTO verifications (id, tenant_id, reference, requested_checks, requested_vendor, status, metadata, document_country,
                             idempotency_key, request_hash, next_due_at, created_at, updated_at, route_plan)
  SELECT $1, $2, $3, $4::text[], $5, 'pending', $6::jsonb, $7, $8, $9, $10::timestamp, $10::timestamp, $10::timestamp, $11::jsonb
  WHERE $13::int IS NULL OR EXISTS (SELECT 1 FROM quota)
  RETURNING *
), input AS (
  INSERT INTO verification_inputs (verification_id, payload_enc, created_at) SELECT id, $12::bytea, $10::timestamp FROM v
), event AS (
  INSERT INTO verification_events (verification_id, source, type, to_status, detail, created_at)
  SELECT id, 'api', 'created', 'pending', $15::jsonb, $10::timestamp FROM v
), job AS (
  INSERT INTO outbox (${OUTBOX_COLUMNS}, published_at)
  SELECT $17, $18, $19::jsonb, $20::timestamp, $21, $22, $23, $24::timestamp, CASE WHEN $25::boolean THEN now() END FROM v
)
SELECT v.*, CASE WHEN NOT $25::boolean THEN pg_notify($16, '') END AS notified FROM v`;

/** The tenant's verification, or null (another tenant's is not found either). One prepared statement. */
export async function findVerification(db: Db, tenantId: string, id: string): Promise<VerificationRow | null> {
  const [row] = await sql<VerificationRow>(db, {
    name: "kyc_find_verification",
    text: "SELECT * FROM verifications WHERE id = $1 AND tenant_id = $2",
    values: [id, tenantId],
  });
  return row ?? null;
}

/** A page of the tenant's verifications, newest id first, after `cursor` (an id) when given. */
export async function listVerifications(
  db: Db,
  tenantId: string,
  filter: { reference?: string; status?: string; cursor?: string },
  take: number,
): Promise<VerificationRow[]> {
  // one statement text per combination of filters (each prepared once): a generic plan of "$2 IS NULL OR
  // reference = $2" could not use the indexes
  const conditions = ["tenant_id = $1"];
  const values: unknown[] = [tenantId];
  const named: string[] = [];
  for (const [column, value, op] of [
    ["reference", filter.reference, "="],
    ["status", filter.status, "="],
    ["id", filter.cursor, "<"],
  ] as const) {
    if (!value) continue;
    values.push(value);
    conditions.push(`${column} ${op} $${values.length}`);
    named.push(column);
  }
  values.push(take);
  return sql<VerificationRow>(db, {
    name: `kyc_list_verifications_${named.join("_") || "all"}`,
    text: `SELECT * FROM verifications WHERE ${conditions.join(" AND ")} ORDER BY id DESC LIMIT $${values.length}`,
    values,
  });
}

/** The tenant cancels: allowed from any open status; the wait ends and the tenant is told. */
export async function cancelVerification(deps: VerificationDeps, id: string): Promise<VerificationResource> {
  return deps.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM verifications WHERE id = ${id} FOR UPDATE`;
    const cur = await tx.verification.findUniqueOrThrow({ where: { id } });
    const now = changeTime(cur);
    const verdict = judgeTransition(
      { status: cur.status as VerificationStatus, decision: (cur.decision as Decision | null) ?? null },
      { status: "cancelled", decision: null },
    );
    if (!verdict.allowed) throw new NotAccepting(`the verification is already ${cur.status}`);
    const u = await tx.verification.update({
      where: { id },
      data: { status: "cancelled", nextAction: Prisma.DbNull, completedAt: now, nextDueAt: null, updatedAt: now },
    });
    await tx.verificationEvent.create({ data: { verificationId: id, source: "api", type: "cancelled", fromStatus: cur.status, toStatus: "cancelled" } });
    const resource = toResource(deps.env.keys, u);
    await emitVerificationEvent(tx, deps.env.keys, u.tenantId, "verification.updated", resource, now);
    return resource;
  });
}

/** Erasure status from the receipts: pending while a vendor is still asked, partial when one failed, done otherwise. */
export function erasureSummary(requestedAt: Date, receipts: { vendor: string; status: string; updatedAt: Date; detail: string | null }[]): ErasureReceipt {
  const status = receipts.some((r) => r.status === "requested") ? "pending" : receipts.some((r) => r.status === "failed") ? "partial" : "done";
  return {
    status,
    requestedAt: requestedAt.toISOString(),
    vendors: receipts.map((r) => ({
      vendor: r.vendor as VendorId,
      status: r.status as ErasureReceipt["vendors"][number]["status"],
      at: r.updatedAt.toISOString(),
      detail: r.detail,
    })),
  };
}

/** Rewrites the tenant-visible receipt from the erasure rows (under the caller's transaction). */
export async function refreshErasureSummary(tx: Tx, verificationId: string): Promise<void> {
  const v = await tx.verification.findUniqueOrThrow({ where: { id: verificationId }, select: { erasedAt: true } });
  if (!v.erasedAt) return;
  const receipts = await tx.vendorErasure.findMany({ where: { verificationId }, orderBy: { createdAt: "asc" } });
  await tx.verification.update({ where: { id: verificationId }, data: { erasure: json(erasureSummary(v.erasedAt, receipts)) } });
}

/**
 * Erases the personal data of a verification, under its row lock: the sealed input, stored vendor
 * payloads, artifacts, the document fields and session signals of its checks, the raw vendor
 * webhooks about it, the document fields of past outbound events. The decision and audit trail stay.
 * Vendors that can erase (`adapter.erase`) are asked by a retried job; each gets a receipt.
 * Anything that arrives later is applied to status and decision only (applyOutcome sees erasedAt).
 */
export interface ErasureRequest {
  /** who asked: the tenant through the API (default), or the retention sweep */
  source?: EventSource;
  /** written to the audit log in the erasure's own transaction (retention: the system, and why) */
  audit?: { actor: Actor; why: Record<string, unknown> };
}

export async function erasePersonalData(
  deps: Pick<VerificationDeps, "db" | "env">,
  id: string,
  now = new Date(),
  request: ErasureRequest = {},
): Promise<VerificationRow> {
  return deps.db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM verifications WHERE id = ${id} FOR UPDATE`;
    const cur = await tx.verification.findUniqueOrThrow({ where: { id } });
    const checks = clearChecks(checksOf(deps.env.keys, cur));
    await tx.verificationInput.deleteMany({ where: { verificationId: id } });
    await tx.vendorPayload.deleteMany({ where: { verificationId: id } });
    await tx.verificationArtifact.deleteMany({ where: { verificationId: id } });
    await tx.inboundWebhook.updateMany({ where: { verificationId: id }, data: { rawBody: new Uint8Array(0) } });
    // sealed events: the clear payload is already without personal data; legacy plaintext ones are cut
    await tx.webhookEvent.updateMany({ where: { verificationId: id, payloadEnc: { not: null } }, data: { payloadEnc: null } });
    await tx.$executeRaw`UPDATE webhook_events SET payload = jsonb_set(payload #- '{data,checks,session}', '{data,checks,document,fields}', '{}'::jsonb, false) WHERE verification_id = ${id} AND payload #> '{data,checks}' IS NOT NULL`;
    const firstErasure = cur.erasedAt === null;
    if (firstErasure && cur.vendorAccountId && cur.vendor) {
      const adapter = adapterFor(cur.vendor);
      const erasable = Boolean(adapter?.erase && cur.vendorReference);
      const erasureId = newId("era");
      await tx.vendorErasure.create({
        data: {
          id: erasureId,
          verificationId: id,
          vendor: cur.vendor,
          vendorAccountId: cur.vendorAccountId,
          status: erasable ? "requested" : "not_supported",
          nextDueAt: erasable ? now : null,
          detail: erasable ? null : adapter?.erase ? "the vendor never created a session for it" : "the vendor offers no erasure API",
        },
      });
      if (erasable) await enqueue(tx, "erase", `erase-${erasureId}`, { erasureId });
    }
    const erasedAt = cur.erasedAt ?? now;
    const receipts = await tx.vendorErasure.findMany({ where: { verificationId: id }, orderBy: { createdAt: "asc" } });
    const u = await tx.verification.update({
      where: { id },
      data: { checks: json(checks), checksEnc: null, erasedAt, erasure: json(erasureSummary(erasedAt, receipts)) },
    });
    await tx.verificationEvent.create({
      data: {
        verificationId: id,
        source: request.source ?? "api",
        type: "personal_data_erased",
        fromStatus: cur.status,
        toStatus: cur.status,
        detail: json({ vendors: receipts.map((r) => ({ vendor: r.vendor, status: r.status })), ...(request.audit ? { why: request.audit.why } : {}) }),
      },
    });
    if (request.audit)
      await recordAudit(tx, request.audit.actor, {
        action: "verification.personal_data_erased",
        entityType: "verification",
        entityId: id,
        after: { tenantId: cur.tenantId, ...request.audit.why },
      });
    return u;
  });
}

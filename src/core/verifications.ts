// The verification store: the public resource, the encrypted personal input, and
// applyOutcome(), the one place a verification changes status. Each change is one
// transaction: row lock, state-machine check, event row, outbound event, next jobs.
import type { Logger } from "pino";
import { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import type { AdapterVerification, Outcome, VerificationInputData } from "../adapters/types.js";
import { decryptBytes, encryptBytes } from "./crypto.js";
import type { Checks, Decision, NextAction, Reason, VendorId, VerificationResource, VerificationStatus } from "./model.js";
import { judgeTransition, isTerminal } from "./state-machine.js";
import { emitVerificationEvent, eventTypeFor } from "../webhooks/outbound/emit.js";
import { enqueue } from "../workers/outbox.js";
import { verificationOutcomes } from "../observability/metrics.js";

export type VerificationRow = Prisma.VerificationGetPayload<object>;
export type EventSource = "api" | "worker" | "poll" | "webhook";

export function toResource(v: VerificationRow): VerificationResource {
  return {
    id: v.id,
    reference: v.reference,
    vendor: (v.vendor as VendorId | null) ?? null,
    status: v.status as VerificationStatus,
    decision: (v.decision as Decision | null) ?? null,
    reasons: (v.reasons as unknown as Reason[]) ?? [],
    checks: (v.checks as unknown as Checks) ?? {},
    nextAction: (v.nextAction as unknown as NextAction | null) ?? null,
    vendorReference: v.vendorReference,
    metadata: (v.metadata as Record<string, unknown>) ?? {},
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    completedAt: v.completedAt?.toISOString() ?? null,
  };
}

// Images travel as base64 inside the sealed JSON; Buffers are restored on the way out.
interface SealedImage {
  side?: "front" | "back" | "single";
  contentType: string;
  data: string;
}

export function sealInput(key: Buffer, verificationId: string, input: VerificationInputData): Buffer {
  const img = (i: { side?: "front" | "back" | "single"; contentType: string; data: Buffer }): SealedImage => ({ side: i.side, contentType: i.contentType, data: i.data.toString("base64") });
  const plain = {
    ...input,
    document: input.document ? { ...input.document, images: input.document.images.map(img) } : undefined,
    selfie: input.selfie ? img(input.selfie) : undefined,
  };
  return encryptBytes(key, Buffer.from(JSON.stringify(plain)), `verification-input:${verificationId}`);
}

export function openInput(key: Buffer, verificationId: string, sealed: Uint8Array): VerificationInputData {
  const plain = JSON.parse(decryptBytes(key, Buffer.from(sealed), `verification-input:${verificationId}`).toString("utf8"));
  const img = (i: SealedImage) => ({ side: i.side, contentType: i.contentType, data: Buffer.from(i.data, "base64") });
  return {
    ...plain,
    document: plain.document ? { ...plain.document, images: (plain.document.images as SealedImage[]).map(img) } : undefined,
    selfie: plain.selfie ? img(plain.selfie) : undefined,
  };
}

export async function loadForAdapter(db: Db, inputKey: Buffer, id: string): Promise<{ row: VerificationRow; adapterView: AdapterVerification } | null> {
  const row = await db.verification.findUnique({ where: { id }, include: { input: true } });
  if (!row) return null;
  const input = row.input ? openInput(inputKey, id, row.input.payloadEnc) : {};
  const { input: _sealed, ...plainRow } = row;
  return {
    row: plainRow,
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

export async function applyOutcome(db: Db, log: Logger, id: string, outcome: Outcome, opts: ApplyOptions, now = new Date()): Promise<ApplyResult> {
  const result = await db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM verifications WHERE id = ${id} FOR UPDATE`;
      const current = await tx.verification.findUnique({ where: { id } });
      if (!current) return { applied: false as const, why: "not found", resource: null };
      const from = { status: current.status as VerificationStatus, decision: (current.decision as Decision | null) ?? null };
      const toDecision = outcome.status === "completed" ? outcome.decision : null;
      const verdict = judgeTransition(from, { status: outcome.status, decision: toDecision });
      const eventBase = { verificationId: id, source: opts.source, type: opts.eventType, fromStatus: current.status };
      if (opts.dedupeKey) {
        const seen = await tx.verificationEvent.findFirst({ where: { verificationId: id, type: opts.eventType, detail: { path: ["dedupeKey"], equals: opts.dedupeKey } } });
        if (seen) {
          await tx.verificationEvent.create({ data: { ...eventBase, type: `${opts.eventType}_duplicate`, toStatus: current.status, detail: json({ ...opts.detail, dedupeKey: opts.dedupeKey }) } });
          return { applied: false as const, why: "duplicate", resource: toResource(current) };
        }
      }
      if (!verdict.allowed) {
        // a late or repeated vendor event changes nothing but the event log
        await tx.verificationEvent.create({ data: { ...eventBase, toStatus: current.status, detail: json({ ...opts.detail, ...(opts.dedupeKey ? { dedupeKey: opts.dedupeKey } : {}), ignored: verdict.why, outcomeStatus: outcome.status }) } });
        return { applied: false as const, why: verdict.why, resource: toResource(current) };
      }
      const data: Prisma.VerificationUpdateInput = { status: outcome.status, updatedAt: now };
      if (opts.vendor) data.vendor = opts.vendor;
      if (opts.vendorAccountId) data.vendorAccount = { connect: { id: opts.vendorAccountId } };
      if (opts.routeIndex !== undefined) data.routeIndex = opts.routeIndex;
      if (opts.countPoll) data.pollCount = { increment: 1 };
      if ("vendorReference" in outcome && outcome.vendorReference) data.vendorReference = outcome.vendorReference;
      switch (outcome.status) {
        case "completed":
          data.decision = outcome.decision;
          data.reasons = json(outcome.reasons);
          data.checks = json(outcome.checks);
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
          if (outcome.checks) data.checks = json(outcome.checks);
          if (outcome.expiresAt) data.expiresAt = outcome.expiresAt;
          break;
        case "processing":
          data.nextAction = Prisma.DbNull;
          if (outcome.checks) data.checks = json(outcome.checks);
          if (outcome.reasons) data.reasons = json(outcome.reasons);
          if (outcome.expiresAt) data.expiresAt = outcome.expiresAt;
          break;
      }
      const updated = await tx.verification.update({ where: { id }, data });
      const step = "step" in outcome ? outcome.step : undefined;
      await tx.verificationEvent.create({
        data: { ...eventBase, toStatus: updated.status, detail: json({ ...opts.detail, ...(opts.dedupeKey ? { dedupeKey: opts.dedupeKey } : {}), ...(step ? { step } : {}), ...(outcome.status === "completed" ? { decision: outcome.decision } : {}) }) },
      });
      const resource = toResource(updated);
      const changed = current.status !== updated.status || current.decision !== updated.decision || verdict.kind === "settle_review";
      if (changed) await emitVerificationEvent(tx, updated.tenantId, eventTypeFor(updated.status), resource, now);
      const pollAfterMs = "pollAfterMs" in outcome ? outcome.pollAfterMs : null;
      if (pollAfterMs && pollAfterMs > 0) {
        await enqueue(tx, "poll", `poll-${id}-${updated.pollCount}`, { verificationId: id }, new Date(now.getTime() + pollAfterMs));
      } else if (!isTerminal(updated.status as VerificationStatus) && updated.expiresAt && current.expiresAt?.getTime() !== updated.expiresAt.getTime()) {
        // nothing to poll, but the wait for the user ends: check then (expired with user_abandoned)
        await enqueue(tx, "poll", `expiry-${id}-${updated.expiresAt.getTime()}`, { verificationId: id }, updated.expiresAt);
      }
      if (outcome.status === "completed" && outcome.followUps) {
        for (const name of outcome.followUps) await enqueue(tx, "followup", `followup-${id}-${name}`, { verificationId: id, name });
      }
      return { applied: true as const, resource, changed, current };
    },
    { timeout: 15_000 },
  );
  if (result.applied && isTerminal(result.resource.status) && "changed" in result && result.changed) {
    verificationOutcomes.inc({ vendor: result.resource.vendor ?? "none", status: result.resource.status, decision: result.resource.decision ?? "none" });
    log.info({ verificationId: id, status: result.resource.status, decision: result.resource.decision, vendor: result.resource.vendor }, "verification finished");
  }
  if (result.applied) return { applied: true, resource: result.resource };
  return result;
}

/** An event-log entry that does not change the status (a vendor failure, a follow-up, a duplicate). */
export async function noteEvent(db: Db, v: { id: string; status: string }, source: EventSource, type: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.verificationEvent.create({ data: { verificationId: v.id, source, type, fromStatus: v.status, toStatus: v.status, detail: json(detail) } });
}

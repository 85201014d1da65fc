// The adapter contract (DESIGN.md "The adapter contract"). An adapter is mostly
// data (zod schemas of the vendor's payloads, mapping tables); code only where
// data cannot say it. Adapters never touch Postgres or Redis directly: they get
// an AdapterContext whose `http` goes through the one resilient vendor-call path.
import type { Checks, CheckName, Decision, DocumentType, NextAction, Reason, VendorId } from "../domain/model.js";
import type { VendorHttp } from "./kit/http.js";
import type { Logger } from "pino";

export type { VendorId };

export interface ImageInput {
  side?: "front" | "back" | "single";
  contentType: string;
  data: Buffer;
}

/** The personal input of a verification, decrypted only inside the worker. Empty after erasure. */
export interface VerificationInputData {
  subject?: {
    firstName?: string;
    lastName?: string;
    dateOfBirth?: string;
    phone?: string;
    email?: string;
    documentNumber?: string;
  };
  document?: { type?: DocumentType; country?: string; images: ImageInput[] };
  selfie?: ImageInput;
  faceCapture?: { identyBlob: string };
  hosted?: { returnUrl?: string; language?: string; smsMessage?: string; smsSender?: string; sendAt?: string };
  tags?: string[];
}

export interface AdapterVerification {
  id: string;
  tenantId: string;
  reference: string | null;
  checks: CheckName[];
  createdAt: Date;
  status: string;
  decision: Decision | null;
  vendorReference: string | null;
  pollCount: number;
  /** the wait for the user ends then (set from the vendor session's creation, kept by the store) */
  sessionExpiresAt?: Date | null;
  metadata: Record<string, unknown>;
  input: VerificationInputData;
}

export interface AdapterAccount {
  id: string;
  tenantId: string;
  vendor: VendorId;
  baseUrl: string;
  /** decrypted credentials, validated by the adapter's credentialsSchema */
  credentials: Record<string, unknown>;
  settings: Record<string, unknown>;
  /** where this account's vendor webhooks must be sent: {PUBLIC_BASE_URL}/hooks/<vendor>/<accountId> */
  webhookUrl: string;
}

export interface AccountEventInput {
  /** e.g. "anomaly.detected", "low_credits", "unknown_reference" */
  type: string;
  /** the vendor's delivery/event id: one row per (account, externalId) however often delivered */
  externalId: string;
  payload: unknown;
}

export interface ArtifactInput {
  kind: "certificate";
  contentType: string;
  data: Buffer;
}

/** Side effects an adapter may ask for; the pipeline persists them. */
export interface AdapterContext {
  http: VendorHttp;
  log: Logger;
  now(): Date;
  /** keep a vendor payload (redacted of images by the pipeline) for audit */
  recordPayload(kind: string, body: unknown): void;
  recordCredits(credits: number): void;
  recordAccountEvent(event: AccountEventInput): void;
  saveArtifact(artifact: ArtifactInput): Promise<void>;
  /** the public base URL of this gateway (for proxy paths handed to end users) */
  publicBaseUrl: string;
  /** a 32-byte key derived from MASTER_KEY for one purpose (e.g. "identy-sdk-proxy"), the same in every process */
  deriveKey(purpose: string): Buffer;
}

export type Outcome =
  | {
      status: "completed";
      decision: Decision;
      reasons: Reason[];
      checks: Checks;
      vendorReference?: string | null;
      /** keep polling after completion (a `review` the vendor's operator may settle) */
      pollAfterMs?: number | null;
      followUps?: FollowUp[];
      /**
       * the vendor's own human operator decided (Identomat APPROVED/REJECTED after MANUAL_CHECK,
       * VerificarIdentidad 5100/5500): final, except that the gateway's policy may add reasons and
       * make it stricter (approved to review or declined), never the reverse. An automatic vendor
       * decision is treated the same way by the policy, and a failing check also holds it back.
       */
      humanDecision?: boolean;
    }
  | {
      status: "awaiting_user";
      nextAction: NextAction | null;
      vendorReference?: string | null;
      checks?: Checks;
      pollAfterMs?: number | null;
      /** past this moment, still awaiting the user means `expired` with `user_abandoned` */
      expiresAt?: Date | null;
      /** the vendor-side step (kept in the event log) */
      step?: string | null;
    }
  | {
      status: "processing";
      vendorReference?: string | null;
      checks?: Checks;
      reasons?: Reason[];
      pollAfterMs?: number | null;
      expiresAt?: Date | null;
      step?: string | null;
    }
  | { status: "failed"; reasons: Reason[]; vendorReference?: string | null }
  | { status: "expired"; reasons: Reason[]; vendorReference?: string | null };

export type FollowUp = "certificate";

export interface RawWebhookRequest {
  method: string;
  /** header names lower-cased */
  headers: Record<string, string>;
  query: Record<string, string>;
  rawBody: Buffer;
  receivedAt: Date;
}

export type ParsedWebhook =
  | {
      type: "verification";
      /** how to find the verification: the vendor's reference, or our id when the vendor echoes it */
      vendorReference?: string | null;
      verificationId?: string | null;
      /** stable key of this vendor event: a repeated delivery has the same key */
      dedupeKey: string;
      /** the vendor's status code as sent, for the event log */
      vendorStatus: string;
      outcome: Outcome;
      /** non-personal detail for the event log */
      detail?: Record<string, unknown>;
      /** the decoded webhook body, kept (redacted of images and secrets) as a vendor payload of kind "webhook" for audit and re-decision */
      payload?: unknown;
    }
  | { type: "account_event"; event: AccountEventInput };

export interface AdapterCapabilities {
  document: boolean;
  liveness: boolean;
  faceMatch: boolean;
  hosted: boolean;
  webhooks: boolean;
  polling: boolean;
}

export interface HealthResult {
  ok: boolean;
  detail: string;
  credits?: number | null;
}

/** A vendor payload kept for audit (vendor_payloads row: redacted of images and credentials), oldest first. */
export interface StoredVendorPayload {
  kind: string;
  body: unknown;
  receivedAt: Date;
}

export interface VendorAdapter {
  vendor: VendorId;
  /**
   * the version of this adapter's normalization (mapping tables and payload-to-outcome rules);
   * bump it whenever a mapping changes. Each verification records the version that decided it.
   */
  mappingVersion: string;
  /**
   * re-derive the vendor's normalized outcome from the payloads this adapter recorded (no vendor
   * call): used by re-decision after a mapping or policy change. null when the payloads do not say.
   */
  renormalize?(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null;
  capabilities: AdapterCapabilities;
  /** default base URL when an account does not name one */
  defaultBaseUrl: string;
  /** zod-like parser for this vendor's credentials; `mask` shows which keys are secret */
  credentials: { parse(input: unknown): Record<string, unknown>; secretKeys: readonly string[] };
  /** zod-like parser for this vendor's account settings */
  settings: { parse(input: unknown): Record<string, unknown> };
  /** 4xx-worthy problems of a request this vendor cannot take, found before any vendor call */
  validateRequest?(input: VerificationInputData, checks: CheckName[], account: AdapterAccount): RequestProblem[];
  start(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome>;
  poll?(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome>;
  authenticateWebhook?(req: RawWebhookRequest, account: AdapterAccount): boolean;
  parseWebhook?(req: RawWebhookRequest, account: AdapterAccount): ParsedWebhook[];
  runFollowUp?(name: FollowUp, v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<void>;
  /** ask the vendor to delete its copy of the session's personal data */
  erase?(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<{ ok: boolean; detail: string }>;
  cancel?(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<void>;
  health?(account: AdapterAccount, ctx: AdapterContext): Promise<HealthResult>;
  /**
   * start() reaches the end user (an SMS): if a worker died during a start, the start is
   * not repeated (no second SMS); the verification fails with vendor_error instead.
   */
  startReachesUser?: boolean;
  /** start() sends an SMS (VerificarIdentidad): each send takes one unit of the tenant's daily SMS quota first */
  sendsSms?: boolean;
  /**
   * Whether a start whose answer was lost (its worker died during the call) may be sent again.
   * Absent = yes. IDENTY: a BLOB is resent only with settings.resendBlob (each one is a billed IWS transaction).
   */
  repeatsLostStart?(account: AdapterAccount): boolean;
  /** the vendor asks not to be probed more often than this (shared by every process through the account row) */
  minHealthIntervalMs?: number;
}

export interface RequestProblem {
  /** JSON path in the public request, e.g. "document.images[2]" */
  path: string;
  message: string;
  status: 400 | 413 | 415 | 422;
}

export type { Checks, Reason, Decision, DocumentType };

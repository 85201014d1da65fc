// The adapter contract (DESIGN.md "The adapter contract"). An adapter is mostly
// data (zod schemas of the vendor's payloads, mapping tables); code only where
// data cannot say it. Adapters never touch Postgres or Redis directly: they get
// an AdapterContext whose `http` goes through the one resilient vendor-call path.
import type { Checks, CheckName, Decision, DocumentType, NextAction, Reason, VendorId } from "../domain/model.js";
import type { Router } from "express";
import type { VendorHttp } from "./kit/http.js";
import type { AdapterCapabilities, VendorManifest } from "./kit/manifest.js";
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

/**
 * A vendor account as an adapter gets it. Loaded by the core (toAdapterAccount), its credentials and settings are
 * parsed by the vendor's manifest once, there: a handler of defineAdapter sees them typed (AccountOf<manifest>).
 */
export interface AdapterAccount<C = Record<string, unknown>, S = Record<string, unknown>> {
  id: string;
  tenantId: string;
  vendor: VendorId;
  baseUrl: string;
  /** decrypted credentials */
  credentials: C;
  settings: S;
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

export type { AdapterCapabilities };

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

/** What a vendor route (the IDENTY SDK proxy) is given by the entry point that mounts it. */
export interface VendorRouteDeps<A = AdapterAccount> {
  /** a 32-byte key derived from MASTER_KEY for the route's keyPurpose */
  key: Buffer;
  /** the account a link names, loaded and parsed, with its tenant's browser origins; null when it is not this vendor's */
  resolveAccount(accountId: string): Promise<(A & { allowedOrigins: readonly string[] }) | null>;
  /** NODE_ENV=production */
  production: boolean;
  /** the resilient vendor-call client of one proxied call, on the route's own breaker key, inside the account's shared limits */
  httpFor: (call: { accountId: string; verificationId: string; concurrency: number; maxRetries: number; timeoutMs?: number }) => VendorHttp;
}

/** An HTTP route of the vendor's own on the gateway, mounted before any body parser (it may read raw bodies). */
export interface VendorRoute<A = AdapterAccount> {
  /** where it is mounted, e.g. "/sdk/identy" */
  path: `/${string}`;
  /** names its calls' breaker/bulkhead key (`<account>#<name>`) */
  name: string;
  /** the purpose of its key (the same derivation the adapter uses to sign links to it) */
  keyPurpose: string;
  router(deps: VendorRouteDeps<A>): Router;
}

/** The vendor takes a capture from the tenant (POST /v1/verifications/:id/capture) for a verification waiting on one. */
export interface VendorCapture {
  /** the nextAction of a verification waiting for the capture */
  nextAction: NextAction["type"];
}

export interface VendorAdapter {
  /** the vendor's facts as data (id, capabilities, schemas, sandbox defaults) */
  manifest: VendorManifest;
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
  /** the manifest's */
  capabilities: AdapterCapabilities;
  /** default base URL when an account does not name one (the manifest's) */
  defaultBaseUrl: string;
  /** the manifest's credentials schema, strict (a ZodError names every bad key); `secretKeys` are never shown back */
  credentials: { parse(input: unknown): Record<string, unknown>; secretKeys: readonly string[] };
  /** the manifest's settings schema (the shared settings merged in), strict */
  settings: { parse(input: unknown): Record<string, unknown> };
  /** the account with its credentials and settings parsed, once, when the core loads it; AccountConfigError otherwise */
  parseAccount(account: AdapterAccount): AdapterAccount;
  /**
   * 4xx-worthy problems of a request this vendor cannot take, judged as of `at` (when the request was
   * accepted; now when not given). The core asks it twice and the adapter never: the API, to answer 4xx against the routed
   * account; the worker, before each account's start (an input changed since, or a fall-over to an
   * account that cannot take it). `start` may assume a request this admits.
   */
  validateRequest?(input: VerificationInputData, checks: CheckName[], account: AdapterAccount, at?: Date): RequestProblem[];
  start(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome>;
  poll?(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<Outcome>;
  authenticateWebhook?(req: RawWebhookRequest, account: AdapterAccount): boolean;
  parseWebhook?(req: RawWebhookRequest, account: AdapterAccount): ParsedWebhook[];
  runFollowUp?(name: FollowUp, v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<void>;
  /** ask the vendor to delete its copy of the session's personal data */
  erase?(v: AdapterVerification, account: AdapterAccount, ctx: AdapterContext): Promise<{ ok: boolean; detail: string }>;
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
  /** routes of the vendor's own on the gateway (the IDENTY SDK proxy) */
  routes?: VendorRoute[];
  /** the vendor takes captures (the IDENTY Face Web SDK BLOB) */
  capture?: VendorCapture;
}

export interface RequestProblem {
  /** JSON path in the public request, e.g. "document.images[2]" */
  path: string;
  message: string;
  status: 400 | 413 | 415 | 422;
}

export type { Checks, Reason, Decision, DocumentType };

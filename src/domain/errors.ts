// Errors at the adapter boundary are values with a kind and a `retryable` flag;
// toTechnicalReason() is the one place that turns them into normalized reasons.
import { reason, type Reason, type VendorId } from "./model.js";
import type { ReasonCode } from "./vocabulary.js";

export type VendorErrorKind = "auth" | "rejected" | "unavailable" | "timeout" | "parse" | "rate_limited" | "out_of_credits" | "feature_disabled";

const REASON_BY_KIND = {
  auth: "vendor_auth_failed",
  rejected: "vendor_rejected_request",
  unavailable: "vendor_unavailable",
  timeout: "vendor_timeout",
  parse: "vendor_error",
  rate_limited: "vendor_unavailable",
  out_of_credits: "vendor_out_of_credits",
  feature_disabled: "vendor_feature_disabled",
} as const satisfies Record<VendorErrorKind, ReasonCode>;

export interface VendorErrorInit {
  kind: VendorErrorKind;
  vendor: VendorId;
  retryable: boolean;
  endpoint?: string;
  httpStatus?: number | null;
  /** the vendor's own code (HTTP status, Res, error code), kept in the reason's vendorCode */
  vendorCode?: string | number | null;
  /** a normalized code more precise than the kind's default */
  reasonCode?: ReasonCode;
  /** must never contain personal data: it reaches logs and the API */
  message: string;
  retryAfterMs?: number | null;
}

export class VendorError extends Error {
  readonly kind: VendorErrorKind;
  readonly vendor: VendorId;
  readonly retryable: boolean;
  readonly endpoint: string | undefined;
  readonly httpStatus: number | null;
  readonly vendorCode: string | null;
  readonly reasonCode: ReasonCode;
  readonly retryAfterMs: number | null;

  constructor(init: VendorErrorInit) {
    super(init.message);
    this.name = "VendorError";
    this.kind = init.kind;
    this.vendor = init.vendor;
    this.retryable = init.retryable;
    this.endpoint = init.endpoint;
    this.httpStatus = init.httpStatus ?? null;
    this.vendorCode = init.vendorCode === undefined || init.vendorCode === null ? null : String(init.vendorCode);
    this.reasonCode = init.reasonCode ?? REASON_BY_KIND[init.kind];
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  toReason(): Reason {
    return reason(this.reasonCode, this.vendor, this.vendorCode ?? this.httpStatus, this.message);
  }
}

export function isVendorError(e: unknown): e is VendorError {
  return e instanceof VendorError;
}

export function toTechnicalReason(e: unknown, vendor: VendorId | null): Reason {
  if (isVendorError(e)) return e.toReason();
  return reason("vendor_error", vendor, null, "unexpected adapter failure");
}

/** Where an account's configuration is wrong and what is wrong there (never the value: it may be a secret). */
export interface ConfigIssue {
  /** from the account: ["settings", "throughput", "proces"], ["credentials", "apiKey"] */
  path: PropertyKey[];
  message: string;
}

/**
 * A vendor account whose stored credentials or settings do not parse: a fault of the gateway's configuration,
 * the same error and message whatever the vendor. A VendorError that is never retried, so that the pipeline
 * ends the attempt technical (`failed`, vendor_auth_failed for credentials, vendor_rejected_request for
 * settings) and never reads it as something the user did; before any vendor call.
 */
export class AccountConfigError extends VendorError {
  readonly part: "credentials" | "settings";
  readonly issues: ConfigIssue[];

  constructor(vendor: VendorId, part: "credentials" | "settings", issues: ConfigIssue[]) {
    super({
      kind: part === "credentials" ? "auth" : "rejected",
      vendor,
      retryable: false,
      message: `${vendor} account ${part} are not valid at ${issues.map((i) => i.path.map(String).join(".")).join(", ") || part}`,
    });
    this.name = "AccountConfigError";
    this.part = part;
    this.issues = issues;
  }
}

export function isAccountConfigError(e: unknown): e is AccountConfigError {
  return e instanceof AccountConfigError;
}

// Errors at the adapter boundary are values with a kind and a `retryable` flag;
// toTechnicalReason() is the one place that turns them into normalized reasons.
import { reason, type Reason, type VendorId } from "./model.js";
import type { ReasonCode } from "./vocabulary.js";

export type VendorErrorKind =
  | "auth"
  | "rejected"
  | "unavailable"
  | "timeout"
  | "parse"
  | "rate_limited"
  | "out_of_credits"
  | "feature_disabled";

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

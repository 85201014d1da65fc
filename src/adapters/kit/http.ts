// The adapter side of a vendor call: what an adapter sends and gets back through the HTTP client the core
// injects (src/core/vendor-http.ts owns timeouts, retries, breakers and limits), and the default way an
// HTTP status becomes an error value. Pure: no I/O here.
import { VendorError, type VendorErrorKind } from "../../domain/errors.js";
import type { VendorId } from "../../domain/model.js";

export interface VendorResponse {
  status: number;
  headers: Record<string, string>;
  rawBody: Buffer;
  /** the body as UTF-8 text */
  text: string;
  /** the body parsed as JSON, or undefined when it is not valid JSON */
  json: unknown;
}

export interface VendorRequest {
  /** a stable label for metrics and the vendor_calls table, e.g. "face_detection" */
  endpoint: string;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  data?: unknown;
  timeoutMs?: number;
  /**
   * Turns a response into an error (or null when the adapter handles it itself).
   * Defaults to defaultClassify: 2xx ok, 401/403 auth, 408/504 timeout, 429 rate limited,
   * 5xx unavailable (all three retryable), other 4xx rejected.
   */
  classify?: (res: VendorResponse) => VendorError | null;
  /** false for calls that must never be repeated (a vendor call that sends an SMS, say) */
  retry?: boolean;
  /**
   * the share of the vendor account's capacity this call takes, in ms (1000 / the vendor's requests per
   * second for it): calls to the account start no faster than that, through `sharedRate`
   */
  costMs?: number;
}

export interface VendorCallRecord {
  vendor: VendorId;
  vendorAccountId: string;
  verificationId: string | null;
  endpoint: string;
  httpStatus: number | null;
  latencyMs: number;
  attempt: number;
  outcome: "ok" | "error";
  errorKind: VendorErrorKind | null;
  /** the request id of the work that made the call */
  requestId: string | null;
}

export interface VendorHttp {
  call(req: VendorRequest): Promise<VendorResponse>;
}

function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function defaultClassify(vendor: VendorId, endpoint: string) {
  return (res: VendorResponse): VendorError | null => {
    const s = res.status;
    if (s >= 200 && s < 300) return null;
    const base = { vendor, endpoint, httpStatus: s, vendorCode: s };
    if (s === 401 || s === 403) return new VendorError({ ...base, kind: "auth", retryable: false, message: `vendor answered ${s} (credentials refused)` });
    if (s === 408 || s === 504) return new VendorError({ ...base, kind: "timeout", retryable: true, message: `vendor answered ${s} (timeout)` });
    if (s === 429)
      return new VendorError({
        ...base,
        kind: "rate_limited",
        retryable: true,
        retryAfterMs: parseRetryAfter(res.headers["retry-after"], Date.now()),
        message: "vendor answered 429 (rate limited)",
      });
    if (s >= 500) return new VendorError({ ...base, kind: "unavailable", retryable: true, message: `vendor answered ${s}` });
    return new VendorError({ ...base, kind: "rejected", retryable: false, message: `vendor answered ${s}` });
  };
}


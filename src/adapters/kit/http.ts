// The adapter side of a vendor call: what an adapter sends and gets back through the HTTP client the core
// injects (src/core/vendor-http.ts owns timeouts, retries, breakers and limits), and the helpers every vendor
// client shares (URL join, auth headers, multipart bodies, a status classifier built from a table, parsing and
// recording an answer, errors bound to the vendor). A client states only its tables and its differences.
// Pure: no I/O here but the injected client.
import FormData from "form-data";
import type { ZodType } from "zod";
import { VendorError, type VendorErrorInit, type VendorErrorKind } from "../../domain/errors.js";
import type { ReasonCode } from "../../domain/vocabulary.js";
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

/** A `new VendorError` with the vendor filled in: `const vendorError = vendorErrorFor("dms")`. */
export function vendorErrorFor(vendor: VendorId) {
  return (init: Omit<VendorErrorInit, "vendor">): VendorError => new VendorError({ ...init, vendor });
}

// ---------------------------------------------------------------- URLs and auth

/** base + path with exactly one slash between them ("" or "/" paths give the base itself). */
export function joinUrl(base: string, ...paths: string[]): string {
  let url = base.replace(/\/+$/, "");
  for (const p of paths) {
    const part = p.replace(/^\/+/, "");
    if (part) url = `${url}/${part}`;
    else if (p.endsWith("/") && p.length > 0) url = `${url}/`;
  }
  return url;
}

/** `Authorization: Bearer <token>` */
export function bearerAuth(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** `Authorization: Basic base64(user:password)` (RFC 7617, UTF-8) */
export function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}` };
}

// ---------------------------------------------------------------- bodies

export interface FilePart {
  data: Buffer;
  /** a neutral file name (never built from personal data) */
  filename: string;
  contentType: string;
}

/**
 * A multipart/form-data body as one Buffer (not a stream), so that a retried attempt sends it again intact.
 * Fields in order; a string is a plain field, a FilePart a file.
 */
export function multipartBody(fields: readonly (readonly [name: string, value: string | FilePart])[]): { data: Buffer; headers: Record<string, string> } {
  const form = new FormData();
  for (const [name, value] of fields) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value.data, { filename: value.filename, contentType: value.contentType, knownLength: value.data.length });
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.getHeaders())) headers[k] = String(v);
  return { data: form.getBuffer(), headers };
}

/** A JSON body and its content type. */
export function jsonBody(body: unknown): { data: Buffer; headers: Record<string, string> } {
  return { data: Buffer.from(JSON.stringify(body)), headers: { "Content-Type": "application/json" } };
}

// ---------------------------------------------------------------- statuses

/** What an HTTP status means for a vendor: an error value, or null for an answer the adapter reads itself. */
export interface StatusRow {
  kind: VendorErrorKind;
  retryable: boolean;
  /** the vendor's wording of it, when it has one */
  message?: string;
  reasonCode?: ReasonCode;
}

/** HTTP status (as written in the vendor's file) -> row; null: a business answer (DMS's 422) the adapter reads. */
export type StatusTable = Readonly<Record<string | number, StatusRow | null>>;

/** What every vendor gets for a status its own table does not list. */
export const DEFAULT_STATUS_TABLE = {
  401: { kind: "auth", retryable: false, message: "credentials refused" },
  403: { kind: "auth", retryable: false, message: "credentials refused" },
  408: { kind: "timeout", retryable: true, message: "timeout" },
  429: { kind: "rate_limited", retryable: true, message: "rate limited" },
  504: { kind: "timeout", retryable: true, message: "timeout" },
} as const satisfies StatusTable;

/** A status by class when no table lists it: 5xx unavailable (retried), anything else not 2xx rejected. */
export const DEFAULT_STATUS_CLASSES = {
  "3xx": { kind: "rejected", retryable: false },
  "4xx": { kind: "rejected", retryable: false },
  "5xx": { kind: "unavailable", retryable: true },
} as const satisfies Record<"3xx" | "4xx" | "5xx", StatusRow>;

/** A table row read the one way every table is read: own keys only, never the prototype's. */
export function rowOf<T extends object>(table: T, key: string | number | null | undefined): T[keyof T] | undefined {
  if (key === null || key === undefined || !Object.hasOwn(table, String(key))) return undefined;
  return table[String(key) as keyof T];
}

/** Retry-After as milliseconds from `now`: delay-seconds or an HTTP date (RFC 9110 10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export interface ClassifierOptions {
  /**
   * The vendor's own rows by status class, for every status `table` does not list (ShareID's file classes them
   * all); without them an unlisted status gets the shared DEFAULT_STATUS_TABLE, then DEFAULT_STATUS_CLASSES.
   */
  classes?: Record<"3xx" | "4xx" | "5xx", StatusRow>;
  /** the message of the vendor's own rows (defaults: "vendor answered <status>" with the row's wording) */
  message?: (status: number, row: StatusRow, endpoint: string) => string;
}

function defaultMessage(status: number, row: StatusRow): string {
  return row.message ? `vendor answered ${status} (${row.message})` : `vendor answered ${status}`;
}

/**
 * The classify option of a vendor call, from the vendor's table: 2xx -> null; a listed status -> its row (null:
 * the adapter reads the answer); an unlisted one -> the vendor's class rows, or the shared table and classes.
 * A 429 carries its Retry-After.
 */
export function statusClassifier(vendor: VendorId, table: StatusTable = {}, opts: ClassifierOptions = {}) {
  const classOf = (s: number) => (s >= 500 ? "5xx" : s >= 400 ? "4xx" : "3xx");
  return (endpoint: string) =>
    (res: VendorResponse): VendorError | null => {
      const s = res.status;
      if (s >= 200 && s < 300) return null;
      const listed = rowOf(table, s);
      if (listed === null) return null;
      const own = listed ?? opts.classes?.[classOf(s)];
      const row: StatusRow = own ?? rowOf(DEFAULT_STATUS_TABLE, s) ?? DEFAULT_STATUS_CLASSES[classOf(s)];
      const message = own && opts.message ? opts.message : defaultMessage;
      return new VendorError({
        vendor,
        endpoint,
        kind: row.kind,
        retryable: row.retryable,
        httpStatus: s,
        vendorCode: s,
        ...(row.reasonCode ? { reasonCode: row.reasonCode } : {}),
        retryAfterMs: row.kind === "rate_limited" ? parseRetryAfter(res.headers["retry-after"]) : null,
        message: message(s, row, endpoint),
      });
    };
}

/** The shared classification alone: for a vendor with no table of its own, and as every table's fallback. */
export function defaultClassify(vendor: VendorId, endpoint: string) {
  return statusClassifier(vendor)(endpoint);
}

// ---------------------------------------------------------------- answers

export interface ParseAnswerOptions<T> {
  vendor: VendorId;
  /** the endpoint label of the call (also the error's endpoint) */
  endpoint: string;
  schema: ZodType<T>;
  /** keeps the answer for audit (ctx.recordPayload bound to a kind): the parsed value, else what was received */
  record?: (body: unknown) => void;
  /** record the body as received even when it parses (renormalize reads it back as the vendor sent it) */
  recordReceived?: boolean;
  /** the body to check, when not the JSON as received (a tolerant reader, renamed keys) */
  body?: unknown;
  /** a parse failure may be retried (a read-only call) */
  retryable?: boolean;
  /** how the error names the answer, e.g. "DMS face_detection" (default: `<vendor> <endpoint>`) */
  label?: string;
  /** the vendor's own wording of the failure (`paths`: where the shape is wrong; absent when not JSON) */
  message?: (problem: { paths?: string }) => string;
}

/**
 * An answer through its zod schema: the parsed value, recorded; or a `parse` VendorError naming the paths of the
 * problems only (values may be personal data), the answer recorded as it came.
 */
export function parseAnswer<T>(res: VendorResponse, opts: ParseAnswerOptions<T>): T {
  const body = "body" in opts ? opts.body : res.json;
  const label = opts.label ?? `${opts.vendor} ${opts.endpoint}`;
  const fail = (detail: string, paths?: string) =>
    new VendorError({
      kind: "parse",
      vendor: opts.vendor,
      endpoint: opts.endpoint,
      retryable: opts.retryable ?? false,
      httpStatus: res.status,
      message: opts.message ? opts.message({ paths }) : `${label} answer ${detail}`,
    });
  if (body === undefined) {
    opts.record?.({ status: res.status, body: res.text });
    throw fail("is not JSON");
  }
  const parsed = opts.schema.safeParse(body);
  if (!parsed.success) {
    opts.record?.(body);
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(root)"))].slice(0, 5).join(", ");
    throw fail(`does not have the documented shape (at ${paths})`, paths);
  }
  opts.record?.(opts.recordReceived ? body : parsed.data);
  return parsed.data;
}

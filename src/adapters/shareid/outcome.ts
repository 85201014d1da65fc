// A parsed ShareID result -> a normalized Outcome, driven by the tables in mapping.ts.
import { toAlpha2 } from "../../domain/countries.js";
import { normalizeSex, toIsoDate } from "../../domain/dates.js";
import { decide, uniqueReasons } from "../../domain/decide.js";
import { reason, type CheckName, type CheckOutcome, type Checks, type DocumentFields, type DocumentType, type Reason } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY } from "../../domain/vocabulary.js";
import type { Outcome, StoredVendorPayload } from "../types.js";
import { ENDPOINT } from "./client.js";
import {
  DOC_TYPE_FROM_SHAREID,
  OCR_FIELD_MAP,
  REASON_MAP,
  UNKNOWN_REASON_CATEGORY,
  VERDICT_OUTCOME,
  type OcrNormalizer,
  type ReasonRow,
  type ShareidOcrKey,
} from "./mapping.js";
import { ShareidResultSchema, type ShareidResult } from "./schemas.js";

const isDocumentedReason = (token: string) => Object.hasOwn(REASON_MAP, token.toLowerCase());

/**
 * The one separator the doc shows between reasons: its table's row "name_not_extracted or
 * surname_not_extracted". The doc types `reason` as `string/""` and shows no other way of joining
 * several, so nothing else (commas, spaces) is taken for a separator.
 */
const DOCUMENTED_SEPARATOR = /\s+or\s+/i;

/**
 * The reasons in one `reason` string: the whole string is one reason ("Document expired" is one
 * reason the doc does not list, kept whole as its vendorCode), unless it is documented reasons
 * joined by the doc's own " or ".
 */
export function splitReasons(raw: string): string[] {
  const whole = raw.trim();
  if (whole === "") return [];
  if (isDocumentedReason(whole)) return [whole];
  const parts = whole.split(DOCUMENTED_SEPARATOR);
  return parts.length > 1 && parts.every(isDocumentedReason) ? parts : [whole];
}

/** `reason` as parsed: a string, or a list (each item read like a string) */
export function reasonsOf(reason: string | string[]): string[] {
  return (Array.isArray(reason) ? reason : [reason]).flatMap(splitReasons);
}

/** The doc's reason_id column read backwards, for an answer that carries only `reason_id`. */
const REASON_BY_ID = new Map<string, string>(
  Object.entries(REASON_MAP as Record<string, ReasonRow>).flatMap(([name, row]) => (row.reasonId === null ? [] : [[String(row.reasonId), name] as const])),
);

/** `reason_id` is "informational" and not in the documented result shape: used only when `reason` is empty. */
export function tokensFromReasonIds(raw: unknown): string[] {
  const ids = (Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(/[\s,;|]+/) : [raw]).filter(
    (id): id is string | number => (typeof id === "number" && Number.isFinite(id)) || (typeof id === "string" && /^\d+$/.test(id.trim())),
  );
  return ids.map((id) => REASON_BY_ID.get(String(id).trim()) ?? `reason_id_${String(id).trim()}`);
}

function describe(row: ReasonRow): string {
  return row.reasonId === null ? row.description : `${row.description} (reason_id ${row.reasonId})`;
}

/** One vendor reason token -> a normalized reason, or null for a non-failure reason (doc_auth). */
export function mapReasonToken(token: string): Reason | null {
  const key = token.toLowerCase();
  const row = Object.hasOwn(REASON_MAP, key) ? (REASON_MAP as Record<string, ReasonRow>)[key] : undefined;
  if (!row) return reason(GENERIC_CODE_BY_CATEGORY[UNKNOWN_REASON_CATEGORY], "shareid", token.slice(0, 64), "reason not in ShareID's documented list");
  if (row.code === null) return null;
  return reason(row.code, "shareid", key, describe(row));
}

function normalizeOcrValue(value: unknown, how: OcrNormalizer): string | null {
  if (typeof value !== "string" && typeof value !== "number") return null;
  const text = String(value).trim();
  if (text === "") return null;
  switch (how) {
    case "text":
      return text;
    case "date":
      return toIsoDate(text);
    case "sex":
      return normalizeSex(text);
    case "country":
      // "nationality" is typed only as str: alpha-2 or alpha-3 both seen in ID documents
      return toAlpha2(text);
  }
}

/**
 * Every documented `ocr` field, null when ShareID did not extract it or it does not read (a date
 * that is not a date): the gateway's policy compares them with the claimed subject and refuses to
 * approve without a readable expiry, so an absent value is said, never guessed.
 */
export function mapOcr(ocr: Record<string, unknown>): DocumentFields {
  const fields: Record<string, string | null> = {};
  for (const [key, spec] of Object.entries(OCR_FIELD_MAP) as [ShareidOcrKey, (typeof OCR_FIELD_MAP)[ShareidOcrKey]][]) {
    fields[spec.field] = normalizeOcrValue(ocr[key], spec.normalize);
  }
  return fields as DocumentFields;
}

export function mapDocType(docType: string | null): DocumentType | null {
  if (docType === null) return null;
  const key = docType.toLowerCase();
  return Object.hasOwn(DOC_TYPE_FROM_SHAREID, key) ? DOC_TYPE_FROM_SHAREID[key as keyof typeof DOC_TYPE_FROM_SHAREID] : "other";
}

/**
 * VendorAdapter.renormalize: the last recorded answer (a 408 is retried and records nothing; an
 * answer start() could not parse failed the verification) read by the same mapShareidResult.
 */
export function renormalizeShareid(payloads: StoredVendorPayload[], v: { checks: CheckName[] }): Outcome | null {
  const last = payloads.filter((p) => p.kind === ENDPOINT).at(-1);
  if (!last) return null;
  const parsed = ShareidResultSchema.safeParse(last.body);
  return parsed.success ? mapShareidResult(parsed.data, v.checks) : null;
}

export function mapShareidResult(result: ShareidResult, requestedChecks: readonly CheckName[] = ["document"]): Outcome & { status: "completed" } {
  const tokens = reasonsOf(result.reason);
  const mapped = (tokens.length > 0 ? tokens : tokensFromReasonIds(result.reason_id)).map(mapReasonToken);
  const failures = uniqueReasons(mapped.filter((r): r is Reason => r !== null));
  let outcome: CheckOutcome = VERDICT_OUTCOME[result.verdict ? "true" : "false"];
  const reasons = [...failures];
  let explicitReview = false;
  if (!result.verdict && failures.length === 0) {
    // "false if fraud suspected or other reasons", with nothing in `reason`: never a silent decline
    reasons.push(reason(GENERIC_CODE_BY_CATEGORY.document, "shareid", null, "ShareID verdict false without a failure reason"));
  }
  if (result.verdict && failures.length > 0) {
    // `reason` is documented only for verdict false; an authentic verdict with rejection reasons
    // (e.g. doc_expired_5y on a document ShareID still accepts) is for a human to settle
    outcome = "inconclusive";
    explicitReview = true;
    reasons.push(reason("manual_review_required", "shareid", null, "ShareID verdict true with rejection reasons"));
  }

  const issuingCountry = toAlpha2(result.country_code);
  const fields = { ...mapOcr(result.ocr), issuingCountry };
  const checks: Checks = {
    document: {
      outcome,
      type: mapDocType(result.doc_type),
      // "document model reference (year of first issue)"
      model: result.doc_model,
      country: issuingCountry,
      fields,
      security: { ...result.security },
    },
  };
  if (requestedChecks.includes("liveness")) checks.liveness = { outcome: "not_performed", score: null, level: null };
  if (requestedChecks.includes("face_match")) checks.faceMatch = { outcome: "not_performed", similarity: null, threshold: null };

  return {
    status: "completed",
    decision: explicitReview ? "review" : decide(checks, reasons),
    reasons,
    checks,
    vendorReference: result.flow_id,
  };
}

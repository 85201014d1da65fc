// Identomat codes onto the gateway's vocabulary, as data. Every row has a test
// (test/unit/adapters/identomat/mapping.test.ts).
import { toAlpha2 } from "../../core/countries.js";
import { toIsoDate, normalizeSex } from "../../core/dates.js";
import { decide, uniqueReasons } from "../../core/decide.js";
import { VendorError, type VendorErrorKind } from "../../core/errors.js";
import { reason, type CheckName, type Checks, type Decision, type DocumentFields, type DocumentType, type Reason } from "../../core/model.js";
import { GENERIC_CODE_BY_CATEGORY, categoryOf, type ReasonCode } from "../../core/vocabulary.js";
import type { IdentomatPerson, IdentomatResultAnswer, IdentomatSettings } from "./schemas.js";

const VENDOR = "identomat" as const;

// ---------------------------------------------------------------------------
// `result` values ("Possible values: APPROVED, REJECTED, MANUAL_CHECK, DISAGREED_WITH_TERMS, IN_PROGRESS")

export type IdentomatResult = "APPROVED" | "REJECTED" | "MANUAL_CHECK" | "DISAGREED_WITH_TERMS" | "IN_PROGRESS";

interface ResultRule {
  status: "completed" | "awaiting_user";
  /** the vendor's explicit verdict; null = decide() from the checks */
  verdict: Decision | null;
  /** the reason the result itself carries */
  reason: ReasonCode | null;
  /** whether live/similarity/person describe checks that were performed */
  checksPerformed: boolean;
}

export const RESULT_RULES = {
  // "The person was acceptable": the gateway's own checks (similarity threshold, liveness) may still decline
  APPROVED: { status: "completed", verdict: null, reason: null, checksPerformed: true },
  // "The person was unacceptable": the vendor's verdict wins
  REJECTED: { status: "completed", verdict: "declined", reason: null, checksPerformed: true },
  // "Human review required": review now; the operator's later APPROVED/REJECTED settles it
  MANUAL_CHECK: { status: "completed", verdict: "review", reason: "manual_review_required", checksPerformed: true },
  // "The person disagreed with terms": nothing was checked
  DISAGREED_WITH_TERMS: { status: "completed", verdict: "declined", reason: "user_declined_terms", checksPerformed: false },
  // "The person is undergoing check or has quit the process before completion"
  IN_PROGRESS: { status: "awaiting_user", verdict: null, reason: null, checksPerformed: false },
} as const satisfies Record<IdentomatResult, ResultRule>;

/** Identomat's own documents spell the result upper-case; public client code shows lower-case answers: compare upper-cased. */
export function resultRuleOf(result: string): { result: IdentomatResult; rule: ResultRule } | null {
  const key = result.trim().toUpperCase();
  if (!Object.hasOwn(RESULT_RULES, key)) return null;
  return { result: key as IdentomatResult, rule: RESULT_RULES[key as IdentomatResult] };
}

// ---------------------------------------------------------------------------
// `reject_reason.value`. The vendor file documents the field ("The rejection reason code")
// but not its values; these are the values an Identomat rejection can carry, named after the
// checks the doc describes (document reader, face similarity, liveness). Only FACE_MISMATCH is
// seen in a recorded Identomat answer (as "face_mismatch"). Anything else keeps its vendorCode
// and maps to the document category's generic code.

export const REJECT_REASON_CODES = {
  DOCUMENT_EXPIRED: "document_expired",
  DOCUMENT_NOT_SUPPORTED: "document_not_supported",
  DOCUMENT_NOT_FOUND: "document_missing",
  DOCUMENT_FORGED: "document_forged",
  DOCUMENT_TAMPERED: "document_forged",
  SCREEN_CAPTURE: "document_screen_capture",
  PRINTED_COPY: "document_printed_copy",
  FIELDS_MISMATCH: "document_sides_mismatch",
  MRZ_NOT_FOUND: "mrz_missing",
  MRZ_INVALID: "mrz_invalid",
  DATA_NOT_EXTRACTED: "data_not_extracted",
  LOW_QUALITY: "image_low_quality",
  BLURRY_IMAGE: "image_blurry",
  UNDERAGE: "underage",
  FACE_MISMATCH: "face_mismatch",
  LIVENESS_FAILED: "liveness_failed",
  SPOOFING: "liveness_failed",
  FACE_NOT_FOUND: "no_face_detected",
  MULTIPLE_FACES: "multiple_faces",
  DIFFERENT_PERSON: "different_person_in_session",
} as const satisfies Record<string, ReasonCode>;
export type IdentomatRejectReason = keyof typeof REJECT_REASON_CODES;

/** a reject reason of unknown value: the generic code of the category an Identomat rejection most often concerns */
export const UNKNOWN_REJECT_REASON_CODE: ReasonCode = GENERIC_CODE_BY_CATEGORY.document;

export function rejectReasonCodeOf(value: string): ReasonCode {
  const key = value.trim().toUpperCase().replace(/[\s-]+/g, "_");
  return Object.hasOwn(REJECT_REASON_CODES, key) ? REJECT_REASON_CODES[key as IdentomatRejectReason] : UNKNOWN_REJECT_REASON_CODE;
}

/** which check a reason says failed (beyond the document/image/data categories, which fail the document) */
export const CHECK_FAILED_BY_REASON = {
  liveness_failed: "liveness",
  face_mismatch: "faceMatch",
  face_similarity_low: "faceMatch",
  different_person_in_session: "faceMatch",
} as const satisfies Partial<Record<ReasonCode, keyof Checks>>;

// ---------------------------------------------------------------------------
// document types ("Possible item values: "id", "passport", "driver_license", "residence_license"")

export type IdentomatDocumentType = "id" | "passport" | "driver_license" | "residence_license";

export const DOCUMENT_TYPE_IN = {
  id: "id_card",
  passport: "passport",
  driver_license: "driving_license",
  residence_license: "residence_permit",
} as const satisfies Record<IdentomatDocumentType, DocumentType>;

/** the request's document type as a `document_types` flag item; null = no restriction */
export const DOCUMENT_TYPE_OUT = {
  id_card: "id",
  passport: "passport",
  driving_license: "driver_license",
  residence_permit: "residence_license",
  other: null,
} as const satisfies Record<DocumentType, IdentomatDocumentType | null>;

export function documentTypeOf(value: string | null | undefined): DocumentType | null {
  if (!value) return null;
  const key = value.trim().toLowerCase();
  return Object.hasOwn(DOCUMENT_TYPE_IN, key) ? DOCUMENT_TYPE_IN[key as IdentomatDocumentType] : "other";
}

// ---------------------------------------------------------------------------
// UI languages ("Possible values: "en", "es", "ru", "uk", "gr", etc."): Identomat writes Greek "gr", ISO 639-1 "el"

export const LANGUAGE_ALIASES = { el: "gr" } as const satisfies Record<string, string>;

export function languageFlagOf(language: string | null | undefined): string | null {
  if (!language) return null;
  const primary = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  if (!/^[a-z]{2,3}$/.test(primary)) return null;
  return Object.hasOwn(LANGUAGE_ALIASES, primary) ? LANGUAGE_ALIASES[primary as keyof typeof LANGUAGE_ALIASES] : primary;
}

// ---------------------------------------------------------------------------
// error answers. The file names SESSION_NOT_FOUND and SESSION_INVALID (delete/); the other
// codes are the sandbox's documented choices for a refused company_key / signature / request.

export const ERROR_CODES = {
  INVALID_COMPANY_KEY: { kind: "auth", retryable: false },
  INVALID_SIGNATURE: { kind: "auth", retryable: false },
  INVALID_PARAMETERS: { kind: "rejected", retryable: false },
  SESSION_NOT_FOUND: { kind: "rejected", retryable: false },
  SESSION_INVALID: { kind: "rejected", retryable: false },
} as const satisfies Record<string, { kind: VendorErrorKind; retryable: boolean }>;
export type IdentomatErrorCode = keyof typeof ERROR_CODES;

export function isKnownErrorCode(code: string): code is IdentomatErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** An error code (known or not) as a VendorError; unknown codes are refused requests and keep their code. */
export function errorFromCode(code: string, endpoint: string, httpStatus: number | null): VendorError {
  const rule = isKnownErrorCode(code) ? ERROR_CODES[code] : { kind: "rejected" as const, retryable: false };
  return new VendorError({
    kind: rule.kind,
    vendor: VENDOR,
    retryable: rule.retryable,
    endpoint,
    httpStatus,
    vendorCode: code,
    message: `identomat ${endpoint} answered ${code}`,
  });
}

/**
 * HTTP statuses whose body carries an Identomat error code the adapter reads itself;
 * every other status goes through the shared defaultClassify (5xx/408/429 retryable, ...).
 */
export const HTTP_STATUS_HANDLING = {
  400: "error_code_in_body",
  401: "error_code_in_body",
  403: "error_code_in_body",
  404: "error_code_in_body",
} as const satisfies Record<number, "error_code_in_body">;

// ---------------------------------------------------------------------------
// person fields

/**
 * `birthday`/`document_expires` come with an ISO `*_time` twin in Identomat's answers
 * ("birthday":"11/25/1979", "birthday_time":"1979-11-25T00:00:00.000Z"): prefer the ISO one;
 * a slash date alone is month/day/year.
 */
export function identomatDate(plain: string | null | undefined, iso?: string | null): string | null {
  const fromIso = toIsoDate(iso ?? null);
  if (fromIso) return fromIso;
  if (!plain) return null;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(plain.trim());
  if (us) return toIsoDate(`${us[3]}-${us[1]!.padStart(2, "0")}-${us[2]!.padStart(2, "0")}`);
  return toIsoDate(plain);
}

const blankToNull = (v: string | null | undefined): string | null => {
  const t = v?.trim();
  return t ? t : null;
};

export function personFields(p: IdentomatPerson | null | undefined): DocumentFields {
  if (!p) return {};
  return {
    // latin-script names first: local_* hold the document's own script
    firstName: blankToNull(p.first_name) ?? blankToNull(p.local_first_name),
    lastName: blankToNull(p.last_name) ?? blankToNull(p.local_last_name),
    dateOfBirth: identomatDate(p.birthday, p.birthday_time),
    placeOfBirth: blankToNull(p.birth_place),
    documentNumber: blankToNull(p.document_number),
    personalNumber: blankToNull(p.personal_number),
    expiryDate: identomatDate(p.document_expires, p.document_expires_time),
    issueDate: identomatDate(p.document_issued),
    issuingCountry: toAlpha2(p.issuing_state),
    sex: normalizeSex(p.sex),
    nationality: toAlpha2(p.nationality) ?? toAlpha2(p.citizenship),
    address: blankToNull(p.address),
  };
}

// ---------------------------------------------------------------------------
// a whole result answer

export interface MapInput {
  /** the checks the verification asked for: only these are reported */
  checks: CheckName[];
  settings: Pick<IdentomatSettings, "similarityThreshold" | "manualCheckPollSeconds">;
  /** the request's document country (alpha-2), used when the answer names no issuing state */
  requestCountry: string | null;
  endpoint: string;
}

export type MappedResult =
  | { status: "awaiting_user"; result: "IN_PROGRESS" }
  | {
      status: "completed";
      result: Exclude<IdentomatResult, "IN_PROGRESS">;
      decision: Decision;
      reasons: Reason[];
      checks: Checks;
      pollAfterMs: number | null;
    };

function parseError(endpoint: string, message: string, vendorCode: string | null = null): VendorError {
  return new VendorError({ kind: "parse", vendor: VENDOR, retryable: false, endpoint, vendorCode, message });
}

export function mapResult(answer: IdentomatResultAnswer, input: MapInput): MappedResult {
  const found = resultRuleOf(answer.result);
  // an unknown result is never taken for an approval
  if (!found) throw parseError(input.endpoint, "identomat answered an unknown result value", answer.result.slice(0, 40));
  const { result, rule } = found;
  if (result === "IN_PROGRESS") return { status: "awaiting_user", result };

  const reasons: Reason[] = [];
  if (rule.reason) reasons.push(reason(rule.reason, VENDOR, result, null));

  const rejectValue = blankToNull(answer.reject_reason?.value);
  const rejectCode = rejectValue ? rejectReasonCodeOf(rejectValue) : null;
  if (rejectValue && rejectCode && (result === "REJECTED" || result === "MANUAL_CHECK")) {
    reasons.push(reason(rejectCode, VENDOR, rejectValue, blankToNull(answer.reject_reason?.description)?.slice(0, 200) ?? null));
  } else if (result === "REJECTED") {
    // "Can be null": a rejection without a stated reason still needs one
    reasons.push(reason(UNKNOWN_REJECT_REASON_CODE, VENDOR, "REJECTED", "rejected without a reject_reason"));
  }

  const failedByReason = new Set<keyof Checks>();
  for (const r of reasons) {
    if (r.vendorCode === "REJECTED") continue;
    const c = categoryOf(r.code);
    if (c === "document" || c === "image" || c === "data") failedByReason.add("document");
    const byCode = (CHECK_FAILED_BY_REASON as Partial<Record<ReasonCode, keyof Checks>>)[r.code];
    if (byCode) failedByReason.add(byCode);
  }

  const checks: Checks = {};
  const wants = (c: CheckName) => input.checks.includes(c);

  if (wants("document")) {
    const fields = rule.checksPerformed ? personFields(answer.person) : {};
    const type = rule.checksPerformed ? documentTypeOf(answer.document_type) : null;
    const extracted = type !== null || Boolean(fields.documentNumber);
    checks.document = {
      outcome: !rule.checksPerformed
        ? "not_performed"
        : failedByReason.has("document")
          ? "fail"
          : result === "APPROVED"
            ? "pass"
            : result === "MANUAL_CHECK"
              ? "inconclusive"
              : extracted
                ? "pass"
                : "inconclusive",
      type,
      country: (rule.checksPerformed ? fields.issuingCountry : null) ?? input.requestCountry,
      fields,
    };
  }

  if (wants("liveness")) {
    const live = rule.checksPerformed ? answer.live : null;
    const outcome = failedByReason.has("liveness") || live === false ? "fail" : live === true ? "pass" : "not_performed";
    if (live === false && !reasons.some((r) => r.code === "liveness_failed")) reasons.push(reason("liveness_failed", VENDOR, "live=false", "the person was not considered live"));
    checks.liveness = { outcome, score: null, level: null };
  }

  if (wants("face_match")) {
    const similarity = rule.checksPerformed ? answer.similarity : null;
    if (typeof similarity === "number" && (similarity < 0 || similarity > 1 || Number.isNaN(similarity))) {
      throw parseError(input.endpoint, "identomat similarity outside 0..1");
    }
    const threshold = input.settings.similarityThreshold;
    let outcome: "pass" | "fail" | "not_performed" = "not_performed";
    if (typeof similarity === "number") {
      outcome = similarity >= threshold ? "pass" : "fail";
      if (outcome === "fail") reasons.push(reason("face_similarity_low", VENDOR, "similarity", `similarity below ${threshold}`));
    }
    if (failedByReason.has("faceMatch")) outcome = "fail";
    checks.faceMatch = { outcome, similarity: typeof similarity === "number" ? similarity : null, threshold };
  }

  const unique = uniqueReasons(reasons);
  const decision = rule.verdict ?? decide(checks, unique);
  return {
    status: "completed",
    result,
    decision,
    reasons: unique,
    checks,
    pollAfterMs: result === "MANUAL_CHECK" ? input.settings.manualCheckPollSeconds * 1000 : null,
  };
}

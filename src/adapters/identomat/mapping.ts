// Identomat codes onto the gateway's vocabulary, as data (../shared/vendors/identomat.txt). Every row has a test
// (test/unit/adapters/identomat/mapping.test.ts). The pure answer-to-outcome rules that read these tables are in
// outcome.ts; the error codes' reading in client.ts.
import type { VendorErrorKind } from "../../domain/errors.js";
import type { CheckOutcome, Checks, Decision, DocumentType } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCategory, type ReasonCode } from "../../domain/vocabulary.js";

// ---------------------------------------------------------------------------
// `result` values ("Possible values: APPROVED, REJECTED, MANUAL_CHECK, DISAGREED_WITH_TERMS, IN_PROGRESS")

export type IdentomatResult = "APPROVED" | "REJECTED" | "MANUAL_CHECK" | "DISAGREED_WITH_TERMS" | "IN_PROGRESS";

export interface ResultRule {
  status: "completed" | "awaiting_user";
  /** the vendor's verdict: it stands (the gateway's policy may only make it stricter) */
  verdict: Decision | null;
  /** the reason the result itself carries */
  reason: ReasonCode | null;
  /** whether live/similarity/person describe checks that were performed */
  checksPerformed: boolean;
  /**
   * the face match outcome a reported similarity gets when no vendor reason blames the face: the
   * file gives no vendor threshold ("A number between 0 to 1 of how much the person photo matched
   * the one in the document"), so the outcome follows the vendor's verdict, never a gateway threshold
   */
  faceMatch: CheckOutcome;
  /** the answer can be the vendor's operator settling a MANUAL_CHECK (a human decision) */
  operatorVerdict: boolean;
}

export const RESULT_RULES = {
  // "The person was acceptable": the vendor's verdict stands
  APPROVED: { status: "completed", verdict: "approved", reason: null, checksPerformed: true, faceMatch: "pass", operatorVerdict: true },
  // "The person was unacceptable": the vendor's verdict stands, with the vendor's reasons
  REJECTED: { status: "completed", verdict: "declined", reason: null, checksPerformed: true, faceMatch: "inconclusive", operatorVerdict: true },
  // "Human review required": review now; the operator's later APPROVED/REJECTED settles it
  MANUAL_CHECK: {
    status: "completed",
    verdict: "review",
    reason: "manual_review_required",
    checksPerformed: true,
    faceMatch: "inconclusive",
    operatorVerdict: false,
  },
  // "The person disagreed with terms": nothing was checked
  DISAGREED_WITH_TERMS: {
    status: "completed",
    verdict: "declined",
    reason: "user_declined_terms",
    checksPerformed: false,
    faceMatch: "not_performed",
    operatorVerdict: false,
  },
  // "The person is undergoing check or has quit the process before completion"
  IN_PROGRESS: { status: "awaiting_user", verdict: null, reason: null, checksPerformed: false, faceMatch: "not_performed", operatorVerdict: false },
} as const satisfies Record<IdentomatResult, ResultRule>;

// ---------------------------------------------------------------------------
// `reject_reason.value`. The vendor file documents the field ("The rejection reason code")
// but not its values; these are the values an Identomat rejection can carry, named after the
// checks the doc describes (document reader, face similarity, liveness). Only FACE_MISMATCH is
// seen in a recorded Identomat answer (as "face_mismatch"). Anything else keeps its vendorCode
// and maps to the generic code of the category its words name (REJECT_REASON_WORDS below).

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

/** which check a reason says failed (beyond the document/image/data categories, which fail the document) */
export const CHECK_FAILED_BY_REASON = {
  liveness_failed: "liveness",
  face_mismatch: "faceMatch",
  different_person_in_session: "faceMatch",
  // face reasons fail the face check (issue 10: "the right check failed (face reasons fail the face check)")
  no_face_detected: "faceMatch",
  multiple_faces: "faceMatch",
} as const satisfies Partial<Record<ReasonCode, keyof Checks>>;

/**
 * An unknown `reject_reason.value` is classified by the words of the code (split on "_", "-" and
 * spaces, read left to right, the first word found here decides): its category's generic code
 * (GENERIC_CODE_BY_CATEGORY) and the check it fails. A face reason fails the face or liveness
 * check, never the document check ("An unknown vendor code is never dropped: it maps to the
 * category's generic code and keeps vendorCode", ../shared/DESIGN.md).
 */
export const REJECT_REASON_WORDS = {
  FACE: { category: "face", check: "faceMatch" },
  FACES: { category: "face", check: "faceMatch" },
  SELFIE: { category: "face", check: "faceMatch" },
  SIMILARITY: { category: "face", check: "faceMatch" },
  LIVENESS: { category: "face", check: "liveness" },
  LIVE: { category: "face", check: "liveness" },
  SPOOF: { category: "face", check: "liveness" },
  SPOOFING: { category: "face", check: "liveness" },
  DEEPFAKE: { category: "face", check: "liveness" },
  DOCUMENT: { category: "document", check: "document" },
  DOC: { category: "document", check: "document" },
  ID: { category: "document", check: "document" },
  PASSPORT: { category: "document", check: "document" },
  MRZ: { category: "document", check: "document" },
  IMAGE: { category: "image", check: "document" },
  QUALITY: { category: "image", check: "document" },
  BLUR: { category: "image", check: "document" },
  BLURRY: { category: "image", check: "document" },
  GLARE: { category: "image", check: "document" },
  AGE: { category: "data", check: "document" },
  NAME: { category: "data", check: "document" },
  DATA: { category: "data", check: "document" },
} as const satisfies Record<string, { category: ReasonCategory; check: keyof Checks }>;
export type RejectReasonWord = keyof typeof REJECT_REASON_WORDS;

/** a reject reason whose words name no category: the category an Identomat rejection most often concerns */
export const UNKNOWN_REJECT_REASON_CODE: ReasonCode = GENERIC_CODE_BY_CATEGORY.document;

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

// ---------------------------------------------------------------------------
// UI languages ("Possible values: "en", "es", "ru", "uk", "gr", etc."): Identomat writes Greek "gr", ISO 639-1 "el"

export const LANGUAGE_ALIASES = { el: "gr" } as const satisfies Record<string, string>;

// ---------------------------------------------------------------------------
// error answers. The file names SESSION_NOT_FOUND and SESSION_INVALID (delete/); the other
// codes are the sandbox's documented choices for a refused company_key / signature / request,
// and UNAUTHORIZED, the bare word an Identomat deployment was seen answering with HTTP 200 to a
// refused company_key (issue 10). Any other upper-case word is a refused request keeping its code.

export const ERROR_CODES = {
  INVALID_COMPANY_KEY: { kind: "auth", retryable: false },
  UNAUTHORIZED: { kind: "auth", retryable: false },
  INVALID_SIGNATURE: { kind: "auth", retryable: false },
  INVALID_PARAMETERS: { kind: "rejected", retryable: false },
  SESSION_NOT_FOUND: { kind: "rejected", retryable: false },
  SESSION_INVALID: { kind: "rejected", retryable: false },
} as const satisfies Record<string, { kind: VendorErrorKind; retryable: boolean }>;
export type IdentomatErrorCode = keyof typeof ERROR_CODES;

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

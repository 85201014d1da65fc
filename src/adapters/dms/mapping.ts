// DMS IDVerifr + LiveVerifr: the vendor's codes onto the normalized vocabulary, as data.
// Source: ../shared/vendors/dms-idverifr-liveverifr.txt ("Response fields", samples,
// "Error responses", "Event catalog"). Unknown vendor codes go to the category's generic
// code (GENERIC_CODE_BY_CATEGORY) and keep the vendor's value in `vendorCode`.
// Every table is read with the kit's rowOf (own keys only, never a prototype key).
import type { CheckOutcome, DocumentType } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../domain/vocabulary.js";
import type { StatusRow } from "../kit/http.js";

// ---------- IDVerifr ----------

/**
 * `DocumentType`: "DRIVING_LICENSE, PASSPORT, NATIONAL_ID, etc." — every value the doc lists (it
 * "Supports ID cards, passports, and driving licences"); the "etc." names none: an unlisted value
 * is UNKNOWN_DOCUMENT_TYPE ("other", which the policy does not compare) and the answer is read on.
 * The value as sent is kept in checks.document.model whatever it is.
 */
export const DMS_DOCUMENT_TYPES = ["DRIVING_LICENSE", "PASSPORT", "NATIONAL_ID"] as const;
export type DmsDocumentType = (typeof DMS_DOCUMENT_TYPES)[number];

export const DOCUMENT_TYPE_MAP = {
  DRIVING_LICENSE: "driving_license",
  PASSPORT: "passport",
  NATIONAL_ID: "id_card",
} as const satisfies Record<DmsDocumentType, DocumentType>;
export const UNKNOWN_DOCUMENT_TYPE = "other" as const satisfies DocumentType;

export interface VerdictRow {
  outcome: CheckOutcome;
  /** null: a passing verdict, no reason */
  code: ReasonCode | null;
  message: string;
}

/** `FraudCheck.Result`: "GENUINE or SUSPICIOUS". */
export const DMS_FRAUD_RESULTS = ["GENUINE", "SUSPICIOUS"] as const;
export type DmsFraudResult = (typeof DMS_FRAUD_RESULTS)[number];

export const FRAUD_RESULT_MAP = {
  GENUINE: { outcome: "pass", code: null, message: "fraud check genuine" },
  SUSPICIOUS: { outcome: "fail", code: "document_suspicious", message: "DMS fraud check: SUSPICIOUS" },
} as const satisfies Record<DmsFraudResult, VerdictRow>;

export interface FraudCheckRow {
  /** true: the check passed */
  passed: boolean;
  /** the reason a failed check adds */
  code: ReasonCode | null;
  message: string;
}

/**
 * `FraudCheck.Checks` items, by the doc's own names (the sample's
 * `"Checks": ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"]`, on a GENUINE answer): both passed
 * checks, shown under these same names in checks.document.security. The doc names no failing
 * item: any other item is unknown and is never dropped (UNKNOWN_FRAUD_CHECK).
 */
export const DMS_FRAUD_CHECKS = ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"] as const;
export type DmsFraudCheckName = (typeof DMS_FRAUD_CHECKS)[number];

export const FRAUD_CHECK_MAP = {
  NO_SPECIMEN_WATERMARK: { passed: true, code: null, message: "no specimen watermark" },
  NO_SCREEN_CAPTURE: { passed: true, code: null, message: "no screen capture" },
} as const satisfies Record<DmsFraudCheckName, FraudCheckRow>;

/**
 * A `FraudCheck.Checks` item the doc does not name, on any answer: the document category's
 * generic code with the item as vendorCode, and the document check fails ("An unknown vendor
 * code is never dropped: it maps to the category's generic code and keeps vendorCode",
 * DESIGN.md). Its security entry is null (not verified: the gateway cannot say what it means).
 */
export const UNKNOWN_FRAUD_CHECK = {
  code: GENERIC_CODE_BY_CATEGORY.document,
  outcome: "fail",
  message: "DMS fraud check item the documentation does not name",
} as const satisfies { code: ReasonCode; outcome: CheckOutcome; message: string };

/**
 * A GENUINE answer without any of the fields that say whose document it is (GivenNames, Surname,
 * DateOfBirth, DocumentNumber): "Every response includes all key fields", so nothing was read and
 * the fraud verdict proves nothing about the person. Inconclusive, not a pass.
 */
export const NO_DOCUMENT_DATA = {
  outcome: "inconclusive",
  code: "data_not_extracted",
  message: "DMS returned no document data (no names, date of birth or document number)",
} as const satisfies VerdictRow;

/**
 * Answer fields that describe how the document was read, carried in checks.document.quality under
 * the doc's own names: `OcrProvider` "V2_TEMPLATE | PADDLE_OCR | OPEN_AI".
 */
export const DOCUMENT_QUALITY_FIELDS = ["OcrProvider"] as const;

// ---------- LiveVerifr ----------

/**
 * face_detection fields that describe the capture, carried in checks.liveness.quality under the
 * doc's own names ("Response fields — face_detection": `pose.yaw`, `eye_state` "left_closed /
 * right_closed"...). Not carried: `bbox`, `landmarks_68` and `template` (face geometry and the
 * biometric vector: the box stays in the stored payload, landmarks and template are redacted from
 * it), nor `liveness` (the verdict is the outcome).
 */
export const FACE_QUALITY_FIELDS = [
  "quality",
  "luminance",
  "eye_distance",
  "pose.yaw",
  "pose.roll",
  "pose.pitch",
  "eye_state.left_closed",
  "eye_state.right_closed",
  "mouth_opened",
  "occlusion",
] as const;

/** face_detection `liveness`: "GENUINE or SPOOF — passive anti-spoofing verdict". */
export const DMS_LIVENESS_VERDICTS = ["GENUINE", "SPOOF"] as const;
export type DmsLiveness = (typeof DMS_LIVENESS_VERDICTS)[number];

export const LIVENESS_MAP = {
  GENUINE: { outcome: "pass", code: null, message: "liveness genuine" },
  SPOOF: { outcome: "fail", code: "liveness_failed", message: "DMS passive liveness: SPOOF" },
} as const satisfies Record<DmsLiveness, VerdictRow>;

/**
 * face_detection `quality` below the account's minFaceQuality ("Reject below 0.5 in production").
 * The doc says reject, and a synchronous API has no later retake step: the check fails (declined)
 * and the reason tells the tenant to ask for a better selfie; a human review of a bad image adds nothing.
 */
export const LOW_FACE_QUALITY = {
  outcome: "fail",
  code: "image_low_quality",
  message: "face quality below the configured minimum",
} as const satisfies VerdictRow;

/** face_count other than 1: on a liveness or face-match image, the check fails. */
export const FACE_COUNT_MAP = {
  none: { outcome: "fail", code: "no_face_detected", message: "no face detected" },
  multiple: { outcome: "fail", code: "multiple_faces", message: "more than one face detected" },
} as const satisfies Record<"none" | "multiple", VerdictRow>;

/** face_verify `match` (the vendor's own verdict against its `threshold`: it wins over our reading of `similarity`). */
export const FACE_VERIFY_MAP = {
  true: { outcome: "pass", code: null, message: "faces match" },
  false: { outcome: "fail", code: "face_mismatch", message: "DMS face_verify: no match" },
} as const satisfies Record<"true" | "false", VerdictRow>;

// ---------- HTTP statuses ----------

export type HttpErrorRow = StatusRow & { message: string };

/**
 * "Error responses" (+ 402 from DMS's public docs: the scan quota is spent; fail over to another account).
 * null = not a technical error: the adapter reads the answer itself.
 * Other statuses use the shared defaults (403 auth, 408/504 timeout, 429 rate limited, 5xx unavailable).
 */
export const DMS_HTTP_STATUSES = [400, 401, 402, 422, 500] as const;
export type DmsHttpStatus = (typeof DMS_HTTP_STATUSES)[number];

export const HTTP_ERROR_MAP = {
  400: { kind: "rejected", retryable: false, message: "DMS answered 400: bad request — missing or invalid parameters" },
  401: { kind: "auth", retryable: false, message: "DMS answered 401: missing or invalid API key (or caller IP not allowed)" },
  402: { kind: "out_of_credits", retryable: false, message: "DMS answered 402: scan quota spent" },
  // "Unprocessable — no document or face detected in image": a business answer, see UNPROCESSABLE_MAP
  422: null,
  500: { kind: "unavailable", retryable: true, message: "DMS answered 500: internal server error" },
} as const satisfies Record<DmsHttpStatus, HttpErrorRow | null>;

/** A 422 ("no document or face detected in image") by the kind of image sent. */
export const UNPROCESSABLE_MAP = {
  document: { outcome: "fail", code: "document_missing", message: "DMS found no document in the image" },
  face: { outcome: "fail", code: "no_face_detected", message: "DMS found no face in the image" },
} as const satisfies Record<"document" | "face", VerdictRow>;

// ---------- account webhooks ----------

/** "Event catalog": every event becomes an operations (account) event of the same name. */
export const DMS_WEBHOOK_EVENTS = [
  "anomaly.detected",
  "invoice.created",
  "invoice.finalized",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.voided",
  "test",
  "retry",
] as const;
export type DmsWebhookEvent = (typeof DMS_WEBHOOK_EVENTS)[number];

export const WEBHOOK_EVENT_MAP = {
  "anomaly.detected": "Usage anomaly detector flags a volume or error-rate spike",
  "invoice.created": "Stripe issues a new invoice for your subscription",
  "invoice.finalized": "An invoice becomes payable",
  "invoice.paid": "An invoice is paid successfully",
  "invoice.payment_failed": "Card was declined or authorization failed",
  "invoice.voided": "An invoice was voided",
  test: "Synthetic event fired by Send test in the backoffice",
  retry: "A prior delivery was replayed by the retry button in the backoffice",
} as const satisfies Record<DmsWebhookEvent, string>;

// ShareID authenticity-photo: the vendor's codes onto the normalized vocabulary, as data.
// Source: ../shared/vendors/shareid-authenticity-photo.txt ("Reasons" table, result fields).
import type { CheckOutcome, DocumentFields, DocumentType } from "../../domain/model.js";
import type { StatusRow } from "../kit/http.js";
import type { ReasonCode } from "../../domain/vocabulary.js";

export const SHAREID_DOC_TYPES = ["id_card", "passport", "driver_permit", "residency_permit"] as const;
export type ShareidDocType = (typeof SHAREID_DOC_TYPES)[number];

/** Normalized type -> ShareID `doc_type`. "other" is not a ShareID type: doc_type is optional, so it is left out. */
export const DOC_TYPE_TO_SHAREID = {
  id_card: "id_card",
  passport: "passport",
  driving_license: "driver_permit",
  residence_permit: "residency_permit",
  other: null,
} as const satisfies Record<DocumentType, ShareidDocType | null>;

/** ShareID `doc_type` of the result -> normalized type (an unknown value becomes "other"). */
export const DOC_TYPE_FROM_SHAREID = {
  id_card: "id_card",
  passport: "passport",
  driver_permit: "driving_license",
  residency_permit: "residence_permit",
} as const satisfies Record<ShareidDocType, DocumentType>;

/** `verdict`: "True if document is authentic, false if fraud suspected or other reasons". */
export const VERDICT_OUTCOME = {
  true: "pass",
  false: "fail",
} as const satisfies Record<"true" | "false", CheckOutcome>;

export const SHAREID_REASONS = [
  "doc_expired",
  "doc_expired_5y",
  "missing_doc",
  "missing_front",
  "missing_back",
  "sides_inconsistency",
  "out_of_scope",
  "missing_mrz",
  "wrong_mrz",
  "date_not_extracted",
  "low_quality",
  "blur_img",
  "low_resolution",
  "first_name_mismatch",
  "last_name_mismatch",
  "inversed_name",
  "doc_spoof",
  "doc_print",
  "doc_not_auth",
  "doc_auth",
  "name_not_extracted",
  "surname_not_extracted",
] as const;
export type ShareidReason = (typeof SHAREID_REASONS)[number];

export interface ReasonRow {
  /** null: not a failure reason (doc_auth = "Document authentic") */
  code: ReasonCode | null;
  /** the doc's "reason_id (informational)" column; null where the doc gives none */
  reasonId: number | null;
  /** the doc's description, used as the reason message */
  description: string;
}

/** Every row of the doc's "Reasons" table. The vendorCode of a reason is the `reason` string itself. */
export const REASON_MAP = {
  doc_expired: { code: "document_expired", reasonId: 1, description: "document expired" },
  doc_expired_5y: { code: "document_expired", reasonId: 2, description: "Document expired since less than 5 years" },
  missing_doc: { code: "document_missing", reasonId: 4, description: "Missing document in the images" },
  missing_front: { code: "document_front_missing", reasonId: 5, description: "Front of the document not found" },
  missing_back: { code: "document_back_missing", reasonId: null, description: "Back of the document not found (only front is found)" },
  sides_inconsistency: { code: "document_sides_mismatch", reasonId: null, description: "Front and back do not belong to the same document model" },
  out_of_scope: { code: "document_not_supported", reasonId: null, description: "Document not accepted" },
  missing_mrz: { code: "mrz_missing", reasonId: 66, description: "MRZ not found or couldn't be extracted" },
  wrong_mrz: { code: "mrz_invalid", reasonId: 6, description: "MRZ is wrong" },
  date_not_extracted: { code: "data_not_extracted", reasonId: 12, description: "Expiration or birth date couldn't be extracted" },
  low_quality: { code: "image_low_quality", reasonId: 3, description: "Image quality not sufficient (example: low light)" },
  blur_img: { code: "image_blurry", reasonId: 7, description: "Blurry images" },
  low_resolution: { code: "image_low_resolution", reasonId: 8, description: "Image resolution not sufficient" },
  first_name_mismatch: { code: "first_name_mismatch", reasonId: 21, description: "Mismatch in first name" },
  last_name_mismatch: { code: "last_name_mismatch", reasonId: 22, description: "Mismatch in last name" },
  inversed_name: { code: "names_inverted", reasonId: 9, description: "Name and surname are inversed" },
  doc_spoof: { code: "document_screen_capture", reasonId: 10, description: "Document shown on a screen" },
  doc_print: { code: "document_printed_copy", reasonId: 11, description: "Document printed" },
  doc_not_auth: { code: "document_forged", reasonId: 100, description: "Document not authentic (forgery or counterfeit document)" },
  doc_auth: { code: null, reasonId: 111, description: "Document authentic" },
  // the doc lists these two in one row: "name_not_extracted or surname_not_extracted"
  name_not_extracted: { code: "data_not_extracted", reasonId: null, description: "Name or surname couldn't be extracted" },
  surname_not_extracted: { code: "data_not_extracted", reasonId: null, description: "Name or surname couldn't be extracted" },
} as const satisfies Record<ShareidReason, ReasonRow>;

/** Every ShareID reason is about the document or its images: an unknown one falls into the document category. */
export const UNKNOWN_REASON_CATEGORY = "document" as const;

/**
 * Accepted upload types: "PNG (.png) / JPEG (.jpeg and .jpg) / WEBP (.webp) / PDF (.pdf)" and
 * "Provide an extension to your filename: it must match the mime/type used".
 */
export const ACCEPTED_MIME_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;
export type AcceptedMimeType = (typeof ACCEPTED_MIME_TYPES)[number];

export const FILE_EXTENSION_BY_MIME = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "application/pdf": "pdf",
} as const satisfies Record<AcceptedMimeType, string>;

/** Whether the doc's "Low-resolution: 224px x 224px" pixel check applies (a PDF has no pixel size). */
export const PIXEL_CHECK_BY_MIME = {
  "image/jpeg": true,
  "image/png": true,
  "image/webp": true,
  "application/pdf": false,
} as const satisfies Record<AcceptedMimeType, boolean>;

/** ShareID `ocr` keys -> normalized document fields and how each value is normalized. */
export type OcrNormalizer = "text" | "date" | "sex" | "country";
export const OCR_FIELD_MAP = {
  name: { field: "firstName", normalize: "text" },
  surname: { field: "lastName", normalize: "text" },
  sex: { field: "sex", normalize: "sex" },
  nationality: { field: "nationality", normalize: "country" },
  birth_date: { field: "dateOfBirth", normalize: "date" },
  birth_place: { field: "placeOfBirth", normalize: "text" },
  doc_num: { field: "documentNumber", normalize: "text" },
  expiration_date: { field: "expiryDate", normalize: "date" },
  issuance_date: { field: "issueDate", normalize: "date" },
  address: { field: "address", normalize: "text" },
} as const satisfies Record<string, { field: keyof DocumentFields; normalize: OcrNormalizer }>;
export type ShareidOcrKey = keyof typeof OCR_FIELD_MAP;

/**
 * HTTP statuses the doc names or that carry a meaning of their own. "if there's a timeout in the
 * request the http code will be 408": a vendor-side timeout, retried. Anything else: 4xx rejected,
 * 5xx unavailable (see HTTP_STATUS_CLASS_ERRORS).
 */
export type HttpErrorRow = StatusRow & { message: string };
export const HTTP_STATUS_ERRORS = {
  401: { kind: "auth", retryable: false, message: "ShareID refused the api_key / business_hash" },
  403: { kind: "auth", retryable: false, message: "ShareID refused the api_key / business_hash" },
  408: { kind: "timeout", retryable: true, message: "ShareID timed out processing the request (408)" },
  429: { kind: "rate_limited", retryable: true, message: "ShareID answered 429 (rate limited)" },
} as const satisfies Record<number, HttpErrorRow>;

export const HTTP_STATUS_CLASS_ERRORS = {
  "3xx": { kind: "unavailable", retryable: false, message: "ShareID answered an unexpected redirect" },
  "4xx": { kind: "rejected", retryable: false, message: "ShareID rejected the request" },
  "5xx": { kind: "unavailable", retryable: true, message: "ShareID unavailable" },
} as const satisfies Record<"3xx" | "4xx" | "5xx", HttpErrorRow>;

// The normalized reason-code vocabulary (DESIGN.md "Vocabulary of reason codes").
// Names are part of the public contract: never rename, only add.
export const REASON_CODES = {
  document: [
    "document_expired",
    "document_missing",
    "document_front_missing",
    "document_back_missing",
    "document_sides_mismatch",
    "document_not_supported",
    "mrz_missing",
    "mrz_invalid",
    "data_not_extracted",
    "document_screen_capture",
    "document_printed_copy",
    "document_forged",
    "document_suspicious",
    "document_number_mismatch",
    "document_type_mismatch",
    "document_country_mismatch",
  ],
  image: ["image_low_quality", "image_blurry", "image_low_resolution"],
  data: ["first_name_mismatch", "last_name_mismatch", "names_inverted", "date_of_birth_mismatch", "underage"],
  face: [
    "liveness_failed",
    "face_mismatch",
    "face_similarity_low",
    "different_person_in_session",
    "no_face_detected",
    "multiple_faces",
    "capture_expired",
    "capture_invalid",
  ],
  user: ["user_declined_terms", "user_abandoned"],
  review: ["manual_review_required"],
  technical: [
    "vendor_unavailable",
    "vendor_timeout",
    "vendor_auth_failed",
    "vendor_out_of_credits",
    "vendor_rejected_request",
    "vendor_feature_disabled",
    "vendor_error",
  ],
} as const;

export type ReasonCategory = keyof typeof REASON_CODES;
export type ReasonCode = (typeof REASON_CODES)[ReasonCategory][number];

export const ALL_REASON_CODES: readonly ReasonCode[] = Object.values(REASON_CODES).flat();

const categoryByCode = new Map<string, ReasonCategory>(
  (Object.entries(REASON_CODES) as [ReasonCategory, readonly ReasonCode[]][]).flatMap(([category, codes]) => codes.map((code) => [code, category] as const)),
);

export function categoryOf(code: ReasonCode): ReasonCategory {
  const category = categoryByCode.get(code);
  if (!category) throw new Error(`unknown reason code ${code}`);
  return category;
}

/** The code an unknown vendor code of a category maps to; the vendor's own code is kept in `vendorCode`. */
export const GENERIC_CODE_BY_CATEGORY = {
  document: "document_suspicious",
  image: "image_low_quality",
  data: "data_not_extracted",
  face: "capture_invalid",
  user: "user_abandoned",
  review: "manual_review_required",
  technical: "vendor_error",
} as const satisfies Record<ReasonCategory, ReasonCode>;

export function isReasonCode(value: string): value is ReasonCode {
  return categoryByCode.has(value);
}

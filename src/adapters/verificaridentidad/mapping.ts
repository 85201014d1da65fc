// VerificarIdentidad codes onto the gateway vocabulary, as data (../shared/vendors/verificaridentidad-api-3.0.txt).
// Every row has a test (test/unit/adapters/verificaridentidad/mapping.test.ts) built from the doc's own values.
// The rules that read these tables are in outcome.ts (payloads) and client.ts (Res and HTTP statuses).
import type { CheckOutcome, DocumentType } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../domain/vocabulary.js";
import type { VendorErrorKind } from "../../domain/errors.js";

export const VENDOR = "verificaridentidad" as const;

// ---------------------------------------------------------------- Res (every function's answer)

export type ResCode = "1" | "-1" | "-2" | "-3" | "-4" | "-5" | "-6" | "-7";
export interface ResRule {
  kind: VendorErrorKind | null;
  reasonCode: ReasonCode | null;
  message: string;
}

/** `Res` of /VerificarIdentidad (and -1 of every other function). Messages are the doc's, never the vendor's `Error` text. */
export const RES_CODES = {
  "1": { kind: null, reasonCode: null, message: "Correct" },
  "-1": { kind: "auth", reasonCode: "vendor_auth_failed", message: "Authentication error" },
  "-2": { kind: "out_of_credits", reasonCode: "vendor_out_of_credits", message: "There are not enough credits in the account" },
  "-3": { kind: "rejected", reasonCode: "vendor_rejected_request", message: "Error in the call data: required parameters are missing" },
  "-4": { kind: "feature_disabled", reasonCode: "vendor_feature_disabled", message: "The account does not have this function activated" },
  "-5": { kind: "rejected", reasonCode: "vendor_error", message: "General error in the request" },
  "-6": { kind: "rejected", reasonCode: "vendor_error", message: "General error in the request" },
  "-7": { kind: "rejected", reasonCode: "vendor_error", message: "General error in the request" },
} as const satisfies Record<ResCode, ResRule>;

// ---------------------------------------------------------------- HTTP statuses

export type HttpRow = { kind: VendorErrorKind; retryable: boolean };

/**
 * The doc answers every business outcome with HTTP 200 and a `Res` code; these statuses
 * only come from the transport in front of it. A status not listed falls back to defaultClassify.
 */
export const HTTP_STATUS = {
  "400": { kind: "rejected", retryable: false },
  "401": { kind: "auth", retryable: false },
  "403": { kind: "auth", retryable: false },
  "404": { kind: "rejected", retryable: false },
  "408": { kind: "timeout", retryable: true },
  "429": { kind: "rate_limited", retryable: true },
  "500": { kind: "unavailable", retryable: true },
  "502": { kind: "unavailable", retryable: true },
  "503": { kind: "unavailable", retryable: true },
  "504": { kind: "timeout", retryable: true },
} as const satisfies Record<string, HttpRow>;

// ---------------------------------------------------------------- Estado (webhooks)

export type EstadoCode = "3000" | "3001" | "3002" | "3003" | "5000" | "5001" | "5100" | "5500";
export interface Rejection {
  code: ReasonCode;
  message: string;
}
export type EstadoRule =
  | { status: "awaiting_user"; step: string }
  | { status: "processing"; step: string; readResult: boolean }
  | {
      status: "completed";
      step: string;
      decision: "approved" | "declined";
      /**
       * the reason of the Estado itself, kept with the Estado as vendorCode: used when `Result` says
       * nothing that explains the decision, and as the code of an unknown negative Resultado
       */
      rejection: Rejection | null;
    };

export const ESTADOS = {
  "3000": { status: "awaiting_user", step: "user_accessed" },
  "3001": { status: "awaiting_user", step: "verifying_person_liveness" },
  "3002": { status: "awaiting_user", step: "document_front_requested" },
  "3003": { status: "awaiting_user", step: "document_back_requested" },
  "5000": { status: "processing", step: "in_process", readResult: false },
  // "The process has finished and you have the data available"
  "5001": { status: "processing", step: "data_available", readResult: true },
  // "validated and certified. You can download the certificate through the download function."
  "5100": { status: "completed", step: "validated", decision: "approved", rejection: null },
  // "`5500` Rejected The verification has been rejected by an operator based on the results obtained.
  //  You will receive the data and the reason as parameters." The doc gives the operator's rejection
  // no code of its own ("the reason" is Result's Resultado and flags): when Result explains nothing,
  // the rejection is of the verified identity document and person as a whole, so the document
  // category's generic code, keeping vendorCode "5500".
  "5500": {
    status: "completed",
    step: "rejected",
    decision: "declined",
    rejection: { code: "document_suspicious", message: "Rejected by an operator based on the results obtained" },
  },
} as const satisfies Record<EstadoCode, EstadoRule>;

// ---------------------------------------------------------------- Resultado

export type CheckKey = "document" | "liveness" | "faceMatch";
export type ResultadoCode = "-1" | "-2" | "-3" | "-4" | "-5" | "-6" | "-7" | "-8" | "-9";
export interface ResultadoRule {
  reasons: readonly ReasonCode[];
  /** the reasons a final Estado (5100/5500, the vendor's operator decided) settles, so no longer reported */
  settledByOperator: readonly ReasonCode[];
  check: CheckKey | null;
  outcome: CheckOutcome | null;
  message: string;
}

/**
 * Resultado: "It can be positive (>80) in which case everything has gone correctly, or <0 in which
 * case one of the error reasons is given." and ">80 Similarity as a percentage (80-100%) between
 * person and ID document, if the percentage is lower it must be validated manually (operator)".
 * Strictly above: 80 itself is not a pass (see `passesSimilarity`).
 */
export const FACE_SIMILARITY_THRESHOLD = 80;

export const RESULTADO_CODES = {
  "-1": {
    reasons: ["face_similarity_low", "manual_review_required"],
    // "must be validated by an operator": at 5100/5500 the operator has
    settledByOperator: ["manual_review_required"],
    check: "faceMatch",
    outcome: "inconclusive",
    message: "The similarity is less than 80% and must be validated by an operator",
  },
  "-2": { reasons: ["underage"], settledByOperator: [], check: null, outcome: null, message: "The recipient is a minor" },
  "-3": {
    reasons: ["document_sides_mismatch"],
    settledByOperator: [],
    check: "document",
    outcome: "fail",
    message: "The Front and Back of the document do not seem to match",
  },
  "-4": {
    reasons: ["different_person_in_session"],
    settledByOperator: [],
    check: "liveness",
    outcome: "fail",
    message: "The liveness test seems to have been performed by different people",
  },
  "-5": { reasons: ["document_expired"], settledByOperator: [], check: "document", outcome: "fail", message: "Expired ID document" },
  "-6": { reasons: ["liveness_failed"], settledByOperator: [], check: "liveness", outcome: "fail", message: "The liveness test did not obtain a valid result" },
  // "Process not yet finished": on a final Estado it means the user never finished the steps
  "-7": { reasons: ["user_abandoned"], settledByOperator: [], check: null, outcome: null, message: "Process not yet finished" },
  "-8": {
    reasons: ["face_mismatch"],
    settledByOperator: [],
    check: "faceMatch",
    outcome: "fail",
    message: "The recipient is very different from the photo on the ID document or the ID document is not valid",
  },
  "-9": {
    reasons: ["document_number_mismatch"],
    settledByOperator: [],
    check: "document",
    outcome: "fail",
    message: "The ID document number requested does not match the one provided by the recipient",
  },
} as const satisfies Record<ResultadoCode, ResultadoRule>;

/** An unknown negative Resultado: nobody can say what failed, so a human must look. */
export const UNKNOWN_RESULTADO: ResultadoRule = {
  reasons: [GENERIC_CODE_BY_CATEGORY.review],
  // at a final Estado nobody is left to look: the code is the Estado's rejection (see mapResult)
  settledByOperator: [],
  check: null,
  outcome: null,
  message: "Unknown result code",
};

// ---------------------------------------------------------------- Si / No flags

/** "It can be Si or No" (and "N/A if an ID document number was not sent"); matched case-insensitively */
export const SI_NO = {
  Si: true,
  No: false,
  "N/A": null,
} as const satisfies Record<string, boolean | null>;

export type FlagName = "AnversoReversoCoinciden" | "DNISolicitadoCoincide" | "PruebaDeVida" | "ProcesoRelizadoMismaPersona" | "Caducado";
export interface FlagRule {
  /** the flag value that is a failure */
  failsWhen: boolean;
  reason: ReasonCode;
  check: CheckKey;
  /** whether the good value is a pass of the check (PruebaDeVida Si = liveness passed) */
  passes: boolean;
  /** name under checks.document.security */
  security: string | null;
  message: string;
}

export const FLAGS = {
  AnversoReversoCoinciden: {
    failsWhen: false,
    reason: "document_sides_mismatch",
    check: "document",
    passes: false,
    security: "sidesMatch",
    message: "The Front and Back of the document do not match",
  },
  DNISolicitadoCoincide: {
    failsWhen: false,
    reason: "document_number_mismatch",
    check: "document",
    passes: false,
    security: "requestedNumberMatch",
    message: "The requested ID document number does not match",
  },
  PruebaDeVida: { failsWhen: false, reason: "liveness_failed", check: "liveness", passes: true, security: null, message: "The liveness test was not passed" },
  ProcesoRelizadoMismaPersona: {
    failsWhen: false,
    reason: "different_person_in_session",
    check: "liveness",
    passes: false,
    security: null,
    message: "The process was not performed by the same person",
  },
  Caducado: { failsWhen: true, reason: "document_expired", check: "document", passes: false, security: "notExpired", message: "Expired ID document" },
} as const satisfies Record<FlagName, FlagRule>;

// ---------------------------------------------------------------- DNI (document data)

/** `TipoDocumento`: the doc only shows "ID-1" (the ID card format); anything else is "other". */
export const DOCUMENT_TYPES = {
  "ID-1": "id_card",
} as const satisfies Record<string, DocumentType>;

// ---------------------------------------------------------------- Result -> checks + reasons

export const SEVERITY: Record<CheckOutcome, number> = { not_performed: 0, pass: 1, inconclusive: 2, fail: 3 };

/** The vendor's operator decided (5100/5500): what mapResult reads differently then. */
export interface OperatorDecision {
  rejection: Rejection | null;
}

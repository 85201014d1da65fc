// VerificarIdentidad codes onto the gateway vocabulary, as data. Every row has a test
// (test/unit/adapters/verificaridentidad/mapping.test.ts) built from the doc's own values.
import { reason, type CheckOutcome, type Checks, type DocumentFields, type DocumentType, type Reason } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../domain/vocabulary.js";
import { VendorError, type VendorErrorKind } from "../../domain/errors.js";
import { defaultClassify, type VendorResponse } from "../kit/http.js";
import { toAlpha2 } from "../../domain/countries.js";
import { normalizeSex, toIsoDate } from "../../domain/dates.js";
import type { Dni, Result } from "./schemas.js";

export const VENDOR = "verificaridentidad" as const;

// ---------------------------------------------------------------- Res (every function's answer)

type ResCode = "1" | "-1" | "-2" | "-3" | "-4" | "-5" | "-6" | "-7";
interface ResRule {
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

/** The VendorError of a `Res` other than 1, or null for 1. An unknown code is a generic technical error that keeps its code. */
export function resError(res: number, endpoint: string, retryable: boolean): VendorError | null {
  const rule: ResRule | undefined = (RES_CODES as Record<string, ResRule>)[String(res)];
  if (rule && rule.kind === null) return null;
  return new VendorError({
    vendor: VENDOR,
    endpoint,
    retryable,
    kind: rule?.kind ?? "rejected",
    reasonCode: rule?.reasonCode ?? GENERIC_CODE_BY_CATEGORY.technical,
    vendorCode: res,
    message: rule ? `${endpoint}: ${rule.message} (Res ${res})` : `${endpoint}: unknown answer (Res ${res})`,
  });
}

// ---------------------------------------------------------------- HTTP statuses

type HttpRow = { kind: VendorErrorKind; retryable: boolean };

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

export function classifyHttp(endpoint: string) {
  const fallback = defaultClassify(VENDOR, endpoint);
  return (res: VendorResponse): VendorError | null => {
    if (res.status >= 200 && res.status < 300) return null; // a business answer: the caller reads `Res`
    const row: HttpRow | undefined = (HTTP_STATUS as Record<string, HttpRow>)[String(res.status)];
    if (!row) return fallback(res);
    const base = fallback(res);
    return new VendorError({
      vendor: VENDOR,
      endpoint,
      kind: row.kind,
      retryable: row.retryable,
      httpStatus: res.status,
      vendorCode: res.status,
      retryAfterMs: base?.retryAfterMs ?? null,
      message: `${endpoint}: vendor answered HTTP ${res.status}`,
    });
  };
}

// ---------------------------------------------------------------- Estado (webhooks)

type EstadoCode = "3000" | "3001" | "3002" | "3003" | "5000" | "5001" | "5100" | "5500";
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

/**
 * An Estado the doc does not list never decides: below 5000 it is another user step,
 * from 5000 on the vendor is working. Either way it is kept in the event log under its code.
 */
export function estadoRule(estado: number): EstadoRule {
  const known: EstadoRule | undefined = (ESTADOS as Record<string, EstadoRule>)[String(estado)];
  if (known) return known;
  return estado < 5000
    ? { status: "awaiting_user", step: `unknown_${estado}` }
    : { status: "processing", step: `unknown_${estado}`, readResult: false };
}

// ---------------------------------------------------------------- Resultado

type CheckKey = "document" | "liveness" | "faceMatch";
type ResultadoCode = "-1" | "-2" | "-3" | "-4" | "-5" | "-6" | "-7" | "-8" | "-9";
interface ResultadoRule {
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

/** ">80": a similarity in percent passes only strictly above the vendor's threshold */
export function passesSimilarity(percent: number): boolean {
  return percent > FACE_SIMILARITY_THRESHOLD;
}

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
  "-3": { reasons: ["document_sides_mismatch"], settledByOperator: [], check: "document", outcome: "fail", message: "The Front and Back of the document do not seem to match" },
  "-4": { reasons: ["different_person_in_session"], settledByOperator: [], check: "liveness", outcome: "fail", message: "The liveness test seems to have been performed by different people" },
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

export function resultadoRule(resultado: number): ResultadoRule | null {
  if (passesSimilarity(resultado)) return null;
  // a positive similarity of 80 or less "must be validated manually (operator)": the same as -1
  if (resultado >= 0) return RESULTADO_CODES["-1"];
  return (RESULTADO_CODES as Record<string, ResultadoRule>)[String(resultado)] ?? UNKNOWN_RESULTADO;
}

// ---------------------------------------------------------------- Si / No flags

/** "It can be Si or No" (and "N/A if an ID document number was not sent"); matched case-insensitively */
export const SI_NO = {
  Si: true,
  No: false,
  "N/A": null,
} as const satisfies Record<string, boolean | null>;

export function siNo(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase().normalize("NFD").replace(/\p{Diacritic}/gu, "");
  for (const [k, b] of Object.entries(SI_NO)) if (k.toLowerCase() === v) return b;
  return null;
}

type FlagName = "AnversoReversoCoinciden" | "DNISolicitadoCoincide" | "PruebaDeVida" | "ProcesoRelizadoMismaPersona" | "Caducado";
interface FlagRule {
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

export function documentType(tipo: string | undefined): DocumentType | null {
  if (!tipo) return null;
  return (DOCUMENT_TYPES as Record<string, DocumentType>)[tipo.trim().toUpperCase()] ?? "other";
}

/** `Nombre`: "Full name in format Surnames, Name" ("APARICIO LOPEZ,JUAN") */
export function splitNombre(nombre: string | undefined): { firstName: string | null; lastName: string | null } {
  if (!nombre?.trim()) return { firstName: null, lastName: null };
  const comma = nombre.indexOf(",");
  if (comma < 0) return { firstName: null, lastName: nombre.trim() };
  const lastName = nombre.slice(0, comma).trim();
  const firstName = nombre.slice(comma + 1).trim();
  return { firstName: firstName || null, lastName: lastName || null };
}

/**
 * A document number as the vendor read it, or null. `DNIAnverso`/`DNIReverso` are "the ID
 * document number detected on the front/back of the document"; a value that is not a document
 * number (an image, a base64 blob) is never taken for one: images never go into the checks.
 */
export function documentNumberOf(value: string | undefined): string | null {
  const t = value?.trim();
  return t && /^[A-Z0-9][A-Z0-9 ./-]{0,31}$/i.test(t) ? t : null;
}

/**
 * `DNI` (and the numbers read on each side): the document's fields. The number is the one "that
 * appears on the document" (`DNI.DNI`), else the one detected on the front, else the back.
 * `Edad` ("Real age") and `NumeroSerie` ("Serial number of the document") have no document field:
 * they stay in the stored, redacted webhook payload.
 */
export function documentFields(dni: Dni, sides: { front?: string; back?: string } = {}): DocumentFields {
  const { firstName, lastName } = splitNombre(dni.Nombre);
  return {
    firstName,
    lastName,
    dateOfBirth: toIsoDate(dni.FechaNacimiento),
    documentNumber: documentNumberOf(dni.DNI) ?? documentNumberOf(sides.front) ?? documentNumberOf(sides.back),
    expiryDate: toIsoDate(dni.FechaExpira),
    issuingCountry: toAlpha2(dni.Pais),
    sex: normalizeSex(dni.Sexo),
    nationality: toAlpha2(dni.Nacionalidad),
  };
}

// ---------------------------------------------------------------- Result -> checks + reasons

const SEVERITY: Record<CheckOutcome, number> = { not_performed: 0, pass: 1, inconclusive: 2, fail: 3 };

function worst(a: CheckOutcome | undefined, b: CheckOutcome): CheckOutcome {
  return a === undefined || SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** The vendor's operator decided (5100/5500): what mapResult reads differently then. */
export interface OperatorDecision {
  rejection: Rejection | null;
}

/**
 * Result -> checks and reasons. `decided` is the final Estado's rule when the vendor's operator
 * decided: a "must be validated by an operator" reason is settled then, and an unknown negative
 * Resultado takes the Estado's rejection code (keeping its own vendorCode) when it has one.
 */
export function mapResult(result: Result, decided: OperatorDecision | null = null): { checks: Checks; reasons: Reason[] } {
  const outcomes: Partial<Record<CheckKey, CheckOutcome>> = {};
  const reasons: Reason[] = [];
  const security: Record<string, boolean | null> = {};
  const add = (code: ReasonCode, vendorCode: string, message: string) => {
    if (!reasons.some((r) => r.code === code)) reasons.push(reason(code, VENDOR, vendorCode, message));
  };

  const resultado = result.Resultado;
  const similarityPercent =
    resultado !== undefined && resultado >= 0 ? resultado : result.ParecidoPersonaDNI !== undefined ? result.ParecidoPersonaDNI : undefined;

  if (resultado !== undefined) {
    const rule = resultadoRule(resultado);
    if (rule) {
      for (const code of rule.reasons) {
        if (decided && rule.settledByOperator.includes(code)) continue;
        const recoded = rule === UNKNOWN_RESULTADO && decided?.rejection ? decided.rejection.code : code;
        add(recoded, String(resultado), rule.message);
      }
      if (rule.check && rule.outcome) outcomes[rule.check] = worst(outcomes[rule.check], rule.outcome);
    }
  }
  // -7 "Process not yet finished": no face result to read from ParecidoPersonaDNI
  const unfinished = resultado === -7;

  if (similarityPercent !== undefined && !unfinished) {
    outcomes.faceMatch = worst(outcomes.faceMatch, passesSimilarity(similarityPercent) ? "pass" : "inconclusive");
  }

  const flagValues: Record<FlagName, string | undefined> = {
    AnversoReversoCoinciden: result.AnversoReversoCoinciden,
    DNISolicitadoCoincide: result.DNISolicitadoCoincide,
    PruebaDeVida: result.PruebaDeVida,
    ProcesoRelizadoMismaPersona: result.ProcesoRelizadoMismaPersona,
    Caducado: result.DNI?.Caducado,
  };
  for (const [name, rule] of Object.entries(FLAGS) as [FlagName, FlagRule][]) {
    const value = siNo(flagValues[name]);
    if (value === null) continue;
    const failed = value === rule.failsWhen;
    if (rule.security) security[rule.security] = !failed;
    if (failed) {
      add(rule.reason, `${name}=${flagValues[name]}`, rule.message);
      outcomes[rule.check] = worst(outcomes[rule.check], "fail");
    } else if (rule.passes) outcomes[rule.check] = worst(outcomes[rule.check], "pass");
  }

  const checks: Checks = {};
  const dni = result.DNI;
  const sides = { front: result.DNIAnverso, back: result.DNIReverso };
  const sideNumber = documentNumberOf(sides.front) ?? documentNumberOf(sides.back);
  if (dni || outcomes.document || sideNumber) {
    const model = dni?.TipoDocumento?.trim();
    checks.document = {
      outcome: outcomes.document ?? (dni ? "pass" : "not_performed"),
      // "TipoDocumento: Document type", the vendor's own name of the model ("ID-1")
      ...(model ? { model } : {}),
      type: documentType(dni?.TipoDocumento),
      country: toAlpha2(dni?.Pais),
      fields: dni ? documentFields(dni, sides) : { documentNumber: sideNumber },
      ...(Object.keys(security).length ? { security } : {}),
    };
  }
  if (outcomes.liveness) checks.liveness = { outcome: outcomes.liveness, score: null, level: null };
  if (outcomes.faceMatch) {
    checks.faceMatch = {
      outcome: outcomes.faceMatch,
      similarity: similarityPercent === undefined || unfinished ? null : Math.min(1, Math.max(0, similarityPercent / 100)),
      threshold: FACE_SIMILARITY_THRESHOLD / 100,
    };
  }
  return { checks, reasons };
}

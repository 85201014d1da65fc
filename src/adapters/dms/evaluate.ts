// DMS answers -> normalized checks and reasons. Pure functions over parsed payloads; the
// tables they read are in mapping.ts.
import { toAlpha2 } from "../../domain/countries.js";
import { isBeforeToday, normalizeSex, toIsoDate } from "../../domain/dates.js";
import { VendorError } from "../../domain/errors.js";
import { reason, type DocumentCheck, type FaceMatchCheck, type LivenessCheck, type QualitySignals, type Reason } from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../domain/vocabulary.js";
import {
  DOCUMENT_QUALITY_FIELDS,
  DOCUMENT_TYPE_MAP,
  FACE_QUALITY_FIELDS,
  FACE_COUNT_MAP,
  FACE_VERIFY_MAP,
  FRAUD_CHECK_MAP,
  FRAUD_RESULT_MAP,
  LIVENESS_MAP,
  LOW_FACE_QUALITY,
  NO_DOCUMENT_DATA,
  UNKNOWN_DOCUMENT_TYPE,
  UNKNOWN_FRAUD_CHECK,
  UNPROCESSABLE_MAP,
  lookup,
  type VerdictRow,
} from "./mapping.js";
import type { DmsAnswer } from "./client.js";
import type { DmsDocumentResponse, DmsFaceDetectionResponse, DmsFaceVerifyResponse, DmsTemplateResponse } from "./schemas.js";

const up = (s: string | null | undefined) => (s ?? "").trim().toUpperCase();
const outcomeOf = (reasons: Reason[]): "pass" | "fail" => (reasons.length > 0 ? "fail" : "pass");
const fromRow = (row: { code: ReasonCode; message: string }, vendorCode: string | number | null) =>
  reason(row.code, "dms", vendorCode, row.message);

// ---------- document ----------

export interface DocumentEvaluation {
  check: DocumentCheck;
  /** every reason, in order */
  reasons: Reason[];
  /** the reasons among `reasons` that only make the check inconclusive (a human looks), not fail it */
  unconfirmed: Reason[];
  /** the document's portrait crop, for face matching; null when the answer has none */
  portrait: Buffer | null;
}

/** a documented text field as read: trimmed, "" is "not read" */
const text = (s: string | null | undefined): string | null => {
  const t = (s ?? "").trim();
  return t === "" ? null : t;
};

/** `now` is when the answer came: the gateway's expiry check is against that day */
export function evaluateDocument(body: DmsDocumentResponse, now: Date): DocumentEvaluation {
  const failing: Reason[] = [];
  const unconfirmed: Reason[] = [];
  const security: Record<string, boolean | null> = {};

  const resultCode = up(body.FraudCheck.Result);
  const result = lookup(FRAUD_RESULT_MAP, resultCode);
  if (!result) failing.push(reason(GENERIC_CODE_BY_CATEGORY.document, "dms", resultCode, "unknown DMS fraud check result"));
  else if (result.code) failing.push(fromRow(result, resultCode));
  const fraudPassed = result?.outcome === "pass";
  security.fraud_check = fraudPassed;

  for (const item of body.FraudCheck.Checks ?? []) {
    const name = item.trim();
    const row = lookup(FRAUD_CHECK_MAP, name.toUpperCase());
    if (row) {
      // shown under the doc's own item name
      security[name.toUpperCase()] = row.passed;
      continue;
    }
    // never dropped, whatever the verdict beside it: the generic code with the vendor's item name
    security[name] = null;
    (UNKNOWN_FRAUD_CHECK.outcome === "fail" ? failing : unconfirmed).push(reason(UNKNOWN_FRAUD_CHECK.code, "dms", name, `${UNKNOWN_FRAUD_CHECK.message} (FraudCheck.Result ${resultCode || "missing"})`));
  }

  // "The gateway itself also checks DateOfExpiry against today" (DESIGN.md): DMS only reads the date.
  // A missing or unreadable date is null, never guessed (the policy refuses to approve without one).
  const expiryDate = toIsoDate(body.DateOfExpiry);
  if (expiryDate && isBeforeToday(expiryDate, now)) failing.push(reason("document_expired", "dms", null, "document expired (DateOfExpiry before today)"));

  const typeCode = up(body.DocumentType);
  const issuingCountry = toAlpha2(body.IssuingCountry);
  const fields = {
    firstName: text(body.GivenNames),
    lastName: text(body.Surname),
    dateOfBirth: toIsoDate(body.DateOfBirth),
    documentNumber: text(body.DocumentNumber),
    expiryDate,
    sex: normalizeSex(body.Sex),
    nationality: toAlpha2(body.Nationality),
    issuingCountry,
  };
  if (!fields.firstName && !fields.lastName && !fields.dateOfBirth && !fields.documentNumber)
    unconfirmed.push(fromRow(NO_DOCUMENT_DATA, null));

  const reasons = [...failing, ...unconfirmed];
  const quality = signalsOf(body, DOCUMENT_QUALITY_FIELDS);
  const check: DocumentCheck = {
    outcome: failing.length > 0 ? "fail" : unconfirmed.length > 0 ? "inconclusive" : "pass",
    type: typeCode ? (lookup(DOCUMENT_TYPE_MAP, typeCode) ?? UNKNOWN_DOCUMENT_TYPE) : null,
    // the vendor's own name of the document type, as sent (an unlisted one is type "other")
    model: text(body.DocumentType),
    ...(quality ? { quality } : {}),
    country: issuingCountry,
    fields,
    security,
  };
  return { check, reasons, unconfirmed, portrait: decodePortrait(body.Portrait) };
}

/**
 * The documented fields at `paths` ("pose.yaw": the `yaw` of `pose`) that hold a number, a word or
 * a flag, under the doc's own names; undefined when the answer has none of them.
 */
export function signalsOf(body: Record<string, unknown>, paths: readonly string[]): QualitySignals | undefined {
  const out: QualitySignals = {};
  for (const path of paths) {
    let value: unknown = body;
    for (const key of path.split(".")) value = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    if (value === null || typeof value === "boolean" || typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) out[path] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** "Portrait: Base64-encoded face crop from the document" (a data: URI prefix is tolerated). */
export function decodePortrait(value: string | null | undefined): Buffer | null {
  if (!value) return null;
  const b64 = value.replace(/^data:[^,]*,/, "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return null;
  const buf = Buffer.from(b64, "base64");
  return buf.length > 0 ? buf : null;
}

// ---------- faces ----------

/** One face found, or the verdict row of why not (no face, several faces). */
export type FaceFinding = { ok: true; template: string | null } | { ok: false; row: VerdictRow & { code: NonNullable<VerdictRow["code"]> }; vendorCode: string };

function faceCountFinding(count: number, template: string | null): FaceFinding {
  if (count === 0) return { ok: false, row: FACE_COUNT_MAP.none, vendorCode: "face_count=0" };
  if (count > 1) return { ok: false, row: FACE_COUNT_MAP.multiple, vendorCode: `face_count=${count}` };
  return { ok: true, template };
}

const UNPROCESSABLE_FACE: FaceFinding = { ok: false, row: UNPROCESSABLE_MAP.face, vendorCode: "422" };

export interface LivenessEvaluation {
  check: LivenessCheck;
  reasons: Reason[];
  /** the selfie's face: its template (reused for face_verify) or why there is none */
  face: FaceFinding;
}

export function evaluateLiveness(answer: DmsAnswer<DmsFaceDetectionResponse>, minFaceQuality: number): LivenessEvaluation {
  const reasons: Reason[] = [];
  if (answer.kind === "unprocessable") {
    reasons.push(fromRow(UNPROCESSABLE_MAP.face, 422));
    return { check: { outcome: "fail", score: null, level: null }, reasons, face: UNPROCESSABLE_FACE };
  }
  const { face_count: count, faces } = answer.body;
  const first = faces[0];
  const face = faceCountFinding(first ? count : 0, first?.template ?? null);
  if (!face.ok || !first) {
    if (!face.ok) reasons.push(fromRow(face.row, face.vendorCode));
    return { check: { outcome: "fail", score: null, level: null }, reasons, face };
  }

  const verdict = up(first.liveness);
  const row = lookup(LIVENESS_MAP, verdict);
  if (!row) reasons.push(reason(GENERIC_CODE_BY_CATEGORY.face, "dms", verdict || null, "unknown or missing DMS liveness verdict"));
  else if (row.code) reasons.push(fromRow(row, verdict));

  const quality = first.quality ?? null;
  if (quality !== null && quality < minFaceQuality)
    reasons.push(reason(LOW_FACE_QUALITY.code, "dms", `quality=${quality}`, `${LOW_FACE_QUALITY.message} (${quality} < ${minFaceQuality})`));

  // the doc gives no liveness score nor level (only the GENUINE/SPOOF verdict): both stay null;
  // the face's capture signals are carried under the doc's names
  const signals = signalsOf(first, FACE_QUALITY_FIELDS);
  return { check: { outcome: outcomeOf(reasons), score: null, level: null, ...(signals ? { quality: signals } : {}) }, reasons, face };
}

/** template_extraction: the one face's template, or why there is none. */
export function templateFinding(answer: DmsAnswer<DmsTemplateResponse>, endpoint: string): FaceFinding {
  if (answer.kind === "unprocessable") return UNPROCESSABLE_FACE;
  const body = answer.body;
  const template = body.template ?? body.faces?.[0]?.template ?? null;
  const count = body.face_count ?? body.faces?.length ?? (template ? 1 : 0);
  const finding = faceCountFinding(count, template);
  if (finding.ok && !finding.template)
    throw new VendorError({ kind: "parse", vendor: "dms", retryable: false, endpoint, message: `DMS ${endpoint} answer carries no template` });
  return finding;
}

export interface FaceMatchEvaluation {
  check: FaceMatchCheck;
  reasons: Reason[];
}

export function faceMatchFailed(r: Reason): FaceMatchEvaluation {
  return { check: { outcome: "fail", similarity: null, threshold: null }, reasons: [r] };
}

export function findingReason(f: Extract<FaceFinding, { ok: false }>, where: string): Reason {
  return reason(f.row.code, "dms", f.vendorCode, `${f.row.message} (${where})`);
}

export function evaluateFaceVerify(answer: DmsAnswer<DmsFaceVerifyResponse>): FaceMatchEvaluation {
  if (answer.kind === "unprocessable") return faceMatchFailed(fromRow(UNPROCESSABLE_MAP.face, 422));
  const { match, similarity, threshold } = answer.body;
  const row = FACE_VERIFY_MAP[match ? "true" : "false"];
  const clamp = (n: number | null | undefined) => (typeof n === "number" && Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : null);
  return {
    check: { outcome: row.outcome, similarity: clamp(similarity), threshold: threshold ?? null },
    reasons: row.code ? [fromRow(row, `match=${match}`)] : [],
  };
}

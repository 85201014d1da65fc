// DMS answers -> normalized checks and reasons. Pure functions over parsed payloads; the
// tables they read are in mapping.ts.
import { toAlpha2 } from "../../core/countries.js";
import { isBeforeToday, normalizeSex, toIsoDate } from "../../core/dates.js";
import { VendorError } from "../../core/errors.js";
import { reason, type CheckOutcome, type DocumentCheck, type FaceMatchCheck, type LivenessCheck, type Reason } from "../../core/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../core/vocabulary.js";
import {
  DOCUMENT_TYPE_MAP,
  FACE_COUNT_MAP,
  FACE_VERIFY_MAP,
  FRAUD_CHECK_MAP,
  FRAUD_RESULT_MAP,
  LIVENESS_MAP,
  LOW_FACE_QUALITY,
  UNKNOWN_DOCUMENT_TYPE,
  UNPROCESSABLE_MAP,
  lookup,
  type VerdictRow,
} from "./mapping.js";
import type { DmsAnswer } from "./client.js";
import type { DmsDocumentResponse, DmsFaceDetectionResponse, DmsFaceVerifyResponse, DmsTemplateResponse } from "./schemas.js";

const up = (s: string | null | undefined) => (s ?? "").trim().toUpperCase();
const outcomeOf = (reasons: Reason[]): CheckOutcome => (reasons.length > 0 ? "fail" : "pass");
const fromRow = (row: { code: ReasonCode; message: string }, vendorCode: string | number | null) =>
  reason(row.code, "dms", vendorCode, row.message);

// ---------- document ----------

export interface DocumentEvaluation {
  check: DocumentCheck;
  reasons: Reason[];
  /** the document's portrait crop, for face matching; null when the answer has none */
  portrait: Buffer | null;
}

export function evaluateDocument(body: DmsDocumentResponse, now: Date): DocumentEvaluation {
  const reasons: Reason[] = [];
  const security: Record<string, boolean | null> = {};

  const resultCode = up(body.FraudCheck.Result);
  const result = lookup(FRAUD_RESULT_MAP, resultCode);
  if (!result) reasons.push(reason(GENERIC_CODE_BY_CATEGORY.document, "dms", resultCode, "unknown DMS fraud check result"));
  else if (result.code) reasons.push(fromRow(result, resultCode));
  const fraudPassed = result?.outcome === "pass";
  security.fraud_check = fraudPassed;

  for (const item of body.FraudCheck.Checks ?? []) {
    const name = up(item);
    const row = lookup(FRAUD_CHECK_MAP, name);
    if (row) {
      security[row.security] = row.passed;
      if (!row.passed && row.code) reasons.push(fromRow(row, name));
    } else {
      // An unknown item on a GENUINE answer is most likely one more passed check: kept, not judged.
      // On a SUSPICIOUS answer it may be the reason: the generic code with the vendor's name.
      security[name.toLowerCase()] = null;
      if (!fraudPassed) reasons.push(reason(GENERIC_CODE_BY_CATEGORY.document, "dms", name, "unknown DMS fraud check"));
    }
  }

  // "The gateway itself also checks DateOfExpiry against today" (DESIGN.md): DMS only reads the date.
  const expiryDate = toIsoDate(body.DateOfExpiry);
  if (expiryDate && isBeforeToday(expiryDate, now)) reasons.push(reason("document_expired", "dms", null, "document expired (DateOfExpiry before today)"));

  const typeCode = up(body.DocumentType);
  const issuingCountry = toAlpha2(body.IssuingCountry);
  const check: DocumentCheck = {
    outcome: outcomeOf(reasons),
    type: typeCode ? (lookup(DOCUMENT_TYPE_MAP, typeCode) ?? UNKNOWN_DOCUMENT_TYPE) : null,
    country: issuingCountry,
    fields: {
      firstName: body.GivenNames ?? null,
      lastName: body.Surname ?? null,
      dateOfBirth: toIsoDate(body.DateOfBirth),
      documentNumber: body.DocumentNumber ?? null,
      expiryDate,
      sex: normalizeSex(body.Sex),
      nationality: toAlpha2(body.Nationality),
      issuingCountry,
    },
    security,
  };
  return { check, reasons, portrait: decodePortrait(body.Portrait) };
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

  return { check: { outcome: outcomeOf(reasons), score: null, level: null }, reasons, face };
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

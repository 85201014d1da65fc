// DMS answers -> one normalized Outcome, pure (no I/O): each answer's reading (document, liveness, face
// match; the tables they read are in mapping.ts), then the sequence. DMS has no session: a verification is a
// sequence of calls (document, face_detection, template_extraction of the portrait and maybe of the selfie,
// face_verify), each answer recorded under its endpoint. `advance` is the one pure rule over the answers so
// far: it names the next call, or gives the outcome. start() runs it against the vendor; renormalize() runs it
// over the recorded payloads, so both paths cannot diverge.
import { toAlpha2 } from "../../domain/countries.js";
import { isBeforeToday, normalizeSex, toIsoDate } from "../../domain/dates.js";
import { decide, uniqueReasons } from "../../domain/decide.js";
import {
  reason,
  type CheckName,
  type Checks,
  type DocumentCheck,
  type FaceMatchCheck,
  type LivenessCheck,
  type QualitySignals,
  type Reason,
} from "../../domain/model.js";
import { GENERIC_CODE_BY_CATEGORY, type ReasonCode } from "../../domain/vocabulary.js";
import { rowOf } from "../kit/http.js";
import type { Outcome, StoredVendorPayload } from "../types.js";
import { ENDPOINTS, vendorError, type DmsAnswer } from "./client.js";
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
  type VerdictRow,
} from "./mapping.js";
import {
  DmsDocumentResponseSchema,
  DmsFaceDetectionResponseSchema,
  DmsFaceVerifyResponseSchema,
  DmsSettingsSchema,
  DmsTemplateResponseSchema,
  type DmsDocumentResponse,
  type DmsFaceDetectionResponse,
  type DmsFaceVerifyResponse,
  type DmsTemplateResponse,
} from "./schemas.js";

// ---------- each answer ----------

const up = (s: string | null | undefined) => (s ?? "").trim().toUpperCase();
const outcomeOf = (reasons: Reason[]): "pass" | "fail" => (reasons.length > 0 ? "fail" : "pass");
const fromRow = (row: { code: ReasonCode; message: string }, vendorCode: string | number | null) => reason(row.code, "dms", vendorCode, row.message);

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
  const result = rowOf(FRAUD_RESULT_MAP, resultCode);
  if (!result) failing.push(reason(GENERIC_CODE_BY_CATEGORY.document, "dms", resultCode, "unknown DMS fraud check result"));
  else if (result.code) failing.push(fromRow(result, resultCode));
  const fraudPassed = result?.outcome === "pass";
  security.fraud_check = fraudPassed;

  for (const item of body.FraudCheck.Checks ?? []) {
    const name = item.trim();
    const row = rowOf(FRAUD_CHECK_MAP, name.toUpperCase());
    if (row) {
      // shown under the doc's own item name
      security[name.toUpperCase()] = row.passed;
      continue;
    }
    // never dropped, whatever the verdict beside it: the generic code with the vendor's item name
    security[name] = null;
    (UNKNOWN_FRAUD_CHECK.outcome === "fail" ? failing : unconfirmed).push(
      reason(UNKNOWN_FRAUD_CHECK.code, "dms", name, `${UNKNOWN_FRAUD_CHECK.message} (FraudCheck.Result ${resultCode || "missing"})`),
    );
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
  if (!fields.firstName && !fields.lastName && !fields.dateOfBirth && !fields.documentNumber) unconfirmed.push(fromRow(NO_DOCUMENT_DATA, null));

  const reasons = [...failing, ...unconfirmed];
  const quality = signalsOf(body, DOCUMENT_QUALITY_FIELDS);
  const check: DocumentCheck = {
    outcome: failing.length > 0 ? "fail" : unconfirmed.length > 0 ? "inconclusive" : "pass",
    type: typeCode ? (rowOf(DOCUMENT_TYPE_MAP, typeCode) ?? UNKNOWN_DOCUMENT_TYPE) : null,
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
    for (const key of path.split("."))
      value = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
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
export type FaceFinding =
  | { ok: true; template: string | null }
  | { ok: false; row: VerdictRow & { code: NonNullable<VerdictRow["code"]> }; vendorCode: string };

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
  const row = rowOf(LIVENESS_MAP, verdict);
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
  if (finding.ok && !finding.template) throw vendorError({ kind: "parse", retryable: false, endpoint, message: `DMS ${endpoint} answer carries no template` });
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

// ---------- the sequence ----------

/**
 * What the gateway asked for, recorded (kind REQUEST_KIND) before the first call of each start:
 * the checks and the account's minFaceQuality the answers were judged with (nothing personal).
 */
export interface DmsRequestRecord {
  checks: CheckName[];
  minFaceQuality: number;
}
export const REQUEST_KIND = "gateway_request";

export interface DmsTranscript {
  /** `at`: when the answer came (the expiry check's "today") */
  document?: { answer: DmsAnswer<DmsDocumentResponse>; at: Date };
  faceDetection?: DmsAnswer<DmsFaceDetectionResponse>;
  portraitTemplate?: DmsAnswer<DmsTemplateResponse>;
  selfieTemplate?: DmsAnswer<DmsTemplateResponse>;
  faceVerify?: DmsAnswer<DmsFaceVerifyResponse>;
}

export type DmsStep =
  | { next: "document" }
  | { next: "faceDetection" }
  /** the portrait bytes are start()'s to decode: the recorded Portrait is redacted */
  | { next: "portraitTemplate" }
  | { next: "selfieTemplate" }
  | { next: "faceVerify"; templateA: string; templateB: string };

export type Advance = DmsStep | { outcome: Outcome & { status: "completed" } };

/** the document answer, or the reason there is none (DMS's 422: no document in the image) */
type DocumentStep = { ok: true; evaluation: DocumentEvaluation } | { ok: false; reason: Reason };

function documentStep(t: NonNullable<DmsTranscript["document"]>): DocumentStep {
  if (t.answer.kind === "unprocessable") return { ok: false, reason: reason(UNPROCESSABLE_MAP.document.code, "dms", 422, UNPROCESSABLE_MAP.document.message) };
  return { ok: true, evaluation: evaluateDocument(t.answer.body, t.at) };
}

/**
 * The face match so far: its evaluation, or the next call it needs. A selfie already rejected by
 * face_detection is not sent again, and is looked at before the portrait (so that whether a
 * portrait was there, which the redacted record cannot say, matters only when a template call followed).
 */
function faceMatchStep(t: DmsTranscript, doc: DocumentStep, selfieFace: FaceFinding | null, portraitAvailable: boolean): FaceMatchEvaluation | DmsStep {
  if (!doc.ok) return faceMatchFailed(doc.reason);
  if (selfieFace && !selfieFace.ok) return faceMatchFailed(findingReason(selfieFace, "selfie"));
  if (!portraitAvailable) return faceMatchFailed(reason("no_face_detected", "dms", "Portrait", "the document answer carries no portrait"));
  if (!t.portraitTemplate) return { next: "portraitTemplate" };
  const portrait = templateFinding(t.portraitTemplate, ENDPOINTS.templateExtraction);
  if (!portrait.ok) return faceMatchFailed(findingReason(portrait, "document portrait"));

  // face_detection returns "a 2048-byte biometric template — all in one call": no second scan of the selfie
  let selfieTemplate = selfieFace?.ok ? selfieFace.template : null;
  if (!selfieTemplate) {
    if (!t.selfieTemplate) return { next: "selfieTemplate" };
    const extracted = templateFinding(t.selfieTemplate, ENDPOINTS.templateExtraction);
    if (!extracted.ok) return faceMatchFailed(findingReason(extracted, "selfie"));
    selfieTemplate = extracted.template;
  }
  if (!t.faceVerify) return { next: "faceVerify", templateA: portrait.template ?? "", templateB: selfieTemplate ?? "" };
  return evaluateFaceVerify(t.faceVerify);
}

/**
 * The next call, or the outcome. `portraitAvailable` says whether the document answer's Portrait
 * can be sent to template_extraction: start() decodes it; renormalize() knows it from whether
 * a portrait template_extraction followed. Throws the VendorError of an unusable answer.
 */
export function advance(t: DmsTranscript, req: DmsRequestRecord, portraitAvailable: (body: DmsDocumentResponse) => boolean): Advance {
  const wants = (c: CheckName) => req.checks.includes(c);
  if ((wants("document") || wants("face_match")) && !t.document) return { next: "document" };
  if (wants("liveness") && !t.faceDetection) return { next: "faceDetection" };

  const checks: Checks = {};
  const reasons: Reason[] = [];
  const unconfirmed: Reason[] = [];

  const doc = t.document ? documentStep(t.document) : null;
  if (doc && wants("document")) {
    if (doc.ok) {
      checks.document = doc.evaluation.check;
      reasons.push(...doc.evaluation.reasons);
      unconfirmed.push(...doc.evaluation.unconfirmed);
    } else {
      checks.document = { outcome: "fail", type: null, country: null, fields: {} };
      reasons.push(doc.reason);
    }
  }

  let selfieFace: FaceFinding | null = null;
  if (t.faceDetection) {
    const liveness = evaluateLiveness(t.faceDetection, req.minFaceQuality);
    checks.liveness = liveness.check;
    reasons.push(...liveness.reasons);
    selfieFace = liveness.face;
  }

  if (wants("face_match") && doc) {
    const available = doc.ok && t.document?.answer.kind === "ok" && portraitAvailable(t.document.answer.body);
    const match = faceMatchStep(t, doc, selfieFace, available);
    if ("next" in match) return match;
    checks.faceMatch = match.check;
    reasons.push(...match.reasons);
  }

  const unique = uniqueReasons(reasons);
  // an inconclusive check's reasons ask a human to look: they do not decline on their own
  const deciding = unique.filter((r) => !unconfirmed.includes(r));
  return { outcome: { status: "completed", decision: decide(checks, deciding), reasons: unique, checks, vendorReference: null } };
}

// ---------- recorded payloads -> transcript ----------

const DOCUMENT_KINDS: readonly string[] = [ENDPOINTS.document, ENDPOINTS.documentMultiPage];
const DEFAULT_MIN_FACE_QUALITY = DmsSettingsSchema.parse({}).minFaceQuality;

/** An answer as recorded (client.ts): the parsed body, a 422, or undefined when it is not a usable answer. */
function answerOf<T>(
  body: unknown,
  parse: (b: unknown) => { success: true; data: T } | { success: false },
  legacy422: (b: unknown) => boolean,
): DmsAnswer<T> | undefined {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const o = body as Record<string, unknown>;
    const keys = Object.keys(o);
    if (typeof o.status === "number" && keys.length === 2 && "body" in o) return o.status === 422 ? { kind: "unprocessable" } : undefined;
  }
  const parsed = parse(body);
  if (parsed.success) return { kind: "ok", body: parsed.data };
  // before mapping dms-2026.12.2 a 422 was recorded as the vendor's body itself; in a verification
  // that completed, a recorded body that is not an answer was that 422
  return legacy422(body) ? { kind: "unprocessable" } : undefined;
}

const schemaParse =
  <T>(schema: { safeParse(b: unknown): { success: true; data: T } | { success: false } }) =>
  (b: unknown) =>
    schema.safeParse(b);
const always = () => true;
/** a template answer carries face_count, faces or template; a 422 body none of them */
const noTemplateKeys = (b: unknown) => !!b && typeof b === "object" && !["face_count", "faces", "template"].some((k) => k in (b as object));

function readRequest(body: unknown, v: { checks: CheckName[] }): DmsRequestRecord {
  const o = (body && typeof body === "object" ? body : {}) as Partial<DmsRequestRecord>;
  return {
    checks: Array.isArray(o.checks) ? o.checks : v.checks,
    minFaceQuality: typeof o.minFaceQuality === "number" ? o.minFaceQuality : DEFAULT_MIN_FACE_QUALITY,
  };
}

/**
 * The last start's payloads as a transcript. A start begins with its REQUEST_KIND record; payloads
 * kept before this mapping have none: their last start begins with its first call's endpoint.
 * null when a payload is not a usable answer.
 */
export function transcriptFromPayloads(
  payloads: StoredVendorPayload[],
  v: { checks: CheckName[] },
): { transcript: DmsTranscript; request: DmsRequestRecord } | null {
  let from = payloads.map((p) => p.kind).lastIndexOf(REQUEST_KIND);
  let request: DmsRequestRecord;
  if (from >= 0) request = readRequest(payloads[from]?.body, v);
  else {
    request = readRequest(null, v);
    const firstKinds = request.checks.includes("document") || request.checks.includes("face_match") ? DOCUMENT_KINDS : [ENDPOINTS.faceDetection];
    from = payloads.reduce((last, p, i) => (firstKinds.includes(p.kind) ? i : last), -1);
    if (from < 0) return null;
  }

  const t: DmsTranscript = {};
  for (const p of payloads.slice(from)) {
    if (DOCUMENT_KINDS.includes(p.kind)) {
      const answer = answerOf(p.body, schemaParse(DmsDocumentResponseSchema), always);
      if (!answer) return null;
      t.document = { answer, at: p.receivedAt };
    } else if (p.kind === ENDPOINTS.faceDetection) {
      if (!(t.faceDetection = answerOf(p.body, schemaParse(DmsFaceDetectionResponseSchema), always))) return null;
    } else if (p.kind === ENDPOINTS.templateExtraction) {
      // the portrait's template is always asked for before the selfie's
      const answer = answerOf(p.body, schemaParse(DmsTemplateResponseSchema), noTemplateKeys);
      if (!answer) return null;
      if (!t.portraitTemplate) t.portraitTemplate = answer;
      else t.selfieTemplate = answer;
    } else if (p.kind === ENDPOINTS.faceVerify) {
      if (!(t.faceVerify = answerOf(p.body, schemaParse(DmsFaceVerifyResponseSchema), always))) return null;
    }
  }
  return { transcript: t, request };
}

/**
 * VendorAdapter.renormalize: the outcome of the last start, from its recorded payloads alone. Meant
 * for a completed verification (its last start completed): a start that threw half-way leaves
 * payloads that can read as a shorter run, and a repeated start records its own REQUEST_KIND first.
 */
export function renormalizeDms(payloads: StoredVendorPayload[], v: { checks: CheckName[] }): Outcome | null {
  const read = transcriptFromPayloads(payloads, v);
  if (!read) return null;
  const { transcript } = read;
  try {
    // a portrait template_extraction followed exactly when the Portrait could be sent
    const result = advance(transcript, read.request, () => transcript.portraitTemplate !== undefined);
    return "outcome" in result ? result.outcome : null;
  } catch {
    // an answer start() could not use (it failed technically then): no decision to re-derive
    return null;
  }
}

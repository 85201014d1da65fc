// DMS answers -> one normalized Outcome. DMS has no session: a verification is a sequence of calls
// (document, face_detection, template_extraction of the portrait and maybe of the selfie,
// face_verify), each answer recorded under its endpoint. `advance` is the one pure rule over the
// answers so far: it names the next call, or gives the outcome. start() runs it against the vendor;
// renormalize() runs it over the recorded payloads, so both paths cannot diverge.
import { decide, uniqueReasons } from "../../domain/decide.js";
import { reason, type CheckName, type Checks, type Reason } from "../../domain/model.js";
import type { Outcome, StoredVendorPayload } from "../types.js";
import { ENDPOINTS, type DmsAnswer } from "./client.js";
import {
  evaluateDocument,
  evaluateFaceVerify,
  evaluateLiveness,
  faceMatchFailed,
  findingReason,
  templateFinding,
  type DocumentEvaluation,
  type FaceFinding,
  type FaceMatchEvaluation,
} from "./evaluate.js";
import { UNPROCESSABLE_MAP } from "./mapping.js";
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
function answerOf<T>(body: unknown, parse: (b: unknown) => { success: true; data: T } | { success: false }, legacy422: (b: unknown) => boolean): DmsAnswer<T> | undefined {
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
export function transcriptFromPayloads(payloads: StoredVendorPayload[], v: { checks: CheckName[] }): { transcript: DmsTranscript; request: DmsRequestRecord } | null {
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

// IWS answers to a normalized outcome: pure, no HTTP. start() and renormalize() both run a flow through
// `nextStep`, one recorded answer after the other, so the two paths cannot diverge.
//
// What a flow needs is recorded as payloads (kinds `identy.<endpoint>`, see client.ts):
//   identy.request    { flow, checks, livenessLevel, matchLevel, multipleFaces }: first, once per start
//   identy.<endpoint> the IWS answer body as received (the pipeline redacts images and templates from it)
//   identy.templates  { refid, opened: TemplateInfo[] }: after /process, which templates could be opened
import { z } from "zod";
import { decide, uniqueReasons } from "../../domain/decide.js";
import type { VendorError } from "../../domain/errors.js";
import { reason, type CheckName, type Checks, type QualitySignals, type Reason } from "../../domain/model.js";
import type { Outcome, StoredVendorPayload } from "../types.js";
import { codeOf, technicalError, type IwsEndpoint, type TemplateInfo } from "./client.js";
import type { ReasonCode } from "../../domain/vocabulary.js";
import { iwsCodeRow } from "./client.js";
import {
  IWS_ERROR_CODES,
  IWS_RETRY_FEEDBACK,
  LIVENESS_LEVEL_RANK,
  LIVENESS_LEVELS,
  MATCH_LEVEL_RANK,
  MATCH_REQUEST_LEVELS,
  SELFIE_VS_PICTURE_ID_SIMILARITY,
  SELFIE_VS_SELFIE_SIMILARITY,
  UNKNOWN_IWS_CODE_REASON,
  type IwsCodeRow,
  type IwsRetryFeedback,
  type LivenessLevel,
  type MatchLevel,
  type MatchRequestLevel,
} from "./mapping.js";
import {
  AsResponseSchema,
  IwsEnvelopeSchema,
  MatchResponseSchema,
  ProcessSuccessSchema,
  schemaError,
  type AsResponse,
  type IdentySettings,
  type IwsEnvelope,
  type MatchResponse,
  type ProcessSuccess,
  vendorError,
} from "./schemas.js";

// ---------------------------------------------------------------- each answer read
// Turning IWS answers into check outcomes and reasons. No HTTP here.

type LivenessCheck = NonNullable<Checks["liveness"]>;
type FaceMatchCheck = NonNullable<Checks["faceMatch"]>;

export interface Evaluated<C> {
  check: C;
  reasons: Reason[];
}

const refNote = (refid: string | null | undefined) => (refid ? ` (refid ${refid})` : "");

/** A liveness score as the IWS reports it, when it is a number in 0..1 (its meaning is the vendor's; the doc gives none). */
export function scoreOf(value: unknown): number | null {
  const n = Array.isArray(value) ? value[0] : value;
  return typeof n === "number" && Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

type Signal = string | number | boolean | null;
const isSignal = (v: unknown): v is Signal => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/**
 * The capture-quality signals of a /process answer under the file's own attribute names ("quality.eyes_status",
 * "quality.quality_metric", "icao_data.is_compliant" ...): every scalar of `data.quality` and `icao_data` (the
 * ICAO section, "including all the ICAO metrics"), never its `templates` (images). Absent when it has none.
 */
export function processQuality(body: ProcessSuccess): QualitySignals | undefined {
  const out: QualitySignals = {};
  const take = (prefix: string, o: Record<string, unknown> | undefined) => {
    for (const [k, v] of Object.entries(o ?? {})) if (isSignal(v)) out[`${prefix}.${k}`] = v;
  };
  take("quality", body.data.quality);
  take("icao_data", body.icao_data);
  return Object.keys(out).length ? out : undefined;
}

const withQuality = (check: LivenessCheck, quality: QualitySignals | undefined): LivenessCheck => (quality ? { ...check, quality } : check);

/**
 * Pass when as_highest_security_level_reached >= the required level. The doc: "remains at null when
 * AS is deactivated or if the score fails to meet the LOW threshold": null is never a pass.
 */
export function livenessFromLevel(
  reached: string | null | undefined,
  required: LivenessLevel,
  refid: string | null | undefined,
  score: number | null = null,
  spoofScore?: number | null,
): Evaluated<LivenessCheck> {
  const level = reached ?? null;
  const scores = spoofScore === undefined ? { score } : { score, spoofScore };
  if (level === null)
    return {
      check: { outcome: "fail", ...scores, level: null },
      reasons: [
        reason("liveness_failed", "identy", "as_highest_security_level_reached=null", `no liveness level reached (AS off or below LOW)${refNote(refid)}`),
      ],
    };
  const rank = livenessRank(level);
  if (rank === null)
    // an undocumented level: never dropped, a human looks
    return {
      check: { outcome: "inconclusive", ...scores, level },
      reasons: [reason("manual_review_required", "identy", `as_highest_security_level_reached=${level}`, `undocumented liveness level${refNote(refid)}`)],
    };
  if (rank < LIVENESS_LEVEL_RANK[required])
    return {
      check: { outcome: "fail", ...scores, level },
      reasons: [
        reason(
          "liveness_failed",
          "identy",
          `as_highest_security_level_reached=${level}`,
          `liveness level ${level} below the required ${required}${refNote(refid)}`,
        ),
      ],
    };
  return { check: { outcome: "pass", ...scores, level }, reasons: [] };
}

/**
 * A legitimate /process capture: the level against ours, `spoof_score` as the score, and
 * `data.quality.qc_passed` ("true if the image quality is good, and false if it is not"). A poor-quality
 * capture asks for a retake (image_low_quality); one whose level also fell short is not judged on it
 * (inconclusive), as the doc says of spoofs: "poor-quality images may cause the capture to be flagged as a spoof".
 */
export function livenessFromProcess(body: ProcessSuccess, required: LivenessLevel): Evaluated<LivenessCheck> {
  const refid = body.refid ?? null;
  // /process reports no liveness `score`, only `spoof_score` (carried under its own name, as reported)
  const level = livenessFromLevel(body.data.as_highest_security_level_reached, required, refid, null, scoreOf(body.data.spoof_score));
  const l = { ...level, check: withQuality(level.check, processQuality(body)) };
  if (body.data.quality?.qc_passed !== false) return l;
  const lowQuality = reason(
    "image_low_quality",
    "identy",
    "qc_passed=false",
    `capture quality below the IWS's bar (quality_metric ${body.data.quality.quality_metric ?? "n/a"}, level ${l.check.level ?? "none"}): ask the user to retake${refNote(refid)}`,
  );
  if (l.check.outcome === "fail") return { check: { ...l.check, outcome: "inconclusive" }, reasons: [lowQuality] };
  return { check: l.check, reasons: [...l.reasons, lowQuality] };
}

/**
 * A /verifyWithPictureId match answer: the doc says its schema "is identical to ... the /matchWithPictureId
 * endpoint for captures that are deemed legitimate", so it carries no liveness level. It proves that the
 * capture reached the asThreshold the tenant's Face SDK put in the BLOB ("if asThreshold is set to HIGHEST, but
 * the liveness score reaches HIGH, the capture will be classified as spoof"), which the gateway does not know:
 * a pass only against a required LOW (a legitimate capture reached at least LOW); otherwise not judged.
 */
export function livenessFromLegitimateMatch(required: LivenessLevel, refid: string | null | undefined): Evaluated<LivenessCheck> {
  if (required === "LOW") return { check: { outcome: "pass", score: null, level: null }, reasons: [] };
  return {
    check: { outcome: "inconclusive", score: null, level: null },
    reasons: [
      reason(
        "manual_review_required",
        "identy",
        "as_highest_security_level_reached=absent",
        `verifyWithPictureId deemed the capture legitimate at the SDK's asThreshold but reports no level; the required ${required} is unverified (blobMatchFlow process_then_match reports it)${refNote(refid)}`,
      ),
    ],
  };
}

/**
 * A spoof answer (code 401, FEEDBACK_RETRY*). The doc: "We recommend asking users to retake the picture if the
 * capture has been flagged as a spoof and its quality key is set to false, as poor-quality images may cause the
 * capture to be flagged as a spoof": `quality: false` is a retake (image_low_quality, liveness not judged).
 */
export function livenessFromSpoof(env: IwsEnvelope, code: number): Evaluated<LivenessCheck> {
  const feedback = env.message ?? env.feedbackCode ?? "FEEDBACK_RETRY";
  // the spoof sample: "debug":{"spoof_score":[0.0]}
  const spoofScore = scoreOf((env.debug as { spoof_score?: unknown } | undefined)?.spoof_score);
  const asLevel = (env as Record<string, unknown>).as_highest_security_level_reached;
  const level = typeof asLevel === "string" ? asLevel : null;
  // "quality ... JUST for captures detected as spoof ... true if the image quality is good"
  const quality = typeof env.quality === "boolean" ? { quality: { quality: env.quality } } : {};
  const score = null;
  if (env.quality === false)
    return {
      check: { outcome: "inconclusive", score, spoofScore, level, ...quality },
      reasons: [
        reason("image_low_quality", "identy", code, `${feedback} with quality=false: a poor-quality capture, ask the user to retake${refNote(env.refid)}`),
      ],
    };
  const main = retryFeedbackReason(feedback);
  return {
    check: { outcome: main === "liveness_failed" ? "fail" : "inconclusive", score, spoofScore, level, ...quality },
    reasons: [reason(main, "identy", code, `${feedback}${refNote(env.refid)}`)],
  };
}

/** /face/as and /secure/face/as: `is_spoof` is the vendor's verdict at the threshold; the level must also reach ours. */
export function livenessFromAs(body: AsResponse, required: LivenessLevel): Evaluated<LivenessCheck> {
  const score = scoreOf(body.score);
  if (body.is_spoof)
    return {
      check: { outcome: "fail", score, level: body.as_highest_security_level_reached ?? null },
      reasons: [reason("liveness_failed", "identy", "is_spoof=true", `spoof detected${refNote(body.refid)}`)],
    };
  return livenessFromLevel(body.as_highest_security_level_reached, required, body.refid, score);
}

/** A documented code about the capture (no face, expired, decryption failed ...): the checks were not performed. */
export function fromDecisionCode(
  row: Extract<IwsCodeRow, { type: "decision" }>,
  code: number,
  env: IwsEnvelope,
  wanted: { liveness: boolean; faceMatch: boolean },
): { checks: Checks; reasons: Reason[] } {
  if (code === 401) {
    const l = livenessFromSpoof(env, code);
    const checks: Checks = { liveness: l.check };
    if (wanted.faceMatch) checks.faceMatch = { outcome: "not_performed", similarity: null, threshold: null };
    return { checks, reasons: l.reasons };
  }
  const checks: Checks = {};
  if (wanted.liveness) checks.liveness = { outcome: "not_performed", score: null, level: null };
  if (wanted.faceMatch) checks.faceMatch = { outcome: "not_performed", similarity: null, threshold: null };
  return { checks, reasons: [reason(row.reason, "identy", code, `${row.name}${refNote(env.refid)}`)] };
}

/**
 * possibleMatch ("true for positive match") at the requested level, cross-checked with
 * matchHighestSecurityLevelReached; similarityScore 0..100 becomes similarity 0..1.
 */
export function faceMatchFrom(
  body: MatchResponse,
  required: MatchRequestLevel,
  thresholds: Record<MatchRequestLevel, number>,
  multipleFaces: IdentySettings["multipleFaces"],
): Evaluated<FaceMatchCheck> {
  const similarity = typeof body.similarityScore === "number" ? Math.min(1, Math.max(0, body.similarityScore / 100)) : null;
  const threshold = thresholds[required] / 100;
  const reached = body.matchHighestSecurityLevelReached ?? null;
  const reachedRank = matchRank(reached);
  const reasons: Reason[] = [];
  const detail = `similarity ${body.similarityScore ?? "n/a"}, level reached ${reached ?? "n/a"}, required ${required}${refNote(body.refid)}`;
  let outcome: FaceMatchCheck["outcome"];
  if (body.possibleMatch === false) {
    outcome = "fail";
    reasons.push(reason("face_mismatch", "identy", "possibleMatch=false", detail));
  } else if (reachedRank !== null && reachedRank < MATCH_LEVEL_RANK[required]) {
    outcome = "fail";
    reasons.push(reason("face_similarity_low", "identy", `matchHighestSecurityLevelReached=${reached}`, detail));
  } else if (body.possibleMatch === true) {
    outcome = "pass";
  } else if (reachedRank !== null) {
    outcome = "pass";
  } else if (similarity !== null) {
    outcome = similarity >= threshold ? "pass" : "fail";
    if (outcome === "fail") reasons.push(reason("face_similarity_low", "identy", `similarityScore=${body.similarityScore}`, detail));
  } else {
    outcome = "inconclusive";
    reasons.push(reason("manual_review_required", "identy", "possibleMatch=absent", `match answer without a verdict${refNote(body.refid)}`));
  }
  for (const flag of ["multipleFacesImage", "multipleFacesImageToVerifyAgainst"] as const) {
    if (body[flag] !== true || multipleFaces === "ignore") continue;
    // "If multiple faces are detected, the match is performed using the most prominent one"
    reasons.push(
      multipleFaces === "decline"
        ? reason("multiple_faces", "identy", flag, `several faces in an image; matched the most prominent${refNote(body.refid)}`)
        : reason("manual_review_required", "identy", flag, `several faces in an image; matched the most prominent${refNote(body.refid)}`),
    );
  }
  // the match endpoints' capture flags, under their own names ("multipleFacesImage", "multipleFacesImageToVerifyAgainst")
  const quality: QualitySignals = {};
  for (const flag of ["multipleFacesImage", "multipleFacesImageToVerifyAgainst"] as const) if (typeof body[flag] === "boolean") quality[flag] = body[flag];
  return { check: Object.keys(quality).length ? { outcome, similarity, threshold, quality } : { outcome, similarity, threshold }, reasons };
}

/** icao_data.multiple_faces on a /process answer, under the same policy. */
export function multipleFacesReason(flag: boolean | undefined, policy: IdentySettings["multipleFaces"], refid: string | null | undefined): Reason[] {
  if (flag !== true || policy === "ignore") return [];
  const code = policy === "decline" ? "multiple_faces" : "manual_review_required";
  return [reason(code, "identy", "icao_data.multiple_faces", `several faces in the capture${refNote(refid)}`)];
}

// ---------------------------------------------------------------- the flow

export type IdentyFlow =
  | { kind: "await_capture" }
  | { kind: "blob_liveness"; endpoint: "process" | "secure_face_as" }
  | { kind: "blob_verify_picture_id" }
  | { kind: "blob_process_match"; against: "picture_id" | "selfie" }
  | { kind: "image_liveness"; thenMatch: boolean }
  | { kind: "image_match_picture_id" };

export type CallingFlow = Exclude<IdentyFlow, { kind: "await_capture" }>;

/** The `identy.request` payload: what decides the outcome besides the answers (no personal data). */
export interface IdentyRequestRecord {
  flow: CallingFlow;
  checks: CheckName[];
  livenessLevel: IdentySettings["livenessLevel"];
  matchLevel: IdentySettings["matchLevel"];
  multipleFaces: IdentySettings["multipleFaces"];
}

export const REQUEST_KIND = "identy.request";
export const TEMPLATES_KIND = "identy.templates";
export const answerKind = (endpoint: IwsEndpoint) => `identy.${endpoint}`;

/** The answers of one start, by endpoint (each flow calls an endpoint at most once), and the templates record. */
export interface FlowAnswers {
  answers: Partial<Record<IwsEndpoint, unknown>>;
  templates?: { opened: OpenedInfo[] };
}

/** What the templates record must keep for a replay: which formats could be opened. */
type OpenedInfo = Pick<TemplateInfo, "format" | "bytes" | "error">;

export type Step = { type: "call"; endpoint: IwsEndpoint } | { type: "done"; outcome: Outcome } | { type: "error"; error: VendorError };

export function completed(checks: Checks, reasons: Reason[], vendorReference: string | null): Outcome {
  const unique = uniqueReasons(reasons);
  return { status: "completed", decision: decide(checks, unique), reasons: unique, checks, vendorReference };
}

const done = (outcome: Outcome): Step => ({ type: "done", outcome });
const call = (endpoint: IwsEndpoint): Step => ({ type: "call", endpoint });
const fail = (error: VendorError): Step => ({ type: "error", error });

type Answer<T> =
  | { type: "ok"; body: T }
  /** a documented code about the capture (spoof, no face, expired ...) */
  | { type: "code"; code: number; row: Extract<IwsCodeRow, { type: "decision" }>; envelope: IwsEnvelope }
  | { type: "error"; error: VendorError };

const codeIs200 = (env: IwsEnvelope) => codeOf(env) === 200;
// the /face/as family: `"error": 0` and no `code` on success
const asIsOk = (env: IwsEnvelope) => codeOf(env) === null || codeOf(env) === 200;

/**
 * One answer body read as documented. Technical and undocumented codes become VendorErrors (the live
 * path's classifyIws already threw them before the body was recorded; a payload recorded under an older
 * mapping may still hold one).
 */
export function readAnswer<T>(endpoint: IwsEndpoint, raw: unknown, schema: z.ZodType<T>): Answer<T> {
  const isOk = endpoint === "face_as" || endpoint === "secure_face_as" ? asIsOk : codeIs200;
  const env = IwsEnvelopeSchema.safeParse(raw);
  if (!env.success) return { type: "error", error: schemaError(endpoint, null, env.error.issues) };
  if (!isOk(env.data)) {
    const code = codeOf(env.data);
    const row = code === null ? null : iwsCodeRow(code);
    const refid = env.data.refid ? ` refid ${env.data.refid}` : "";
    if (code !== null && row?.type === "decision") return { type: "code", code, row, envelope: env.data };
    if (code !== null && row?.type === "technical") return { type: "error", error: technicalError(row, code, endpoint, null, env.data.refid ?? null) };
    return {
      type: "error",
      error: vendorError({
        kind: code === null ? "parse" : "rejected",
        endpoint,
        retryable: false,
        vendorCode: code,
        reasonCode: code === null ? undefined : UNKNOWN_IWS_CODE_REASON,
        message: code === null ? `IWS ${endpoint} answer carries no usable code` : `IWS ${endpoint} answered an undocumented code ${code}${refid}`,
      }),
    };
  }
  const body = schema.safeParse(raw);
  if (!body.success) return { type: "error", error: schemaError(endpoint, null, body.error.issues) };
  return { type: "ok", body: body.data };
}

function wants(checks: CheckName[]) {
  return { liveness: checks.includes("liveness"), faceMatch: checks.includes("face_match") };
}

const NOT_MATCHED = { outcome: "not_performed", similarity: null, threshold: null } as const;

/** The template format a match after /process sends: a JPEG or PNG template the gateway could open. */
export function matchableFormat(opened: OpenedInfo[] | undefined): "JPEG" | "PNG" | null {
  for (const format of ["JPEG", "PNG"] as const) if (opened?.some((t) => t.format === format && t.bytes !== null && !t.error)) return format;
  return null;
}

interface Before {
  checks: Checks;
  reasons: Reason[];
  refid: string | null;
}

/**
 * One answer of a flow: not called yet, a technical failure, or a documented code that ends the flow (the
 * checks `wanted` not performed, after what the earlier answers found); otherwise its body.
 */
function answerStep<T>(
  endpoint: IwsEndpoint,
  got: FlowAnswers,
  schema: z.ZodType<T>,
  wanted: { liveness: boolean; faceMatch: boolean },
  before?: Before,
): { step: Step } | { body: T } {
  const raw = got.answers[endpoint];
  if (raw === undefined) return { step: call(endpoint) };
  const a = readAnswer(endpoint, raw, schema);
  if (a.type === "error") return { step: fail(a.error) };
  if (a.type === "code") {
    const r = fromDecisionCode(a.row, a.code, a.envelope, wanted);
    const refid = before ? before.refid : (a.envelope.refid ?? null);
    return { step: done(completed({ ...before?.checks, ...r.checks }, [...(before?.reasons ?? []), ...r.reasons], refid)) };
  }
  return { body: a.body };
}

function matchStep(req: IdentyRequestRecord, endpoint: "match_with_picture_id" | "match_with_selfie", got: FlowAnswers, before: Before): Step {
  const m = answerStep(endpoint, got, MatchResponseSchema, { liveness: false, faceMatch: true }, before);
  if ("step" in m) return m.step;
  const fm = faceMatchOf(req, m.body, endpoint === "match_with_selfie" ? SELFIE_VS_SELFIE_SIMILARITY : SELFIE_VS_PICTURE_ID_SIMILARITY);
  return done(completed({ ...before.checks, faceMatch: fm.check }, [...before.reasons, ...fm.reasons], before.refid));
}

function faceMatchOf(req: IdentyRequestRecord, body: MatchResponse, thresholds: typeof SELFIE_VS_SELFIE_SIMILARITY | typeof SELFIE_VS_PICTURE_ID_SIMILARITY) {
  return faceMatchFrom(body, req.matchLevel, thresholds, req.multipleFaces);
}

/** What a flow does next, given the answers so far: call an endpoint, or its outcome, or a technical failure. */
export function nextStep(req: IdentyRequestRecord, got: FlowAnswers): Step {
  const w = wants(req.checks);
  const flow = req.flow;
  switch (flow.kind) {
    case "blob_liveness":
    case "blob_process_match": {
      if (flow.kind === "blob_liveness" && flow.endpoint === "secure_face_as") {
        const a = answerStep("secure_face_as", got, AsResponseSchema, w);
        if ("step" in a) return a.step;
        const l = livenessFromAs(a.body, req.livenessLevel);
        return done(completed({ liveness: l.check }, l.reasons, a.body.refid ?? null));
      }
      const alsoMatch = flow.kind === "blob_process_match";
      const p = answerStep("process", got, ProcessSuccessSchema, { liveness: true, faceMatch: alsoMatch });
      if ("step" in p) return p.step;
      const refid = p.body.refid ?? null;
      const l = livenessFromProcess(p.body, req.livenessLevel);
      const reasons = [...l.reasons, ...multipleFacesReason(p.body.icao_data?.multiple_faces, req.multipleFaces, refid)];
      if (!alsoMatch) return done(completed({ liveness: l.check }, reasons, refid));
      // no match call for a capture that is not live or asks for a retake: the IWS does a few requests per second
      if (l.check.outcome !== "pass" || p.body.data.quality?.qc_passed === false)
        return done(completed({ liveness: l.check, faceMatch: NOT_MATCHED }, reasons, refid));
      if (!matchableFormat(got.templates?.opened))
        return fail(
          vendorError({
            kind: "feature_disabled",
            endpoint: "process",
            retryable: false,
            message: "the /process answer holds no readable JPEG or PNG template to match (template encryption without templatePrivateKey?)",
          }),
        );
      return matchStep(req, flow.against === "selfie" ? "match_with_selfie" : "match_with_picture_id", got, { checks: { liveness: l.check }, reasons, refid });
    }
    case "blob_verify_picture_id": {
      const r = answerStep("verify_with_picture_id", got, MatchResponseSchema, { liveness: true, faceMatch: true });
      if ("step" in r) return r.step;
      const body = r.body;
      const refid = body.refid ?? null;
      // an IWS that does send a level has it checked against ours; otherwise only what a legitimate capture proves
      const liveness =
        body.as_highest_security_level_reached !== undefined
          ? livenessFromLevel(body.as_highest_security_level_reached, req.livenessLevel, refid)
          : w.liveness
            ? livenessFromLegitimateMatch(req.livenessLevel, refid)
            : null;
      const fm = faceMatchOf(req, body, SELFIE_VS_PICTURE_ID_SIMILARITY);
      const checks: Checks = liveness ? { liveness: liveness.check, faceMatch: fm.check } : { faceMatch: fm.check };
      return done(completed(checks, [...(liveness?.reasons ?? []), ...fm.reasons], refid));
    }
    case "image_liveness": {
      const a = answerStep("face_as", got, AsResponseSchema, { liveness: true, faceMatch: flow.thenMatch });
      if ("step" in a) return a.step;
      const l = livenessFromAs(a.body, req.livenessLevel);
      const refid = a.body.refid ?? null;
      if (!flow.thenMatch) return done(completed({ liveness: l.check }, l.reasons, refid));
      if (l.check.outcome !== "pass") return done(completed({ liveness: l.check, faceMatch: NOT_MATCHED }, l.reasons, refid));
      return matchStep(req, "match_with_picture_id", got, { checks: { liveness: l.check }, reasons: l.reasons, refid });
    }
    case "image_match_picture_id": {
      const m = answerStep("match_with_picture_id", got, MatchResponseSchema, { liveness: false, faceMatch: true });
      if ("step" in m) return m.step;
      const fm = faceMatchOf(req, m.body, SELFIE_VS_PICTURE_ID_SIMILARITY);
      return done(completed({ faceMatch: fm.check }, fm.reasons, m.body.refid ?? null));
    }
  }
}

const ENDPOINT_BY_KIND = new Map<string, IwsEndpoint>(
  (["process", "secure_face_as", "verify_with_picture_id", "face_as", "match_with_picture_id", "match_with_selfie"] as const).map((e) => [answerKind(e), e]),
);

const RequestRecordSchema = z.object({
  flow: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("blob_liveness"), endpoint: z.enum(["process", "secure_face_as"]) }),
    z.object({ kind: z.literal("blob_verify_picture_id") }),
    z.object({ kind: z.literal("blob_process_match"), against: z.enum(["picture_id", "selfie"]) }),
    z.object({ kind: z.literal("image_liveness"), thenMatch: z.boolean() }),
    z.object({ kind: z.literal("image_match_picture_id") }),
  ]),
  checks: z.array(z.enum(["document", "liveness", "face_match"])),
  livenessLevel: z.enum(LIVENESS_LEVELS),
  matchLevel: z.enum(MATCH_REQUEST_LEVELS),
  multipleFaces: z.enum(["decline", "review", "ignore"]),
});

const TemplatesRecordSchema = z.looseObject({ opened: z.array(z.looseObject({ format: z.string(), bytes: z.number().nullable() })) });

/**
 * The outcome of the last start from its recorded payloads (oldest first), or null when they do not say:
 * no `identy.request` record (payloads from before mapping identy-2026.12.2; only a lone IWS code answer,
 * whose reading needs no settings, is re-read then) or a flow that stopped before its last answer.
 */
export function outcomeFromPayloads(payloads: StoredVendorPayload[], checks: CheckName[]): Outcome | null {
  let lastRequest = -1;
  payloads.forEach((p, i) => {
    if (p.kind === REQUEST_KIND) lastRequest = i;
  });
  const segment = payloads.slice(lastRequest + 1);
  const got: FlowAnswers = { answers: {} };
  for (const p of segment) {
    const endpoint = ENDPOINT_BY_KIND.get(p.kind);
    if (endpoint) got.answers[endpoint] = p.body;
    else if (p.kind === TEMPLATES_KIND) {
      const t = TemplatesRecordSchema.safeParse(p.body);
      if (t.success)
        got.templates = { opened: t.data.opened.map((o) => ({ format: o.format, bytes: o.bytes, error: typeof o.error === "string" ? o.error : undefined })) };
    }
  }
  if (lastRequest < 0) return legacyOutcome(segment, checks);
  const req = RequestRecordSchema.safeParse(payloads[lastRequest]!.body);
  if (!req.success) return null;
  const step = nextStep(req.data, got);
  if (step.type === "call") return null;
  if (step.type === "error") return { status: "failed", reasons: [step.error.toReason()] };
  return step.outcome;
}

/** Payloads recorded before the request record existed: only a lone code answer is re-read (it needs no settings). */
function legacyOutcome(segment: StoredVendorPayload[], checks: CheckName[]): Outcome | null {
  const answers = segment.filter((p) => ENDPOINT_BY_KIND.has(p.kind));
  if (answers.length !== 1) return null;
  const endpoint = ENDPOINT_BY_KIND.get(answers[0]!.kind)!;
  const a = readAnswer(endpoint, answers[0]!.body, z.unknown());
  if (a.type === "ok") return null;
  if (a.type === "error") return a.error.kind === "parse" ? null : { status: "failed", reasons: [a.error.toReason()] };
  // the checks each flow reported for a code answer (a lone /process answer: liveness, or its match step not reached)
  const w = wants(checks);
  const wanted =
    endpoint === "verify_with_picture_id"
      ? { liveness: true, faceMatch: true }
      : endpoint === "match_with_picture_id" || endpoint === "match_with_selfie"
        ? { liveness: false, faceMatch: true }
        : endpoint === "secure_face_as"
          ? w
          : { liveness: true, faceMatch: w.faceMatch };
  const r = fromDecisionCode(a.row, a.code, a.envelope, wanted);
  return completed(r.checks, r.reasons, a.envelope.refid ?? null);
}

// ---------------------------------------------------------------- levels and feedback, through mapping.ts

export function retryFeedbackReason(message: string | null | undefined): ReasonCode {
  if (message && Object.hasOwn(IWS_RETRY_FEEDBACK, message)) return IWS_RETRY_FEEDBACK[message as IwsRetryFeedback];
  // an unknown retry feedback on a 401 is still the table's 401 row
  return IWS_ERROR_CODES[401].reason;
}

export function livenessRank(level: string | null | undefined): number | null {
  if (!level) return null;
  return Object.hasOwn(LIVENESS_LEVEL_RANK, level) ? LIVENESS_LEVEL_RANK[level as LivenessLevel] : null;
}

export function matchRank(level: string | null | undefined): number | null {
  if (!level) return null;
  return Object.hasOwn(MATCH_LEVEL_RANK, level) ? MATCH_LEVEL_RANK[level as MatchLevel] : null;
}

// Turning IWS answers into check outcomes and reasons. No HTTP here.
import { reason, type Reason } from "../../domain/model.js";
import type { Checks, QualitySignals } from "../../domain/model.js";
import {
  LIVENESS_LEVEL_RANK,
  MATCH_LEVEL_RANK,
  livenessRank,
  matchRank,
  retryFeedbackReason,
  type IwsCodeRow,
  type LivenessLevel,
  type MatchRequestLevel,
} from "./mapping.js";
import type { AsResponse, IdentySettings, IwsEnvelope, MatchResponse, ProcessSuccess } from "./schemas.js";

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
      reasons: [reason("liveness_failed", "identy", "as_highest_security_level_reached=null", `no liveness level reached (AS off or below LOW)${refNote(refid)}`)],
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
      reasons: [reason("liveness_failed", "identy", `as_highest_security_level_reached=${level}`, `liveness level ${level} below the required ${required}${refNote(refid)}`)],
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
      reasons: [reason("image_low_quality", "identy", code, `${feedback} with quality=false: a poor-quality capture, ask the user to retake${refNote(env.refid)}`)],
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
export function fromDecisionCode(row: Extract<IwsCodeRow, { type: "decision" }>, code: number, env: IwsEnvelope, wanted: { liveness: boolean; faceMatch: boolean }): { checks: Checks; reasons: Reason[] } {
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

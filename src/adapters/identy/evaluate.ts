// Turning IWS answers into check outcomes and reasons. No HTTP here.
import { reason, type Reason } from "../../core/model.js";
import type { Checks } from "../../core/model.js";
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
import type { AsResponse, IdentySettings, IwsEnvelope, MatchResponse } from "./schemas.js";

type LivenessCheck = NonNullable<Checks["liveness"]>;
type FaceMatchCheck = NonNullable<Checks["faceMatch"]>;

export interface Evaluated<C> {
  check: C;
  reasons: Reason[];
}

const refNote = (refid: string | null | undefined) => (refid ? ` (refid ${refid})` : "");

/**
 * Pass when as_highest_security_level_reached >= the required level. The doc: "remains at null when
 * AS is deactivated or if the score fails to meet the LOW threshold": null is never a pass.
 */
export function livenessFromLevel(reached: string | null | undefined, required: LivenessLevel, refid: string | null | undefined): Evaluated<LivenessCheck> {
  const level = reached ?? null;
  if (level === null)
    return {
      check: { outcome: "fail", score: null, level: null },
      reasons: [reason("liveness_failed", "identy", "as_highest_security_level_reached=null", `no liveness level reached (AS off or below LOW)${refNote(refid)}`)],
    };
  const rank = livenessRank(level);
  if (rank === null)
    // an undocumented level: never dropped, a human looks
    return {
      check: { outcome: "inconclusive", score: null, level },
      reasons: [reason("manual_review_required", "identy", `as_highest_security_level_reached=${level}`, `undocumented liveness level${refNote(refid)}`)],
    };
  if (rank < LIVENESS_LEVEL_RANK[required])
    return {
      check: { outcome: "fail", score: null, level },
      reasons: [reason("liveness_failed", "identy", `as_highest_security_level_reached=${level}`, `liveness level ${level} below the required ${required}${refNote(refid)}`)],
    };
  return { check: { outcome: "pass", score: null, level }, reasons: [] };
}

/** A spoof answer (code 401, FEEDBACK_RETRY*): `quality: false` adds image_low_quality (the doc recommends a retake). */
export function livenessFromSpoof(env: IwsEnvelope, code: number): Evaluated<LivenessCheck> {
  const feedback = env.message ?? env.feedbackCode ?? "FEEDBACK_RETRY";
  const main = retryFeedbackReason(feedback);
  const reasons = [reason(main, "identy", code, `${feedback}${refNote(env.refid)}`)];
  if (env.quality === false)
    reasons.push(reason("image_low_quality", "identy", "quality=false", `spoof verdict on a poor-quality capture: ask the user to retake${refNote(env.refid)}`));
  const asLevel = (env as Record<string, unknown>).as_highest_security_level_reached;
  return {
    check: { outcome: main === "liveness_failed" ? "fail" : "inconclusive", score: null, level: typeof asLevel === "string" ? asLevel : null },
    reasons,
  };
}

/** /face/as and /secure/face/as: `is_spoof` is the vendor's verdict at the threshold; the level must also reach ours. */
export function livenessFromAs(body: AsResponse, required: LivenessLevel): Evaluated<LivenessCheck> {
  if (body.is_spoof)
    return {
      check: { outcome: "fail", score: null, level: body.as_highest_security_level_reached ?? null },
      reasons: [reason("liveness_failed", "identy", "is_spoof=true", `spoof detected${refNote(body.refid)}`)],
    };
  return livenessFromLevel(body.as_highest_security_level_reached, required, body.refid);
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
  return { check: { outcome, similarity, threshold }, reasons };
}

/** icao_data.multiple_faces on a /process answer, under the same policy. */
export function multipleFacesReason(flag: boolean | undefined, policy: IdentySettings["multipleFaces"], refid: string | null | undefined): Reason[] {
  if (flag !== true || policy === "ignore") return [];
  const code = policy === "decline" ? "multiple_faces" : "manual_review_required";
  return [reason(code, "identy", "icao_data.multiple_faces", `several faces in the capture${refNote(refid)}`)];
}

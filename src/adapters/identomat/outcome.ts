// A parsed Identomat result/ answer -> the normalized outcome, driven by the tables in
// mapping.ts. Pure: poll() and renormalize() both go through mapResult/completedOutcome, so
// a live poll and a re-decision from the recorded payloads cannot diverge.
//
// Facts, not gateway decisions: the vendor's verdict stands (APPROVED approved, REJECTED declined
// with the vendor's reasons), the similarity is reported with the vendor's own threshold (the file
// gives none: null), and a tenant's minimum similarity is the core policy's `minimumFaceSimilarity`.
import { toAlpha2 } from "../../domain/countries.js";
import { normalizeSex, toIsoDate } from "../../domain/dates.js";
import { uniqueReasons } from "../../domain/decide.js";
import type { VendorError } from "../../domain/errors.js";
import { vendorError } from "./client.js";
import { reason, type CheckName, type Checks, type Decision, type DocumentFields, type Reason } from "../../domain/model.js";
import type { AdapterVerification, Outcome, StoredVendorPayload } from "../types.js";
import { GENERIC_CODE_BY_CATEGORY, categoryOf, type ReasonCode } from "../../domain/vocabulary.js";
import type { DocumentType } from "../../domain/model.js";
import {
  CHECK_FAILED_BY_REASON,
  DOCUMENT_TYPE_IN,
  REJECT_REASON_CODES,
  REJECT_REASON_WORDS,
  RESULT_RULES,
  UNKNOWN_REJECT_REASON_CODE,
  type IdentomatDocumentType,
  type IdentomatRejectReason,
  type RejectReasonWord,
  type IdentomatResult,
  type ResultRule,
} from "./mapping.js";
import { IdentomatSettingsSchema, ResultAnswerSchema, type IdentomatPerson, type IdentomatResultAnswer } from "./schemas.js";

const VENDOR = "identomat" as const;
const DAY_MS = 86_400_000;
/** the operator's note is free text: kept whole up to this many characters */
const OPERATOR_COMMENT_MAX = 2000;

/** the kind under which poll() records every result/ answer (ctx.recordPayload), read back by renormalize */
export const RESULT_PAYLOAD_KIND = "identomat.result";

// ---------------------------------------------------------------------------
// dates

/**
 * A printed date. The file gives `"birthday": <String>` and `"document_expires": <String>` and no
 * format (../shared/vendors/identomat.txt), so only what cannot be misread is read: ISO
 * `YYYY-MM-DD`, or a slash date `a/b/yyyy` when both readings (day/month and month/day) give the
 * same calendar date or only one of them is a date ("11/25/1979", "25/11/1979"). "8/2/2031"
 * could be either: `{ ambiguous }`, for the ISO twin to settle; any other form is null.
 */
type Printed = { date: string } | { ambiguous: [string, string] } | null;

function printedDate(value: string | null | undefined): Printed {
  const t = value?.trim();
  if (!t) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const iso = toIsoDate(t);
    return iso ? { date: iso } : null;
  }
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (!m) return null;
  const pad = (x: string) => x.padStart(2, "0");
  const dayFirst = toIsoDate(`${m[3]}-${pad(m[2]!)}-${pad(m[1]!)}`);
  const monthFirst = toIsoDate(`${m[3]}-${pad(m[1]!)}-${pad(m[2]!)}`);
  if (dayFirst && monthFirst) return dayFirst === monthFirst ? { date: dayFirst } : { ambiguous: [dayFirst, monthFirst] };
  const only = dayFirst ?? monthFirst;
  return only ? { date: only } : null;
}

/**
 * The `*_time` twin: an ISO date or instant. A UTC instant that is not midnight is a local midnight
 * written in UTC ("1979-11-24T20:00:00.000Z" for the 25th in Tbilisi): the nearest midnight is the date.
 * Years before 1900 are sentinels of an absent date, not dates.
 */
function twinDate(value: string | null | undefined): string | null {
  const t = value?.trim();
  if (!t) return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (!m) return null;
  const calendar = toIsoDate(m[1]!);
  if (!calendar || Number(m[1]!.slice(0, 4)) < 1900) return null;
  if (m[5] !== "Z" || (m[2] === "00" && m[3] === "00" && (m[4] ?? "00") === "00")) return calendar;
  const instant = Date.parse(t);
  return Number.isNaN(instant) ? null : new Date(Math.floor((instant + DAY_MS / 2) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * `birthday`/`document_expires` with their `*_time` twin: one readable value, or both agreeing;
 * an ambiguous slash date only where the twin is one of its readings. Else null, never guessed
 * (the core policy makes a missing date a review where it needs one).
 */
export function identomatDate(plain: string | null | undefined, iso?: string | null): string | null {
  const printed = printedDate(plain);
  const twin = twinDate(iso);
  if (printed && "ambiguous" in printed) return twin && printed.ambiguous.includes(twin) ? twin : null;
  if (printed && twin) return printed.date === twin ? twin : null;
  return printed?.date ?? twin;
}

// ---------------------------------------------------------------------------
// person fields

const blankToNull = (v: string | null | undefined): string | null => {
  const t = v?.trim();
  return t ? t : null;
};

/**
 * The `person` members as the vendor gives them. Names are kept exactly as written, in any script
 * (the widget serves ru, uk and gr users: the core transliterates before comparing); the latin
 * members first, the document's own script (`local_*`) when they are empty.
 */
export function personFields(p: IdentomatPerson | null | undefined): DocumentFields {
  if (!p) return {};
  return {
    firstName: blankToNull(p.first_name) ?? blankToNull(p.local_first_name),
    lastName: blankToNull(p.last_name) ?? blankToNull(p.local_last_name),
    dateOfBirth: identomatDate(p.birthday, p.birthday_time),
    placeOfBirth: blankToNull(p.birth_place),
    documentNumber: blankToNull(p.document_number),
    personalNumber: blankToNull(p.personal_number),
    expiryDate: identomatDate(p.document_expires, p.document_expires_time),
    issueDate: identomatDate(p.document_issued),
    issuingCountry: toAlpha2(p.issuing_state),
    sex: normalizeSex(p.sex),
    nationality: toAlpha2(p.nationality) ?? toAlpha2(p.citizenship),
    address: blankToNull(p.address),
  };
}

// ---------------------------------------------------------------------------
// a whole result answer

export interface MapInput {
  /** the checks the verification asked for: only these are reported */
  checks: CheckName[];
  settings: { manualCheckPollSeconds: number };
  /**
   * the request's document country (alpha-2). The begin/ flags restricted the scan to it
   * ("Limit document scanning by country codes"), so it is the document's country when the
   * answer names no issuing state.
   */
  requestCountry: string | null;
  endpoint: string;
  /** this answer follows a MANUAL_CHECK the gateway already reported as `review` */
  settlesReview: boolean;
}

export type MappedResult =
  | { status: "awaiting_user"; result: "IN_PROGRESS" }
  | {
      status: "completed";
      result: Exclude<IdentomatResult, "IN_PROGRESS">;
      decision: Decision;
      reasons: Reason[];
      checks: Checks;
      pollAfterMs: number | null;
      /** the vendor's operator decided: an APPROVED/REJECTED settling a MANUAL_CHECK, or one carrying the operator's comment */
      humanDecision: boolean;
    };

function parseError(endpoint: string, message: string, vendorCode: string | null = null): VendorError {
  return vendorError({ kind: "parse", retryable: false, endpoint, vendorCode, message });
}

export function mapResult(answer: IdentomatResultAnswer, input: MapInput): MappedResult {
  const found = resultRuleOf(answer.result);
  // an unknown result is never taken for an approval
  if (!found) throw parseError(input.endpoint, "identomat answered an unknown result value", answer.result.slice(0, 40));
  const { result, rule } = found;
  if (result === "IN_PROGRESS" || rule.verdict === null) return { status: "awaiting_user", result: "IN_PROGRESS" };

  const reasons: Reason[] = [];
  if (rule.reason) reasons.push(reason(rule.reason, VENDOR, result, null));

  const failedByReason = new Set<keyof Checks>();
  const rejectValue = blankToNull(answer.reject_reason?.value);
  if (rejectValue && (result === "REJECTED" || result === "MANUAL_CHECK")) {
    // a known value by its table row, an unknown one by the category its words name (a face reason fails the face check)
    const { code, fails } = rejectReasonOf(rejectValue);
    reasons.push(reason(code, VENDOR, rejectValue, blankToNull(answer.reject_reason?.description)?.slice(0, 200) ?? null));
    if (fails) failedByReason.add(fails);
  } else if (result === "REJECTED") {
    // "Can be null": a rejection without a stated reason still needs one; it blames no check
    reasons.push(reason(UNKNOWN_REJECT_REASON_CODE, VENDOR, "REJECTED", "rejected without a reject_reason"));
  }

  const checks: Checks = {};
  const wants = (c: CheckName) => input.checks.includes(c);

  if (wants("document")) {
    const fields = rule.checksPerformed ? personFields(answer.person) : {};
    const type = rule.checksPerformed ? documentTypeOf(answer.document_type) : null;
    const extracted = type !== null || Boolean(fields.documentNumber);
    checks.document = {
      outcome: !rule.checksPerformed
        ? "not_performed"
        : failedByReason.has("document")
          ? "fail"
          : result === "APPROVED"
            ? "pass"
            : result === "MANUAL_CHECK"
              ? "inconclusive"
              : extracted
                ? "pass"
                : "inconclusive",
      type,
      // nothing scanned (DISAGREED_WITH_TERMS): no country either
      country: rule.checksPerformed ? (fields.issuingCountry ?? input.requestCountry) : null,
      fields,
    };
  }

  if (wants("liveness")) {
    const live = rule.checksPerformed ? answer.live : null;
    const outcome = failedByReason.has("liveness") || live === false ? "fail" : live === true ? "pass" : "not_performed";
    // "Whether or not the person was considered as live": a fact the check reports; it is a reason
    // only where the vendor did not approve (an approval stands; the policy weighs the failing check)
    if (live === false && rule.verdict !== "approved" && !reasons.some((r) => r.code === "liveness_failed")) {
      reasons.push(reason("liveness_failed", VENDOR, "live=false", "the person was not considered live"));
    }
    checks.liveness = { outcome, score: null, level: null };
  }

  if (wants("face_match")) {
    const similarity = rule.checksPerformed ? answer.similarity : null;
    if (typeof similarity === "number" && (similarity < 0 || similarity > 1 || Number.isNaN(similarity))) {
      throw parseError(input.endpoint, "identomat similarity outside 0..1");
    }
    const measured = typeof similarity === "number";
    const outcome = failedByReason.has("faceMatch") ? "fail" : measured ? rule.faceMatch : "not_performed";
    // the file documents no vendor threshold
    checks.faceMatch = { outcome, similarity: measured ? similarity : null, threshold: null };
  }

  // "If Operator Rejects/Approves the session manually and adds a comment, that comment will be provided here"
  const operatorComment = blankToNull(answer.result_comment);
  if (operatorComment !== null) checks.session = { operatorComment: operatorComment.slice(0, OPERATOR_COMMENT_MAX) };

  return {
    status: "completed",
    result,
    decision: rule.verdict,
    reasons: uniqueReasons(reasons),
    checks,
    pollAfterMs: result === "MANUAL_CHECK" ? input.settings.manualCheckPollSeconds * 1000 : null,
    // "If Operator Rejects/Approves the session manually and adds a comment, that comment will be provided here"
    humanDecision: rule.operatorVerdict && (input.settlesReview || operatorComment !== null),
  };
}

/** a completed mapping as the adapter's Outcome (shared by poll and renormalize) */
export function completedOutcome(mapped: Extract<MappedResult, { status: "completed" }>, vendorReference: string | null): Outcome {
  return {
    status: "completed",
    decision: mapped.decision,
    reasons: mapped.reasons,
    checks: mapped.checks,
    vendorReference,
    pollAfterMs: mapped.pollAfterMs,
    ...(mapped.humanDecision ? { humanDecision: true } : {}),
  };
}

/** the MapInput of a verification (settlesReview aside) */
export function mapInputOf(v: AdapterVerification, settings: { manualCheckPollSeconds: number }, settlesReview: boolean): MapInput {
  return { checks: v.checks, settings, requestCountry: toAlpha2(v.input.document?.country), endpoint: "result", settlesReview };
}

/**
 * The outcome the recorded result/ answers decide, without a vendor call: the last answer that
 * is a result document decides (error answers, recorded as `{ error }`, are skipped); it settles a
 * review when an earlier answer was MANUAL_CHECK. null when the answers do not decide (still
 * IN_PROGRESS, none recorded, or an answer the mapping refuses). The account's settings are not
 * at hand: a MANUAL_CHECK's pollAfterMs is the default manualCheckPollSeconds (scheduling only).
 */
export function renormalizeResults(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null {
  const answers = payloads.flatMap((p) => {
    if (p.kind !== RESULT_PAYLOAD_KIND) return [];
    const parsed = ResultAnswerSchema.safeParse(p.body);
    return parsed.success ? [parsed.data] : [];
  });
  const last = answers.at(-1);
  if (!last) return null;
  const settlesReview = answers.slice(0, -1).some((a) => resultRuleOf(a.result)?.result === "MANUAL_CHECK");
  let mapped: MappedResult;
  try {
    mapped = mapResult(last, mapInputOf(v, IdentomatSettingsSchema.parse({}), settlesReview));
  } catch {
    return null;
  }
  return mapped.status === "completed" ? completedOutcome(mapped, v.vendorReference) : null;
}

// ---------------------------------------------------------------------------
// the tables read (own keys only)

/** Identomat's own documents spell the result upper-case; public client code shows lower-case answers: compare upper-cased. */
export function resultRuleOf(result: string): { result: IdentomatResult; rule: ResultRule } | null {
  const key = result.trim().toUpperCase();
  if (!Object.hasOwn(RESULT_RULES, key)) return null;
  return { result: key as IdentomatResult, rule: RESULT_RULES[key as IdentomatResult] };
}

function rejectKey(value: string): string {
  return value
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, "_");
}

/** the check a known reason code fails: CHECK_FAILED_BY_REASON, else the document for document/image/data reasons */
export function checkFailedBy(code: ReasonCode): keyof Checks | null {
  if (Object.hasOwn(CHECK_FAILED_BY_REASON, code)) return CHECK_FAILED_BY_REASON[code as keyof typeof CHECK_FAILED_BY_REASON];
  const c = categoryOf(code);
  return c === "document" || c === "image" || c === "data" ? "document" : null;
}

/** `reject_reason.value` -> the reason code and the check it fails (known value, else by its words, else the document) */
export function rejectReasonOf(value: string): { code: ReasonCode; fails: keyof Checks | null } {
  const key = rejectKey(value);
  if (Object.hasOwn(REJECT_REASON_CODES, key)) {
    const code = REJECT_REASON_CODES[key as IdentomatRejectReason];
    return { code, fails: checkFailedBy(code) };
  }
  for (const word of key.split("_")) {
    if (!Object.hasOwn(REJECT_REASON_WORDS, word)) continue;
    const row = REJECT_REASON_WORDS[word as RejectReasonWord];
    return { code: GENERIC_CODE_BY_CATEGORY[row.category], fails: row.check };
  }
  return { code: UNKNOWN_REJECT_REASON_CODE, fails: checkFailedBy(UNKNOWN_REJECT_REASON_CODE) };
}

export function rejectReasonCodeOf(value: string): ReasonCode {
  return rejectReasonOf(value).code;
}

export function documentTypeOf(value: string | null | undefined): DocumentType | null {
  if (!value) return null;
  const key = value.trim().toLowerCase();
  return Object.hasOwn(DOCUMENT_TYPE_IN, key) ? DOCUMENT_TYPE_IN[key as IdentomatDocumentType] : "other";
}

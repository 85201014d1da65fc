// The tenant's decision policy (DESIGN.md "Contract additions"): applied by core to every
// vendor's normalized outcome, so the same person gets the same decision on any vendor.
// The policy only ever makes a vendor's decision stricter (approved → review → declined):
// it adds reasons the gateway found itself (`vendor: null`) and never turns a decline or a
// review into an approval. A vendor's human operator decision (`humanDecision`) stands, except
// for these gateway checks.
import { z } from "../domain/zod.js";
import { LIVENESS_LEVELS, reason, type Checks, type Decision, type DocumentType, type LivenessLevel, type Reason } from "../domain/model.js";
import type { ReasonCode } from "../domain/vocabulary.js";
import { ageOn, compareDates, compareDocumentNumber, compareNames, isExpired, type MatchVerdict } from "./identity-match.js";

export const MISMATCH_CODES = [
  "first_name_mismatch",
  "last_name_mismatch",
  "names_inverted",
  "date_of_birth_mismatch",
  "document_number_mismatch",
  "document_type_mismatch",
  "document_country_mismatch",
] as const satisfies readonly ReasonCode[];
export type MismatchCode = (typeof MISMATCH_CODES)[number];

const MismatchActionSchema = z.enum(["review", "decline"]);
export type MismatchAction = z.infer<typeof MismatchActionSchema>;

export const DEFAULT_ON_MISMATCH = {
  first_name_mismatch: "review",
  last_name_mismatch: "review",
  names_inverted: "review",
  date_of_birth_mismatch: "decline",
  document_number_mismatch: "decline",
  document_type_mismatch: "review",
  document_country_mismatch: "decline",
} as const satisfies Record<MismatchCode, MismatchAction>;

const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, "ISO 3166-1 alpha-2")
  .transform((c) => c.toUpperCase());

/** The whole policy (every field present); `null` = not enforced. */
export const DecisionPolicySchema = z
  .object({
    minimumAge: z.number().int().min(0).max(120).nullable(),
    acceptedDocumentTypes: z
      .array(z.enum(["id_card", "passport", "driving_license", "residence_permit", "other"]))
      .min(1)
      .nullable(),
    acceptedCountries: z.array(country).min(1).nullable(),
    requiredLivenessLevel: z.enum(LIVENESS_LEVELS).nullable(),
    minimumFaceSimilarity: z.number().min(0).max(1).nullable(),
    onMismatch: z
      .object(Object.fromEntries(MISMATCH_CODES.map((c) => [c, MismatchActionSchema])) as Record<MismatchCode, typeof MismatchActionSchema>)
      .strict(),
    /** how many times the end user may retake a user-fixable capture (blurry, low quality, expired) before it is a decline */
    maxRetakes: z.number().int().min(0).max(10),
  })
  .strict()
  .openapi("DecisionPolicy");
export type DecisionPolicy = z.infer<typeof DecisionPolicySchema>;

export const DEFAULT_POLICY: DecisionPolicy = {
  minimumAge: 18,
  acceptedDocumentTypes: null,
  acceptedCountries: null,
  requiredLivenessLevel: null,
  minimumFaceSimilarity: null,
  onMismatch: { ...DEFAULT_ON_MISMATCH },
  maxRetakes: 2,
};

/** `PUT /admin/tenants/:id/policy`: every field optional, unknown fields refused with their path. */
export const PolicyUpdateSchema = DecisionPolicySchema.extend({ onMismatch: DecisionPolicySchema.shape.onMismatch.partial() })
  .partial()
  .strict()
  .openapi("DecisionPolicyUpdate");
export type PolicyUpdate = z.infer<typeof PolicyUpdateSchema>;

/** The stored policy of a tenant (any older shape) completed with today's defaults. */
export function effectivePolicy(stored: unknown): DecisionPolicy {
  const s = (stored && typeof stored === "object" ? stored : {}) as Partial<DecisionPolicy>;
  const merged = { ...DEFAULT_POLICY, ...s, onMismatch: { ...DEFAULT_POLICY.onMismatch, ...(s.onMismatch ?? {}) } };
  const parsed = DecisionPolicySchema.safeParse(merged);
  return parsed.success ? parsed.data : DEFAULT_POLICY;
}

export function updatePolicy(current: DecisionPolicy, update: PolicyUpdate): DecisionPolicy {
  return DecisionPolicySchema.parse({ ...current, ...update, onMismatch: { ...current.onMismatch, ...(update.onMismatch ?? {}) } });
}

/** What the tenant claimed in the request (the subject and the document it said it would send). */
export interface IdentityClaim {
  firstName?: string | null;
  lastName?: string | null;
  dateOfBirth?: string | null;
  documentNumber?: string | null;
  documentType?: DocumentType | null;
  documentCountry?: string | null;
}

export interface PolicyInput {
  /** the vendor's normalized decision */
  decision: Decision;
  reasons: Reason[];
  checks: Checks;
  humanDecision: boolean;
  requestedChecks: readonly string[];
  claim: IdentityClaim;
  policy: DecisionPolicy;
  today: Date;
}

export interface PolicyResult {
  decision: Decision;
  reasons: Reason[];
  /** what the gateway found itself, for the event log (codes only, nothing personal) */
  findings: { code: ReasonCode; effect: Decision }[];
}

const SEVERITY: Record<Decision, number> = { approved: 0, review: 1, declined: 2 };
const stricter = (a: Decision, b: Decision): Decision => (SEVERITY[b] > SEVERITY[a] ? b : a);
const effectOf = (action: MismatchAction): Decision => (action === "decline" ? "declined" : "review");

type CheckWithOutcome = Exclude<keyof Checks, "session">;
/** The reason a failing check carries when the vendor gave none of its category. */
const FAILING_CHECK_REASON = { document: "document_suspicious", liveness: "liveness_failed", faceMatch: "face_mismatch" } as const satisfies Record<
  CheckWithOutcome,
  ReasonCode
>;
const CHECK_CATEGORIES: Record<CheckWithOutcome, readonly string[]> = {
  document: ["document", "data", "image"],
  liveness: ["face", "image"],
  faceMatch: ["face", "image"],
};

export function applyPolicy(input: PolicyInput): PolicyResult {
  const { policy, checks, claim } = input;
  let decision = input.decision;
  const reasons = [...input.reasons];
  const findings: PolicyResult["findings"] = [];
  const has = (code: ReasonCode) => reasons.some((r) => r.code === code);
  const find = (code: ReasonCode, effect: Decision, message: string) => {
    decision = stricter(decision, effect);
    findings.push({ code, effect });
    if (!has(code)) reasons.push(reason(code, null, null, message));
  };

  const doc = checks.document;
  const fields = doc?.fields ?? {};
  const documentRequested = input.requestedChecks.includes("document");

  if (documentRequested && !doc) find("data_not_extracted", "review", "the vendor returned no document data");

  if (doc) {
    // expiry: past it is a decline; not readable is never an approval
    const expired = isExpired(fields.expiryDate, input.today);
    if (expired === true) find("document_expired", "declined", "the document is past its expiry date");
    else if (expired === null) find("data_not_extracted", "review", "the document's expiry date could not be read");

    if (policy.minimumAge !== null && fields.dateOfBirth) {
      const age = ageOn(fields.dateOfBirth, input.today);
      if (age !== null && age < policy.minimumAge) find("underage", "declined", `younger than the tenant's minimum age of ${policy.minimumAge}`);
    }
    if (policy.acceptedDocumentTypes) {
      if (!doc.type) find("data_not_extracted", "review", "the vendor did not report the document type the policy restricts");
      else if (!policy.acceptedDocumentTypes.includes(doc.type))
        find("document_not_supported", "declined", `document type ${doc.type} is not accepted by the tenant's policy`);
    }
    if (policy.acceptedCountries) {
      if (!doc.country) find("data_not_extracted", "review", "the vendor did not report the document country the policy restricts");
      else if (!policy.acceptedCountries.includes(doc.country.toUpperCase()))
        find("document_not_supported", "declined", `documents of ${doc.country.toUpperCase()} are not accepted by the tenant's policy`);
    }

    // the claimed identity against the document; a field the tenant did not send is not compared
    const mismatch = (code: MismatchCode, verdict: MatchVerdict | null, what: string) => {
      if (verdict === "mismatch") find(code, effectOf(policy.onMismatch[code]), `${what} on the document differs from the claimed one`);
      else if (verdict === "close") find(code, "review", `${what} on the document is close to, but not the same as, the claimed one`);
    };
    const names = compareNames(claim, fields);
    if (names.inverted)
      find("names_inverted", effectOf(policy.onMismatch.names_inverted), "the given names and surnames on the document are swapped against the claim");
    else {
      mismatch("first_name_mismatch", names.firstName, "the first name");
      mismatch("last_name_mismatch", names.lastName, "the last name");
    }
    if (claim.dateOfBirth && fields.dateOfBirth) mismatch("date_of_birth_mismatch", compareDates(claim.dateOfBirth, fields.dateOfBirth), "the date of birth");
    if (claim.documentNumber && fields.documentNumber)
      mismatch("document_number_mismatch", compareDocumentNumber(claim.documentNumber, fields.documentNumber), "the document number");
    // "other" is the vendor's way of saying it could not name the type: nothing to compare
    if (claim.documentType && doc.type && doc.type !== "other" && claim.documentType !== doc.type)
      mismatch("document_type_mismatch", "mismatch", "the document type");
    if (claim.documentCountry && doc.country && claim.documentCountry.toUpperCase() !== doc.country.toUpperCase())
      mismatch("document_country_mismatch", "mismatch", "the document country");
  }

  if (policy.requiredLivenessLevel && input.requestedChecks.includes("liveness")) {
    const level = checks.liveness?.level ?? null;
    const rank = level ? LIVENESS_LEVELS.indexOf(level as LivenessLevel) : -1;
    if (rank < 0) find("manual_review_required", "review", `the vendor did not report a liveness level; the policy requires ${policy.requiredLivenessLevel}`);
    else if (rank < LIVENESS_LEVELS.indexOf(policy.requiredLivenessLevel))
      find("liveness_failed", "declined", `liveness level ${level} is below the required ${policy.requiredLivenessLevel}`);
  }

  // a gateway similarity threshold can at most ask a human
  const similarity = checks.faceMatch?.similarity;
  if (policy.minimumFaceSimilarity !== null && typeof similarity === "number" && similarity < policy.minimumFaceSimilarity) {
    find("face_similarity_low", "review", `face similarity ${similarity} is below the tenant's minimum ${policy.minimumFaceSimilarity}`);
  }

  // an automatic approval never carries a failing check; a human operator's approval may (their call)
  if (!input.humanDecision) {
    for (const name of Object.keys(FAILING_CHECK_REASON) as CheckWithOutcome[]) {
      if (checks[name]?.outcome !== "fail") continue;
      const explained = reasons.some((r) => CHECK_CATEGORIES[name].includes(r.category));
      if (!explained) find(FAILING_CHECK_REASON[name], "review", `the vendor approved although its ${name} check failed`);
      else decision = stricter(decision, "review");
    }
  }
  return { decision, reasons, findings };
}

/** Reasons the end user can fix by capturing again: a non-hosted vendor asks for a retake instead of declining. */
export const USER_FIXABLE_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  "image_low_quality",
  "image_blurry",
  "image_low_resolution",
  "capture_expired",
  "no_face_detected",
]);

/**
 * A spoof verdict on a capture of poor quality is a retake too: "poor-quality images may cause the
 * capture to be flagged as a spoof" (../shared/vendors/identy-web-solution-v6.txt, `quality`).
 */
export function isRetakeable(result: { decision: Decision; reasons: Reason[] }): boolean {
  if (result.decision === "approved" || result.reasons.length === 0) return false;
  const poorImage = result.reasons.some((r) => r.category === "image");
  return result.reasons.every((r) => USER_FIXABLE_REASONS.has(r.code) || (r.code === "liveness_failed" && poorImage));
}

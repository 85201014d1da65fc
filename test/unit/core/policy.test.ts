// Every rule of the decision policy, as a table: vendor outcome + claim + policy → decision and reasons.
import { describe, expect, it } from "vitest";
import { reason, type Checks, type Decision, type Reason } from "../../../src/domain/model.js";
import {
  applyPolicy,
  DEFAULT_POLICY,
  effectivePolicy,
  isRetakeable,
  PolicyUpdateSchema,
  updatePolicy,
  type DecisionPolicy,
  type IdentityClaim,
} from "../../../src/core/policy.js";
import { mergeChecks, mergeReasons } from "../../../src/core/checks-merge.js";

const TODAY = new Date("2026-12-01T12:00:00Z");
const FIELDS = { firstName: "JUAN", lastName: "APARICIO LOPEZ", dateOfBirth: "1955-12-18", documentNumber: "00000000T", expiryDate: "2030-10-19" };
const CLAIM: IdentityClaim = {
  firstName: "Juan",
  lastName: "Aparicio López",
  dateOfBirth: "1955-12-18",
  documentNumber: "00000000-T",
  documentType: "id_card",
  documentCountry: "ES",
};
const ALL = ["document", "liveness", "face_match"];

function checks(
  over: {
    fields?: Record<string, unknown>;
    type?: string | null;
    country?: string | null;
    level?: string | null;
    similarity?: number | null;
    liveness?: string;
    face?: string;
    document?: string;
  } = {},
): Checks {
  return {
    document: {
      outcome: (over.document ?? "pass") as never,
      type: (over.type === undefined ? "id_card" : over.type) as never,
      country: over.country === undefined ? "ES" : over.country,
      fields: { ...FIELDS, ...over.fields } as never,
    },
    liveness: { outcome: (over.liveness ?? "pass") as never, score: null, level: over.level ?? null },
    faceMatch: { outcome: (over.face ?? "pass") as never, similarity: over.similarity === undefined ? 0.93 : over.similarity, threshold: null },
  };
}

function run(
  o: {
    decision?: Decision;
    reasons?: Reason[];
    checks?: Checks;
    claim?: IdentityClaim;
    policy?: Partial<DecisionPolicy>;
    human?: boolean;
    requested?: string[];
  } = {},
) {
  const policy = { ...DEFAULT_POLICY, ...o.policy, onMismatch: { ...DEFAULT_POLICY.onMismatch, ...o.policy?.onMismatch } };
  return applyPolicy({
    decision: o.decision ?? "approved",
    reasons: o.reasons ?? [],
    checks: o.checks ?? checks(),
    humanDecision: o.human ?? false,
    requestedChecks: o.requested ?? ALL,
    claim: o.claim ?? CLAIM,
    policy,
    today: TODAY,
  });
}
const codes = (r: { reasons: Reason[] }) => r.reasons.map((x) => x.code);

describe("the decision policy", () => {
  it("approves a document that proves the claimed identity", () => {
    const r = run();
    expect(r.decision).toBe("approved");
    expect(r.reasons).toEqual([]);
  });

  it.each<[string, Parameters<typeof run>[0], Decision, string[]]>([
    // the quickstart's fault: another person's driving licence
    [
      "another person's document",
      {
        checks: checks({
          type: "driving_license",
          fields: { firstName: "CARLOS", lastName: "GARCIA LOPEZ", dateOfBirth: "1990-06-15", documentNumber: "B12345678" },
        }),
      },
      "declined",
      ["first_name_mismatch", "last_name_mismatch", "date_of_birth_mismatch", "document_number_mismatch", "document_type_mismatch"],
    ],
    ["first name differs", { claim: { ...CLAIM, firstName: "Pedro" } }, "review", ["first_name_mismatch"]],
    [
      "first name differs, policy declines",
      { claim: { ...CLAIM, firstName: "Pedro" }, policy: { onMismatch: { ...DEFAULT_POLICY.onMismatch, first_name_mismatch: "decline" } } },
      "declined",
      ["first_name_mismatch"],
    ],
    [
      "a close name is review even when the policy declines mismatches",
      { claim: { ...CLAIM, lastName: "Aparcio Lopez" }, policy: { onMismatch: { ...DEFAULT_POLICY.onMismatch, last_name_mismatch: "decline" } } },
      "review",
      ["last_name_mismatch"],
    ],
    ["names inverted", { claim: { ...CLAIM, firstName: "Aparicio Lopez", lastName: "Juan" } }, "review", ["names_inverted"]],
    ["date of birth differs", { claim: { ...CLAIM, dateOfBirth: "1955-12-19" } }, "declined", ["date_of_birth_mismatch"]],
    ["document number differs", { claim: { ...CLAIM, documentNumber: "11111111H" } }, "declined", ["document_number_mismatch"]],
    ["document type differs", { claim: { ...CLAIM, documentType: "passport" } }, "review", ["document_type_mismatch"]],
    ["document country differs", { claim: { ...CLAIM, documentCountry: "PT" } }, "declined", ["document_country_mismatch"]],
    ["a vendor type of other is not compared", { checks: checks({ type: "other" }) }, "approved", []],
    ["nothing claimed, nothing compared", { claim: {} }, "approved", []],
    ["underage", { checks: checks({ fields: { dateOfBirth: "2010-01-01" } }), claim: { ...CLAIM, dateOfBirth: "2010-01-01" } }, "declined", ["underage"]],
    ["18 today is of age", { checks: checks({ fields: { dateOfBirth: "2008-12-01" } }), claim: { ...CLAIM, dateOfBirth: "2008-12-01" } }, "approved", []],
    [
      "minimum age 21",
      { policy: { minimumAge: 21 }, checks: checks({ fields: { dateOfBirth: "2006-01-01" } }), claim: { ...CLAIM, dateOfBirth: "2006-01-01" } },
      "declined",
      ["underage"],
    ],
    [
      "minimum age off",
      { policy: { minimumAge: null }, checks: checks({ fields: { dateOfBirth: "2016-01-01" } }), claim: { ...CLAIM, dateOfBirth: "2016-01-01" } },
      "approved",
      [],
    ],
    ["expired document", { checks: checks({ fields: { expiryDate: "2026-11-30" } }) }, "declined", ["document_expired"]],
    ["expiry missing", { checks: checks({ fields: { expiryDate: null } }) }, "review", ["data_not_extracted"]],
    ["expiry unreadable", { checks: checks({ fields: { expiryDate: "31/12/2030" } }) }, "review", ["data_not_extracted"]],
    ["no document data at all", { checks: { liveness: checks().liveness, faceMatch: checks().faceMatch } }, "review", ["data_not_extracted"]],
    [
      "document type not accepted",
      { policy: { acceptedDocumentTypes: ["passport"] }, claim: { ...CLAIM, documentType: null } },
      "declined",
      ["document_not_supported"],
    ],
    ["document type accepted", { policy: { acceptedDocumentTypes: ["passport", "id_card"] } }, "approved", []],
    ["country not accepted", { policy: { acceptedCountries: ["PT"] }, claim: { ...CLAIM, documentCountry: null } }, "declined", ["document_not_supported"]],
    ["country not reported, policy restricts", { policy: { acceptedCountries: ["ES"] }, checks: checks({ country: null }) }, "review", ["data_not_extracted"]],
    ["liveness level below the required", { policy: { requiredLivenessLevel: "HIGH" }, checks: checks({ level: "MEDIUM" }) }, "declined", ["liveness_failed"]],
    ["liveness level at the required", { policy: { requiredLivenessLevel: "HIGH" }, checks: checks({ level: "HIGH" }) }, "approved", []],
    ["liveness level above the required", { policy: { requiredLivenessLevel: "HIGH" }, checks: checks({ level: "HIGHEST" }) }, "approved", []],
    [
      "liveness level not reported, one is required",
      { policy: { requiredLivenessLevel: "LOW" }, checks: checks({ level: null }) },
      "review",
      ["manual_review_required"],
    ],
    [
      "face similarity under the tenant's minimum is review only",
      { policy: { minimumFaceSimilarity: 0.8 }, checks: checks({ similarity: 0.75 }) },
      "review",
      ["face_similarity_low"],
    ],
    ["face similarity at the minimum", { policy: { minimumFaceSimilarity: 0.8 }, checks: checks({ similarity: 0.8 }) }, "approved", []],
    ["an automatic approval with a failing liveness check", { checks: checks({ liveness: "fail" }) }, "review", ["liveness_failed"]],
    ["an operator's approval with a failing check stands", { checks: checks({ liveness: "fail" }), human: true }, "approved", []],
    [
      "an operator's approval still meets the identity checks",
      { human: true, claim: { ...CLAIM, documentNumber: "11111111H" } },
      "declined",
      ["document_number_mismatch"],
    ],
    ["an operator's approval after a low similarity, no tenant minimum", { human: true, checks: checks({ similarity: 0.62 }) }, "approved", []],
    ["a vendor decline is never loosened", { decision: "declined", reasons: [reason("document_forged", "dms", "X")] }, "declined", ["document_forged"]],
    [
      "a vendor review stays review",
      { decision: "review", reasons: [reason("manual_review_required", "identomat", "MANUAL_CHECK")] },
      "review",
      ["manual_review_required"],
    ],
  ])("%s", (_name, input, decision, expected) => {
    const r = run(input);
    expect(r.decision).toBe(decision);
    expect(codes(r)).toEqual(expect.arrayContaining(expected));
    expect(codes(r)).toHaveLength(new Set([...expected, ...(input?.reasons ?? []).map((x) => x.code)]).size);
    for (const found of r.reasons.filter((x) => expected.includes(x.code) && !(input?.reasons ?? []).some((v) => v.code === x.code))) {
      expect(found).toMatchObject({ vendor: null, vendorCode: null });
    }
  });

  it("keeps the vendor's own reason and does not repeat it", () => {
    const r = run({
      decision: "declined",
      reasons: [reason("document_expired", "verificaridentidad", "-5")],
      checks: checks({ fields: { expiryDate: "2020-01-01" } }),
    });
    expect(r.reasons).toEqual([reason("document_expired", "verificaridentidad", "-5")]);
  });
});

describe("policy storage", () => {
  it("fills a stored policy of an older shape with today's defaults", () => {
    expect(effectivePolicy({})).toEqual(DEFAULT_POLICY);
    expect(effectivePolicy({ minimumAge: 21, onMismatch: { first_name_mismatch: "decline" } })).toMatchObject({
      minimumAge: 21,
      onMismatch: { first_name_mismatch: "decline", last_name_mismatch: "review" },
    });
  });
  it("updates field by field and refuses unknown fields with their path", () => {
    const next = updatePolicy(DEFAULT_POLICY, PolicyUpdateSchema.parse({ acceptedCountries: ["es", "PT"], onMismatch: { names_inverted: "decline" } }));
    expect(next.acceptedCountries).toEqual(["ES", "PT"]);
    expect(next.onMismatch.names_inverted).toBe("decline");
    expect(next.onMismatch.first_name_mismatch).toBe("review");
    const bad = PolicyUpdateSchema.safeParse({ minimumAge: 18, onMismatch: { nickname_mismatch: "decline" } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(["onMismatch"]);
    expect(PolicyUpdateSchema.safeParse({ requiredLivenessLevel: "SUPER" }).success).toBe(false);
  });
});

describe("retakes", () => {
  it("only an outcome made entirely of user-fixable reasons is retakeable", () => {
    expect(isRetakeable({ decision: "declined", reasons: [reason("image_blurry", "shareid", "blur_img")] })).toBe(true);
    expect(isRetakeable({ decision: "declined", reasons: [reason("image_blurry", "shareid"), reason("document_forged", "shareid")] })).toBe(false);
    expect(isRetakeable({ decision: "approved", reasons: [] })).toBe(false);
  });
});

describe("merging later events into stored data", () => {
  const stored = checks();
  it("a later event without data keeps every stored check and field", () => {
    expect(mergeChecks(stored, undefined)).toEqual(stored);
    expect(mergeChecks(stored, {})).toEqual(stored);
    expect(mergeChecks(stored, { document: { outcome: "pass", type: null, country: null, fields: { firstName: null } } })).toEqual(stored);
  });
  it("a later value replaces the stored one; a check not performed keeps the stored outcome", () => {
    const merged = mergeChecks(stored, {
      document: { outcome: "fail", type: null, country: null, fields: { expiryDate: "2020-01-01" } },
      liveness: { outcome: "not_performed", score: 0.2, level: null },
    });
    expect(merged.document).toMatchObject({ outcome: "fail", type: "id_card", fields: { ...FIELDS, expiryDate: "2020-01-01" } });
    expect(merged.liveness).toEqual({ outcome: "pass", score: 0.2, level: null });
  });
  it("after erasure no document field is written back", () => {
    expect(mergeChecks({}, checks(), true).document!.fields).toEqual({});
  });
  it("reasons of both events, the later first, each once", () => {
    const a = reason("face_mismatch", "verificaridentidad", "-8");
    const b = reason("document_expired", "verificaridentidad", "-5");
    expect(mergeReasons([a, b], [b])).toEqual([b, a]);
  });
});

// "Decisions you can trust": the vendor's verdict wins (APPROVED approved, REJECTED declined with
// the vendor's reasons), the similarity is a fact with no gateway threshold, an operator's answer
// after MANUAL_CHECK is a human decision, and the document data is reported as the vendor gave it.
// Every case goes through poll() against answers in the doc's format (vendors/identomat.txt).
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identomatAdapter } from "../../../../src/adapters/identomat/index.js";
import type { AdapterAccount, AdapterVerification, Outcome } from "../../../../src/adapters/types.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { resultDoc as sharedResultDoc } from "./result-doc.js";
import { DEFAULT_POLICY, applyPolicy } from "../../../../src/core/policy.js";

const BASE = "https://identomat.vendor.test";
const TOKEN = "47fjzxvvzapi4ztasth3c2ozfucli3l0qx13hisc";

function account(settings: Record<string, unknown> = {}): AdapterAccount {
  return makeAccount("identomat", { baseUrl: BASE, credentials: { companyKey: "ck_test" }, settings });
}

const PERSON = {
  first_name: "IVAN",
  last_name: "IVANOV",
  birthday: "11/25/1979",
  birthday_time: "1979-11-25T00:00:00.000Z",
  document_number: "FA123456",
  document_expires: "8/2/2031",
  document_expires_time: "2031-08-02T00:00:00.000Z",
  issuing_state: "UKR",
};
const resultDoc = (over: Record<string, unknown> = {}, person: Record<string, unknown> = {}) => sharedResultDoc({ ...PERSON, ...person }, over);

/** a verification the pipeline polls: awaiting the user, or (settling) completed with decision review */
function polled(over: Partial<AdapterVerification> = {}): AdapterVerification {
  return makeVerification({ hosted: { returnUrl: "https://tenant.example/done" } }, ["document", "liveness", "face_match"], {
    vendorReference: TOKEN,
    status: "awaiting_user",
    createdAt: new Date(),
    ...over,
  });
}
const settlingReview = () => polled({ status: "completed", decision: "review", pollCount: 3 });

async function pollWith(body: unknown, v = polled(), acc = account()): Promise<Extract<Outcome, { status: "completed" }>> {
  nock(BASE)
    .post("/external-api/result/")
    .reply(200, body as nock.Body);
  const out = await identomatAdapter.poll!(v, acc, makeHarness(acc).ctx);
  if (out.status !== "completed") throw new Error(`expected completed, got ${out.status}`);
  return out;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("the vendor's verdict wins over any gateway threshold", () => {
  it("the operator's APPROVED after MANUAL_CHECK with similarity 0.62 -> approved, humanDecision, similarity as a fact", async () => {
    const out = await pollWith(resultDoc({ result: "APPROVED", similarity: 0.62 }), settlingReview());
    expect(out.decision).toBe("approved");
    expect(out.humanDecision).toBe(true);
    expect(out.reasons).toEqual([]);
    expect(out.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.62, threshold: null });
    expect(out.pollAfterMs).toBeNull();
  });

  it("a plain APPROVED with similarity 0.75 -> approved (no gateway 0.8), not a human decision", async () => {
    const out = await pollWith(resultDoc({ result: "APPROVED", similarity: 0.75 }));
    expect(out.decision).toBe("approved");
    expect(out.reasons).toEqual([]);
    expect(out.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.75, threshold: null });
    expect(out.humanDecision).not.toBe(true);
  });

  it("the legacy similarityThreshold setting is still accepted but never declines", async () => {
    const acc = account({ similarityThreshold: 0.9 });
    expect(() => identomatAdapter.settings.parse({ similarityThreshold: 0.9 })).not.toThrow();
    const out = await pollWith(resultDoc({ similarity: 0.85 }), polled(), acc);
    expect(out.decision).toBe("approved");
    expect(out.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.85, threshold: null });
  });

  it("the operator's REJECTED after MANUAL_CHECK -> declined with the vendor's reason only, humanDecision", async () => {
    const out = await pollWith(
      resultDoc({ result: "REJECTED", similarity: 0.62, reject_reason: { value: "DOCUMENT_FORGED", description: "Tampered photo" } }),
      settlingReview(),
    );
    expect(out.decision).toBe("declined");
    expect(out.humanDecision).toBe(true);
    expect(out.reasons).toEqual([
      { code: "document_forged", category: "document", vendor: "identomat", vendorCode: "DOCUMENT_FORGED", message: "Tampered photo" },
    ]);
    // the vendor did not blame the face: its similarity stays a fact, the face match is not failed by a gateway threshold
    expect(out.checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.62, threshold: null });
  });

  it("a REJECTED face_mismatch (the recorded public-client answer) -> only the vendor's reason, face match failed", async () => {
    const out = await pollWith(resultDoc({ result: "rejected", similarity: 0.6550394743680953, reject_reason: { value: "face_mismatch", description: "" } }));
    expect(out.decision).toBe("declined");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["face_mismatch", "face_mismatch"]]);
    expect(out.checks.faceMatch).toEqual({ outcome: "fail", similarity: 0.6550394743680953, threshold: null });
  });

  it("an APPROVED carrying an operator's result_comment is a human decision", async () => {
    // "If Operator Rejects/Approves the session manually and adds a comment, that comment will be provided here"
    const out = await pollWith(resultDoc({ result: "APPROVED", result_comment: "checked by phone" }));
    expect(out).toMatchObject({ decision: "approved", humanDecision: true });
    const rejected = await pollWith(resultDoc({ result: "REJECTED", reject_reason: { value: "UNDERAGE" }, result_comment: "minor" }));
    expect(rejected).toMatchObject({ decision: "declined", humanDecision: true });
  });

  it("a MANUAL_CHECK polled again is still review, not a human decision", async () => {
    const out = await pollWith(resultDoc({ result: "MANUAL_CHECK", similarity: 0.62 }), settlingReview());
    expect(out.decision).toBe("review");
    expect(out.humanDecision).not.toBe(true);
    expect(out.checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.62, threshold: null });
  });

  it("an APPROVED with live false stays approved; the liveness check reports the fact (fail)", async () => {
    const out = await pollWith(resultDoc({ result: "APPROVED", live: false }));
    expect(out.decision).toBe("approved");
    expect(out.checks.liveness).toEqual({ outcome: "fail", score: null, level: null });
  });
});

describe("document data as the vendor gives it", () => {
  it.each([
    ["ru", { local_first_name: "Щербаков", local_last_name: "Пётр" }, "Щербаков", "Пётр"],
    ["uk", { local_first_name: "Олексій", local_last_name: "Ґалаїчук" }, "Олексій", "Ґалаїчук"],
    ["gr", { local_first_name: "Γεώργιος", local_last_name: "Παπαδόπουλος" }, "Γεώργιος", "Παπαδόπουλος"],
  ])("%s: names only in the document's script are kept exactly (the core transliterates)", async (_lang, names, first, last) => {
    const out = await pollWith(resultDoc({}, { first_name: undefined, last_name: undefined, ...names }));
    expect(out.checks.document?.fields).toMatchObject({ firstName: first, lastName: last });
  });

  it("Cyrillic in the latin members is kept, not dropped nor folded", async () => {
    const out = await pollWith(resultDoc({}, { first_name: "Ірина", last_name: "Коваленко-Шевчук" }));
    expect(out.checks.document?.fields).toMatchObject({ firstName: "Ірина", lastName: "Коваленко-Шевчук" });
  });

  it("date of birth, document number, type and country as given", async () => {
    const out = await pollWith(resultDoc({ document_type: "passport" }, { document_number: "FA 123456" }));
    expect(out.checks.document).toMatchObject({
      type: "passport",
      country: "UA",
      fields: { dateOfBirth: "1979-11-25", documentNumber: "FA 123456", expiryDate: "2031-08-02", issuingCountry: "UA" },
    });
  });

  it("an expiry that is absent is null, never guessed", async () => {
    const out = await pollWith(resultDoc({}, { document_expires: undefined, document_expires_time: undefined }));
    expect(out.checks.document?.fields.expiryDate).toBeNull();
  });

  it("an expiry in an ambiguous day-month form is null, never guessed", async () => {
    // the doc's samples write month/day/year ("8/2/2031" beside "2031-08-02T00:00:00.000Z"); a dotted 02.08.2031 could be either order
    const out = await pollWith(resultDoc({}, { document_expires: "02.08.2031", document_expires_time: undefined }));
    expect(out.checks.document?.fields.expiryDate).toBeNull();
  });

  it("an expiry written 8/2/2031 with no ISO twin is null (either order is a date), and the policy makes it a review (issue 10)", async () => {
    const out = await pollWith(resultDoc({}, { document_expires: "8/2/2031", document_expires_time: undefined }));
    expect(out.checks.document?.fields.expiryDate).toBeNull();
    const decided = applyPolicy({
      decision: out.decision,
      reasons: out.reasons,
      checks: out.checks,
      humanDecision: false,
      requestedChecks: ["document", "liveness", "face_match"],
      claim: {},
      policy: DEFAULT_POLICY,
      today: new Date("2026-12-02T00:00:00Z"),
    });
    expect(decided.decision).toBe("review");
    expect(decided.findings).toContainEqual({ code: "data_not_extracted", effect: "review" });
    // its twin settles it: the same answer with "2031-08-02T00:00:00.000Z" stays approved
    const settled = await pollWith(resultDoc({}, { document_expires: "8/2/2031", document_expires_time: "2031-08-02T00:00:00.000Z" }));
    expect(settled.checks.document?.fields.expiryDate).toBe("2031-08-02");
  });

  it("an unreadable or sentinel ISO twin is null, never a date in year 1", async () => {
    const out = await pollWith(resultDoc({}, { document_expires: "", document_expires_time: "0001-01-01T00:00:00Z" }));
    expect(out.checks.document?.fields.expiryDate).toBeNull();
    const garbage = await pollWith(resultDoc({}, { document_expires: "UNLIMITED", document_expires_time: "n/a" }));
    expect(garbage.checks.document?.fields.expiryDate).toBeNull();
  });

  it("an ISO twin written as local midnight in UTC (Tbilisi, UTC+4) gives the printed date", async () => {
    const out = await pollWith(
      resultDoc(
        {},
        { birthday: "11/25/1979", birthday_time: "1979-11-24T20:00:00.000Z", document_expires: undefined, document_expires_time: "2031-08-01T20:00:00.000Z" },
      ),
    );
    expect(out.checks.document?.fields.dateOfBirth).toBe("1979-11-25");
    expect(out.checks.document?.fields.expiryDate).toBe("2031-08-02");
  });

  it("a printed date and an ISO twin that disagree are unreadable: null, never one picked", async () => {
    const out = await pollWith(resultDoc({}, { document_expires: "8/2/2031", document_expires_time: "2030-08-02T00:00:00.000Z" }));
    expect(out.checks.document?.fields.expiryDate).toBeNull();
  });

  it("DISAGREED_WITH_TERMS scanned nothing: no document country echoed from the request", async () => {
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, resultDoc({ result: "DISAGREED_WITH_TERMS", person: {}, document_type: "" }));
    const acc = account();
    const v = makeVerification({ document: { country: "UA", images: [] } }, ["document"], { vendorReference: TOKEN, status: "awaiting_user" });
    const out = await identomatAdapter.poll!(v, acc, makeHarness(acc).ctx);
    expect(out).toMatchObject({ status: "completed", checks: { document: { outcome: "not_performed", type: null, country: null, fields: {} } } });
  });
});

describe("mappingVersion", () => {
  it("is bumped for the changed mappings", () => {
    expect(identomatAdapter.mappingVersion).toBe("identomat-2026.12.3");
  });
});

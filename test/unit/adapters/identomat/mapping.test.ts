// Every row of every Identomat mapping table, with the expected normalized value written out.
import { describe, expect, it } from "vitest";
import { VendorError } from "../../../../src/domain/errors.js";
import {
  CHECK_FAILED_BY_REASON,
  DOCUMENT_TYPE_IN,
  DOCUMENT_TYPE_OUT,
  ERROR_CODES,
  HTTP_STATUS_HANDLING,
  LANGUAGE_ALIASES,
  REJECT_REASON_CODES,
  REJECT_REASON_WORDS,
  RESULT_RULES,
} from "../../../../src/adapters/identomat/mapping.js";
import { documentTypeOf, rejectReasonCodeOf, rejectReasonOf, resultRuleOf } from "../../../../src/adapters/identomat/outcome.js";
import { errorFromCode, languageFlagOf } from "../../../../src/adapters/identomat/client.js";
import { resultDoc } from "./result-doc.js";
import { identomatDate, mapResult, personFields, type MapInput } from "../../../../src/adapters/identomat/outcome.js";
import { ResultAnswerSchema, type IdentomatResultAnswer } from "../../../../src/adapters/identomat/schemas.js";

const ALL_CHECKS: MapInput["checks"] = ["document", "liveness", "face_match"];
const input = (over: Partial<MapInput> = {}): MapInput => ({
  checks: ALL_CHECKS,
  settings: { manualCheckPollSeconds: 600 },
  requestCountry: null,
  endpoint: "result",
  settlesReview: false,
  ...over,
});

/** a result answer in the doc's format (vendors/identomat.txt), values filled in */
function answer(over: Record<string, unknown> = {}): IdentomatResultAnswer {
  return ResultAnswerSchema.parse(
    resultDoc(
      {
        local_first_name: "ИВАН",
        local_last_name: "ИВАНОВ",
        first_name: "IVAN",
        last_name: "IVANOV",
        birthday: "11/25/1979",
        birthday_time: "1979-11-25T00:00:00.000Z",
        age: 45,
        birth_place: "KYIV",
        citizenship: "UKR",
        nationality: "UKR",
        document_number: "FA123456",
        document_issued: "2/8/2021",
        document_expires: "8/2/2031",
        document_expires_time: "2031-08-02T00:00:00.000Z",
        personal_number: "1234567890",
        authority: "4601",
        issuing_state: "UKR",
        sex: "F",
        address: "1 MAIN STREET",
      },
      over,
    ),
  );
}

describe("RESULT_RULES (every documented result value)", () => {
  it("has exactly the five documented values", () => {
    expect(Object.keys(RESULT_RULES).sort()).toEqual(["APPROVED", "DISAGREED_WITH_TERMS", "IN_PROGRESS", "MANUAL_CHECK", "REJECTED"]);
  });

  it("APPROVED -> completed, approved (the vendor's verdict)", () => {
    const m = mapResult(answer({ result: "APPROVED" }), input());
    expect(m).toMatchObject({ status: "completed", decision: "approved", reasons: [], pollAfterMs: null });
  });

  it("REJECTED -> completed, declined, with the reject reason mapped", () => {
    const m = mapResult(answer({ result: "REJECTED", reject_reason: { value: "DOCUMENT_EXPIRED", description: "Expired" } }), input());
    expect(m.status).toBe("completed");
    if (m.status !== "completed") return;
    expect(m.decision).toBe("declined");
    expect(m.reasons).toEqual([{ code: "document_expired", category: "document", vendor: "identomat", vendorCode: "DOCUMENT_EXPIRED", message: "Expired" }]);
    expect(m.checks.document?.outcome).toBe("fail");
  });

  it("MANUAL_CHECK -> completed, review, manual_review_required, polled again after 10 minutes", () => {
    const m = mapResult(answer({ result: "MANUAL_CHECK" }), input());
    expect(m).toMatchObject({ status: "completed", decision: "review", pollAfterMs: 600_000 });
    if (m.status !== "completed") return;
    expect(m.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["manual_review_required", "MANUAL_CHECK"]]);
    expect(m.checks.document?.outcome).toBe("inconclusive");
  });

  it("DISAGREED_WITH_TERMS -> completed, declined, user_declined_terms, nothing performed", () => {
    const m = mapResult(answer({ result: "DISAGREED_WITH_TERMS", live: false, similarity: 0, person: {} }), input());
    expect(m).toMatchObject({ status: "completed", decision: "declined" });
    if (m.status !== "completed") return;
    expect(m.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["user_declined_terms", "DISAGREED_WITH_TERMS"]]);
    expect(m.checks.liveness?.outcome).toBe("not_performed");
    expect(m.checks.faceMatch?.outcome).toBe("not_performed");
    expect(m.checks.document?.outcome).toBe("not_performed");
  });

  it("IN_PROGRESS -> awaiting_user", () => {
    expect(mapResult(answer({ result: "IN_PROGRESS" }), input())).toEqual({ status: "awaiting_user", result: "IN_PROGRESS" });
  });

  it("compares case-insensitively (public Identomat answers show lower-case 'approved')", () => {
    expect(resultRuleOf("approved")?.result).toBe("APPROVED");
    expect(resultRuleOf(" rejected ")?.result).toBe("REJECTED");
  });

  it("an unknown result is a parse VendorError, never an approval", () => {
    let err: unknown;
    try {
      mapResult(answer({ result: "ACCEPTED_MAYBE" }), input());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VendorError);
    expect((err as VendorError).kind).toBe("parse");
    expect((err as VendorError).toReason()).toMatchObject({ code: "vendor_error", vendorCode: "ACCEPTED_MAYBE" });
  });
});

describe("REJECT_REASON_CODES (every row)", () => {
  const rows: [string, string][] = [
    ["DOCUMENT_EXPIRED", "document_expired"],
    ["DOCUMENT_NOT_SUPPORTED", "document_not_supported"],
    ["DOCUMENT_NOT_FOUND", "document_missing"],
    ["DOCUMENT_FORGED", "document_forged"],
    ["DOCUMENT_TAMPERED", "document_forged"],
    ["SCREEN_CAPTURE", "document_screen_capture"],
    ["PRINTED_COPY", "document_printed_copy"],
    ["FIELDS_MISMATCH", "document_sides_mismatch"],
    ["MRZ_NOT_FOUND", "mrz_missing"],
    ["MRZ_INVALID", "mrz_invalid"],
    ["DATA_NOT_EXTRACTED", "data_not_extracted"],
    ["LOW_QUALITY", "image_low_quality"],
    ["BLURRY_IMAGE", "image_blurry"],
    ["UNDERAGE", "underage"],
    ["FACE_MISMATCH", "face_mismatch"],
    ["LIVENESS_FAILED", "liveness_failed"],
    ["SPOOFING", "liveness_failed"],
    ["FACE_NOT_FOUND", "no_face_detected"],
    ["MULTIPLE_FACES", "multiple_faces"],
    ["DIFFERENT_PERSON", "different_person_in_session"],
  ];

  it("the test covers every row of the table", () => {
    expect(rows.map(([k]) => k).sort()).toEqual(Object.keys(REJECT_REASON_CODES).sort());
  });

  it.each(rows)("%s -> %s (in a REJECTED answer, vendorCode kept)", (value, code) => {
    expect(rejectReasonCodeOf(value)).toBe(code);
    const m = mapResult(answer({ result: "REJECTED", reject_reason: { value, description: "" } }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.decision).toBe("declined");
    expect(m.reasons[0]).toMatchObject({ code, vendorCode: value });
  });

  it("matches lower-case values as seen in recorded answers ('face_mismatch')", () => {
    expect(rejectReasonCodeOf("face_mismatch")).toBe("face_mismatch");
    expect(rejectReasonCodeOf("document-expired")).toBe("document_expired");
  });

  it("an unknown value maps to the document generic code and keeps vendorCode", () => {
    const m = mapResult(answer({ result: "REJECTED", reject_reason: { value: "BLACKLISTED_PERSON", description: "" } }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.reasons[0]).toMatchObject({ code: "document_suspicious", category: "document", vendorCode: "BLACKLISTED_PERSON" });
    expect(m.decision).toBe("declined");
  });

  it("a REJECTED answer with reject_reason null still carries a reason", () => {
    const m = mapResult(answer({ result: "REJECTED", reject_reason: null }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.decision).toBe("declined");
    expect(m.reasons).toHaveLength(1);
    expect(m.reasons[0]).toMatchObject({ code: "document_suspicious", vendorCode: "REJECTED" });
    // the document itself was read: no reason blames it
    expect(m.checks.document?.outcome).toBe("pass");
  });

  it("an empty reject_reason on an APPROVED answer adds nothing", () => {
    const m = mapResult(answer({ result: "APPROVED", reject_reason: { value: "", description: "" } }), input());
    expect(m).toMatchObject({ decision: "approved", reasons: [] });
  });
});

describe("CHECK_FAILED_BY_REASON (every row)", () => {
  it.each([
    ["LIVENESS_FAILED", "liveness"],
    ["FACE_MISMATCH", "faceMatch"],
    ["DIFFERENT_PERSON", "faceMatch"],
    ["FACE_NOT_FOUND", "faceMatch"],
    ["MULTIPLE_FACES", "faceMatch"],
  ] as const)("a REJECTED %s fails the %s check", (value, check) => {
    // live true and similarity high: only the reason can fail the check
    const m = mapResult(answer({ result: "REJECTED", live: true, similarity: 0.99, reject_reason: { value } }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.checks[check]?.outcome).toBe("fail");
    expect(m.checks.document?.outcome).toBe("pass");
  });

  it("has exactly these rows (no face_similarity_low: the adapter has no similarity threshold of its own)", () => {
    expect(CHECK_FAILED_BY_REASON).toEqual({
      liveness_failed: "liveness",
      face_mismatch: "faceMatch",
      different_person_in_session: "faceMatch",
      no_face_detected: "faceMatch",
      multiple_faces: "faceMatch",
    });
  });
});

describe("REJECT_REASON_WORDS: an unknown reject_reason by the category its words name (every row)", () => {
  const rows: [string, string, string, string][] = [
    ["FACE", "face", "capture_invalid", "faceMatch"],
    ["FACES", "face", "capture_invalid", "faceMatch"],
    ["SELFIE", "face", "capture_invalid", "faceMatch"],
    ["SIMILARITY", "face", "capture_invalid", "faceMatch"],
    ["LIVENESS", "face", "capture_invalid", "liveness"],
    ["LIVE", "face", "capture_invalid", "liveness"],
    ["SPOOF", "face", "capture_invalid", "liveness"],
    ["SPOOFING", "face", "capture_invalid", "liveness"],
    ["DEEPFAKE", "face", "capture_invalid", "liveness"],
    ["DOCUMENT", "document", "document_suspicious", "document"],
    ["DOC", "document", "document_suspicious", "document"],
    ["ID", "document", "document_suspicious", "document"],
    ["PASSPORT", "document", "document_suspicious", "document"],
    ["MRZ", "document", "document_suspicious", "document"],
    ["IMAGE", "image", "image_low_quality", "document"],
    ["QUALITY", "image", "image_low_quality", "document"],
    ["BLUR", "image", "image_low_quality", "document"],
    ["BLURRY", "image", "image_low_quality", "document"],
    ["GLARE", "image", "image_low_quality", "document"],
    ["AGE", "data", "data_not_extracted", "document"],
    ["NAME", "data", "data_not_extracted", "document"],
    ["DATA", "data", "data_not_extracted", "document"],
  ];

  it("the test covers every row of the table", () => {
    expect(rows.map(([w]) => w).sort()).toEqual(Object.keys(REJECT_REASON_WORDS).sort());
  });

  it.each(rows)("an unknown %s_UNRECOGNIZED -> %s category (%s), fails the %s check, vendorCode kept", (word, category, code, check) => {
    const value = `${word}_UNRECOGNIZED`;
    expect(REJECT_REASON_WORDS[word as keyof typeof REJECT_REASON_WORDS]).toEqual({ category, check });
    const m = mapResult(answer({ result: "REJECTED", live: true, similarity: 0.99, reject_reason: { value, description: "" } }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    // the reason's own category is its code's (the data category's generic data_not_extracted is a document code)
    expect(m.reasons[0]).toMatchObject({ code, vendorCode: value });
    const outcomes = { document: m.checks.document?.outcome, liveness: m.checks.liveness?.outcome, faceMatch: m.checks.faceMatch?.outcome };
    for (const [name, outcome] of Object.entries(outcomes))
      expect([name, outcome]).toEqual([name, name === check ? "fail" : name === "faceMatch" ? "inconclusive" : "pass"]);
  });

  it("an unknown face reason fails the face check, not the document check (issue 10)", () => {
    const m = mapResult(
      answer({ result: "REJECTED", live: true, similarity: 0.4, reject_reason: { value: "face_too_small", description: "Face is too small" } }),
      input(),
    );
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.reasons).toEqual([{ code: "capture_invalid", category: "face", vendor: "identomat", vendorCode: "face_too_small", message: "Face is too small" }]);
    expect(m.checks.faceMatch?.outcome).toBe("fail");
    expect(m.checks.document?.outcome).toBe("pass");
    expect(m.checks.liveness?.outcome).toBe("pass");
    const live = mapResult(answer({ result: "REJECTED", live: true, reject_reason: { value: "LIVENESS_TIMEOUT" } }), input());
    if (live.status !== "completed") throw new Error("expected completed");
    expect(live.checks.liveness?.outcome).toBe("fail");
    expect(live.checks.document?.outcome).toBe("pass");
  });

  it("the first word the table knows decides; a code naming no category is the document's generic code", () => {
    expect(rejectReasonOf("DOCUMENT_FACE_UNREADABLE")).toEqual({ code: "document_suspicious", fails: "document" });
    expect(rejectReasonOf("selfie-document-mismatch")).toEqual({ code: "capture_invalid", fails: "faceMatch" });
    expect(rejectReasonOf("BLACKLISTED_PERSON")).toEqual({ code: "document_suspicious", fails: "document" });
  });
});

describe("RESULT_RULES columns", () => {
  it.each([
    ["APPROVED", "approved", "pass", true],
    ["REJECTED", "declined", "inconclusive", true],
    ["MANUAL_CHECK", "review", "inconclusive", false],
    ["DISAGREED_WITH_TERMS", "declined", "not_performed", false],
  ] as const)("%s -> decision %s, a measured similarity's outcome %s, operator verdict %s", (result, decision, faceMatch, operator) => {
    expect(RESULT_RULES[result]).toMatchObject({ verdict: decision, faceMatch, operatorVerdict: operator });
    const similarity = result === "DISAGREED_WITH_TERMS" ? 0 : 0.42;
    const m = mapResult(answer({ result, similarity, reject_reason: null, result_comment: "" }), input({ settlesReview: true }));
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.decision).toBe(decision);
    expect(m.checks.faceMatch).toEqual({ outcome: faceMatch, similarity: result === "DISAGREED_WITH_TERMS" ? null : 0.42, threshold: null });
    expect(m.humanDecision).toBe(operator);
  });

  it("IN_PROGRESS has no verdict and reports nothing", () => {
    expect(RESULT_RULES.IN_PROGRESS).toMatchObject({ status: "awaiting_user", verdict: null, faceMatch: "not_performed", operatorVerdict: false });
  });

  it("result_comment, the operator's note, is carried as checks.session.operatorComment (issue 10)", () => {
    // "If Operator Rejects/Approves the session manually and adds a comment, that comment will be provided here"
    const m = mapResult(
      answer({ result: "REJECTED", reject_reason: { value: "UNDERAGE" }, result_comment: "  Document belongs to a minor, checked by phone  " }),
      input(),
    );
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.checks.session).toEqual({ operatorComment: "Document belongs to a minor, checked by phone" });
    for (const comment of ["", "   ", null]) {
      const none = mapResult(answer({ result: "APPROVED", result_comment: comment }), input());
      if (none.status !== "completed") throw new Error("expected completed");
      expect(none.checks.session).toBeUndefined();
    }
    // checks the request did not ask for are not reported; the note is about the session and always is
    const only = mapResult(answer({ result: "APPROVED", result_comment: "ok" }), input({ checks: ["liveness"] }));
    if (only.status !== "completed") throw new Error("expected completed");
    expect(Object.keys(only.checks).sort()).toEqual(["liveness", "session"]);
  });

  it("an operator verdict is human only when it settles a review or carries the operator's comment", () => {
    const plain = mapResult(answer({ result: "APPROVED" }), input());
    const commented = mapResult(answer({ result: "APPROVED", result_comment: "ok" }), input());
    const blankComment = mapResult(answer({ result: "APPROVED", result_comment: "  " }), input());
    const settling = mapResult(answer({ result: "REJECTED" }), input({ settlesReview: true }));
    expect([plain, commented, blankComment, settling].map((m) => (m.status === "completed" ? m.humanDecision : null))).toEqual([false, true, false, true]);
  });
});

describe("DOCUMENT_TYPE_IN / DOCUMENT_TYPE_OUT (every row)", () => {
  it.each([
    ["id", "id_card"],
    ["passport", "passport"],
    ["driver_license", "driving_license"],
    ["residence_license", "residence_permit"],
  ])("Identomat %s -> %s", (vendorType, type) => {
    expect(documentTypeOf(vendorType)).toBe(type);
    const m = mapResult(answer({ document_type: vendorType }), input());
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.checks.document?.type).toBe(type);
  });

  it("covers the whole inbound table", () => {
    expect(Object.keys(DOCUMENT_TYPE_IN).sort()).toEqual(["driver_license", "id", "passport", "residence_license"]);
  });

  it("an unknown document type is 'other'; absent or empty is null", () => {
    expect(documentTypeOf("bank_statement")).toBe("other");
    expect(documentTypeOf("")).toBeNull();
    expect(documentTypeOf(null)).toBeNull();
  });

  it.each([
    ["id_card", "id"],
    ["passport", "passport"],
    ["driving_license", "driver_license"],
    ["residence_permit", "residence_license"],
    ["other", null],
  ] as const)("request %s -> document_types item %s", (type, vendorType) => {
    expect(DOCUMENT_TYPE_OUT[type]).toBe(vendorType);
  });
});

describe("LANGUAGE_ALIASES (every row) and language flags", () => {
  it("el (ISO 639-1 Greek) -> gr (Identomat's code)", () => {
    expect(LANGUAGE_ALIASES).toEqual({ el: "gr" });
    expect(languageFlagOf("el")).toBe("gr");
    expect(languageFlagOf("el-GR")).toBe("gr");
  });
  it("keeps other primary subtags lower-cased", () => {
    expect(languageFlagOf("es-ES")).toBe("es");
    expect(languageFlagOf("UK")).toBe("uk");
    expect(languageFlagOf("")).toBeNull();
    expect(languageFlagOf("??")).toBeNull();
  });
});

describe("ERROR_CODES and HTTP_STATUS_HANDLING (every row)", () => {
  it.each([
    ["INVALID_COMPANY_KEY", "auth", "vendor_auth_failed"],
    ["INVALID_SIGNATURE", "auth", "vendor_auth_failed"],
    ["INVALID_PARAMETERS", "rejected", "vendor_rejected_request"],
    ["SESSION_NOT_FOUND", "rejected", "vendor_rejected_request"],
    ["SESSION_INVALID", "rejected", "vendor_rejected_request"],
  ])("%s -> kind %s, reason %s, not retryable, vendorCode kept", (code, kind, reasonCode) => {
    expect(Object.keys(ERROR_CODES)).toContain(code);
    const e = errorFromCode(code, "result", 400);
    expect(e.kind).toBe(kind);
    expect(e.retryable).toBe(false);
    expect(e.toReason()).toMatchObject({ code: reasonCode, vendor: "identomat", vendorCode: code });
  });

  it("an unknown error code is a refused request that keeps its code", () => {
    expect(errorFromCode("COMPANY_DISABLED", "begin", 400).toReason()).toMatchObject({ code: "vendor_rejected_request", vendorCode: "COMPANY_DISABLED" });
  });

  it("400, 401, 403, 404 carry an error code the adapter reads itself", () => {
    expect(HTTP_STATUS_HANDLING).toEqual({ 400: "error_code_in_body", 401: "error_code_in_body", 403: "error_code_in_body", 404: "error_code_in_body" });
  });
});

describe("person fields", () => {
  it("normalizes the doc's person members (latin names, ISO dates, alpha-2 countries)", () => {
    expect(personFields(answer().person)).toEqual({
      firstName: "IVAN",
      lastName: "IVANOV",
      dateOfBirth: "1979-11-25",
      placeOfBirth: "KYIV",
      documentNumber: "FA123456",
      personalNumber: "1234567890",
      expiryDate: "2031-08-02",
      // "2/8/2021" with no twin: the 2nd of August or the 8th of February, the file does not say which
      issueDate: null,
      issuingCountry: "UA",
      sex: "F",
      nationality: "UA",
      address: "1 MAIN STREET",
    });
  });

  it("falls back to local_* names and to citizenship", () => {
    const f = personFields({ local_first_name: "ИВАН", local_last_name: "ИВАНОВ", first_name: "", citizenship: "GEO", nationality: "GEORGIAN" });
    expect(f.firstName).toBe("ИВАН");
    expect(f.lastName).toBe("ИВАНОВ");
    expect(f.nationality).toBe("GE");
  });

  it("reads a slash date only where it cannot be misread; an ambiguous one only as its ISO twin settles it (issue 10)", () => {
    // the file: "birthday": <String>, "document_expires": <String>; no order of day and month
    expect(identomatDate("8/2/2026")).toBeNull();
    expect(identomatDate("8/2/2031", "2031-08-02T00:00:00.000Z")).toBe("2031-08-02");
    expect(identomatDate("8/2/2031", "2031-02-08T00:00:00.000Z")).toBe("2031-02-08");
    expect(identomatDate("8/2/2031", "2031-03-08T00:00:00.000Z")).toBeNull();
    expect(identomatDate("11/25/1979")).toBe("1979-11-25");
    expect(identomatDate("25/11/1979")).toBe("1979-11-25");
    expect(identomatDate("5/5/2030")).toBe("2030-05-05");
    expect(identomatDate("11/25/1979", "1979-11-25T00:00:00.000Z")).toBe("1979-11-25");
    expect(identomatDate("2026-08-02")).toBe("2026-08-02");
    expect(identomatDate("31/31/2030")).toBeNull();
  });

  it("never guesses: other forms, sentinels and disagreeing twins are null; a UTC-written local midnight is its date", () => {
    expect(identomatDate("02.08.2031")).toBeNull();
    expect(identomatDate("02-08-2031")).toBeNull();
    expect(identomatDate(null, "0001-01-01T00:00:00Z")).toBeNull();
    expect(identomatDate(null, "1899-12-31")).toBeNull();
    expect(identomatDate("8/2/2031", "2031-08-03T00:00:00.000Z")).toBeNull();
    expect(identomatDate(null, "2031-08-01T20:00:00.000Z")).toBe("2031-08-02");
    expect(identomatDate(null, "2031-08-02T03:00:00.000Z")).toBe("2031-08-02");
    expect(identomatDate(null, "2031-08-02T00:00:00+04:00")).toBe("2031-08-02");
    expect(identomatDate(null, "2031-08-02")).toBe("2031-08-02");
    expect(identomatDate("", "")).toBeNull();
  });

  it("the document check country is the issuing state, else the request's country", () => {
    const m = mapResult(answer({ person: { issuing_state: "DEU" } }), input({ requestCountry: "FR" }));
    if (m.status !== "completed") throw new Error("expected completed");
    expect(m.checks.document?.country).toBe("DE");
    const n = mapResult(answer({ person: {} }), input({ requestCountry: "FR" }));
    if (n.status !== "completed") throw new Error("expected completed");
    expect(n.checks.document?.country).toBe("FR");
  });
});

describe("live and similarity", () => {
  it("live true -> pass, false -> fail, absent -> not_performed; live false is a reason only where the vendor did not approve", () => {
    const pass = mapResult(answer({ live: true }), input());
    const fail = mapResult(answer({ live: false }), input());
    const rejected = mapResult(answer({ result: "REJECTED", live: false, reject_reason: null }), input());
    const absent = mapResult(answer({ live: undefined }), input());
    if (pass.status !== "completed" || fail.status !== "completed" || rejected.status !== "completed" || absent.status !== "completed")
      throw new Error("expected completed");
    expect(pass.checks.liveness).toEqual({ outcome: "pass", score: null, level: null });
    expect(fail.checks.liveness?.outcome).toBe("fail");
    // the vendor's APPROVED stands (the issue: the vendor's decision must win); the core policy holds
    // an automatic approval with a failing check back to review
    expect(fail.decision).toBe("approved");
    expect(fail.reasons).toEqual([]);
    expect(rejected.reasons.map((r) => [r.code, r.vendorCode])).toEqual([
      ["document_suspicious", "REJECTED"],
      ["liveness_failed", "live=false"],
    ]);
    expect(absent.checks.liveness?.outcome).toBe("not_performed");
  });

  it("the similarity is a fact: no gateway threshold passes or fails it, the vendor's threshold is not documented (null)", () => {
    const high = mapResult(answer({ similarity: 0.8 }), input());
    const low = mapResult(answer({ similarity: 0.31 }), input());
    const absent = mapResult(answer({ similarity: undefined }), input());
    if (high.status !== "completed" || low.status !== "completed" || absent.status !== "completed") throw new Error("expected completed");
    expect(high.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.8, threshold: null });
    expect(low.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.31, threshold: null });
    expect(low).toMatchObject({ decision: "approved", reasons: [] });
    expect(absent.checks.faceMatch).toEqual({ outcome: "not_performed", similarity: null, threshold: null });
  });

  it("a similarity outside 0..1 is a parse error", () => {
    expect(() => mapResult(answer({ similarity: 93 }), input())).toThrow(VendorError);
  });

  it("only the requested checks are reported", () => {
    const m = mapResult(answer(), input({ checks: ["document"] }));
    if (m.status !== "completed") throw new Error("expected completed");
    expect(Object.keys(m.checks)).toEqual(["document"]);
  });

  it("a MANUAL_CHECK stays review even when a check fails", () => {
    const m = mapResult(answer({ result: "MANUAL_CHECK", similarity: 0.5, live: false }), input());
    expect(m).toMatchObject({ decision: "review", humanDecision: false });
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildRequestData, classifyShareid } from "../../../../src/adapters/shareid/client.js";
import {
  DOC_TYPE_FROM_SHAREID,
  DOC_TYPE_TO_SHAREID,
  FILE_EXTENSION_BY_MIME,
  HTTP_STATUS_CLASS_ERRORS,
  HTTP_STATUS_ERRORS,
  OCR_FIELD_MAP,
  PIXEL_CHECK_BY_MIME,
  REASON_MAP,
  VERDICT_OUTCOME,
} from "../../../../src/adapters/shareid/mapping.js";
import { mapDocType, mapOcr, mapReasonToken, mapShareidResult, splitReasons, tokensFromReasonIds } from "../../../../src/adapters/shareid/outcome.js";
import { parseLenientJson, ShareidResultSchema } from "../../../../src/adapters/shareid/schemas.js";
import type { VendorResponse } from "../../../../src/core/vendor-http.js";

const fixture = (name: string) => readFileSync(new URL(`../../../../src/adapters/shareid/fixtures/${name}`, import.meta.url), "utf8");

describe("ShareID reason table (the doc's Reasons table)", () => {
  // [reason, normalized code, category, reason_id from the doc or null]
  const rows: [string, string, string, number | null][] = [
    ["doc_expired", "document_expired", "document", 1],
    ["doc_expired_5y", "document_expired", "document", 2],
    ["missing_doc", "document_missing", "document", 4],
    ["missing_front", "document_front_missing", "document", 5],
    ["missing_back", "document_back_missing", "document", null],
    ["sides_inconsistency", "document_sides_mismatch", "document", null],
    ["out_of_scope", "document_not_supported", "document", null],
    ["missing_mrz", "mrz_missing", "document", 66],
    ["wrong_mrz", "mrz_invalid", "document", 6],
    ["date_not_extracted", "data_not_extracted", "document", 12],
    ["low_quality", "image_low_quality", "image", 3],
    ["blur_img", "image_blurry", "image", 7],
    ["low_resolution", "image_low_resolution", "image", 8],
    ["first_name_mismatch", "first_name_mismatch", "data", 21],
    ["last_name_mismatch", "last_name_mismatch", "data", 22],
    ["inversed_name", "names_inverted", "data", 9],
    ["doc_spoof", "document_screen_capture", "document", 10],
    ["doc_print", "document_printed_copy", "document", 11],
    ["doc_not_auth", "document_forged", "document", 100],
    ["name_not_extracted", "data_not_extracted", "document", null],
    ["surname_not_extracted", "data_not_extracted", "document", null],
  ];

  it.each(rows)("%s -> %s (%s)", (token, code, category, reasonId) => {
    const r = mapReasonToken(token);
    expect(r).toEqual(expect.objectContaining({ code, category, vendor: "shareid", vendorCode: token }));
    if (reasonId === null) expect(r?.message).not.toContain("reason_id");
    else expect(r?.message).toContain(`(reason_id ${reasonId})`);
  });

  it("doc_auth (reason_id 111, 'Document authentic') is not a failure reason", () => {
    expect(mapReasonToken("doc_auth")).toBeNull();
    expect(REASON_MAP.doc_auth.reasonId).toBe(111);
  });

  it("covers every row of the doc's table with the doc's reason_id", () => {
    const lines = fixture("reasons-table.txt").trim().split("\n").slice(1);
    expect(lines).toHaveLength(21);
    for (const line of lines) {
      const names = line.startsWith("name_not_extracted or surname_not_extracted") ? ["name_not_extracted", "surname_not_extracted"] : [line.split(" ")[0]!];
      const id = /\s(\d+)$/.exec(line)?.[1];
      for (const name of names) {
        expect(Object.keys(REASON_MAP)).toContain(name);
        expect(REASON_MAP[name as keyof typeof REASON_MAP].reasonId).toBe(id === undefined ? null : Number(id));
      }
    }
    expect(Object.keys(REASON_MAP)).toHaveLength(22);
  });

  it("an unknown reason maps to the document generic code and keeps the vendor's code", () => {
    expect(mapReasonToken("doc_hologram_missing")).toEqual({
      code: "document_suspicious",
      category: "document",
      vendor: "shareid",
      vendorCode: "doc_hologram_missing",
      message: "reason not in ShareID's documented list",
    });
  });

  it("matches reasons case-insensitively but keeps the documented spelling", () => {
    expect(mapReasonToken("DOC_PRINT")).toEqual(expect.objectContaining({ code: "document_printed_copy", vendorCode: "doc_print" }));
  });

  it.each([
    ["", []],
    ["  ", []],
    ["doc_expired", ["doc_expired"]],
    [" DOC_PRINT ", ["DOC_PRINT"]],
    // the one separator the doc shows: its table's "name_not_extracted or surname_not_extracted"
    ["name_not_extracted or surname_not_extracted", ["name_not_extracted", "surname_not_extracted"]],
    ["doc_expired OR wrong_mrz", ["doc_expired", "wrong_mrz"]],
    // free text is one reason, never split into words
    ["Document expired", ["Document expired"]],
    ["Name or surname couldn't be extracted", ["Name or surname couldn't be extracted"]],
    // separators the doc does not show are not taken for one
    ["doc_expired,wrong_mrz", ["doc_expired,wrong_mrz"]],
    ["doc_expired blur_img", ["doc_expired blur_img"]],
    ["doc_expired or Document expired", ["doc_expired or Document expired"]],
  ])("splitReasons(%j)", (raw, expected) => {
    expect(splitReasons(raw)).toEqual(expected);
  });
});

describe("ShareID verdict table", () => {
  it.each([
    ["true", "pass"],
    ["false", "fail"],
  ] as const)("verdict %s -> %s", (verdict, outcome) => {
    expect(VERDICT_OUTCOME[verdict]).toBe(outcome);
    const mapped = mapShareidResult(ShareidResultSchema.parse({ verdict: verdict === "true", reason: "" }));
    expect(mapped.checks.document?.outcome).toBe(outcome);
  });
});

describe("ShareID document types", () => {
  it.each([
    ["id_card", "id_card"],
    ["passport", "passport"],
    ["driving_license", "driver_permit"],
    ["residence_permit", "residency_permit"],
    ["other", null],
  ] as const)("normalized %s -> ShareID %s", (normalized, shareid) => {
    expect(DOC_TYPE_TO_SHAREID[normalized]).toBe(shareid);
  });

  it.each([
    ["id_card", "id_card"],
    ["passport", "passport"],
    ["driver_permit", "driving_license"],
    ["residency_permit", "residence_permit"],
  ] as const)("ShareID %s -> normalized %s", (shareid, normalized) => {
    expect(DOC_TYPE_FROM_SHAREID[shareid]).toBe(normalized);
    expect(mapDocType(shareid)).toBe(normalized);
  });

  it("an unknown ShareID doc_type is 'other', an absent one null", () => {
    expect(mapDocType("health_card")).toBe("other");
    expect(mapDocType(null)).toBeNull();
  });
});

describe("ShareID file types", () => {
  it.each([
    ["image/jpeg", "jpg", true],
    ["image/png", "png", true],
    ["image/webp", "webp", true],
    ["application/pdf", "pdf", false],
  ] as const)("%s -> .%s, pixel check %s", (mime, ext, pixelCheck) => {
    expect(FILE_EXTENSION_BY_MIME[mime]).toBe(ext);
    expect(PIXEL_CHECK_BY_MIME[mime]).toBe(pixelCheck);
  });
});

/** every documented ocr field, not extracted */
const NO_FIELDS = Object.fromEntries(Object.values(OCR_FIELD_MAP).map((spec) => [spec.field, null]));

describe("ShareID ocr fields", () => {
  it.each([
    ["name", "JEAN", "firstName", "JEAN"],
    ["surname", "DUPONT", "lastName", "DUPONT"],
    ["sex", "F", "sex", "F"],
    ["nationality", "FRA", "nationality", "FR"],
    ["birth_date", "1990-04-12", "dateOfBirth", "1990-04-12"],
    ["birth_place", "LYON", "placeOfBirth", "LYON"],
    ["doc_num", "X4RTBPFW4", "documentNumber", "X4RTBPFW4"],
    ["expiration_date", "2031-01-31T00:00:00", "expiryDate", "2031-01-31"],
    ["issuance_date", "2021-02-01", "issueDate", "2021-02-01"],
    ["address", "1 RUE DE LA PAIX", "address", "1 RUE DE LA PAIX"],
  ] as const)("ocr.%s %j -> fields.%s %j", (key, value, field, expected) => {
    expect(OCR_FIELD_MAP[key].field).toBe(field);
    // the other fields are said to be missing (null), not left out
    expect(mapOcr({ [key]: value })).toEqual({ ...NO_FIELDS, [field]: expected });
  });

  it("takes an alpha-2 nationality too; empty or unparseable values are null, never guessed", () => {
    expect(mapOcr({ nationality: "fr", sex: "M", birth_date: "", doc_num: null, expiration_date: "not a date" })).toEqual({
      ...NO_FIELDS,
      nationality: "FR",
      sex: "M",
    });
  });

  it("an ocr without expiration_date (or an empty ocr) reports expiryDate null, and the type and country beside it", () => {
    const out = mapShareidResult(
      ShareidResultSchema.parse({ doc_type: "passport", country_code: "es", ocr: { name: "JUAN", surname: "APARICIO LOPEZ" }, verdict: true, reason: "" }),
    );
    expect(out.checks.document).toMatchObject({
      type: "passport",
      country: "ES",
      fields: { firstName: "JUAN", lastName: "APARICIO LOPEZ", expiryDate: null, dateOfBirth: null, documentNumber: null },
    });
    const empty = mapShareidResult(ShareidResultSchema.parse({ ocr: {}, verdict: true, reason: "" }));
    expect(empty.checks.document?.fields).toEqual({ ...NO_FIELDS, issuingCountry: null });
    expect(empty.checks.document?.fields.expiryDate).toBeNull();
  });

  it("normalizes every field of the doc's ocr example keys", () => {
    const keys = [...fixture("ocr-example.txt").matchAll(/"(\w+)":/g)].map((m) => m[1]).filter((k) => k !== "ocr");
    expect(keys.sort()).toEqual(Object.keys(OCR_FIELD_MAP).sort());
  });
});

describe("ShareID HTTP statuses", () => {
  const res = (status: number, headers: Record<string, string> = {}): VendorResponse => ({
    status,
    headers,
    rawBody: Buffer.alloc(0),
    text: "",
    json: undefined,
  });

  it.each([
    [401, "auth", false, "vendor_auth_failed"],
    [403, "auth", false, "vendor_auth_failed"],
    [408, "timeout", true, "vendor_timeout"],
    [429, "rate_limited", true, "vendor_unavailable"],
  ] as const)("HTTP %i -> %s (retryable %s)", (status, kind, retryable, code) => {
    expect(HTTP_STATUS_ERRORS[status].kind).toBe(kind);
    const err = classifyShareid(res(status));
    expect(err).toMatchObject({ kind, retryable, httpStatus: status });
    expect(err?.toReason()).toMatchObject({ code, vendorCode: String(status) });
  });

  it.each([
    ["3xx", 302, "unavailable", false],
    ["4xx", 400, "rejected", false],
    ["4xx", 404, "rejected", false],
    ["4xx", 413, "rejected", false],
    ["4xx", 415, "rejected", false],
    ["5xx", 500, "unavailable", true],
    ["5xx", 502, "unavailable", true],
    ["5xx", 504, "unavailable", true],
  ] as const)("class %s: HTTP %i -> %s (retryable %s)", (cls, status, kind, retryable) => {
    expect(HTTP_STATUS_CLASS_ERRORS[cls].kind).toBe(kind);
    expect(classifyShareid(res(status))).toMatchObject({ kind, retryable, httpStatus: status });
  });

  it("2xx is not an error and 429 honours Retry-After", () => {
    expect(classifyShareid(res(200))).toBeNull();
    expect(classifyShareid(res(429, { "retry-after": "3" }))?.retryAfterMs).toBe(3000);
  });
});

describe("ShareID result mapping", () => {
  it("parses the doc's security example (Python False and a // comment) as true/false/null", () => {
    const parsed = parseLenientJson(`{${fixture("security-example.txt")}}`) as { security: unknown };
    expect(parsed.security).toEqual({
      mrz_vs_viz: true,
      printing_technique: false,
      integrated_photo: null,
      streaks_around_the_card: true,
      info_coherence: true,
    });
    const result = ShareidResultSchema.parse({ verdict: true, reason: "", security: parsed.security });
    expect(mapShareidResult(result).checks.document?.security).toEqual({
      mrz_vs_viz: true,
      printing_technique: false,
      integrated_photo: null,
      streaks_around_the_card: true,
      info_coherence: true,
    });
  });

  it("keeps strings that look like Python literals intact", () => {
    expect(parseLenientJson('{"a": "True // not a comment", "b": None}')).toEqual({ a: "True // not a comment", b: null });
    expect(parseLenientJson('{"truncated": ')).toBeUndefined();
  });

  it("verdict true with an empty reason: approved, fields normalized", () => {
    const out = mapShareidResult(
      ShareidResultSchema.parse({
        doc_type: "driver_permit",
        country_code: "fr",
        doc_model: "2013",
        ocr: { name: "JEAN", surname: "DUPONT", nationality: "FRA", birth_date: "1980-01-02", sex: "M" },
        security: {},
        reason: "",
        verdict: true,
        flow_id: "f-123",
        extra_field: { ignored: true },
      }),
      ["document"],
    );
    expect(out).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {
        document: {
          outcome: "pass",
          type: "driving_license",
          model: "2013",
          country: "FR",
          fields: { ...NO_FIELDS, firstName: "JEAN", lastName: "DUPONT", nationality: "FR", dateOfBirth: "1980-01-02", sex: "M", issuingCountry: "FR" },
          security: {},
        },
      },
      vendorReference: "f-123",
    });
  });

  it("verdict false with two reasons joined as the doc joins them: declined with both", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: "doc_expired or wrong_mrz", flow_id: "f-2" }));
    expect(out.decision).toBe("declined");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([
      ["document_expired", "doc_expired"],
      ["mrz_invalid", "wrong_mrz"],
    ]);
  });

  it("reasons as a list (not documented, tolerated): one reason per item, deduplicated, never re-joined", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: ["doc_expired", "wrong_mrz", "doc_expired", "Document expired"] }));
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([
      ["document_expired", "doc_expired"],
      ["mrz_invalid", "wrong_mrz"],
      ["document_suspicious", "Document expired"],
    ]);
  });

  it('a free-text reason ("Document expired") is one unknown reason: the generic document code, the text as vendorCode, declined', () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: "Document expired", flow_id: "f-3" }));
    expect(out.reasons).toEqual([
      { code: "document_suspicious", category: "document", vendor: "shareid", vendorCode: "Document expired", message: expect.any(String) },
    ]);
    expect(out.checks.document?.outcome).toBe("fail");
    expect(out.decision).toBe("declined");
  });

  it('doc_model ("document model reference (year of first issue)") is carried as document.model; empty is null', () => {
    expect(mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "", doc_model: "2011" })).checks.document?.model).toBe("2011");
    expect(mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "", doc_model: "" })).checks.document?.model).toBeNull();
    expect(mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "" })).checks.document?.model).toBeNull();
  });

  it("verdict false with no reason is declined with a generic document reason, never silently", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: "" }));
    expect(out.decision).toBe("declined");
    expect(out.reasons).toEqual([expect.objectContaining({ code: "document_suspicious", vendorCode: null })]);
  });

  it("verdict true but rejection reasons: review, document inconclusive, reasons kept", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "doc_expired_5y" }));
    expect(out.decision).toBe("review");
    expect(out.checks.document?.outcome).toBe("inconclusive");
    expect(out.reasons.map((r) => r.code)).toEqual(["document_expired", "manual_review_required"]);
  });

  it("verdict true with reason doc_auth is a clean approval", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "doc_auth" }));
    expect(out.decision).toBe("approved");
    expect(out.reasons).toEqual([]);
  });

  it("marks requested checks ShareID does not perform as not_performed", () => {
    const out = mapShareidResult(ShareidResultSchema.parse({ verdict: true, reason: "" }), ["document", "liveness", "face_match"]);
    expect(out.checks.liveness).toEqual({ outcome: "not_performed", score: null, level: null });
    expect(out.checks.faceMatch).toEqual({ outcome: "not_performed", similarity: null, threshold: null });
    expect(out.decision).toBe("approved");
  });

  it("accepts empty strings, [] for an empty object, string verdicts and reasons as an array", () => {
    const parsed = ShareidResultSchema.parse({
      doc_type: "",
      country_code: "",
      ocr: [],
      security: null,
      reason: ["blur_img", "low_quality"],
      verdict: "False",
      flow_id: 42,
    });
    const out = mapShareidResult(parsed);
    expect(out.checks.document).toMatchObject({ type: null, country: null, fields: {}, security: {} });
    expect(out.reasons.map((r) => r.code)).toEqual(["image_blurry", "image_low_quality"]);
    expect(out.vendorReference).toBe("42");
  });

  it("reads reason_id (the doc's informational column) only when reason is empty", () => {
    expect(tokensFromReasonIds(1)).toEqual(["doc_expired"]);
    expect(tokensFromReasonIds("66, 100")).toEqual(["missing_mrz", "doc_not_auth"]);
    expect(tokensFromReasonIds([111, "42"])).toEqual(["doc_auth", "reason_id_42"]);
    expect(tokensFromReasonIds(null)).toEqual([]);
    const byId = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: "", reason_id: [7, 42] }));
    expect(byId.reasons.map((r) => [r.code, r.vendorCode])).toEqual([
      ["image_blurry", "blur_img"],
      ["document_suspicious", "reason_id_42"],
    ]);
    const both = mapShareidResult(ShareidResultSchema.parse({ verdict: false, reason: "wrong_mrz", reason_id: 1 }));
    expect(both.reasons.map((r) => r.vendorCode)).toEqual(["wrong_mrz"]);
  });

  it("a result without a verdict does not parse", () => {
    expect(ShareidResultSchema.safeParse({ reason: "" }).success).toBe(false);
  });
});

describe("ShareID payload keys against the doc's templates", () => {
  const keysOf = (text: string) => [...text.matchAll(/"(\w+)":/g)].map((m) => m[1]);

  it("a full request's data JSON has exactly the doc's keys", () => {
    const data = buildRequestData(
      { subject: { firstName: "Jean", lastName: "Dupont" }, document: { type: "passport", country: "FRA", images: [] }, tags: ["onboarding"] },
      { apiKey: "k", businessHash: "h" },
    );
    expect(Object.keys(data).sort()).toEqual(keysOf(fixture("request-data-template.txt")).sort());
    expect(data).toMatchObject({ doc_type: "passport", country_code: "fr" });
  });

  it("the result schema knows every key of the doc's result template", () => {
    const documented = keysOf(fixture("result-template.txt"));
    expect(documented).toEqual(["doc_type", "country_code", "doc_model", "ocr", "security", "reason", "verdict", "flow_id"]);
    for (const key of documented) expect(Object.keys(ShareidResultSchema.shape)).toContain(key);
  });
});

// IDVerifr against the doc's own "Sample response" (nock): field mapping, every row of the
// DocumentType, FraudCheck.Result and FraudCheck.Checks tables, the gateway's expiry check.
import nock from "nock";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import { DOCUMENT_TYPE_MAP, FRAUD_CHECK_MAP, FRAUD_RESULT_MAP } from "../../../../src/adapters/dms/mapping.js";
import { isVendorError } from "../../../../src/domain/errors.js";
import { makeHarness } from "../../../support/adapter-harness.js";
import { BACK, BASE, FRONT, IDV, documentSample, dmsAccount, fixtureJson, input, verification } from "./helpers.js";

const PATH = `${IDV}/idcard_recognition_base64`;
const NOW = () => new Date("2026-05-01T10:00:00Z");

async function runDocument(answer: unknown, now: () => Date = NOW) {
  const account = dmsAccount();
  const h = makeHarness(account, null, {}, now);
  const scope = nock(BASE)
    .post(PATH)
    .reply(200, answer as nock.Body);
  const out = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx);
  expect(scope.isDone()).toBe(true);
  if (out.status !== "completed") throw new Error(`expected completed, got ${out.status}`);
  return { out, h };
}

beforeEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("dms document: the doc's sample response", () => {
  it("maps every field of the verbatim sample and approves it", async () => {
    const { out, h } = await runDocument(fixtureJson("idcard-recognition-response.json"));
    expect(out.decision).toBe("approved");
    expect(out.reasons).toEqual([]);
    expect(out.vendorReference).toBeNull();
    expect(out.checks.document).toEqual({
      outcome: "pass",
      type: "driving_license",
      model: "DRIVING_LICENSE",
      quality: { OcrProvider: "V2_TEMPLATE" },
      country: "ES",
      fields: {
        firstName: "CARLOS",
        lastName: "GARCIA LOPEZ",
        dateOfBirth: "1990-06-15",
        documentNumber: "B12345678",
        expiryDate: "2028-06-15",
        sex: "M",
        nationality: "ES",
        issuingCountry: "ES",
      },
      // the doc's own item names
      security: { fraud_check: true, NO_SPECIMEN_WATERMARK: true, NO_SCREEN_CAPTURE: true },
    });
    expect(out.checks.liveness).toBeUndefined();
    expect(out.checks.faceMatch).toBeUndefined();
    // what was asked (for renormalize), then the answer
    expect(h.payloads.map((p) => p.kind)).toEqual(["gateway_request", "idcard_recognition_base64"]);
    expect(h.payloads[0]?.body).toEqual({ checks: ["document"], minFaceQuality: 0.5 });
    expect((h.payloads[1]!.body as { FraudCheck: { Result: string } }).FraudCheck.Result).toBe("GENUINE");
  });

  it("sends the quickstart body with the Bearer key to the IDVerifr base URL", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, NOW);
    let seen: Record<string, unknown> | null = null;
    const scope = nock(BASE, { reqheaders: { authorization: "Bearer sk_test_unit_key", "content-type": /application\/json/ } })
      .post(PATH, (body: Record<string, unknown>) => {
        seen = body;
        return true;
      })
      .reply(200, documentSample());
    await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(seen).toEqual({ image_base64: FRONT.toString("base64") });
  });

  it("sends front then back to _multi_page as {images_base64: [front, back]}", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, NOW);
    let seen: unknown = null;
    const scope = nock(BASE)
      .post(`${IDV}/idcard_recognition_base64_multi_page`, (body) => {
        seen = body;
        return true;
      })
      .reply(200, documentSample());
    // back listed first on purpose: the adapter puts the front first
    const data = input({ selfie: null, back: BACK });
    data.document!.images.reverse();
    const out = await dmsAdapter.start(verification(["document"], data), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(seen).toEqual({ images_base64: [FRONT.toString("base64"), BACK.toString("base64")] });
    expect(out.status === "completed" && out.decision).toBe("approved");
  });
});

describe("dms document: DocumentType table", () => {
  it("has exactly the rows tested below", () => {
    expect(Object.keys(DOCUMENT_TYPE_MAP)).toEqual(["DRIVING_LICENSE", "PASSPORT", "NATIONAL_ID"]);
  });

  it.each([
    ["DRIVING_LICENSE", "driving_license"],
    ["PASSPORT", "passport"],
    ["NATIONAL_ID", "id_card"],
    ["RESIDENCE_PERMIT_XYZ", "other"],
  ])("DocumentType %s -> %s, the vendor's value kept as model", async (vendorType, expected) => {
    const { out } = await runDocument(documentSample({ DocumentType: vendorType }));
    expect(out.checks.document?.type).toBe(expected);
    expect(out.checks.document?.model).toBe(vendorType);
    expect(out.decision).toBe("approved");
  });

  it("a missing DocumentType is null, not a guess", async () => {
    const { out } = await runDocument(documentSample({ DocumentType: null }));
    expect(out.checks.document?.type).toBeNull();
    expect(out.checks.document?.model).toBeNull();
  });
});

describe("dms document: FraudCheck.Result table", () => {
  it("has exactly the rows tested below", () => {
    expect(Object.keys(FRAUD_RESULT_MAP)).toEqual(["GENUINE", "SUSPICIOUS"]);
  });

  it.each([
    ["GENUINE", "pass", "approved", []],
    ["SUSPICIOUS", "fail", "declined", [["document_suspicious", "SUSPICIOUS"]]],
    ["TAMPERED_NEW_VALUE", "fail", "declined", [["document_suspicious", "TAMPERED_NEW_VALUE"]]],
  ] as const)("Result %s -> outcome %s, %s", async (result, outcome, decision, reasons) => {
    const sample = fixtureJson("idcard-recognition-response.json");
    const { out } = await runDocument({ ...sample, FraudCheck: { ...sample.FraudCheck, Result: result } });
    expect(out.checks.document?.outcome).toBe(outcome);
    expect(out.decision).toBe(decision);
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual(reasons);
    for (const r of out.reasons) expect(r.vendor).toBe("dms");
  });
});

describe("dms document: FraudCheck.Checks table", () => {
  it("has exactly the rows tested below: the doc's own item names", () => {
    expect(Object.keys(FRAUD_CHECK_MAP)).toEqual(["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"]);
  });

  it.each([
    ["NO_SPECIMEN_WATERMARK", "GENUINE", { NO_SPECIMEN_WATERMARK: true }, "pass", "approved", []],
    ["NO_SCREEN_CAPTURE", "GENUINE", { NO_SCREEN_CAPTURE: true }, "pass", "approved", []],
    // names the doc does not give (the table once had these two): unknown, generic code, vendorCode kept
    [
      "SPECIMEN_WATERMARK",
      "SUSPICIOUS",
      { SPECIMEN_WATERMARK: null },
      "fail",
      "declined",
      [
        ["document_suspicious", "SUSPICIOUS"],
        ["document_suspicious", "SPECIMEN_WATERMARK"],
      ],
    ],
    [
      "SCREEN_CAPTURE",
      "SUSPICIOUS",
      { SCREEN_CAPTURE: null },
      "fail",
      "declined",
      [
        ["document_suspicious", "SUSPICIOUS"],
        ["document_suspicious", "SCREEN_CAPTURE"],
      ],
    ],
    [
      "HOLOGRAM_MISSING",
      "SUSPICIOUS",
      { HOLOGRAM_MISSING: null },
      "fail",
      "declined",
      [
        ["document_suspicious", "SUSPICIOUS"],
        ["document_suspicious", "HOLOGRAM_MISSING"],
      ],
    ],
    // on a GENUINE answer an unknown item is never dropped either: the generic code, and the document check fails
    ["NO_HOLOGRAM_ISSUE", "GENUINE", { NO_HOLOGRAM_ISSUE: null }, "fail", "declined", [["document_suspicious", "NO_HOLOGRAM_ISSUE"]]],
    ["SCREEN_CAPTURE", "GENUINE", { SCREEN_CAPTURE: null }, "fail", "declined", [["document_suspicious", "SCREEN_CAPTURE"]]],
  ] as const)("Checks [%s] with %s", async (item, result, security, outcome, decision, reasons) => {
    const { out } = await runDocument(documentSample({ FraudCheck: { Result: result, Checks: [item] } }));
    expect(out.checks.document?.security).toEqual({ fraud_check: result === "GENUINE", ...security });
    expect(out.checks.document?.outcome).toBe(outcome);
    expect(out.reasons.map((r) => [r.code, r.vendor, r.vendorCode])).toEqual(reasons.map(([c, v]) => [c, "dms", v]));
    expect(out.decision).toBe(decision);
  });

  it("an unknown item beside the doc's own on a GENUINE answer: the known ones kept, the unknown one fails the document", async () => {
    const { out } = await runDocument(
      documentSample({ FraudCheck: { Result: "GENUINE", Checks: ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE", "NO_MRZ_TAMPERING"] } }),
    );
    expect(out.checks.document?.security).toEqual({ fraud_check: true, NO_SPECIMEN_WATERMARK: true, NO_SCREEN_CAPTURE: true, NO_MRZ_TAMPERING: null });
    expect(out.checks.document?.outcome).toBe("fail");
    expect(out.reasons).toEqual([
      { code: "document_suspicious", category: "document", vendor: "dms", vendorCode: "NO_MRZ_TAMPERING", message: expect.stringContaining("GENUINE") },
    ]);
    expect(out.decision).toBe("declined");
  });

  it("an unknown look-alike (SCREEN_CAPTURE) does not overwrite the doc's NO_SCREEN_CAPTURE in security", async () => {
    const { out } = await runDocument(documentSample({ FraudCheck: { Result: "GENUINE", Checks: ["NO_SCREEN_CAPTURE", "SCREEN_CAPTURE"] } }));
    expect(out.checks.document?.security).toEqual({ fraud_check: true, NO_SCREEN_CAPTURE: true, SCREEN_CAPTURE: null });
    expect(out.reasons.map((r) => r.vendorCode)).toEqual(["SCREEN_CAPTURE"]);
  });

  it.each([["V2_TEMPLATE"], ["PADDLE_OCR"], ["OPEN_AI"]])("OcrProvider %s is carried in document.quality", async (provider) => {
    const { out } = await runDocument(documentSample({ OcrProvider: provider }));
    expect(out.checks.document?.quality).toEqual({ OcrProvider: provider });
  });
});

describe("dms document: no claim without data", () => {
  it('a bare {"FraudCheck":{"Result":"GENUINE"}} is not a pass: inconclusive, data_not_extracted, review', async () => {
    const { out } = await runDocument({ FraudCheck: { Result: "GENUINE" } });
    expect(out.checks.document).toEqual({
      outcome: "inconclusive",
      type: null,
      country: null,
      model: null,
      fields: {
        firstName: null,
        lastName: null,
        dateOfBirth: null,
        documentNumber: null,
        expiryDate: null,
        sex: null,
        nationality: null,
        issuingCountry: null,
      },
      security: { fraud_check: true },
    });
    expect(out.reasons).toEqual([{ code: "data_not_extracted", category: "document", vendor: "dms", vendorCode: null, message: expect.any(String) }]);
    expect(out.decision).toBe("review");
  });

  it("type and country without anyone's data are no proof either", async () => {
    const { out } = await runDocument({
      DocumentType: "PASSPORT",
      IssuingCountry: "ESP",
      GivenNames: "  ",
      Surname: "",
      FraudCheck: { Result: "GENUINE", Checks: ["NO_SCREEN_CAPTURE"] },
    });
    expect(out.checks.document).toMatchObject({ outcome: "inconclusive", type: "passport", country: "ES", fields: { firstName: null, lastName: null } });
    expect(out.decision).toBe("review");
  });

  it("SUSPICIOUS without data stays a fail, with both reasons", async () => {
    const { out } = await runDocument({ FraudCheck: { Result: "SUSPICIOUS" } });
    expect(out.checks.document?.outcome).toBe("fail");
    expect(out.reasons.map((r) => r.code)).toEqual(["document_suspicious", "data_not_extracted"]);
    expect(out.decision).toBe("declined");
  });

  it("one identity field is data: the rest is the policy's to compare", async () => {
    const { out } = await runDocument({ DocumentNumber: "B12345678", FraudCheck: { Result: "GENUINE" } });
    expect(out.checks.document?.outcome).toBe("pass");
    expect(out.checks.document?.fields.documentNumber).toBe("B12345678");
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["empty", ""],
    ["not a date", "15 JUN 2028"],
    ["not a real day", "2028-02-30"],
  ])("DateOfExpiry %s -> fields.expiryDate null, never guessed; the rest of the answer still read", async (_what, value) => {
    const sample = documentSample({ DateOfExpiry: value });
    if (value === undefined) delete sample.DateOfExpiry;
    const { out } = await runDocument(sample);
    expect(out.checks.document?.fields.expiryDate).toBeNull();
    expect(out.checks.document?.fields).toMatchObject({
      firstName: "CARLOS",
      lastName: "GARCIA LOPEZ",
      dateOfBirth: "1990-06-15",
      documentNumber: "B12345678",
    });
    // the adapter does not judge what it cannot read: the gateway policy refuses to approve without a readable expiry
    expect(out.checks.document?.outcome).toBe("pass");
    expect(out.reasons).toEqual([]);
  });

  it("text fields are trimmed; blank ones are null (not read), not an empty name to compare", async () => {
    const { out } = await runDocument(documentSample({ GivenNames: " CARLOS ", Surname: "   ", DocumentNumber: "" }));
    expect(out.checks.document?.fields).toMatchObject({ firstName: "CARLOS", lastName: null, documentNumber: null });
  });
});

describe("dms document: the gateway's own expiry check (ctx.now)", () => {
  it.each([
    ["2028-06-14T23:59:59Z", "pass", []],
    ["2028-06-15T12:00:00Z", "pass", []], // expires at the end of its last day
    ["2028-06-16T00:00:01Z", "fail", ["document_expired"]],
  ] as const)("DateOfExpiry 2028-06-15 at %s -> %s", async (now, outcome, codes) => {
    const { out } = await runDocument(fixtureJson("idcard-recognition-response.json"), () => new Date(now));
    expect(out.checks.document?.outcome).toBe(outcome);
    expect(out.reasons.map((r) => r.code)).toEqual(codes);
    expect(out.decision).toBe(codes.length ? "declined" : "approved");
  });

  it("an expired and suspicious document carries both reasons", async () => {
    const { out } = await runDocument(documentSample({ DateOfExpiry: "2020-01-31", FraudCheck: { Result: "SUSPICIOUS", Checks: [] } }));
    expect(out.reasons.map((r) => r.code).sort()).toEqual(["document_expired", "document_suspicious"]);
  });
});

describe("dms document: unreadable answers", () => {
  it("a body without FraudCheck is a parse VendorError, no personal data in its message", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, NOW);
    const { FraudCheck: _drop, ...noFraud } = fixtureJson("idcard-recognition-response.json");
    nock(BASE).post(PATH).reply(200, noFraud);
    const err = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err)).toBe(true);
    if (!isVendorError(err)) return;
    expect(err.kind).toBe("parse");
    expect(err.toReason().code).toBe("vendor_error");
    expect(err.message).toContain("FraudCheck");
    expect(err.message).not.toMatch(/GARCIA|CARLOS|B12345678/);
  });

  it("a body that is not JSON is a parse VendorError", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, NOW);
    nock(BASE).post(PATH).reply(200, '{"DocumentType": "PASSPORT", "Surname": "GARC', { "Content-Type": "application/json" });
    const err = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err) && err.kind).toBe("parse");
    expect((err as Error).message).not.toContain("GARC");
  });

  it("wrong field types are a parse error, not a crash", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, NOW);
    nock(BASE)
      .post(PATH)
      .reply(200, documentSample({ Surname: 42, FraudCheck: { Result: "GENUINE", Checks: "NO_SCREEN_CAPTURE" } }));
    const err = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err) && err.kind).toBe("parse");
  });
});

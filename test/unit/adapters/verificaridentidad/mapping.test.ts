// Every row of every VerificarIdentidad mapping table, with the doc's own values and the
// expected normalized code written out here (never derived from the tables).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { DOCUMENT_TYPES, ESTADOS, FLAGS, HTTP_STATUS, RESULTADO_CODES, RES_CODES, SI_NO } from "../../../../src/adapters/verificaridentidad/mapping.js";
import { documentFields, documentType, estadoRule, mapResult, resultadoRule, siNo, splitNombre } from "../../../../src/adapters/verificaridentidad/outcome.js";
import { classifyHttp, resError } from "../../../../src/adapters/verificaridentidad/client.js";
import { ResultSchema, canonicalKeys } from "../../../../src/adapters/verificaridentidad/schemas.js";
import type { VendorResponse } from "../../../../src/core/vendor-http.js";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../../src/adapters/verificaridentidad/fixtures/${name}`, import.meta.url), "utf8"));

const docResult = ResultSchema.parse(fixture("result-example.json"));

describe("Res codes (/VerificarIdentidad responses)", () => {
  it("has exactly the doc's rows", () => {
    expect(Object.keys(RES_CODES).sort()).toEqual(["-1", "-2", "-3", "-4", "-5", "-6", "-7", "1"].sort());
  });

  it("Res 1 'Correct.' is no error", () => {
    expect(resError(1, "VerificarIdentidad", false)).toBeNull();
  });

  it.each([
    [-1, "auth", "vendor_auth_failed"],
    [-2, "out_of_credits", "vendor_out_of_credits"],
    [-3, "rejected", "vendor_rejected_request"],
    [-4, "feature_disabled", "vendor_feature_disabled"],
    [-5, "rejected", "vendor_error"],
    [-6, "rejected", "vendor_error"],
    [-7, "rejected", "vendor_error"],
  ] as const)("Res %i -> VendorError %s / %s, keeping the code", (res, kind, code) => {
    const err = resError(res, "VerificarIdentidad", false)!;
    expect(err.kind).toBe(kind);
    expect(err.retryable).toBe(false);
    const r = err.toReason();
    expect(r.code).toBe(code);
    expect(r.category).toBe("technical");
    expect(r.vendorCode).toBe(String(res));
    expect(r.vendor).toBe("verificaridentidad");
  });

  it("an unknown Res is a generic technical error that keeps its code", () => {
    const r = resError(-42, "VerificarIdentidad", true)!;
    expect(r.retryable).toBe(true);
    expect(r.toReason()).toMatchObject({ code: "vendor_error", vendorCode: "-42" });
  });
});

describe("HTTP statuses", () => {
  const res = (status: number, headers: Record<string, string> = {}): VendorResponse => ({
    status,
    headers,
    rawBody: Buffer.from(""),
    text: "",
    json: undefined,
  });

  it("lists the expected statuses", () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual(["400", "401", "403", "404", "408", "429", "500", "502", "503", "504"]);
  });

  it.each([
    [400, "rejected", false, "vendor_rejected_request"],
    [401, "auth", false, "vendor_auth_failed"],
    [403, "auth", false, "vendor_auth_failed"],
    [404, "rejected", false, "vendor_rejected_request"],
    [408, "timeout", true, "vendor_timeout"],
    [429, "rate_limited", true, "vendor_unavailable"],
    [500, "unavailable", true, "vendor_unavailable"],
    [502, "unavailable", true, "vendor_unavailable"],
    [503, "unavailable", true, "vendor_unavailable"],
    [504, "timeout", true, "vendor_timeout"],
  ] as const)("HTTP %i -> %s (retryable %s) / %s", (status, kind, retryable, code) => {
    const err = classifyHttp("GetCreditos")(res(status))!;
    expect(err.kind).toBe(kind);
    expect(err.retryable).toBe(retryable);
    expect(err.toReason().code).toBe(code);
    expect(err.toReason().vendorCode).toBe(String(status));
  });

  it("2xx is a business answer read from Res; 429 keeps Retry-After; unlisted statuses fall back", () => {
    expect(classifyHttp("GetCreditos")(res(200))).toBeNull();
    expect(classifyHttp("GetCreditos")(res(429, { "retry-after": "3" }))!.retryAfterMs).toBe(3000);
    expect(classifyHttp("GetCreditos")(res(418))!.kind).toBe("rejected");
    expect(classifyHttp("GetCreditos")(res(507))!.kind).toBe("unavailable");
  });
});

describe("Estado (webhook status)", () => {
  it("has exactly the doc's rows", () => {
    expect(Object.keys(ESTADOS)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5100", "5500"]);
  });

  it.each([
    [3000, "awaiting_user", "user_accessed"],
    [3001, "awaiting_user", "verifying_person_liveness"],
    [3002, "awaiting_user", "document_front_requested"],
    [3003, "awaiting_user", "document_back_requested"],
    [5000, "processing", "in_process"],
    [5001, "processing", "data_available"],
    [5100, "completed", "validated"],
    [5500, "completed", "rejected"],
  ] as const)("Estado %i -> %s (step %s)", (estado, status, step) => {
    expect(estadoRule(estado)).toMatchObject({ status, step });
  });

  it("5100 approves and 5500 declines; only 5001 reads Result among the processing ones", () => {
    expect(estadoRule(5100)).toMatchObject({ decision: "approved", rejection: null });
    expect(estadoRule(5500)).toMatchObject({
      decision: "declined",
      rejection: { code: "document_suspicious", message: "Rejected by an operator based on the results obtained" },
    });
    expect(estadoRule(5000)).toMatchObject({ readResult: false });
    expect(estadoRule(5001)).toMatchObject({ readResult: true });
  });

  it.each([
    [3005, "awaiting_user", "unknown_3005"],
    [5200, "processing", "unknown_5200"],
    [9999, "processing", "unknown_9999"],
  ] as const)("an unknown Estado %i never decides: %s, step %s", (estado, status, step) => {
    expect(estadoRule(estado)).toEqual(expect.objectContaining({ status, step }));
    expect(estadoRule(estado)).not.toHaveProperty("decision");
  });
});

describe("Resultado", () => {
  it("has exactly the doc's negative codes", () => {
    expect(Object.keys(RESULTADO_CODES).sort()).toEqual(["-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8", "-9"].sort());
  });

  it.each([
    [-1, ["face_similarity_low", "manual_review_required"], "faceMatch", "inconclusive"],
    [-2, ["underage"], null, null],
    [-3, ["document_sides_mismatch"], "document", "fail"],
    [-4, ["different_person_in_session"], "liveness", "fail"],
    [-5, ["document_expired"], "document", "fail"],
    [-6, ["liveness_failed"], "liveness", "fail"],
    [-7, ["user_abandoned"], null, null],
    [-8, ["face_mismatch"], "faceMatch", "fail"],
    [-9, ["document_number_mismatch"], "document", "fail"],
  ] as const)("Resultado %i -> %j on %s = %s", (resultado, codes, check, outcome) => {
    expect(resultadoRule(resultado)).toMatchObject({ reasons: codes, check, outcome });
    const { checks, reasons } = mapResult({ Resultado: resultado });
    expect(reasons.map((r) => r.code)).toEqual(codes);
    expect(reasons.every((r) => r.vendorCode === String(resultado) && r.vendor === "verificaridentidad")).toBe(true);
    if (check) expect(checks[check]?.outcome).toBe(outcome);
  });

  it.each([
    [-1, ["manual_review_required"]],
    [-2, []],
    [-3, []],
    [-4, []],
    [-5, []],
    [-6, []],
    [-7, []],
    [-8, []],
    [-9, []],
  ] as const)("Resultado %i: the vendor's operator settles %j", (resultado, settled) => {
    expect(resultadoRule(resultado)?.settledByOperator).toEqual(settled);
    const interim = mapResult({ Resultado: resultado }).reasons.map((r) => r.code);
    const final = mapResult({ Resultado: resultado }, { rejection: null }).reasons.map((r) => r.code);
    expect(final).toEqual(interim.filter((c) => !(settled as readonly string[]).includes(c)));
  });

  it("an unknown negative code at a final Estado takes the Estado's rejection code when it has one", () => {
    const rejection = { code: "document_suspicious", message: "Rejected" } as const;
    expect(mapResult({ Resultado: -12 }, { rejection }).reasons).toEqual([
      expect.objectContaining({ code: "document_suspicious", category: "document", vendorCode: "-12" }),
    ]);
    expect(mapResult({ Resultado: -12 }, { rejection: null }).reasons).toEqual([
      expect.objectContaining({ code: "manual_review_required", vendorCode: "-12" }),
    ]);
  });

  it("-5 carries the doc's message, as in the design's sample reason", () => {
    expect(mapResult({ Resultado: -5 }).reasons[0]).toEqual({
      code: "document_expired",
      category: "document",
      vendor: "verificaridentidad",
      vendorCode: "-5",
      message: "Expired ID document",
    });
  });

  it("the doc's 93.957847595214844 is a face match pass with similarity 0.9396 and threshold 0.8", () => {
    expect(resultadoRule(93.957847595214844)).toBeNull();
    const { checks, reasons } = mapResult({ Resultado: 93.957847595214844 });
    expect(reasons).toEqual([]);
    expect(checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.9395784759521484, threshold: 0.8 });
  });

  // "It can be positive (>80) in which case everything has gone correctly": 80 itself is not a pass
  // ("if the percentage is lower it must be validated manually (operator)"), 80.01 is
  it("Resultado exactly 80 is not a pass: the -1 manual-validation case; 80.01 passes", () => {
    expect(resultadoRule(80)).toBe(RESULTADO_CODES["-1"]);
    const eighty = mapResult({ Resultado: 80 });
    expect(eighty.checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.8, threshold: 0.8 });
    expect(eighty.reasons.map((r) => [r.code, r.vendorCode])).toEqual([
      ["face_similarity_low", "80"],
      ["manual_review_required", "80"],
    ]);
    expect(resultadoRule(80.01)).toBeNull();
    expect(mapResult({ Resultado: 80.01 }).checks.faceMatch?.outcome).toBe("pass");
  });

  it("ParecidoPersonaDNI exactly 80 (with a negative Resultado) is not a face match pass either", () => {
    expect(mapResult({ Resultado: -4, ParecidoPersonaDNI: 80 }).checks.faceMatch?.outcome).toBe("inconclusive");
    expect(mapResult({ Resultado: -4, ParecidoPersonaDNI: 80.5 }).checks.faceMatch?.outcome).toBe("pass");
  });

  it("a positive 65 is the -1 review case", () => {
    const low = mapResult({ Resultado: 65 });
    expect(low.checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.65, threshold: 0.8 });
    expect(low.reasons.map((r) => r.code)).toEqual(["face_similarity_low", "manual_review_required"]);
  });

  it("-1 takes the similarity from ParecidoPersonaDNI", () => {
    const { checks } = mapResult({ Resultado: -1, ParecidoPersonaDNI: 65 });
    expect(checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.65, threshold: 0.8 });
  });

  it("-7 reads no face result, even with a ParecidoPersonaDNI", () => {
    expect(mapResult({ Resultado: -7, ParecidoPersonaDNI: 90 }).checks.faceMatch).toBeUndefined();
  });

  it("an unknown negative code maps to the review category's generic code and keeps the vendor code", () => {
    const { reasons } = mapResult({ Resultado: -12 });
    expect(reasons).toEqual([expect.objectContaining({ code: "manual_review_required", category: "review", vendorCode: "-12" })]);
  });
});

describe("Si / No flags", () => {
  it.each([
    ["Si", true],
    ["No", false],
    ["N/A", null],
  ] as const)("%s -> %s", (value, expected) => {
    expect(SI_NO[value]).toBe(expected);
    expect(siNo(value)).toBe(expected);
  });

  it("matches in any case and with an accent; an unknown value is 'not verified'", () => {
    expect(siNo("SI")).toBe(true);
    expect(siNo("Sí")).toBe(true);
    expect(siNo("no")).toBe(false);
    expect(siNo("n/a")).toBeNull();
    expect(siNo("Quizás")).toBeNull();
    expect(siNo(undefined)).toBeNull();
  });

  it("has exactly these flags", () => {
    expect(Object.keys(FLAGS).sort()).toEqual(["AnversoReversoCoinciden", "Caducado", "DNISolicitadoCoincide", "ProcesoRelizadoMismaPersona", "PruebaDeVida"]);
  });

  it.each([
    ["AnversoReversoCoinciden", { AnversoReversoCoinciden: "No" }, "document_sides_mismatch", "document"],
    ["DNISolicitadoCoincide", { DNISolicitadoCoincide: "No" }, "document_number_mismatch", "document"],
    ["PruebaDeVida", { PruebaDeVida: "No" }, "liveness_failed", "liveness"],
    ["ProcesoRelizadoMismaPersona", { ProcesoRelizadoMismaPersona: "No" }, "different_person_in_session", "liveness"],
    ["Caducado", { DNI: { Caducado: "Si" } }, "document_expired", "document"],
  ] as const)("%s failing -> %s and a failed %s check", (name, result, code, check) => {
    const { checks, reasons } = mapResult({ Resultado: 93.9, ...result });
    expect(reasons).toEqual([expect.objectContaining({ code, vendorCode: expect.stringContaining(name) })]);
    expect(checks[check]?.outcome).toBe("fail");
  });

  it("good flag values fail nothing: PruebaDeVida Si passes liveness, DNISolicitadoCoincide N/A is not verified", () => {
    const { checks, reasons } = mapResult({
      Resultado: 93.9,
      AnversoReversoCoinciden: "Si",
      DNISolicitadoCoincide: "N/A",
      PruebaDeVida: "Si",
      ProcesoRelizadoMismaPersona: "Si",
      DNI: { Caducado: "No" },
    });
    expect(reasons).toEqual([]);
    expect(checks.liveness).toEqual({ outcome: "pass", score: null, level: null });
    expect(checks.document?.outcome).toBe("pass");
    expect(checks.document?.security).toEqual({ sidesMatch: true, notExpired: true });
  });

  it("a Resultado code and the matching flag give one reason, not two", () => {
    const { reasons } = mapResult({ Resultado: -5, DNI: { Caducado: "Si" } });
    expect(reasons.map((r) => r.code)).toEqual(["document_expired"]);
  });
});

describe("DNI document data", () => {
  it("TipoDocumento ID-1 (the doc's value) -> id_card; others -> other", () => {
    expect(DOCUMENT_TYPES["ID-1"]).toBe("id_card");
    expect(documentType("ID-1")).toBe("id_card");
    expect(documentType("XX-9")).toBe("other");
    expect(documentType(undefined)).toBeNull();
  });

  it("splits Nombre 'SURNAMES,NAME'", () => {
    expect(splitNombre("APARICIO LOPEZ,JUAN")).toEqual({ firstName: "JUAN", lastName: "APARICIO LOPEZ" });
    expect(splitNombre("APARICIO GARCIA, RAFAEL")).toEqual({ firstName: "RAFAEL", lastName: "APARICIO GARCIA" });
    expect(splitNombre("SOLO")).toEqual({ firstName: null, lastName: "SOLO" });
    expect(splitNombre("")).toEqual({ firstName: null, lastName: null });
  });

  it("normalizes the doc's sample DNI block", () => {
    expect(documentFields(docResult.DNI!)).toEqual({
      firstName: "JUAN",
      lastName: "APARICIO LOPEZ",
      dateOfBirth: "1955-12-18",
      documentNumber: "00000000T",
      expiryDate: "2027-10-19",
      issuingCountry: "ES",
      sex: "M",
      nationality: "ES",
    });
  });

  it("maps the doc's whole Result example onto passing checks and no reasons", () => {
    const { checks, reasons } = mapResult(docResult);
    expect(reasons).toEqual([]);
    expect(checks).toEqual({
      document: {
        outcome: "pass",
        // "TipoDocumento: Document type": the vendor's own model name
        model: "ID-1",
        type: "id_card",
        country: "ES",
        fields: {
          firstName: "JUAN",
          lastName: "APARICIO LOPEZ",
          dateOfBirth: "1955-12-18",
          documentNumber: "00000000T",
          expiryDate: "2027-10-19",
          issuingCountry: "ES",
          sex: "M",
          nationality: "ES",
        },
        security: { sidesMatch: true, notExpired: true },
      },
      liveness: { outcome: "pass", score: null, level: null },
      faceMatch: { outcome: "pass", similarity: 0.9395784759521484, threshold: 0.8 },
    });
  });

  it("reads the Result example with keys in other cases and numbers as strings", () => {
    const lowered = JSON.parse(
      JSON.stringify(fixture("result-example.json"))
        .replace(/"Resultado":93.957847595214844/, '"RESULTADO":"93.957847595214844"')
        .replace(/"PruebaDeVida"/, '"pruebadevida"')
        .replace(/"FechaNacimiento"/, '"fechanacimiento"'),
    ) as unknown;
    const parsed = ResultSchema.parse(canonicalKeys(lowered));
    expect(parsed.Resultado).toBeCloseTo(93.9578, 3);
    expect(mapResult(parsed).checks.document?.fields.dateOfBirth).toBe("1955-12-18");
    expect(mapResult(parsed).checks.liveness?.outcome).toBe("pass");
  });
});

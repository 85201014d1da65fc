import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import FormData from "form-data";
import { verificaridentidadAdapter } from "../../../../src/adapters/verificaridentidad/index.js";
import { decodeBody, parseMultipartFields } from "../../../../src/adapters/verificaridentidad/webhooks.js";
import type { Outcome, ParsedWebhook, RawWebhookRequest } from "../../../../src/adapters/types.js";
import { isVendorError } from "../../../../src/domain/errors.js";
import { makeAccount } from "../../../support/adapter-harness.js";

const fixtureText = (name: string) => readFileSync(new URL(`../../../../src/adapters/verificaridentidad/fixtures/${name}`, import.meta.url), "utf8");
/** the doc's sample webhook, verbatim: Estado as a string, Result/Acceso/Posicion/Dispositivo as JSON strings with \/ */
const DOC_SAMPLE_TEXT = fixtureText("webhook-5001.json");
const DOC_SAMPLE = JSON.parse(DOC_SAMPLE_TEXT) as Record<string, string>;

const account = makeAccount("verificaridentidad", {
  credentials: { apiUser: "u", apiToken: "t", webhookUser: "hookuser", webhookPassword: "hook-pass:with-colon" },
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function request(body: Buffer | string, contentType: string | null, headers: Record<string, string> = {}): RawWebhookRequest {
  return {
    method: "POST",
    headers: { ...(contentType ? { "content-type": contentType } : {}), ...headers },
    query: {},
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8"),
    receivedAt: new Date("2021-10-10T08:10:00Z"),
  };
}

const json = (o: unknown) => request(JSON.stringify(o), "application/json");
const form = (o: Record<string, string>) => request(new URLSearchParams(o).toString(), "application/x-www-form-urlencoded; charset=UTF-8");
function multipart(o: Record<string, string>): RawWebhookRequest {
  const fd = new FormData();
  for (const [k, v] of Object.entries(o)) fd.append(k, v);
  return request(fd.getBuffer(), fd.getHeaders()["content-type"] as string);
}

const parse = (req: RawWebhookRequest): ParsedWebhook[] => verificaridentidadAdapter.parseWebhook!(req, account);
function one(req: RawWebhookRequest) {
  const events = parse(req);
  expect(events).toHaveLength(1);
  const e = events[0]!;
  if (e.type !== "verification") throw new Error("expected a verification event");
  return e;
}

/** the doc sample's session signals: Acceso, FechaEnvio, Posicion.Coordenadas, Dispositivo and Result.Dispositivo */
const DOC_SESSION = {
  access: { date: "2021-09-04 19:37:21", ip: "85.10.20.221", port: 11892, requestSentAt: "2021-10-10 10:10" },
  position: { latitude: 4.4577993, longitude: -1.6592592 },
  device: { browser: "Chrome 92.0.4515.131", operatingSystem: "Android 11", displayResolution: "360 x 800", summary: "Android.v11-Chrome.v92.0.4515.131" },
};

/** the same without the Result's device summary (an Estado whose Result is not read) */
const { summary: _summary, ...DOC_HOOK_DEVICE } = DOC_SESSION.device;
const DOC_HOOK_SESSION = { ...DOC_SESSION, device: DOC_HOOK_DEVICE };

const DOC_5001_CHECKS = {
  document: {
    outcome: "pass",
    model: "ID-1",
    type: "id_card",
    country: "ES",
    fields: {
      firstName: "RAFAEL",
      lastName: "APARICIO GARCIA",
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
  session: DOC_SESSION,
};

/** ID:Estado and a hash of what the report says */
const DEDUPE_5001 = /^299846332:5001:[0-9a-f]{16}$/;

function expectDoc5001(e: ReturnType<typeof one>) {
  expect(e.vendorReference).toBe("299846332");
  expect(e.vendorStatus).toBe("5001");
  expect(e.dedupeKey).toMatch(DEDUPE_5001);
  expect(e.detail).toEqual({ estado: 5001, step: "data_available" });
  expect(e.outcome).toEqual({ status: "processing", vendorReference: "299846332", step: "data_available", checks: DOC_5001_CHECKS, reasons: [] });
}

/** the doc sample with every parameter name changed by `rename` */
const renamed = (rename: (k: string) => string) => Object.fromEntries(Object.entries(DOC_SAMPLE).map(([k, v]) => [rename(k), v]));

describe("webhook body encodings", () => {
  it("parses the doc's JSON sample verbatim (JSON strings with \\/ escapes)", () => {
    expect(DOC_SAMPLE_TEXT).toContain('\\"N\\\\/A\\"');
    expectDoc5001(one(request(DOC_SAMPLE_TEXT, "application/json")));
  });

  it("parses it as application/x-www-form-urlencoded with lower-case names", () => {
    expectDoc5001(one(form(renamed((k) => k.toLowerCase()))));
  });

  it("parses it as multipart/form-data with upper-case names", () => {
    expectDoc5001(one(multipart(renamed((k) => k.toUpperCase()))));
  });

  it("parses JSON with mixed-case names, numbers as numbers and the nested fields as objects", () => {
    const body = {
      servicio: "VERIFICACION_IDENTIDAD",
      id: 299846332,
      ESTADO: 5001,
      fechaenvio: "2021-10-10 10:10",
      Telefono: 34600000000,
      acceso: JSON.parse(fixtureText("acceso-example.json")),
      posicion: JSON.parse(fixtureText("posicion-example.json")),
      dispositivo: JSON.parse(fixtureText("dispositivo-example.json")),
      result: JSON.parse(DOC_SAMPLE.Result!),
    };
    expectDoc5001(one(json(body)));
  });

  it("reads a JSON body sent without a content type, and a one-element array", () => {
    expectDoc5001(one(request(DOC_SAMPLE_TEXT, null)));
    expectDoc5001(one(request(`[${DOC_SAMPLE_TEXT}]`, "application/json")));
  });

  it("reads a urlencoded body sent without a content type", () => {
    expect(one(request(new URLSearchParams({ ID: "1", Estado: "3000" }).toString(), null)).vendorStatus).toBe("3000");
  });

  it("ignores multipart file parts and keeps UTF-8 field values", () => {
    const fd = new FormData();
    fd.append("ID", "77");
    fd.append("Estado", "3002");
    fd.append("Nota", "señal ñ");
    fd.append("Foto", Buffer.from([0xff, 0xd8, 0xff]), { filename: "x.jpg", contentType: "image/jpeg" });
    const fields = parseMultipartFields(fd.getBuffer(), fd.getBoundary());
    expect(fields).toEqual({ ID: "77", Estado: "3002", Nota: "señal ñ" });
    expect(decodeBody(request(fd.getBuffer(), fd.getHeaders()["content-type"] as string))).toEqual(fields);
  });

  it.each([
    ["invalid JSON", request("{not json", "application/json")],
    ["an empty body", request("", "application/json")],
    ["no ID", json({ Estado: "5001" })],
    ["no Estado", json({ ID: "1" })],
    ["a non-numeric Estado", json({ ID: "1", Estado: "done" })],
    ["multipart without a boundary", request("x", "multipart/form-data")],
  ])("%s throws a VendorError of kind parse with no personal data", (_label, req) => {
    let caught: unknown;
    try {
      parse(req);
    } catch (e) {
      caught = e;
    }
    expect(isVendorError(caught)).toBe(true);
    if (!isVendorError(caught)) return;
    expect(caught.kind).toBe("parse");
    expect(caught.toReason().code).toBe("vendor_error");
  });

  it("a parse error names fields, never values", () => {
    try {
      parse(json({ ID: "1", Estado: "34600000000X", Telefono: "34600000000" }));
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain("Estado");
      expect((e as Error).message).not.toContain("34600000000");
    }
  });

  it("Acceso/Posicion/Dispositivo that are not JSON do not fail the event", () => {
    expect(one(json({ ID: "1", Estado: "3000", Acceso: "{broken", Posicion: "", Dispositivo: "x" })).vendorStatus).toBe("3000");
  });

  it("another service's report is not an identity verification event, but never dropped unseen: an account event (issue 10)", () => {
    // "Servicio: Type of report you are receiving (the goal is to distinguish between the reports of the different services)"
    const events = parse(json({ ...DOC_SAMPLE, Servicio: "FIRMA_CONTRATO" }));
    expect(events).toEqual([
      {
        type: "account_event",
        event: {
          type: "other_service_report",
          externalId: expect.stringMatching(/^other_service:FIRMA_CONTRATO:299846332:5001:[0-9a-f]{16}$/),
          payload: { servicio: "FIRMA_CONTRATO", id: "299846332", estado: 5001 },
        },
      },
    ]);
    // the same report delivered again is the same event; nothing personal in it
    expect(parse(form({ ...DOC_SAMPLE, Servicio: "FIRMA_CONTRATO" }))).toEqual(events);
    for (const personal of ["34600000000", "00000000T", "APARICIO", "85.10.20.221"]) expect(JSON.stringify(events)).not.toContain(personal);
    // the identity service in any case is an identity report
    expect(one(json({ ...DOC_SAMPLE, Servicio: "verificacion_identidad" })).type).toBe("verification");
  });
});

describe("webhook outcomes by Estado", () => {
  const withEstado = (estado: string, extra: Record<string, string> = {}) => json({ ...DOC_SAMPLE, Estado: estado, ...extra });

  it.each([
    ["3000", "user_accessed"],
    ["3001", "verifying_person_liveness"],
    ["3002", "document_front_requested"],
    ["3003", "document_back_requested"],
  ])("%s -> awaiting_user, step %s, the SMS action with the masked phone", (estado, step) => {
    const e = one(withEstado(estado));
    // the session signals the webhook carries from the user's first access (no Result read yet: no device summary)
    expect(e.outcome).toEqual({
      status: "awaiting_user",
      nextAction: { type: "sms_sent", phone: "+346*****000" },
      vendorReference: "299846332",
      step,
      checks: { session: DOC_HOOK_SESSION },
    });
    expect(e.dedupeKey).toMatch(new RegExp(`^299846332:${estado}:[0-9a-f]{16}$`));
  });

  it("5000 -> processing without document, liveness or face checks (Result is not read yet), with the session signals", () => {
    expect(one(withEstado("5000")).outcome).toEqual({
      status: "processing",
      vendorReference: "299846332",
      step: "in_process",
      checks: { session: DOC_HOOK_SESSION },
    });
    expect(one(json({ ID: "9", Estado: "5000" })).outcome).toEqual({ status: "processing", vendorReference: "9", step: "in_process" });
  });

  it("5100 -> completed approved by the vendor's operator, with the certificate follow-up", () => {
    const o = one(withEstado("5100")).outcome;
    expect(o).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: DOC_5001_CHECKS,
      vendorReference: "299846332",
      followUps: ["certificate"],
      humanDecision: true,
    });
  });

  it("5100 without Result is still approved", () => {
    const o = one(json({ ID: "9", Estado: 5100 })).outcome;
    expect(o).toMatchObject({ status: "completed", decision: "approved", checks: {}, followUps: ["certificate"] });
  });

  const result = (over: Record<string, unknown>) => {
    const r = JSON.parse(DOC_SAMPLE.Result!) as Record<string, unknown>;
    return JSON.stringify({ ...r, ...over });
  };

  it.each([
    ["-5", { Resultado: -5, DNI: { ...(JSON.parse(DOC_SAMPLE.Result!) as { DNI: object }).DNI, Caducado: "Si" } }, ["document_expired"], "document"],
    ["-6", { Resultado: -6, PruebaDeVida: "No" }, ["liveness_failed"], "liveness"],
    ["-4", { Resultado: -4, ProcesoRelizadoMismaPersona: "No" }, ["different_person_in_session"], "liveness"],
    ["-9", { Resultado: -9, DNISolicitadoCoincide: "No" }, ["document_number_mismatch"], "document"],
    ["-3", { Resultado: -3, AnversoReversoCoinciden: "No" }, ["document_sides_mismatch"], "document"],
    ["-8", { Resultado: -8, ParecidoPersonaDNI: 31.5 }, ["face_mismatch"], "faceMatch"],
  ] as const)("5500 with Resultado %s -> declined with %j, %s failed", (_code, over, codes, check) => {
    const o = one(withEstado("5500", { Result: result(over) })).outcome as Extract<Outcome, { status: "completed" }>;
    expect(o.status).toBe("completed");
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => r.code)).toEqual(codes);
    expect(o.checks[check]?.outcome).toBe("fail");
    expect(o.followUps).toBeUndefined();
  });

  it("5500 with -2 -> declined underage", () => {
    const o = one(withEstado("5500", { Result: result({ Resultado: -2 }) })).outcome;
    expect(o).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [expect.objectContaining({ code: "underage", category: "data", vendorCode: "-2" })],
    });
  });

  it("5500 with -1: the operator settled the review, the low similarity explains the decline", () => {
    const o = one(withEstado("5500", { Result: result({ Resultado: -1, ParecidoPersonaDNI: 65 }) })).outcome;
    expect(o).toMatchObject({ status: "completed", decision: "declined", reasons: [expect.objectContaining({ code: "face_similarity_low" })] });
  });

  it("5500 with -7 -> declined user_abandoned", () => {
    const o = one(json({ ID: "5", Estado: "5500", Result: '{"Resultado":-7}' })).outcome;
    expect(o).toEqual({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "user_abandoned", category: "user", vendor: "verificaridentidad", vendorCode: "-7", message: "Process not yet finished" }],
      checks: {},
      vendorReference: "5",
      humanDecision: true,
    });
  });

  // was manual_review_required (a review code on a final decline): the Estado's own rejection now
  it("5500 with a passing Result is the operator's own rejection: document_suspicious, vendorCode 5500", () => {
    const o = one(withEstado("5500")).outcome;
    expect(o).toMatchObject({
      status: "completed",
      decision: "declined",
      humanDecision: true,
      reasons: [
        {
          code: "document_suspicious",
          category: "document",
          vendor: "verificaridentidad",
          vendorCode: "5500",
          message: "Rejected by an operator based on the results obtained",
        },
      ],
      checks: DOC_5001_CHECKS,
    });
  });

  it("5001 with -1 -> processing (vendor-side manual review) with the review reasons, no decision", () => {
    const o = one(withEstado("5001", { Result: result({ Resultado: -1, ParecidoPersonaDNI: 65 }) })).outcome;
    expect(o.status).toBe("processing");
    expect(o).not.toHaveProperty("decision");
    expect(o).toMatchObject({
      reasons: [expect.objectContaining({ code: "face_similarity_low" }), expect.objectContaining({ code: "manual_review_required" })],
      checks: { faceMatch: { outcome: "inconclusive", similarity: 0.65, threshold: 0.8 } },
    });
  });

  it("an unknown Estado is kept for the event log and never decides", () => {
    const e = one(withEstado("5200"));
    expect(e.outcome).toEqual({ status: "processing", vendorReference: "299846332", step: "unknown_5200", checks: { session: DOC_HOOK_SESSION } });
    expect(e.vendorStatus).toBe("5200");
    expect(e.dedupeKey).toMatch(/^299846332:5200:[0-9a-f]{16}$/);
  });

  it("a repeated delivery has the same dedupe key whatever its encoding, its names' case or its report time", () => {
    const keys = [
      one(request(DOC_SAMPLE_TEXT, "application/json")),
      one(form(DOC_SAMPLE)),
      one(multipart(DOC_SAMPLE)),
      one(form(renamed((k) => k.toLowerCase()))),
      // restamped "UltimaActualizacion" (Last update/interaction with the user): when it was sent, not what it says
      one(json({ ...DOC_SAMPLE, UltimaActualizacion: "2021-10-10 10:14" })),
      // the Result as an object, numbers as numbers
      one(json({ ...DOC_SAMPLE, Estado: 5001, Telefono: 34600000000, Result: JSON.parse(DOC_SAMPLE.Result!) })),
    ].map((e) => e.dedupeKey);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(DEDUPE_5001);
  });

  it("a corrected re-send of the same Estado with other data is a new event, not a duplicate (issue 10)", () => {
    const first = one(request(DOC_SAMPLE_TEXT, "application/json"));
    // the doc's sample names "APARICIO GARCIA,RAFAEL" in Result and the design's sample subject "APARICIO LOPEZ,JUAN": the vendor corrects it
    const corrected = one(json({ ...DOC_SAMPLE, Result: DOC_SAMPLE.Result!.replace("APARICIO GARCIA,RAFAEL", "APARICIO LOPEZ,JUAN") }));
    expect(corrected.dedupeKey).toMatch(DEDUPE_5001);
    expect(corrected.dedupeKey).not.toBe(first.dedupeKey);
    expect(corrected.outcome).toMatchObject({ checks: { document: { fields: { firstName: "JUAN", lastName: "APARICIO LOPEZ" } } } });
    const otherAccess = one(json({ ...DOC_SAMPLE, Acceso: '{"Fecha":"2021-09-04 19:40:02","IP":"85.10.20.222","Puerto":"11893"}' }));
    expect(otherAccess.dedupeKey).not.toBe(first.dedupeKey);
  });

  it("the event's detail carries no personal data", () => {
    for (const estado of ["3000", "5001", "5100", "5500"]) {
      const detail = JSON.stringify(one(withEstado(estado)).detail);
      for (const personal of ["34600000000", "00000000T", "APARICIO", "RAFAEL", "85.10.20.221", "Madrid", "1955"]) expect(detail).not.toContain(personal);
    }
  });
});

describe("webhook Basic auth", () => {
  const req = (authorization?: string) => request(DOC_SAMPLE_TEXT, "application/json", authorization ? { authorization } : {});
  const auth = (r: RawWebhookRequest) => verificaridentidadAdapter.authenticateWebhook!(r, account);

  it("accepts the configured user and password (a password may contain ':')", () => {
    expect(auth(req(basic("hookuser", "hook-pass:with-colon")))).toBe(true);
    expect(auth(req(`basic ${Buffer.from("hookuser:hook-pass:with-colon").toString("base64")}`))).toBe(true);
  });

  it.each([
    ["no header", undefined],
    ["a wrong password", basic("hookuser", "hook-pass")],
    ["a wrong user", basic("hookuserx", "hook-pass:with-colon")],
    ["a Bearer token", "Bearer hookuser:hook-pass:with-colon"],
    ["no colon", `Basic ${Buffer.from("hookuser").toString("base64")}`],
    ["empty credentials", basic("", "")],
  ])("refuses %s", (_label, header) => {
    expect(auth(req(header))).toBe(false);
  });

  it("refuses everything when the account has no webhook credentials", () => {
    const bare = makeAccount("verificaridentidad", { credentials: { apiUser: "u", apiToken: "t" } });
    expect(verificaridentidadAdapter.authenticateWebhook!(req(basic("", "")), bare)).toBe(false);
  });
});

describe("a final Estado without a readable Result", () => {
  const docResult = () => JSON.parse(DOC_SAMPLE.Result!) as Record<string, unknown>;
  const completed = (o: Outcome) => {
    if (o.status !== "completed") throw new Error(`expected completed, got ${o.status}`);
    return o;
  };

  it("5100 without Result: approved by the operator, claiming no checks; the detail notes resultMissing", () => {
    const e = one(json({ ID: "9", Estado: 5100 }));
    expect(e.outcome).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {},
      vendorReference: "9",
      followUps: ["certificate"],
      humanDecision: true,
    });
    expect(e.detail).toEqual({ estado: 5100, step: "validated", resultMissing: true });
  });

  it("5500 with nothing attached: declined with the Estado's own reason, not a review code", () => {
    const e = one(form({ ID: "9", Estado: "5500", Result: "" }));
    expect(e.outcome).toEqual({
      status: "completed",
      decision: "declined",
      reasons: [
        {
          code: "document_suspicious",
          category: "document",
          vendor: "verificaridentidad",
          vendorCode: "5500",
          message: "Rejected by an operator based on the results obtained",
        },
      ],
      checks: {},
      vendorReference: "9",
      humanDecision: true,
    });
    expect(e.detail).toEqual({ estado: 5500, step: "rejected", resultMissing: true });
  });

  it("5001 without Result is processing with no checks key at all", () => {
    const e = one(json({ ID: "9", Estado: "5001" }));
    expect(e.outcome).toEqual({ status: "processing", vendorReference: "9", step: "data_available" });
    expect(e.detail).toEqual({ estado: 5001, step: "data_available", resultMissing: true });
  });

  it.each([
    ["not JSON", "{Resultado: 9"],
    ["a JSON array of numbers", "[1,2]"],
    ["a JSON string", '"Resultado"'],
    ["a number", 93],
    ["an object whose Resultado is not a number and nothing else", { Resultado: { x: 1 } }],
  ])("a Result that is %s never throws: 5100 approved, 5500 declined, 5001 processing, no checks, resultUnparseable", (_label, result) => {
    const approved = one(json({ ID: "9", Estado: "5100", Result: result }));
    expect(approved.outcome).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {},
      vendorReference: "9",
      followUps: ["certificate"],
      humanDecision: true,
    });
    expect(approved.detail).toEqual({ estado: 5100, step: "validated", resultUnparseable: true });
    const declined = one(json({ ID: "9", Estado: "5500", Result: result }));
    expect(completed(declined.outcome)).toMatchObject({
      decision: "declined",
      humanDecision: true,
      checks: {},
      reasons: [expect.objectContaining({ code: "document_suspicious", vendorCode: "5500" })],
    });
    expect(declined.detail).toEqual({ estado: 5500, step: "rejected", resultUnparseable: true });
    const interim = one(json({ ID: "9", Estado: "5001", Result: result }));
    expect(interim.outcome).toEqual({ status: "processing", vendorReference: "9", step: "data_available" });
    expect(interim.detail).toEqual({ estado: 5001, step: "data_available", resultUnparseable: true });
  });

  it("a Result field that does not parse is left out, the rest is still read (and the field named, never its value)", () => {
    const r = docResult();
    const e = one(json({ ID: "9", Estado: "5100", Result: JSON.stringify({ ...r, Resultado: "n/d", DNI: { ...(r.DNI as object), Edad: "sesenta" } }) }));
    const o = completed(e.outcome);
    expect(o.decision).toBe("approved");
    // the similarity still comes from ParecidoPersonaDNI, the document data from DNI
    expect(o.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.9395784759521484, threshold: 0.8 });
    expect(o.checks.document?.fields).toMatchObject({ lastName: "APARICIO GARCIA", expiryDate: "2027-10-19" });
    expect(e.detail).toEqual({ estado: 5100, step: "validated", resultInvalidFields: ["DNI.Edad", "Resultado"] });
    expect(JSON.stringify(e.detail)).not.toContain("sesenta");
  });

  it("a DNI block that is not JSON is left out (no document fields guessed); the face data stay", () => {
    const e = one(json({ ID: "9", Estado: "5001", Result: JSON.stringify({ Resultado: 91, DNI: "{broken" }) }));
    expect(e.outcome).toMatchObject({ status: "processing", checks: { faceMatch: { outcome: "pass", similarity: 0.91 } } });
    expect((e.outcome as { checks: object }).checks).not.toHaveProperty("document");
    expect(e.detail).toEqual({ estado: 5001, step: "data_available", resultInvalidFields: ["DNI"] });
  });
});

describe("5100 whose Result carries failures", () => {
  const result = (over: Record<string, unknown>) => JSON.stringify({ ...(JSON.parse(DOC_SAMPLE.Result!) as object), ...over });
  const approved = (over: Record<string, unknown>) => {
    const o = one(json({ ...DOC_SAMPLE, Estado: "5100", Result: result(over) })).outcome;
    if (o.status !== "completed") throw new Error("expected completed");
    expect(o.decision).toBe("approved");
    expect(o.humanDecision).toBe(true);
    return o;
  };

  it("a negative Resultado: the operator's approval stands and the failure is reported with its vendorCode", () => {
    const o = approved({ Resultado: -3, AnversoReversoCoinciden: "No" });
    expect(o.reasons).toEqual([
      {
        code: "document_sides_mismatch",
        category: "document",
        vendor: "verificaridentidad",
        vendorCode: "-3",
        message: "The Front and Back of the document do not seem to match",
      },
    ]);
    expect(o.checks.document?.outcome).toBe("fail");
  });

  it("failed flags with a passing similarity: each reported", () => {
    const r = JSON.parse(DOC_SAMPLE.Result!) as { DNI: object };
    const o = approved({ DNISolicitadoCoincide: "No", DNI: { ...r.DNI, Caducado: "Si" }, PruebaDeVida: "No" });
    expect(o.reasons.map((x) => [x.code, x.vendorCode])).toEqual([
      ["document_number_mismatch", "DNISolicitadoCoincide=No"],
      ["liveness_failed", "PruebaDeVida=No"],
      ["document_expired", "Caducado=Si"],
    ]);
    expect(o.checks.document?.outcome).toBe("fail");
    expect(o.checks.liveness?.outcome).toBe("fail");
  });

  it("-1 (similarity to be validated by an operator): the operator did, so only the low similarity is reported", () => {
    const o = approved({ Resultado: -1, ParecidoPersonaDNI: 72 });
    expect(o.reasons.map((x) => [x.code, x.vendorCode])).toEqual([["face_similarity_low", "-1"]]);
    expect(o.checks.faceMatch).toEqual({ outcome: "inconclusive", similarity: 0.72, threshold: 0.8 });
  });

  it("an unknown negative Resultado is never dropped: the review category's generic code with its vendorCode", () => {
    expect(approved({ Resultado: -12 }).reasons).toEqual([expect.objectContaining({ code: "manual_review_required", vendorCode: "-12" })]);
  });
});

describe("5500 reasons", () => {
  it("an unknown negative Resultado takes the rejection's code and keeps its own vendorCode", () => {
    const o = one(json({ ID: "9", Estado: "5500", Result: '{"Resultado":-12}' })).outcome;
    expect(o).toMatchObject({ decision: "declined", reasons: [{ code: "document_suspicious", vendorCode: "-12", message: "Unknown result code" }] });
    expect((o as { reasons: unknown[] }).reasons).toHaveLength(1);
  });

  it("-1 with a similarity of exactly 80: the low similarity explains the decline, no review code", () => {
    const o = one(json({ ID: "9", Estado: "5500", Result: '{"Resultado":80}' })).outcome;
    expect((o as { reasons: { code: string; vendorCode: string }[] }).reasons.map((r) => [r.code, r.vendorCode])).toEqual([["face_similarity_low", "80"]]);
  });
});

describe("the webhook's payload", () => {
  it.each([
    ["JSON (the doc's sample)", () => request(DOC_SAMPLE_TEXT, "application/json"), () => JSON.parse(DOC_SAMPLE_TEXT) as unknown],
    ["a one-element JSON array", () => request(`[${DOC_SAMPLE_TEXT}]`, "application/json"), () => JSON.parse(DOC_SAMPLE_TEXT) as unknown],
    ["urlencoded form, lower-case names", () => form(renamed((k) => k.toLowerCase())), () => renamed((k) => k.toLowerCase())],
    ["multipart, upper-case names", () => multipart(renamed((k) => k.toUpperCase())), () => renamed((k) => k.toUpperCase())],
  ])("is the decoded body of %s, as the parse read it", (_label, req, expected) => {
    const r = req();
    const e = one(r);
    expect(e.payload).toEqual(expected());
    expect(e.payload).toEqual(decodeBody(r));
  });

  it("is kept for every Estado, with or without Result", () => {
    expect(one(json({ ID: "9", Estado: 3000 })).payload).toEqual({ ID: "9", Estado: 3000 });
    expect(one(json({ ID: "9", Estado: "5100", Result: "{broken" })).payload).toEqual({ ID: "9", Estado: "5100", Result: "{broken" });
  });
});

describe("session signals and the document numbers of each side (issue 10)", () => {
  const result = (over: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(DOC_SAMPLE.Result!), ...over });

  it("Acceso, Posicion and Dispositivo that are not JSON or off the globe give no signal; FechaEnvio still does", () => {
    const e = one(
      json({
        ID: "1",
        Estado: "3000",
        FechaEnvio: "2021-10-10 10:10",
        Acceso: "{broken",
        Posicion: '{"Coordenadas":{"Latitud":"91","Longitud":"0"}}',
        Dispositivo: "x",
      }),
    );
    expect(e.outcome).toMatchObject({ checks: { session: { access: { requestSentAt: "2021-10-10 10:10" } } } });
    if (e.outcome.status !== "awaiting_user") throw new Error("expected awaiting_user");
    expect(e.outcome.checks?.session).toEqual({ access: { requestSentAt: "2021-10-10 10:10" } });
    expect(one(json({ ID: "1", Estado: "3000" })).outcome).not.toHaveProperty("checks");
  });

  it("reads the nested members in any case and comma decimals", () => {
    const e = one(
      json({
        ID: "1",
        Estado: "3001",
        acceso: { fecha: "2021-09-04 19:37:21", ip: "85.10.20.221", puerto: 11892 },
        posicion: { coordenadas: { latitud: "4,4577993", longitud: -1.6592592 } },
        dispositivo: { BROWSER: "Chrome 92", sysop: "Android 11" },
      }),
    );
    if (e.outcome.status !== "awaiting_user") throw new Error("expected awaiting_user");
    expect(e.outcome.checks?.session).toEqual({
      access: { date: "2021-09-04 19:37:21", ip: "85.10.20.221", port: 11892 },
      position: { latitude: 4.4577993, longitude: -1.6592592 },
      device: { browser: "Chrome 92", operatingSystem: "Android 11" },
    });
  });

  it("the number detected on the front (else the back) is the document number when DNI names none", () => {
    const dni = { ...JSON.parse(DOC_SAMPLE.Result!).DNI, DNI: "" };
    const e = one(json({ ...DOC_SAMPLE, Result: result({ DNI: dni, DNIAnverso: "00000001R", DNIReverso: "00000002W" }) }));
    expect(e.outcome).toMatchObject({ checks: { document: { fields: { documentNumber: "00000001R" } } } });
    const back = one(json({ ...DOC_SAMPLE, DNIAnverso: "", Result: result({ DNI: dni, DNIAnverso: "", DNIReverso: "00000002W" }) }));
    expect(back.outcome).toMatchObject({ checks: { document: { fields: { documentNumber: "00000002W" } } } });
    // a Result without a DNI block: the webhook's own DNIAnverso ("If it is already available at the time of this request")
    const bare = one(json({ ID: "1", Estado: "5001", DNIAnverso: "00000000T", Result: JSON.stringify({ Resultado: 93.95, PruebaDeVida: "Si" }) }));
    expect(bare.outcome).toMatchObject({ checks: { document: { outcome: "not_performed", fields: { documentNumber: "00000000T" } } } });
  });

  it("an image sent where a number is expected never goes into the checks", () => {
    const image = `data:image/jpeg;base64,${Buffer.alloc(300, 7).toString("base64")}`;
    const blob = Buffer.alloc(300, 9).toString("base64");
    const dni = { ...JSON.parse(DOC_SAMPLE.Result!).DNI, DNI: "" };
    const e = one(json({ ...DOC_SAMPLE, DNIAnverso: image, DNIReverso: blob, Result: result({ DNI: dni, DNIAnverso: image, DNIReverso: blob }) }));
    expect(e.outcome).toMatchObject({ checks: { document: { fields: { documentNumber: null } } } });
    const checks = JSON.stringify("checks" in e.outcome ? e.outcome.checks : null);
    expect(checks).not.toContain("base64");
    expect(checks).not.toContain(blob.slice(0, 40));
  });

  it("Edad and NumeroSerie have no document field: they stay in the webhook's payload, not in the checks", () => {
    const e = one(request(DOC_SAMPLE_TEXT, "application/json"));
    const checks = JSON.stringify("checks" in e.outcome ? e.outcome.checks : null);
    expect(checks).not.toContain("BGT78666");
    expect(JSON.stringify(e.payload)).toContain("BGT78666");
    expect(JSON.stringify(e.payload)).toContain('\\"Edad\\":66');
  });
});

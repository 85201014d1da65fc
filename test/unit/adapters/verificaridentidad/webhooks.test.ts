import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import FormData from "form-data";
import { verificaridentidadAdapter } from "../../../../src/adapters/verificaridentidad/index.js";
import { decodeBody, parseMultipartFields } from "../../../../src/adapters/verificaridentidad/webhooks.js";
import type { Outcome, ParsedWebhook, RawWebhookRequest } from "../../../../src/adapters/types.js";
import { isVendorError } from "../../../../src/core/errors.js";
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

const DOC_5001_CHECKS = {
  document: {
    outcome: "pass",
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
};

function expectDoc5001(e: ReturnType<typeof one>) {
  expect(e.vendorReference).toBe("299846332");
  expect(e.vendorStatus).toBe("5001");
  expect(e.dedupeKey).toBe("299846332:5001");
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
    ["a Result that is not JSON", json({ ID: "1", Estado: "5001", Result: "{Resultado: 9" })],
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

  it("another service's report is not an identity verification event", () => {
    expect(parse(json({ Servicio: "FIRMA_CONTRATO", ID: "1", Estado: "3000" }))).toEqual([]);
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
    expect(e.outcome).toEqual({ status: "awaiting_user", nextAction: { type: "sms_sent", phone: "+346*****000" }, vendorReference: "299846332", step });
    expect(e.dedupeKey).toBe(`299846332:${estado}`);
  });

  it("5000 -> processing without checks (Result is not read yet)", () => {
    expect(one(withEstado("5000")).outcome).toEqual({ status: "processing", vendorReference: "299846332", step: "in_process" });
  });

  it("5100 -> completed approved with the certificate follow-up", () => {
    const o = one(withEstado("5100")).outcome;
    expect(o).toEqual({ status: "completed", decision: "approved", reasons: [], checks: DOC_5001_CHECKS, vendorReference: "299846332", followUps: ["certificate"] });
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
    expect(o).toMatchObject({ status: "completed", decision: "declined", reasons: [expect.objectContaining({ code: "underage", category: "data", vendorCode: "-2" })] });
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
    });
  });

  it("5500 with a passing Result is the operator's own rejection", () => {
    const o = one(withEstado("5500")).outcome;
    expect(o).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "manual_review_required", vendorCode: "5500", message: "Rejected by the vendor's operator" }],
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
    expect(e.outcome).toEqual({ status: "processing", vendorReference: "299846332", step: "unknown_5200" });
    expect(e.vendorStatus).toBe("5200");
    expect(e.dedupeKey).toBe("299846332:5200");
  });

  it("a repeated delivery has the same dedupe key whatever its encoding", () => {
    const keys = [one(request(DOC_SAMPLE_TEXT, "application/json")), one(form(DOC_SAMPLE)), one(multipart(DOC_SAMPLE))].map((e) => e.dedupeKey);
    expect(new Set(keys)).toEqual(new Set(["299846332:5001"]));
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

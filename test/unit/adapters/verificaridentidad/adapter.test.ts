// The adapter against recorded VerificarIdentidad answers (nock).
import { describe, it, expect, beforeEach, afterEach, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import nock from "nock";
import { MIN_HEALTH_INTERVAL_MS, validateRequest, verificaridentidadAdapter as adapter } from "../../../../src/adapters/verificaridentidad/index.js";
import { buildSendBody, maskPhone, parseSmsPhone, toSpainLocalTime } from "../../../../src/adapters/verificaridentidad/client.js";
import type { AdapterAccount, VerificationInputData } from "../../../../src/adapters/types.js";
import { type VendorError, isVendorError } from "../../../../src/domain/errors.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const BASE = "https://vi.vendor.test";
const CREDS = { apiUser: "miusuario", apiToken: "tok-123", webhookUser: "hook", webhookPassword: "hookpw" };
const AUTH = `Basic ${Buffer.from("miusuario:tok-123").toString("base64")}`;
const docSendRequest = JSON.parse(
  readFileSync(new URL("../../../../src/adapters/verificaridentidad/fixtures/send-request.json", import.meta.url), "utf8"),
) as Record<string, string>;

function account(settings: Record<string, unknown> = {}): AdapterAccount {
  return makeAccount("verificaridentidad", { baseUrl: BASE, credentials: CREDS, settings });
}

const INPUT: VerificationInputData = {
  subject: { phone: "+34600000001", documentNumber: "00000000T" },
  hosted: { smsMessage: "We need to verify your identity. Click the following link to begin the process: [LINK]", smsSender: "MiEmpresa" },
};

async function caught(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}

beforeEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("phone numbers", () => {
  it.each([
    ["+34600000001", "34600000001", "+346*****001"],
    ["+34 600 00 00 01", "34600000001", "+346*****001"],
    ["600000001", "34600000001", "+346*****001"],
    ["0034600000001", "34600000001", "+346*****001"],
    ["+447911123456", "447911123456", "+447******456"],
  ])("%s -> Telefono %s, masked %s", (input, digits, masked) => {
    expect(parseSmsPhone(input, "ES")).toEqual({ digits, masked });
  });

  it.each([["+3460000"], ["not a phone"], [""], ["+34911234567" /* a Madrid landline cannot get an SMS */]])("%s is refused", (input) => {
    expect(parseSmsPhone(input, "ES")).toBeNull();
  });

  it("masks short national numbers too", () => {
    expect(maskPhone("354", "6111234")).toBe("+3546***234");
    expect(maskPhone("1", "12345")).toBe("+11**45");
  });
});

describe("Fecha in Spain local time (CET/CEST)", () => {
  it.each([
    ["summer (CEST, UTC+2)", "2022-05-01T13:10:00Z", "2022-05-01 15:10"],
    ["winter (CET, UTC+1)", "2022-01-15T14:10:00Z", "2022-01-15 15:10"],
    ["across midnight", "2022-12-31T23:30:00Z", "2023-01-01 00:30"],
    ["DST change day", "2022-03-27T01:30:00Z", "2022-03-27 03:30"],
  ])("%s: %s -> %s", (_label, iso, expected) => {
    expect(toSpainLocalTime(new Date(iso))).toBe(expected);
  });

  it("builds the doc's request sample from the same values", () => {
    expect(
      buildSendBody({ telefono: "34600000001", mensaje: "MiEmpresa", remitente: "MiEmpresa", dni: "00000000T", sendAt: new Date("2022-05-01T13:10:00Z") }),
    ).toEqual(docSendRequest);
  });
});

describe("validateRequest", () => {
  const problems = (input: VerificationInputData, settings: Record<string, unknown> = {}) =>
    adapter.validateRequest!(input, ["document", "liveness", "face_match"], account(settings));

  it("accepts the design's sample hosted request", () => {
    expect(problems({ subject: { phone: "+34600000001" }, hosted: { smsMessage: "Verify: [LINK]", smsSender: "MiEmpresa" } })).toEqual([]);
  });

  it.each([
    ["no phone", { hosted: { smsMessage: "[LINK]" } }, "subject.phone"],
    ["an invalid phone", { subject: { phone: "+34 12" }, hosted: { smsMessage: "[LINK]" } }, "subject.phone"],
    ["a landline", { subject: { phone: "+34911234567" }, hosted: { smsMessage: "[LINK]" } }, "subject.phone"],
    ["no message", { subject: { phone: "+34600000001" } }, "hosted.smsMessage"],
    ["a message without [LINK]", { subject: { phone: "+34600000001" }, hosted: { smsMessage: "Verify: {LINK}" } }, "hosted.smsMessage"],
    ["a 12-character sender", { subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", smsSender: "MiEmpresaSA1" } }, "hosted.smsSender"],
    ["an empty sender", { subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", smsSender: " " } }, "hosted.smsSender"],
  ] as [string, VerificationInputData, string][])("%s -> 400 at %s", (_label, input, path) => {
    const p = problems(input);
    expect(p).toEqual([expect.objectContaining({ path, status: 400 })]);
    if (input.subject?.phone) expect(JSON.stringify(p)).not.toContain(input.subject.phone);
  });

  it("a hosted.sendAt in the past is refused with 400 naming the field; one in the future is the doc's scheduled Fecha (issue 10)", () => {
    // "Fecha: Date on which the sending of the identity verification request is scheduled. By default "" which means send immediately."
    const at = (sendAt: string) =>
      validateRequest(
        { subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", sendAt } },
        ["document"],
        account(),
        new Date("2022-05-01T13:00:00Z"),
      );
    // the doc's example "2022-05-01 15:10" (Madrid, CEST) is 13:10 UTC: ten minutes ahead
    expect(at("2022-05-01T13:10:00Z")).toEqual([]);
    expect(at("2022-05-01T15:10:00+02:00")).toEqual([]);
    for (const past of ["2022-05-01T12:59:00Z", "2022-05-01T13:00:00Z", "2021-10-10T10:10:00+02:00"]) {
      expect(at(past)).toEqual([{ path: "hosted.sendAt", status: 400, message: "is in the past: omit it to send the SMS now" }]);
    }
    // without a clock of its own it is checked against now
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(problems({ subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", sendAt: yesterday } })).toEqual([
      expect.objectContaining({ path: "hosted.sendAt", status: 400 }),
    ]);
  });

  it("an 11-character sender is fine; the account's default message and sender are used when the request has none", () => {
    expect(problems({ subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]", smsSender: "MiEmpresaSA" } })).toEqual([]);
    expect(problems({ subject: { phone: "+34600000001" } }, { defaultMessage: "Verifique: [LINK]", defaultSender: "Acme" })).toEqual([]);
  });

  it("account settings refuse a default sender over 11 characters and a default message without [LINK]", () => {
    expect(() => adapter.settings.parse({ defaultSender: "TwelveChars!" })).toThrow();
    expect(() => adapter.settings.parse({ defaultMessage: "no link" })).toThrow();
    expect(adapter.settings.parse({})).toEqual({ lowCreditsThreshold: 50, linkTtlHours: 72, defaultPhoneCountry: "ES" });
  });

  it("keeps the core's settings (concurrency, timeoutMs, maxRetries, linkTtlHours): never stripped on write", () => {
    const core = { concurrency: 2, timeoutMs: 15000, maxRetries: 0, linkTtlHours: 24 };
    expect(adapter.settings.parse(core)).toEqual({ ...core, lowCreditsThreshold: 50, defaultPhoneCountry: "ES" });
    for (const bad of [{ concurrency: 1.5 }, { timeoutMs: 0 }, { maxRetries: 99 }]) expect(() => adapter.settings.parse(bad)).toThrow();
  });
});

describe("credentials", () => {
  it("requires the four documented keys and marks the secrets", () => {
    expect(adapter.credentials.parse(CREDS)).toEqual(CREDS);
    expect(() => adapter.credentials.parse({ apiUser: "u", apiToken: "t" })).toThrow();
    expect(adapter.credentials.secretKeys).toEqual(["apiToken", "webhookPassword"]);
  });
});

describe("start: POST /VerificarIdentidad", () => {
  it("sends the JSON body with Basic auth and answers awaiting_user with the masked phone", async () => {
    let seen: unknown;
    nock(BASE)
      .post("/VerificarIdentidad", (body) => {
        seen = body;
        return true;
      })
      .matchHeader("authorization", AUTH)
      .matchHeader("content-type", /application\/json/)
      .reply(200, [{ Res: 1, ID: "299846332", Cred: 120 }]);
    const acc = account();
    const h = makeHarness(acc);
    const outcome = await adapter.start(makeVerification(INPUT, ["document", "liveness", "face_match"]), acc, h.ctx);
    expect(seen).toEqual({
      Telefono: "34600000001",
      Mensaje: "We need to verify your identity. Click the following link to begin the process: [LINK]",
      Remitente: "MiEmpresa",
      Dni: "00000000T",
      Resp: "JSON",
    });
    const now = h.ctx.now().getTime();
    expect(outcome).toEqual({
      status: "awaiting_user",
      nextAction: { type: "sms_sent", phone: "+346*****001" },
      vendorReference: "299846332",
      expiresAt: expect.any(Date),
    });
    // the doc gives the link no life: the account's linkTtlHours (72 by default) bounds the wait
    const expiresAt = (outcome as { expiresAt: Date }).expiresAt.getTime();
    expect(Math.abs(expiresAt - now - 72 * 3_600_000)).toBeLessThan(5_000);
    expect(h.credits).toEqual([120]);
    expect(h.accountEvents).toEqual([]);
    expect(h.payloads).toEqual([
      { kind: "send", body: { Res: 1, ID: "299846332", Cred: 120 } },
      // what renormalize needs to give the same outcome again: the masked phone and the link's expiry
      { kind: "sms_link", body: { vendorReference: "299846332", phone: "+346*****001", expiresAt: new Date(expiresAt).toISOString() } },
    ]);
    expect(h.calls).toHaveLength(1);
  });

  it("sends a scheduled SMS's hosted.sendAt as Fecha in Spain local time", async () => {
    let seen: Record<string, unknown> = {};
    nock(BASE)
      .post("/VerificarIdentidad", (body) => {
        seen = body;
        return true;
      })
      .reply(200, [{ Res: 1, ID: "299846333", Cred: 119 }]);
    const acc = account();
    // the worker starts it on 30 April 2022, before the scheduled time
    const h = makeHarness(acc, null, {}, () => new Date("2022-04-30T09:00:00Z"));
    // 13:10 UTC on 1 May 2022 is 15:10 in Madrid (CEST): the doc's own example "2022-05-01 15:10"
    await adapter.start(makeVerification({ ...INPUT, hosted: { ...INPUT.hosted, sendAt: "2022-05-01T13:10:00Z" } }, ["document"]), acc, h.ctx);
    expect(seen.Fecha).toBe("2022-05-01 15:10");
  });

  it("a sendAt that went by while the start waited for a worker is sent now: no Fecha", async () => {
    let seen: Record<string, unknown> = {};
    nock(BASE)
      .post("/VerificarIdentidad", (body) => {
        seen = body;
        return true;
      })
      .reply(200, [{ Res: 1, ID: "299846334", Cred: 118 }]);
    const acc = account();
    const h = makeHarness(acc, null, {}, () => new Date("2022-05-01T13:11:00Z"));
    const out = await adapter.start(makeVerification({ ...INPUT, hosted: { ...INPUT.hosted, sendAt: "2022-05-01T13:10:00Z" } }, ["document"]), acc, h.ctx);
    expect(out.status).toBe("awaiting_user");
    expect(seen).not.toHaveProperty("Fecha");
  });

  it("uses the account's default sender, omits Dni when there is none, and reads a bare-object answer with a numeric ID", async () => {
    let seen: Record<string, unknown> = {};
    nock(BASE)
      .post("/VerificarIdentidad", (body) => {
        seen = body as Record<string, unknown>;
        return true;
      })
      .reply(200, { res: "1", id: 1283876988, cred: "77" });
    const acc = account({ defaultSender: "Acme" });
    const h = makeHarness(acc);
    const outcome = await adapter.start(makeVerification({ subject: { phone: "600000001" }, hosted: { smsMessage: "[LINK]" } }, ["liveness"]), acc, h.ctx);
    expect(seen).toEqual({ Telefono: "34600000001", Mensaje: "[LINK]", Remitente: "Acme", Resp: "JSON" });
    expect(outcome).toMatchObject({ vendorReference: "1283876988" });
    expect(h.credits).toEqual([77]);
  });

  it("records credits and a low_credits account event under the threshold", async () => {
    nock(BASE)
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: 1, ID: "1", Cred: 12 }]);
    const acc = account({ lowCreditsThreshold: 20 });
    const h = makeHarness(acc, null, {}, () => new Date("2024-03-05T10:00:00Z"));
    await adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx);
    expect(h.credits).toEqual([12]);
    expect(h.accountEvents).toEqual([{ type: "low_credits", externalId: "low_credits:2024-03-05:12", payload: { credits: 12, threshold: 20 } }]);
  });

  it("the default threshold is 50", async () => {
    nock(BASE)
      .post("/VerificarIdentidad")
      .times(2)
      .reply(200, [{ Res: 1, ID: "1", Cred: 50 }])
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: 1, ID: "2", Cred: 49 }]);
    const acc = account();
    const h = makeHarness(acc);
    await adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx);
    expect(h.accountEvents).toEqual([]);
    await adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx);
    await adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx);
    expect(h.accountEvents.map((e) => e.type)).toEqual(["low_credits"]);
  });

  it("Res -2 is an out_of_credits VendorError, not retryable, after recording the balance", async () => {
    nock(BASE)
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: -2, Cred: 0 }]);
    const acc = account();
    const h = makeHarness(acc);
    const err = await caught(adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx));
    expect(err.kind).toBe("out_of_credits");
    expect(err.retryable).toBe(false);
    expect(err.toReason()).toMatchObject({ code: "vendor_out_of_credits", category: "technical", vendorCode: "-2" });
    expect(h.credits).toEqual([0]);
    expect(h.accountEvents).toHaveLength(1);
  });

  it.each([
    [-1, "auth", "vendor_auth_failed"],
    [-3, "rejected", "vendor_rejected_request"],
    [-4, "feature_disabled", "vendor_feature_disabled"],
    [-5, "rejected", "vendor_error"],
    [-6, "rejected", "vendor_error"],
    [-7, "rejected", "vendor_error"],
  ] as const)("Res %i -> %s / %s, and the vendor's Error text is not repeated", async (res, kind, code) => {
    nock(BASE)
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: res, Error: "Telefono 34600000001 no válido" }]);
    const acc = account();
    const err = await caught(adapter.start(makeVerification(INPUT, ["liveness"]), acc, makeHarness(acc).ctx));
    expect(err.kind).toBe(kind);
    expect(err.toReason().code).toBe(code);
    expect(err.message).not.toContain("34600000001");
  });

  it("never sends the SMS twice: a 503 is one call and a non-retryable error", async () => {
    nock(BASE).post("/VerificarIdentidad").reply(503, "busy");
    const acc = account();
    const h = makeHarness(acc);
    const err = await caught(adapter.start(makeVerification(INPUT, ["liveness"]), acc, h.ctx));
    expect(h.calls).toHaveLength(1);
    expect(err.kind).toBe("unavailable");
    expect(err.retryable).toBe(false);
  });

  it("HTTP 401 is an auth error", async () => {
    nock(BASE).post("/VerificarIdentidad").reply(401, "Unauthorized");
    const acc = account();
    const err = await caught(adapter.start(makeVerification(INPUT, ["liveness"]), acc, makeHarness(acc).ctx));
    expect(err.kind).toBe("auth");
  });

  it.each([
    ["not JSON", "<html>oops</html>"],
    ["no Res", JSON.stringify([{ ID: "1" }])],
    ["an empty array", "[]"],
    ["Res 1 without an ID", JSON.stringify([{ Res: 1, Cred: 5 }])],
  ])("an answer with %s is a parse VendorError (vendor_error), not retryable", async (_label, body) => {
    nock(BASE).post("/VerificarIdentidad").reply(200, body, { "content-type": "application/json" });
    const acc = account();
    const err = await caught(adapter.start(makeVerification(INPUT, ["liveness"]), acc, makeHarness(acc).ctx));
    expect(err.kind).toBe("parse");
    expect(err.retryable).toBe(false);
    expect(err.toReason().code).toBe("vendor_error");
  });

  it("trailing slashes of the base URL are not doubled", async () => {
    nock(BASE)
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: 1, ID: "3", Cred: 100 }]);
    const acc = makeAccount("verificaridentidad", { baseUrl: `${BASE}/`, credentials: CREDS });
    await expect(adapter.start(makeVerification(INPUT, ["liveness"]), acc, makeHarness(acc).ctx)).resolves.toMatchObject({ vendorReference: "3" });
  });
});

describe("runFollowUp certificate: POST /GetCertificadoIdentidad", () => {
  const PDF = Buffer.from("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");
  const v = () => makeVerification(INPUT, ["liveness"], { vendorReference: "1283876988" });

  it("sends the doc's request and saves the PDF bytes", async () => {
    let seen: unknown;
    nock(BASE)
      .post("/GetCertificadoIdentidad", (b) => {
        seen = b;
        return true;
      })
      .matchHeader("authorization", AUTH)
      .reply(200, PDF, { "content-type": "application/pdf" });
    const acc = account();
    const h = makeHarness(acc);
    await adapter.runFollowUp!("certificate", v(), acc, h.ctx);
    const docRequest = JSON.parse(
      readFileSync(new URL("../../../../src/adapters/verificaridentidad/fixtures/certificate-request.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(seen).toEqual(docRequest);
    expect(h.artifacts).toHaveLength(1);
    expect(h.artifacts[0]!.kind).toBe("certificate");
    expect(h.artifacts[0]!.contentType).toBe("application/pdf");
    expect(h.artifacts[0]!.data.equals(PDF)).toBe(true);
    expect(h.payloads).toEqual([{ kind: "certificate", body: { contentType: "application/pdf", bytes: PDF.length } }]);
  });

  it.each([
    ["a Res error", 200, JSON.stringify([{ Res: -3, Error: "Unknown Id" }])],
    ["a Res -1", 200, JSON.stringify([{ Res: -1 }])],
    ["bytes that are not a PDF", 200, "<html>not yet</html>"],
    ["a 404", 404, "not found"],
    ["a 401", 401, "no"],
  ])("%s -> a retryable VendorError and no artifact", async (_label, status, body) => {
    nock(BASE).post("/GetCertificadoIdentidad").reply(status, body);
    const acc = account();
    const h = makeHarness(acc);
    const err = await caught(adapter.runFollowUp!("certificate", v(), acc, h.ctx));
    expect(err.retryable).toBe(true);
    expect(h.artifacts).toEqual([]);
  });

  it("a 500 is retried by the vendor-call path, then saved", async () => {
    nock(BASE).post("/GetCertificadoIdentidad").reply(500, "x").post("/GetCertificadoIdentidad").reply(200, PDF);
    const acc = account();
    const h = makeHarness(acc);
    await adapter.runFollowUp!("certificate", v(), acc, h.ctx);
    expect(h.calls.map((c) => c.httpStatus)).toEqual([500, 200]);
    expect(h.artifacts).toHaveLength(1);
  });

  it("without a vendor reference there is nothing to fetch", async () => {
    const acc = account();
    const err = await caught(adapter.runFollowUp!("certificate", makeVerification(INPUT, ["liveness"]), acc, makeHarness(acc).ctx));
    expect(err.retryable).toBe(false);
  });
});

describe("health: POST /GetCreditos", () => {
  it("records the credits, and calls the vendor at most every MIN_HEALTH_INTERVAL_MS", async () => {
    expect(MIN_HEALTH_INTERVAL_MS).toBe(15 * 60_000);
    let now = new Date("2024-01-01T10:00:00Z");
    let seen: unknown;
    nock(BASE)
      .post("/GetCreditos", (b) => {
        seen = b;
        return true;
      })
      .matchHeader("authorization", AUTH)
      .reply(200, [{ Res: 1, Cred: 321.5 }])
      .post("/GetCreditos")
      .reply(200, [{ Res: 1, Cred: 30 }]);
    const acc = account();
    const h = makeHarness(acc, null, {}, () => now);
    expect(await adapter.health!(acc, h.ctx)).toEqual({ ok: true, detail: "321.5 credits left", credits: 321.5 });
    expect(seen).toEqual({ Resp: "JSON" });
    now = new Date(now.getTime() + MIN_HEALTH_INTERVAL_MS - 1000);
    const cached = await adapter.health!(acc, h.ctx);
    expect(cached).toMatchObject({ ok: true, credits: 321.5 });
    expect(cached.detail).toContain("cached");
    expect(h.calls).toHaveLength(1);
    now = new Date(now.getTime() + 2000);
    expect(await adapter.health!(acc, h.ctx)).toMatchObject({ ok: true, credits: 30 });
    expect(h.credits).toEqual([321.5, 30]);
    expect(h.accountEvents.map((e) => e.externalId)).toEqual(["low_credits:2024-01-01:30"]);
  });

  it("an authentication error is not ok and is not repeated within the interval", async () => {
    nock(BASE)
      .post("/GetCreditos")
      .reply(200, [{ Res: -1 }]);
    const acc = account();
    const h = makeHarness(acc);
    const first = await adapter.health!(acc, h.ctx);
    expect(first).toMatchObject({ ok: false, credits: null });
    expect(first.detail).toContain("Authentication error");
    expect((await adapter.health!(acc, h.ctx)).ok).toBe(false);
    expect(h.calls).toHaveLength(1);
  });
});

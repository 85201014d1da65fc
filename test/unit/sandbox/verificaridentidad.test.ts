// The VerificarIdentidad adapter against its sandbox simulator on an ephemeral port, with the
// simulator's webhooks received by a small express server standing in for the gateway.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { FaultInjector } from "../../../src/sandbox/faults.js";
import { MAGIC_INPUTS, createVerificaridentidadSimulator, fromSpainTime } from "../../../src/sandbox/verificaridentidad/simulator.js";
import { verificaridentidadAdapter as adapter } from "../../../src/adapters/verificaridentidad/index.js";
import type { AdapterAccount, Outcome, RawWebhookRequest } from "../../../src/adapters/types.js";
import { isVendorError, type VendorError } from "../../../src/domain/errors.js";
import { makeAccount, makeHarness, makeVerification } from "../../support/adapter-harness.js";

const faults = new FaultInjector(2_000);
let sim: Server;
let hooks: Server;
let simBase = "";
let hookBase = "";
const received = new Map<string, RawWebhookRequest[]>();

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
}
const base = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  const simApp = express();
  simApp.use(faults.controlRouter());
  simApp.use("/verificaridentidad", createVerificaridentidadSimulator({ faults, log: pino({ level: "silent" }) }));
  sim = await listen(simApp);
  simBase = `${base(sim)}/verificaridentidad`;

  const hookApp = express();
  hookApp.post("/hooks/:user", express.raw({ type: () => true, limit: "5mb" }), (req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
    const user = String(req.params.user);
    const list = received.get(user) ?? [];
    list.push({ method: req.method, headers, query: {}, rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), receivedAt: new Date() });
    received.set(user, list);
    res.status(200).send("OK");
  });
  hooks = await listen(hookApp);
  hookBase = base(hooks);
});

afterAll(async () => {
  await new Promise((r) => sim.close(r));
  await new Promise((r) => hooks.close(r));
});

async function control(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${simBase}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

let seq = 0;
interface Ctx {
  apiUser: string;
  account: AdapterAccount;
  hooks: () => RawWebhookRequest[];
}

/** a fresh sandbox apiUser (own credits, own webhook configuration) whose webhooks reach the test server */
async function setup(format: "json" | "form" | "multipart" = "json", password = "gw-secret"): Promise<Ctx> {
  seq += 1;
  const apiUser = `sandbox-t${seq}`;
  const cfg = await control("/_control/webhook-config", { apiUser, url: `${hookBase}/hooks/${apiUser}`, user: "gw", password, format, stepDelayMs: 5 });
  expect(cfg.status).toBe(201);
  const account = makeAccount("verificaridentidad", {
    baseUrl: simBase,
    credentials: { apiUser, apiToken: `${apiUser}-token`, webhookUser: "gw", webhookPassword: "gw-secret" },
  });
  return { apiUser, account, hooks: () => received.get(apiUser) ?? [] };
}

async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const input = (phone: string, dni?: string) => ({
  subject: { phone, ...(dni ? { documentNumber: dni } : {}) },
  hosted: { smsMessage: "Verifique su identidad: [LINK]", smsSender: "MiEmpresa" },
});

async function startOk(c: Ctx, phone: string, dni?: string) {
  const v = makeVerification(input(phone, dni), ["document", "liveness", "face_match"]);
  const h = makeHarness(c.account);
  const outcome = await adapter.start(v, c.account, h.ctx);
  return { v, h, outcome };
}

async function startErr(c: Ctx, phone: string): Promise<VendorError> {
  try {
    await startOk(c, phone);
  } catch (e) {
    if (isVendorError(e)) return e;
    throw e;
  }
  throw new Error("expected a VendorError");
}

function events(c: Ctx) {
  return c.hooks().map((r) => {
    expect(adapter.authenticateWebhook!(r, c.account)).toBe(true);
    const [e] = adapter.parseWebhook!(r, c.account);
    if (e?.type !== "verification") throw new Error("expected a verification event");
    return e;
  });
}

const completedOf = (o: Outcome) => {
  if (o.status !== "completed") throw new Error(`expected completed, got ${o.status}`);
  return o;
};

describe("magic inputs", () => {
  it("lists every magic phone in MAGIC_INPUTS", () => {
    const text = JSON.stringify(MAGIC_INPUTS);
    for (let i = 1; i <= 19; i++) expect(text).toContain(`346000000${String(i).padStart(2, "0")}`);
  });

  it("+34600000001: SMS sent, the whole Estado sequence, approved, then the certificate PDF", async () => {
    const c = await setup();
    const { v, outcome, h } = await startOk(c, "+34600000001", "00000000T");
    expect(outcome).toEqual({
      status: "awaiting_user",
      nextAction: { type: "sms_sent", phone: "+346*****001" },
      vendorReference: expect.stringMatching(/^\d+$/),
      expiresAt: expect.any(Date),
    });
    expect(h.credits).toEqual([99]);
    await waitFor(() => c.hooks().length >= 7);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5100"]);
    expect(evs.map((e) => e.outcome.status)).toEqual([
      "awaiting_user",
      "awaiting_user",
      "awaiting_user",
      "awaiting_user",
      "processing",
      "processing",
      "completed",
    ]);
    expect(new Set(evs.map((e) => e.vendorReference))).toEqual(new Set([outcome.vendorReference]));
    expect(evs[5]!.outcome).toMatchObject({ status: "processing", checks: { faceMatch: { outcome: "pass", similarity: 0.9395784759521484 } }, reasons: [] });
    const final = completedOf(evs[6]!.outcome);
    expect(final.decision).toBe("approved");
    expect(final.followUps).toEqual(["certificate"]);
    expect(final.checks.document).toMatchObject({
      outcome: "pass",
      type: "id_card",
      country: "ES",
      fields: {
        firstName: "JUAN",
        lastName: "APARICIO LOPEZ",
        dateOfBirth: "1955-12-18",
        documentNumber: "00000000T",
        expiryDate: "2027-10-19",
        sex: "M",
        nationality: "ES",
      },
      security: { sidesMatch: true, requestedNumberMatch: true, notExpired: true },
    });

    const fh = makeHarness(c.account);
    await adapter.runFollowUp!("certificate", { ...v, vendorReference: outcome.vendorReference ?? null }, c.account, fh.ctx);
    expect(fh.artifacts).toHaveLength(1);
    expect(fh.artifacts[0]!.data.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(fh.artifacts[0]!.data.toString("latin1")).toContain("%%EOF");
  });

  it.each([
    ["+34600000002", -5, "document_expired", "document"],
    ["+34600000003", -6, "liveness_failed", "liveness"],
    ["+34600000004", -4, "different_person_in_session", "liveness"],
    ["+34600000005", -2, "underage", null],
    ["+34600000008", -9, "document_number_mismatch", "document"],
    ["+34600000010", -3, "document_sides_mismatch", "document"],
    ["+34600000011", -8, "face_mismatch", "faceMatch"],
  ] as const)("%s: 5500 with Resultado %i -> declined, %s", async (phone, resultado, code, check) => {
    const c = await setup();
    await startOk(c, phone);
    await waitFor(() => c.hooks().length >= 7);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5500"]);
    const final = completedOf(evs[6]!.outcome);
    expect(final.decision).toBe("declined");
    expect(final.reasons[0]).toMatchObject({ code, vendorCode: String(resultado), vendor: "verificaridentidad" });
    expect(final.reasons.map((r) => r.code)).toEqual([code]);
    if (check) expect(final.checks[check]?.outcome).toBe("fail");
    expect(final.followUps).toBeUndefined();
  });

  it("+34600000006: Res -2, an out_of_credits VendorError, no SMS and no webhooks", async () => {
    const c = await setup();
    const err = await startErr(c, "+34600000006");
    expect(err.kind).toBe("out_of_credits");
    expect(err.toReason()).toMatchObject({ code: "vendor_out_of_credits", vendorCode: "-2" });
    await sleep(100);
    expect(c.hooks()).toEqual([]);
  });

  it("+34600000007: 3000 and 3001, then nothing", async () => {
    const c = await setup();
    await startOk(c, "+34600000007");
    await waitFor(() => c.hooks().length >= 2);
    await sleep(150);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001"]);
    expect(evs[1]!.outcome).toMatchObject({ status: "awaiting_user", step: "verifying_person_liveness" });
  });

  it.each([
    // Resultado -1 with ParecidoPersonaDNI 65; a replayed 5100 plays the operator's validation
    ["+34600000009", "-1", 0.65, 5100, "approved"],
    // Resultado exactly 80: ">80" passes, 80 does not; a replayed 5500 plays the operator's rejection
    ["+34600000018", "80", 0.8, 5500, "declined"],
  ] as const)("%s: stops at 5001 under operator review (Resultado %s); a replayed %i settles it", async (phone, vendorCode, similarity, estado, decision) => {
    const c = await setup();
    const { outcome } = await startOk(c, phone);
    await waitFor(() => c.hooks().length >= 6);
    await sleep(100);
    let evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001"]);
    expect(evs[5]!.outcome).toMatchObject({
      status: "processing",
      checks: { faceMatch: { outcome: "inconclusive", similarity, threshold: 0.8 } },
      reasons: [expect.objectContaining({ code: "face_similarity_low", vendorCode }), expect.objectContaining({ code: "manual_review_required", vendorCode })],
    });
    expect(await control("/_control/replay", { id: outcome.vendorReference, estado })).toMatchObject({ status: 200, json: { delivered: true, status: 200 } });
    evs = events(c);
    const final = completedOf(evs[6]!.outcome);
    expect(final.decision).toBe(decision);
    expect(final.humanDecision).toBe(true);
    // the operator settled the review: the low similarity stays, the review code does not
    expect(final.reasons).toEqual([expect.objectContaining({ code: "face_similarity_low", vendorCode })]);
  });

  it("+34600000012: the user stops after 3002; 5500 with Resultado -7 -> declined, user_abandoned", async () => {
    const c = await setup();
    await startOk(c, "+34600000012");
    await waitFor(() => c.hooks().length >= 4);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "5500"]);
    const final = completedOf(evs[3]!.outcome);
    expect(final.decision).toBe("declined");
    expect(final.reasons).toEqual([expect.objectContaining({ code: "user_abandoned", category: "user", vendorCode: "-7" })]);
  });

  it.each([
    ["+34600000013", "feature_disabled", "vendor_feature_disabled", "-4"],
    ["+34600000014", "rejected", "vendor_error", "-5"],
  ] as const)("%s: Res error -> %s / %s", async (phone, kind, code, vendorCode) => {
    const c = await setup();
    const err = await startErr(c, phone);
    expect(err.kind).toBe(kind);
    expect(err.toReason()).toMatchObject({ code, vendorCode });
  });

  /** the webhooks as the core stores them, then renormalize: the same final outcome, checks merged */
  const renormalized = (c: Ctx, v: ReturnType<typeof makeVerification>, vendorReference: string | null | undefined) =>
    adapter.renormalize!(
      events(c).map((e, i) => ({ kind: "webhook", body: JSON.parse(JSON.stringify(e.payload)) as unknown, receivedAt: new Date(i) })),
      { ...v, vendorReference: vendorReference ?? null },
    );

  it("+34600000015: 5100 without Result -> approved, humanDecision, no checks claimed; renormalize keeps 5001's", async () => {
    const c = await setup();
    const { v, outcome } = await startOk(c, "+34600000015");
    await waitFor(() => c.hooks().length >= 7);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5100"]);
    const interim = evs[5]!.outcome as Extract<Outcome, { status: "processing" }>;
    expect(interim.checks?.document?.outcome).toBe("pass");
    const final = completedOf(evs[6]!.outcome);
    expect(final).toMatchObject({ decision: "approved", humanDecision: true, reasons: [], checks: {}, followUps: ["certificate"] });
    expect(evs[6]!.detail).toMatchObject({ resultMissing: true });
    expect(renormalized(c, v, outcome.vendorReference)).toEqual({ ...final, checks: interim.checks });
  });

  it("+34600000016: 5500 with nothing attached -> declined document_suspicious, vendorCode 5500", async () => {
    const c = await setup();
    await startOk(c, "+34600000016");
    await waitFor(() => c.hooks().length >= 7);
    const evs = events(c);
    expect(evs.map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5500"]);
    const final = completedOf(evs[6]!.outcome);
    expect(final).toMatchObject({ decision: "declined", humanDecision: true, checks: {} });
    expect(final.reasons).toEqual([expect.objectContaining({ code: "document_suspicious", category: "document", vendorCode: "5500" })]);
    expect(evs[6]!.detail).toMatchObject({ resultMissing: true });
  });

  it("+34600000017: 5100 whose Result carries failures -> approved by the operator with the failure's reason", async () => {
    const c = await setup();
    const { v, outcome } = await startOk(c, "+34600000017");
    await waitFor(() => c.hooks().length >= 7);
    const evs = events(c);
    const final = completedOf(evs[6]!.outcome);
    expect(final).toMatchObject({ decision: "approved", humanDecision: true, followUps: ["certificate"] });
    expect(final.reasons).toEqual([expect.objectContaining({ code: "document_sides_mismatch", vendorCode: "-3" })]);
    expect(final.checks.document?.outcome).toBe("fail");
    expect(renormalized(c, v, outcome.vendorReference)).toEqual(final);
  });

  it("+34600000019: the vendor validates a document of another person than the design's sample subject", async () => {
    const c = await setup();
    await startOk(c, "+34600000019");
    await waitFor(() => c.hooks().length >= 7);
    const final = completedOf(events(c)[6]!.outcome);
    expect(final).toMatchObject({ decision: "approved", reasons: [] });
    expect(final.checks.document).toMatchObject({
      outcome: "pass",
      fields: { firstName: "RAFAEL", lastName: "APARICIO GARCIA", dateOfBirth: "1981-03-07", documentNumber: "00000001R", expiryDate: "2027-10-19" },
    });
    // with a requested Dni the number is the requested one (the vendor checks that itself)
    const d = await setup();
    await startOk(d, "+34600000019", "12345678Z");
    await waitFor(() => d.hooks().length >= 7);
    expect(completedOf(events(d)[6]!.outcome).checks.document?.fields).toMatchObject({ documentNumber: "12345678Z", firstName: "RAFAEL" });
  });

  it("any other valid number is a clean pass", async () => {
    const c = await setup();
    await startOk(c, "+34612345678");
    await waitFor(() => c.hooks().length >= 7);
    expect(completedOf(events(c)[6]!.outcome).decision).toBe("approved");
  });
});

describe("webhook formats", () => {
  it.each([
    ["json", /^application\/json/],
    ["form", /^application\/x-www-form-urlencoded/],
    ["multipart", /^multipart\/form-data; boundary=/],
  ] as const)("%s: the doc's shape with Basic auth, parsed to the same outcome", async (format, contentType) => {
    const c = await setup(format);
    await startOk(c, "+34600000002");
    await waitFor(() => c.hooks().length >= 7);
    const raws = c.hooks();
    expect(raws.every((r) => contentType.test(r.headers["content-type"] ?? ""))).toBe(true);
    expect(raws[0]!.headers.authorization).toBe(`Basic ${Buffer.from("gw:gw-secret").toString("base64")}`);
    const text = raws[5]!.rawBody.toString("utf8");
    if (format === "json") {
      const body = JSON.parse(text) as Record<string, unknown>;
      // the doc's sample: Estado as a string, nested data as JSON strings with PHP's \/ escapes
      expect(body.Estado).toBe("5001");
      expect(body.Servicio).toBe("VERIFICACION_IDENTIDAD");
      expect(typeof body.Result).toBe("string");
      expect(body.Result as string).toContain("\\/");
      expect(typeof body.Acceso).toBe("string");
    } else if (format === "form") {
      expect(new URLSearchParams(text).get("Result")).toContain('"FechaNacimiento":"18\\/12\\/1955"');
    } else {
      expect(text).toContain('name="Result"');
    }
    const final = completedOf(events(c)[6]!.outcome);
    expect(final.reasons.map((r) => r.code)).toEqual(["document_expired"]);
    expect(final.checks.document?.fields.expiryDate).toBe("2020-10-19");
  });

  it("webhooks sent with the wrong password fail authentication", async () => {
    const c = await setup("json", "not-the-password");
    await startOk(c, "+34600000007");
    await waitFor(() => c.hooks().length >= 1);
    expect(adapter.authenticateWebhook!(c.hooks()[0]!, c.account)).toBe(false);
  });

  it("replay resends an Estado: a duplicate has the same dedupe key, an out-of-order one its own", async () => {
    const c = await setup("form");
    const { outcome } = await startOk(c, "+34600000001");
    await waitFor(() => c.hooks().length >= 7);
    expect((await control("/_control/replay", { id: outcome.vendorReference, estado: 5100 })).status).toBe(200);
    expect((await control("/_control/replay", { id: outcome.vendorReference, estado: "3001" })).status).toBe(200);
    const evs = events(c);
    expect(evs).toHaveLength(9);
    expect(evs[7]!.dedupeKey).toBe(evs[6]!.dedupeKey);
    expect(evs[8]!.dedupeKey).toMatch(new RegExp(`^${outcome.vendorReference}:3001:[0-9a-f]{16}$`));
    expect(evs[8]!.outcome.status).toBe("awaiting_user");
  });

  it("replay of an unknown ID is a 404", async () => {
    expect((await control("/_control/replay", { id: "1", estado: 5100 })).status).toBe(404);
  });
});

describe("vendor API", () => {
  const call = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${simBase}${path}`, { method: "POST", headers, body });
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  };
  const auth = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
  const SANDBOX = auth("sandbox", "sandbox-token");

  it("wrong credentials: Res -1, an auth VendorError in the adapter", async () => {
    const account = makeAccount("verificaridentidad", {
      baseUrl: simBase,
      credentials: { apiUser: "sandbox", apiToken: "wrong", webhookUser: "a", webhookPassword: "b" },
    });
    const err = await startErr({ apiUser: "sandbox", account, hooks: () => [] }, "+34600000001");
    expect(err.kind).toBe("auth");
    expect(await call("/GetCreditos", "{}", { "Content-Type": "application/json" })).toMatchObject({ status: 200, text: '[{"Res":-1}]' });
  });

  it("credits go down per SMS; GetCreditos and health report them; none left is Res -2", async () => {
    const c = await setup();
    await startOk(c, "+34600000007");
    await startOk(c, "+34600000007");
    const h = makeHarness(c.account);
    expect(await adapter.health!(c.account, h.ctx)).toEqual({ ok: true, detail: "98 credits left", credits: 98 });
    expect(h.credits).toEqual([98]);
    expect((await control("/_control/credits", { apiUser: c.apiUser, credits: 0 })).status).toBe(200);
    const err = await startErr(c, "+34600000001");
    expect(err.kind).toBe("out_of_credits");
  });

  it("Res -3 with an Error for a Mensaje without [LINK], a long Remitente, no Telefono or a bad Fecha", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ Telefono: "34600000001", Mensaje: "Hola", Resp: "JSON" }, "[LINK]"],
      [{ Telefono: "34600000001", Mensaje: "[LINK]", Remitente: "MiEmpresaSA1", Resp: "JSON" }, "Remitente"],
      [{ Mensaje: "[LINK]", Resp: "JSON" }, "Telefono"],
      [{ Telefono: "34600000001", Mensaje: "[LINK]", Fecha: "01/05/2022 15:10", Resp: "JSON" }, "Fecha"],
    ];
    for (const [body, error] of cases) {
      const r = await call("/VerificarIdentidad", JSON.stringify(body), { "Content-Type": "application/json", Authorization: SANDBOX });
      const [answer] = JSON.parse(r.text) as [{ Res: number; Error: string }];
      expect(answer.Res).toBe(-3);
      expect(answer.Error).toContain(error);
    }
  });

  it("accepts a urlencoded body with names in any case and the doc's Fecha; without Resp the answer has no Cred", async () => {
    const form = new URLSearchParams({ telefono: "34600000007", MENSAJE: "x [LINK]", fecha: "2022-05-01 15:10", resp: "JSON" }).toString();
    const withResp = JSON.parse(
      (await call("/VerificarIdentidad", form, { "Content-Type": "application/x-www-form-urlencoded", Authorization: SANDBOX })).text,
    ) as [Record<string, unknown>];
    expect(withResp[0]).toEqual({ Res: 1, ID: expect.stringMatching(/^\d+$/), Cred: expect.any(Number) });
    const legacy = JSON.parse(
      (
        await call("/VerificarIdentidad", JSON.stringify({ Telefono: "34600000007", Mensaje: "[LINK]" }), {
          "Content-Type": "application/json",
          Authorization: SANDBOX,
        })
      ).text,
    ) as [Record<string, unknown>];
    expect(legacy[0]).toEqual({ Res: 1, ID: expect.any(String) });
  });

  it("the certificate of a request not yet validated is a Res -3, a retryable error in the adapter", async () => {
    const c = await setup();
    const { v, outcome } = await startOk(c, "+34600000007");
    try {
      await adapter.runFollowUp!("certificate", { ...v, vendorReference: outcome.vendorReference ?? null }, c.account, makeHarness(c.account).ctx);
      expect.unreachable();
    } catch (e) {
      expect(isVendorError(e) && e.retryable).toBe(true);
      expect(isVendorError(e) && e.vendorCode).toBe("-3");
    }
  });

  it("an injected 503 on the send is one call and a non-retryable error (no second SMS)", async () => {
    const c = await setup();
    faults.add({ vendor: "verificaridentidad", endpoint: "/VerificarIdentidad", fault: "http_503", times: 1, latencyMs: 0 });
    const h = makeHarness(c.account);
    await expect(adapter.start(makeVerification(input("+34600000001"), ["liveness"]), c.account, h.ctx)).rejects.toMatchObject({
      kind: "unavailable",
      retryable: false,
    });
    expect(h.calls).toHaveLength(1);
    await sleep(50);
    expect(c.hooks()).toEqual([]);
  });

  it("a malformed answer is a parse error", async () => {
    const c = await setup();
    faults.add({ vendor: "verificaridentidad", endpoint: "/GetCreditos", fault: "malformed", times: 1, latencyMs: 0 });
    const h = makeHarness(c.account);
    const res = await adapter.health!(c.account, h.ctx);
    expect(res.ok).toBe(false);
    expect(res.detail).toContain("not the documented JSON");
  });
});

describe("following the file (issue 10)", () => {
  const bodyOf = (r: RawWebhookRequest) => JSON.parse(r.rawBody.toString("utf8")) as Record<string, string>;

  it('Result is sent from 5001 on: never with a user step nor with 5000 ("In process")', async () => {
    const c = await setup();
    await startOk(c, "+34600000001", "00000000T");
    await waitFor(() => c.hooks().length >= 7);
    const byEstado = new Map(c.hooks().map((r) => [bodyOf(r).Estado, bodyOf(r)] as const));
    for (const estado of ["3000", "3001", "3002", "3003", "5000"]) expect(byEstado.get(estado)).not.toHaveProperty("Result");
    for (const estado of ["5001", "5100"])
      expect(JSON.parse(byEstado.get(estado)!.Result!)).toMatchObject({ Resultado: 93.957847595214844, PruebaDeVida: "Si" });
    // "If it is already available at the time of this request": the front's number once the front was shown, the back's once the back was
    expect(["3000", "3001", "3002", "3003", "5000"].map((e) => [byEstado.get(e)!.DNIAnverso, byEstado.get(e)!.DNIReverso])).toEqual([
      ["", ""],
      ["", ""],
      ["", ""],
      ["00000000T", ""],
      ["00000000T", "00000000T"],
    ]);
    // the user who stopped after 3002 still gets the reason at 5500 ("You will receive the data and the reason as parameters")
    const d = await setup();
    await startOk(d, "+34600000012");
    await waitFor(() => d.hooks().length >= 4);
    expect(JSON.parse(bodyOf(d.hooks().at(-1)!).Result!)).toEqual({ Resultado: -7 });
  });

  it("fromSpainTime reads the doc's Fecha in CET/CEST; a date that is none is null", () => {
    expect(fromSpainTime("2022-05-01 15:10")?.toISOString()).toBe("2022-05-01T13:10:00.000Z");
    expect(fromSpainTime("2022-01-15 15:10")?.toISOString()).toBe("2022-01-15T14:10:00.000Z");
    expect(fromSpainTime("2022-02-30 10:00")).toBeNull();
    // 02:30 on 27 March 2022 does not exist in Madrid (CEST begins at 02:00)
    expect(fromSpainTime("2022-03-27 02:30")).toBeNull();
    expect(fromSpainTime("01/05/2022 15:10")).toBeNull();
  });

  it('a Fecha in the future holds the SMS and every webhook until then ("Date on which the sending ... is scheduled")', async () => {
    const c = await setup();
    const sendAt = new Date(Date.now() + 3_600_000);
    const v = makeVerification({ ...input("+34600000001"), hosted: { ...input("+34600000001").hosted, sendAt: sendAt.toISOString() } }, [
      "document",
      "liveness",
      "face_match",
    ]);
    const outcome = await adapter.start(v, c.account, makeHarness(c.account).ctx);
    expect(outcome.status).toBe("awaiting_user");
    const id = String(outcome.vendorReference);
    await sleep(150);
    expect(c.hooks()).toEqual([]);
    const held = (await (await fetch(`${simBase}/_control/requests/${id}`)).json()) as { scheduledFor: string; posted: number[] };
    // Fecha has minutes: the scheduled instant is sendAt's minute
    expect(held).toMatchObject({ scheduledFor: new Date(Math.floor(sendAt.getTime() / 60_000) * 60_000).toISOString(), posted: [] });
    // the sandbox's time travel: the held request goes now, and the whole sequence follows
    expect((await control("/_control/send-scheduled", { id })).status).toBe(200);
    await waitFor(() => c.hooks().length >= 7);
    expect(events(c).map((e) => e.vendorStatus)).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5100"]);
    expect((await control("/_control/send-scheduled", { id })).status).toBe(409);
  });

  it("a Fecha that already went by is sent right away; one that is no date is Res -3", async () => {
    const c = await setup();
    const auth = `Basic ${Buffer.from(`${c.apiUser}:${c.apiUser}-token`).toString("base64")}`;
    const send = async (Fecha: string) => {
      const res = await fetch(`${simBase}/VerificarIdentidad`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: auth },
        body: JSON.stringify({ Telefono: "34600000007", Mensaje: "[LINK]", Fecha, Resp: "JSON" }),
      });
      return ((await res.json()) as [{ Res: number; ID?: string; Error?: string }])[0];
    };
    const past = await send("2022-05-01 15:10");
    expect(past.Res).toBe(1);
    await waitFor(() => c.hooks().length >= 1);
    expect(bodyOf(c.hooks()[0]!)).toMatchObject({ ID: past.ID, Estado: "3000" });
    expect(await send("2022-02-30 10:00")).toMatchObject({ Res: -3, Error: expect.stringContaining("Fecha") });
  });
});

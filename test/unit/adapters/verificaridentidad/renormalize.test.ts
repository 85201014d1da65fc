// renormalize: the outcome re-derived from the payloads the core stored (webhook bodies from
// ParsedWebhook.payload, the start's recorded payloads), redacted and JSON round-tripped as in
// vendor_payloads, equals the outcome the live path gave (checks merged as the core merges them).
import { describe, it, expect, afterEach } from "vitest";
import { readFileSync } from "node:fs";
import nock from "nock";
import FormData from "form-data";
import { verificaridentidadAdapter as adapter } from "../../../../src/adapters/verificaridentidad/index.js";
import { mergeChecks } from "../../../../src/adapters/verificaridentidad/outcome.js";
import type { Outcome, RawWebhookRequest, StoredVendorPayload } from "../../../../src/adapters/types.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const DOC_SAMPLE_TEXT = readFileSync(new URL("../../../../src/adapters/verificaridentidad/fixtures/webhook-5001.json", import.meta.url), "utf8");
const DOC_SAMPLE = JSON.parse(DOC_SAMPLE_TEXT) as Record<string, string>;
const DOC_RESULT = JSON.parse(DOC_SAMPLE.Result!) as Record<string, unknown>;

const account = makeAccount("verificaridentidad", {
  baseUrl: "https://vi.vendor.test",
  credentials: { apiUser: "u", apiToken: "t", webhookUser: "w", webhookPassword: "p" },
});
const verification = (vendorReference: string | null = "299846332") =>
  makeVerification({ subject: { phone: "+34600000001" }, hosted: { smsMessage: "[LINK]" } }, ["document", "liveness", "face_match"], { vendorReference });

afterEach(() => nock.cleanAll());

const raw = (body: Buffer | string, contentType: string): RawWebhookRequest => ({
  method: "POST",
  headers: { "content-type": contentType },
  query: {},
  rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8"),
  receivedAt: new Date("2021-10-10T08:10:00Z"),
});
const json = (o: unknown) => raw(JSON.stringify(o), "application/json");
const form = (o: Record<string, string>) => raw(new URLSearchParams(o).toString(), "application/x-www-form-urlencoded");
function multipart(o: Record<string, string>) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(o)) fd.append(k, v);
  return raw(fd.getBuffer(), fd.getHeaders()["content-type"] as string);
}

/** as the core stores it: redacted, then through Postgres JSON */
const stored = (kind: string, body: unknown, at = 0): StoredVendorPayload => ({
  kind,
  body: JSON.parse(JSON.stringify(redactPayload(body))) as unknown,
  receivedAt: new Date(Date.UTC(2021, 9, 10, 8, 10, at)),
});

/** parseWebhook -> (outcome, the stored webhook payload) */
function hook(req: RawWebhookRequest): { outcome: Outcome; payload: StoredVendorPayload } {
  const [e] = adapter.parseWebhook!(req, account);
  if (e?.type !== "verification") throw new Error("expected a verification event");
  return { outcome: e.outcome, payload: stored("webhook", e.payload) };
}

const withEstado = (estado: string, extra: Record<string, string> = {}) => ({ ...DOC_SAMPLE, Estado: estado, ...extra });
const withResult = (over: Record<string, unknown>) => JSON.stringify({ ...DOC_RESULT, ...over });

describe("renormalize over each doc sample equals the webhook's outcome", () => {
  const samples: [string, RawWebhookRequest][] = [
    ["the 5001 sample as JSON, verbatim", raw(DOC_SAMPLE_TEXT, "application/json")],
    ["the 5001 sample as a form, lower-case names", form(Object.fromEntries(Object.entries(DOC_SAMPLE).map(([k, v]) => [k.toLowerCase(), v])))],
    ["the 5001 sample as multipart", multipart(DOC_SAMPLE)],
    ["the 5001 sample with nested objects", json({ ...DOC_SAMPLE, Result: DOC_RESULT })],
    ...(["3000", "3001", "3002", "3003", "5000", "5100", "5500", "5200"] as const).map((e): [string, RawWebhookRequest] => [
      `the sample at Estado ${e}`,
      json(withEstado(e)),
    ]),
    ...([-1, -2, -3, -4, -5, -6, -7, -8, -9, -12, 80] as const).flatMap((r): [string, RawWebhookRequest][] => [
      [`5001 with Resultado ${r}`, json(withEstado("5001", { Result: withResult({ Resultado: r }) }))],
      [`5100 with Resultado ${r}`, json(withEstado("5100", { Result: withResult({ Resultado: r }) }))],
      [`5500 with Resultado ${r}`, json(withEstado("5500", { Result: withResult({ Resultado: r }) }))],
    ]),
    ["5100 without Result", json({ ID: "299846332", Estado: "5100" })],
    ["5500 with nothing attached", json({ ID: "299846332", Estado: "5500" })],
    ["5100 with an unparseable Result", json({ ID: "299846332", Estado: "5100", Result: "{broken" })],
    ["5001 with a field that does not parse", json(withEstado("5001", { Result: withResult({ Resultado: "n/d" }) }))],
  ];

  it.each(samples)("%s", (_label, req) => {
    const { outcome, payload } = hook(req);
    expect(adapter.renormalize!([payload], verification())).toEqual(outcome);
  });
});

describe("renormalize over a sequence of webhooks", () => {
  const seq = (...reqs: RawWebhookRequest[]) => reqs.map(hook);
  const renorm = (hs: { payload: StoredVendorPayload }[], v = verification()) =>
    adapter.renormalize!(
      hs.map((h, i) => ({ ...h.payload, receivedAt: new Date(Date.UTC(2021, 9, 10, 8, 10, i)) })),
      v,
    );
  const steps = ["3000", "3001", "3002", "3003", "5000"].map((e) => json(withEstado(e)));

  it("the whole doc sequence ending in 5100: the 5100 outcome", () => {
    const hs = seq(...steps, json(withEstado("5001")), json(withEstado("5100")));
    expect(renorm(hs)).toEqual(hs.at(-1)!.outcome);
  });

  it("a 5100 without Result does not erase the 5001 data: its outcome with 5001's checks", () => {
    const hs = seq(...steps, json(withEstado("5001")), json({ ID: "299846332", Estado: "5100" }));
    const final = hs.at(-1)!.outcome as Extract<Outcome, { status: "completed" }>;
    const interim = hs.at(-2)!.outcome as Extract<Outcome, { status: "processing" }>;
    expect(final.checks).toEqual({});
    expect(renorm(hs)).toEqual({ ...final, checks: interim.checks });
    expect(renorm(hs)).toMatchObject({ decision: "approved", humanDecision: true, checks: { document: { fields: { lastName: "APARICIO GARCIA" } } } });
  });

  it("a 5500 with nothing attached after a 5001 with data: the rejection reason, the 5001 checks", () => {
    const hs = seq(json(withEstado("5001")), json({ ID: "299846332", Estado: "5500", Result: "{broken" }));
    expect(renorm(hs)).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [expect.objectContaining({ code: "document_suspicious", vendorCode: "5500" })],
      checks: (hs[0]!.outcome as { checks: object }).checks,
    });
  });

  it("a final Result's checks replace the earlier ones check by check", () => {
    const hs = seq(json(withEstado("5001")), json({ ID: "299846332", Estado: "5100", Result: '{"Resultado":-1,"ParecidoPersonaDNI":72}' }));
    const checks = (hs[0]!.outcome as { checks: object }).checks;
    expect(renorm(hs)).toMatchObject({ checks: mergeChecks(checks, { faceMatch: { outcome: "inconclusive", similarity: 0.72, threshold: 0.8 } }) });
  });

  it("status only moves forward: a late user step or a second final Estado changes nothing", () => {
    const hs = seq(json(withEstado("5001")), json(withEstado("5500")), json(withEstado("5100")), json(withEstado("3001")));
    expect(renorm(hs)).toEqual(hs[1]!.outcome);
    const interim = seq(json(withEstado("3003")), json(withEstado("5001")), json(withEstado("3001")));
    expect(renorm(interim)).toEqual(interim[1]!.outcome);
  });

  it("the user steps: the latest step", () => {
    const hs = seq(json(withEstado("3000")), json(withEstado("3002")));
    expect(renorm(hs)).toEqual(hs[1]!.outcome);
  });

  it("skips other services' reports, bodies that are not the documented webhook, and other references", () => {
    const good = seq(json(withEstado("5001")));
    const payloads: StoredVendorPayload[] = [
      stored("webhook", { Servicio: "FIRMA_CONTRATO", ID: "299846332", Estado: "5500" }),
      stored("webhook", { ID: "299846332" }),
      stored("webhook", "not an object"),
      stored("webhook", { ID: "111", Estado: "5500" }),
      good[0]!.payload,
      stored("credits", { Res: 1, Cred: 10 }),
      stored("certificate", { contentType: "application/pdf", bytes: 1000 }),
    ];
    expect(adapter.renormalize!(payloads, verification())).toEqual(good[0]!.outcome);
    // without a vendor reference on the verification, every identity report counts
    expect(adapter.renormalize!(payloads, verification(null))).toMatchObject({ status: "completed", decision: "declined", vendorReference: "111" });
  });

  it("no payload that says anything: null", () => {
    expect(adapter.renormalize!([], verification())).toBeNull();
    expect(adapter.renormalize!([stored("send", { Res: 1, ID: "299846332", Cred: 9 }), stored("sms_link", { phone: 1 })], verification())).toBeNull();
  });
});

describe("renormalize over the start's payloads equals start's outcome", () => {
  it("awaiting_user with the masked phone, the reference and the link's expiry", async () => {
    nock("https://vi.vendor.test")
      .post("/VerificarIdentidad")
      .reply(200, [{ Res: 1, ID: "299846332", Cred: 120 }]);
    const h = makeHarness(account);
    const v = makeVerification({ subject: { phone: "+34600000001" }, hosted: { smsMessage: "Verify: [LINK]", sendAt: "2030-01-01T10:00:00Z" } }, [
      "document",
      "liveness",
      "face_match",
    ]);
    const outcome = await adapter.start(v, account, h.ctx);
    const payloads = h.payloads.map((p, i) => stored(p.kind, p.body, i));
    expect(adapter.renormalize!(payloads, { ...v, vendorReference: "299846332" })).toEqual(outcome);
    // once the webhooks arrive they say more
    const { outcome: accessed, payload } = hook(json(withEstado("3000")));
    expect(adapter.renormalize!([...payloads, payload], { ...v, vendorReference: "299846332" })).toEqual(accessed);
  });

  it("the mapping version is the bumped one", () => {
    expect(adapter.mappingVersion).toBe("verificaridentidad-2026.12.3");
  });
});

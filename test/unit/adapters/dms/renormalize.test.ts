// renormalize: the outcome of start() re-derived from the payloads start() recorded, stored the way
// the pipeline stores them (redacted of images and templates, JSON round-tripped), with no vendor
// call: for the doc's samples (nock) and every simulator magic input, the two are equal.
import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import type { AdapterAccount, StoredVendorPayload } from "../../../../src/adapters/types.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { MAGIC_INPUTS } from "../../../../src/sandbox/dms/simulator.js";
import { fakeJpeg, makeAccount, makeHarness, type Harness } from "../../../support/adapter-harness.js";
import { BASE, IDV, LIVE, documentSample, dmsAccount, faceDetectionSample, fixtureJson, input, startDmsSimulator, verification } from "./helpers.js";

const NOW = new Date("2026-05-01T10:00:00Z");
const DOC = `${IDV}/idcard_recognition_base64`;
const FACE = `${LIVE}/face_detection`;
const TEMPLATE = `${LIVE}/template_extraction`;
const VERIFY = `${LIVE}/face_verify`;

/** what the pipeline keeps: redacted, as JSON in Postgres, oldest first */
function stored(h: Harness, receivedAt = NOW): StoredVendorPayload[] {
  return h.payloads.map((p) => ({ kind: p.kind, body: JSON.parse(JSON.stringify(redactPayload(p.body))) as unknown, receivedAt }));
}

async function startAndRenormalize(account: AdapterAccount, checks: CheckName[], data = input()) {
  const h = makeHarness(account, null, {}, () => NOW);
  const v = verification(checks, data);
  const out = await dmsAdapter.start(v, account, h.ctx);
  if (out.status !== "completed") throw new Error(`expected completed, got ${out.status}`);
  return { out, again: dmsAdapter.renormalize!(stored(h), v), h, v };
}

const ALL: CheckName[] = ["document", "liveness", "face_match"];
const templateAnswer = (template: string) => ({ face_count: 1, faces: [{ bbox: [120, 80, 380, 420], quality: 0.94, template }] });

beforeEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});

describe("dms renormalize: the doc's samples (nock)", () => {
  afterAll(() => nock.enableNetConnect());

  it.each<[string, unknown]>([
    ["the verbatim sample response", fixtureJson("idcard-recognition-response.json")],
    ["the sample with a decodable portrait", documentSample()],
    ["a bare GENUINE", { FraudCheck: { Result: "GENUINE" } }],
    ["no DateOfExpiry", documentSample({ DateOfExpiry: null })],
    ["expired", documentSample({ DateOfExpiry: "2020-01-31" })],
    ["SUSPICIOUS", documentSample({ FraudCheck: { Result: "SUSPICIOUS", Checks: ["NO_SCREEN_CAPTURE"] } })],
    ["an unknown item on GENUINE", documentSample({ FraudCheck: { Result: "GENUINE", Checks: ["NO_HOLOGRAM_ISSUE"] } })],
    ["an unknown DocumentType", documentSample({ DocumentType: "RESIDENCE_PERMIT" })],
  ])("document: %s", async (_name, answer) => {
    nock(BASE)
      .post(DOC)
      .reply(200, answer as nock.Body);
    const { out, again } = await startAndRenormalize(dmsAccount(), ["document"], input({ selfie: null }));
    expect(again).toEqual(out);
  });

  it("document: a 422", async () => {
    nock(BASE).post(DOC).reply(422, { error: "Unprocessable Entity", detail: "no document or face detected in image" });
    const { out, again } = await startAndRenormalize(dmsAccount(), ["document"], input({ selfie: null }));
    expect(out.reasons.map((r) => r.code)).toEqual(["document_missing"]);
    expect(again).toEqual(out);
  });

  it.each<[string, unknown, Record<string, unknown>]>([
    ["the corrected face_detection sample", fixtureJson("face-detection-response.corrected.json"), {}],
    ["SPOOF", faceDetectionSample({ liveness: "SPOOF" }), {}],
    ["quality 0.94 under an account minimum of 0.95 (recorded with the request)", faceDetectionSample(), { minFaceQuality: 0.95 }],
    ["no face", { face_count: 0, faces: [] }, {}],
  ])("liveness: %s", async (_name, answer, settings) => {
    nock(BASE)
      .post(FACE)
      .reply(200, answer as nock.Body);
    const { out, again } = await startAndRenormalize(dmsAccount(settings), ["liveness"]);
    expect(again).toEqual(out);
  });

  it("all three checks with the doc's samples (the selfie template of face_detection reused)", async () => {
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(FACE)
      .reply(200, faceDetectionSample())
      .post(TEMPLATE)
      .reply(200, templateAnswer("P"))
      .post(VERIFY)
      .reply(200, fixtureJson("face-verify-response.json"));
    const { out, again } = await startAndRenormalize(dmsAccount(), ALL);
    expect(out.decision).toBe("approved");
    expect(again).toEqual(out);
  });

  it.each<[string, (s: nock.Scope) => nock.Scope]>([
    [
      "match false",
      (s) =>
        s
          .post(TEMPLATE)
          .times(2)
          .reply(200, templateAnswer("T"))
          .post(VERIFY)
          .reply(200, { ...fixtureJson("face-verify-response.json"), match: false }),
    ],
    ["portrait template 422", (s) => s.post(TEMPLATE).reply(422, { error: "Unprocessable Entity" })],
    ["portrait with two faces", (s) => s.post(TEMPLATE).reply(200, { face_count: 2, faces: [{ template: "A" }, { template: "B" }] })],
    ["selfie template without a face", (s) => s.post(TEMPLATE).reply(200, templateAnswer("P")).post(TEMPLATE).reply(200, { face_count: 0, faces: [] })],
  ])("face match alone: %s", async (_name, rest) => {
    rest(nock(BASE).post(DOC).reply(200, documentSample()));
    const { out, again } = await startAndRenormalize(dmsAccount(), ["face_match"]);
    expect(out.checks.faceMatch).toBeDefined();
    expect(again).toEqual(out);
  });

  it("face match with the verbatim sample's placeholder Portrait (no template call)", async () => {
    nock(BASE).post(DOC).reply(200, fixtureJson("idcard-recognition-response.json")).post(FACE).reply(200, faceDetectionSample());
    const { out, again } = await startAndRenormalize(dmsAccount(), ALL);
    expect(out.reasons.map((r) => r.vendorCode)).toContain("Portrait");
    expect(again).toEqual(out);
  });

  it("a selfie face_detection rejected (two faces) is not sent again: the same on renormalize", async () => {
    const sample = faceDetectionSample();
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(FACE)
      .reply(200, { ...sample, face_count: 2, faces: [...(sample.faces as unknown[]), ...(sample.faces as unknown[])] });
    const { out, again } = await startAndRenormalize(dmsAccount(), ["liveness", "face_match"]);
    expect(again).toEqual(out);
  });
});

describe("dms renormalize: what the payloads do not say", () => {
  it("no payloads is null", () => {
    expect(dmsAdapter.renormalize!([], verification(ALL))).toBeNull();
  });

  it("a start that stopped half-way (a call threw), then a start that completed: the completed one decides", async () => {
    const account = dmsAccount();
    const v = verification(ALL);
    const first = makeHarness(account, null, {}, () => NOW);
    nock(BASE).post(DOC).reply(200, documentSample()).post(FACE).reply(200, faceDetectionSample()).post(TEMPLATE).reply(400, { error: "Bad Request" });
    await expect(dmsAdapter.start(v, account, first.ctx)).rejects.toThrow();
    const second = makeHarness(account, null, {}, () => NOW);
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(FACE)
      .reply(200, faceDetectionSample({ liveness: "SPOOF" }))
      .post(TEMPLATE)
      .reply(200, templateAnswer("P"))
      .post(VERIFY)
      .reply(200, fixtureJson("face-verify-response.json"));
    const out = await dmsAdapter.start(v, account, second.ctx);
    expect(out).toMatchObject({ decision: "declined" });
    expect(dmsAdapter.renormalize!([...stored(first), ...stored(second)], v)).toEqual(out);
  });

  it("a recorded answer that is not a DMS answer (start failed on it) is null", async () => {
    const v = verification(["document"]);
    const payloads = [
      { kind: "gateway_request", body: { checks: ["document"], minFaceQuality: 0.5 }, receivedAt: NOW },
      { kind: "idcard_recognition_base64", body: { status: 200, body: "<html>" }, receivedAt: NOW },
    ];
    expect(dmsAdapter.renormalize!(payloads, v)).toBeNull();
  });

  it("a start repeated after a failed one: the last start's payloads decide", async () => {
    const account = dmsAccount();
    const v = verification(["document"], input({ selfie: null }));
    const first = makeHarness(account, null, {}, () => NOW);
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample({ FraudCheck: { Result: "SUSPICIOUS" } }));
    await dmsAdapter.start(v, account, first.ctx);
    const second = makeHarness(account, null, {}, () => NOW);
    nock(BASE).post(DOC).reply(200, documentSample());
    const out = await dmsAdapter.start(v, account, second.ctx);
    expect(dmsAdapter.renormalize!([...stored(first), ...stored(second)], v)).toEqual(out);
  });

  it("payloads kept before dms-2026.12.2 (no gateway_request, a 422 kept as the vendor's body) still renormalize", () => {
    const v = verification(["document", "liveness"]);
    const legacy: StoredVendorPayload[] = [
      { kind: "idcard_recognition_base64", body: { error: "Unprocessable Entity" }, receivedAt: NOW },
      { kind: "face_detection", body: redactPayload(faceDetectionSample()), receivedAt: NOW },
    ];
    const out = dmsAdapter.renormalize!(legacy, v);
    expect(out).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "document_missing", vendorCode: "422" }],
      checks: { liveness: { outcome: "pass" } },
    });
  });

  it("the expiry check of a re-decision is against the day the answer came, not today", () => {
    const v = verification(["document"]);
    const payloads = [
      { kind: "idcard_recognition_base64", body: redactPayload(documentSample({ DateOfExpiry: "2026-06-01" })), receivedAt: new Date("2026-05-01T10:00:00Z") },
    ];
    expect(dmsAdapter.renormalize!(payloads, v)).toMatchObject({
      decision: "approved",
      checks: { document: { outcome: "pass", fields: { expiryDate: "2026-06-01" } } },
    });
  });
});

describe("dms renormalize: every simulator magic input", () => {
  let sim: Awaited<ReturnType<typeof startDmsSimulator>>;
  beforeAll(async () => {
    nock.enableNetConnect("127.0.0.1");
    sim = await startDmsSimulator();
  });
  afterAll(async () => {
    await sim.close();
    nock.enableNetConnect();
  });

  const simAccount = () => makeAccount("dms", { baseUrl: sim.baseUrl, credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } });
  const markers = MAGIC_INPUTS.map((m) => m.input).filter((m) => m !== "MAGIC:quota402");
  const cases = ["(none)", ...markers].flatMap((m) =>
    (["document", "selfie"] as const).flatMap((where) =>
      [ALL, ["document"], ["face_match"], ["liveness"]].map((checks) => [m, where, checks] as [string, "document" | "selfie", CheckName[]]),
    ),
  );

  it.each(cases)("%s on the %s image, checks %j", async (marker, where, checks) => {
    nock.enableNetConnect("127.0.0.1");
    const data = input({ front: fakeJpeg(where === "document" ? marker : "front"), selfie: fakeJpeg(where === "selfie" ? marker : "selfie") });
    const { out, again } = await startAndRenormalize(simAccount(), checks, data);
    expect(again).toEqual(out);
  });

  it("front and back (multi page)", async () => {
    nock.enableNetConnect("127.0.0.1");
    const data = input({ front: fakeJpeg("front"), back: fakeJpeg("MAGIC:screen") });
    const { out, again, h } = await startAndRenormalize(simAccount(), ALL, data);
    expect(h.payloads.map((p) => p.kind)).toContain("idcard_recognition_base64_multi_page");
    expect(again).toEqual(out);
  });
});

describe("dms mapping version", () => {
  it("is dms-2026.12.3", () => {
    expect(dmsAdapter.mappingVersion).toBe("dms-2026.12.3");
  });
});

// renormalize(): for every doc sample, the outcome start() gave equals the one re-read from the payloads start()
// recorded, after the pipeline's redaction (images, templates and base64 removed).
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import type { AdapterAccount, AdapterVerification, Outcome, StoredVendorPayload, VerificationInputData } from "../../../../src/adapters/types.js";
import type { VendorError } from "../../../../src/domain/errors.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { readIwsBody } from "../../../../src/adapters/identy/schemas.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification, type Harness } from "../../../support/adapter-harness.js";
import { DOC_PROCESS_OK, DOC_PROCESS_SPOOF, fixture, png } from "./samples.js";

const BASE = "https://iws.identy.test";
const blob = { identyBlob: Buffer.from("IDENTY-ENCRYPTED-BLOB\u0000opaque").toString("base64") };
const selfie = { contentType: "image/jpeg", data: fakeJpeg("selfie") };
const document = { images: [{ side: "front" as const, contentType: "image/png", data: png }] };
// a template long enough for the pipeline's redaction to remove it, as it does with real captures
const longTemplate = Buffer.concat([fakeJpeg("captured"), Buffer.alloc(400, 7)]).toString("base64");
const processOk = (data: Record<string, unknown> = {}) => ({
  ...DOC_PROCESS_OK,
  data: { ...DOC_PROCESS_OK.data, templates: { JPEG: longTemplate, PNG: png.toString("base64") }, ...data },
});

type Reply = [path: string, status: number, body: string | object];

function account(settings: Record<string, unknown> = {}): AdapterAccount {
  return makeAccount("identy", { baseUrl: BASE, settings });
}

/** As the pipeline keeps them: redacted, oldest first. */
function stored(h: Harness): StoredVendorPayload[] {
  return h.payloads.map((p, i) => ({ kind: p.kind, body: redactPayload(p.body), receivedAt: new Date(1_700_000_000_000 + i) }));
}

async function startWith(
  replies: Reply[],
  input: VerificationInputData,
  checks: CheckName[],
  acc = account(),
  v: AdapterVerification = makeVerification(input, checks),
) {
  for (const [path, status, body] of replies)
    nock(BASE)
      .post(path)
      .reply(status, typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json" });
  const h = makeHarness(acc, v.id);
  const result = await identyAdapter.start(v, acc, h.ctx).then(
    (outcome): { outcome: Outcome | null; error: VendorError | null } => ({ outcome, error: null }),
    (error: unknown) => ({ outcome: null, error: error as VendorError }),
  );
  expect(nock.isDone()).toBe(true);
  return { v, h, ...result };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const SAMPLES: [label: string, replies: Reply[], input: VerificationInputData, checks: CheckName[], settings: Record<string, unknown>][] = [
  ["/process success", [["/api/v1/process", 200, processOk()]], { faceCapture: blob }, ["liveness"], {}],
  ["/process spoof with quality false (retake)", [["/api/v1/process", 400, DOC_PROCESS_SPOOF]], { faceCapture: blob }, ["liveness"], {}],
  ["/process spoof with quality true", [["/api/v1/process", 400, { ...DOC_PROCESS_SPOOF, quality: true }]], { faceCapture: blob }, ["liveness"], {}],
  ["/process below the required level", [["/api/v1/process", 200, processOk()]], { faceCapture: blob }, ["liveness"], { livenessLevel: "HIGHEST" }],
  [
    "/process qc_passed false",
    [["/api/v1/process", 200, processOk({ quality: { ...DOC_PROCESS_OK.data.quality, qc_passed: false } })]],
    { faceCapture: blob },
    ["liveness"],
    {},
  ],
  ["/process multiple faces", [["/api/v1/process", 200, { ...processOk(), icao_data: { multiple_faces: true } }]], { faceCapture: blob }, ["liveness"], {}],
  [
    "/process 604 expired",
    [["/api/v1/process", 500, { code: 604, message: "ERROR_REQUEST_EXPIRED", refid: "W-face-process-x-1" }]],
    { faceCapture: blob },
    ["liveness"],
    {},
  ],
  [
    "/process + /matchWithPictureId (default BLOB + portrait)",
    [
      ["/api/v1/process", 200, processOk()],
      ["/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt")],
    ],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    {},
  ],
  [
    "/process + /matchWithPictureId answering 503",
    [
      ["/api/v1/process", 200, processOk()],
      ["/api/v1/matchWithPictureId", 400, { code: 503, feedbackCode: "ERROR_INVALID_IMAGE" }],
    ],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    {},
  ],
  [
    "/process spoof before a match",
    [["/api/v1/process", 400, { ...DOC_PROCESS_SPOOF, quality: true }]],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    {},
  ],
  [
    "/process + /matchWithSelfie",
    [
      ["/api/v1/process", 200, processOk()],
      ["/api/v1/matchWithSelfie", 200, fixture("match-with-selfie-response.txt")],
    ],
    { faceCapture: blob, selfie },
    ["liveness", "face_match"],
    {},
  ],
  [
    "/verifyWithPictureId successful",
    [["/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-successful.txt")]],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    { blobMatchFlow: "verifyWithPictureId" },
  ],
  [
    "/verifyWithPictureId successful at LOW",
    [["/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-successful.txt")]],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    { blobMatchFlow: "verifyWithPictureId", livenessLevel: "LOW" },
  ],
  [
    "/verifyWithPictureId unsuccessful",
    [["/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-unsuccessful.txt")]],
    { faceCapture: blob, document },
    ["face_match"],
    { blobMatchFlow: "verifyWithPictureId" },
  ],
  [
    "/verifyWithPictureId spoof",
    [["/api/v1/verifyWithPictureId", 400, fixture("verify-with-picture-id-spoof.json")]],
    { faceCapture: blob, document },
    ["liveness", "face_match"],
    { blobMatchFlow: "verifyWithPictureId" },
  ],
  ["/face/as", [["/api/v1/face/as", 200, fixture("face-as-output.txt")]], { selfie }, ["liveness"], {}],
  ["/face/as at HIGHEST", [["/api/v1/face/as", 200, fixture("face-as-output.txt")]], { selfie }, ["liveness"], { livenessLevel: "HIGHEST" }],
  [
    "/face/as + /matchWithPictureId",
    [
      ["/api/v1/face/as", 200, fixture("face-as-output.txt")],
      ["/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt")],
    ],
    { selfie, document },
    ["liveness", "face_match"],
    { multipleFaces: "decline" },
  ],
  [
    "/face/as spoof before a match",
    [["/api/v1/face/as", 200, fixture("face-as-output.txt").replace('"is_spoof": false', '"is_spoof": true')]],
    { selfie, document },
    ["liveness", "face_match"],
    {},
  ],
  ["/matchWithPictureId", [["/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt")]], { selfie, document }, ["face_match"], {}],
  [
    "/matchWithPictureId at HIGHEST",
    [["/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt").replace("HIGHEST", "HIGH")]],
    { selfie, document },
    ["face_match"],
    { matchLevel: "HIGHEST" },
  ],
];

describe("renormalize(recorded payloads) === start()", () => {
  it("a /secure/face/as flow recorded by an earlier mapping is still re-read (no new start ever takes it)", () => {
    const v = makeVerification({ faceCapture: blob }, ["liveness"]);
    const request = {
      flow: { kind: "blob_liveness", endpoint: "secure_face_as" },
      checks: ["liveness"],
      livenessLevel: "BALANCED_VERY_HIGH",
      matchLevel: "HIGH",
      multipleFaces: "review",
    };
    const answer = readIwsBody(fixture("secure-face-as-output.txt"));
    if (!answer.ok) throw new Error("the doc sample should be readable");
    const o = identyAdapter.renormalize!(
      [
        { kind: "identy.request", body: request, receivedAt: new Date() },
        { kind: "identy.secure_face_as", body: redactPayload(answer.value), receivedAt: new Date() },
      ],
      v,
    );
    expect(o).toMatchObject({ status: "completed", decision: "approved", checks: { liveness: { outcome: "pass", level: "VERY_HIGH", score: 0.12345 } } });
  });

  it.each(SAMPLES)("%s", async (_label, replies, input, checks, settings) => {
    const { v, h, outcome, error } = await startWith(replies, input, checks, account(settings));
    expect(error).toBeNull();
    expect(outcome!.status).toBe("completed");
    const payloads = stored(h);
    expect(payloads[0]!.kind).toBe("identy.request");
    expect(identyAdapter.renormalize!(payloads, v)).toEqual(outcome);
    // nothing the outcome needs is lost to redaction, and no template survives it
    expect(JSON.stringify(payloads)).not.toContain(longTemplate.slice(0, 40));
  });

  it("a personal-data erasure since does not matter: the recorded request says the flow", async () => {
    const { v, h, outcome } = await startWith(SAMPLES[7]![1], SAMPLES[7]![2], SAMPLES[7]![3]);
    expect(identyAdapter.renormalize!(stored(h), { ...v, input: {} })).toEqual(outcome);
  });

  it("a start that failed on a recorded answer re-reads as failed with the same technical reason", async () => {
    // template encryption without templatePrivateKey: the match cannot be sent
    const { templates: _t, ...data } = processOk().data;
    const encrypted = { ...processOk(), data: { ...data, encrypted_templates: { JPEG: { data: "eA==", key1: "eA==", key2: "eA==" } } } };
    const { v, h, error } = await startWith([["/api/v1/process", 200, encrypted]], { faceCapture: blob, document }, ["liveness", "face_match"]);
    expect(error!.toReason().code).toBe("vendor_feature_disabled");
    expect(identyAdapter.renormalize!(stored(h), v)).toEqual({ status: "failed", reasons: [error!.toReason()] });
  });

  it("a schema error re-reads as failed vendor_error", async () => {
    const { v, h, error } = await startWith([["/api/v1/process", 200, { code: 200, message: "FEEDBACK_CAPTURED" }]], { faceCapture: blob }, ["liveness"]);
    expect(error!.kind).toBe("parse");
    expect(identyAdapter.renormalize!(stored(h), v)).toEqual({ status: "failed", reasons: [error!.toReason()] });
  });

  it("after a retake, the last start decides", async () => {
    const v = makeVerification({ faceCapture: blob }, ["liveness"]);
    const first = await startWith([["/api/v1/process", 400, DOC_PROCESS_SPOOF]], { faceCapture: blob }, ["liveness"], account(), v);
    const second = await startWith([["/api/v1/process", 200, processOk()]], { faceCapture: blob }, ["liveness"], account(), v);
    expect((first.outcome as Extract<Outcome, { status: "completed" }>).reasons.map((r) => r.code)).toEqual(["image_low_quality"]);
    const all = [...stored(first.h), ...stored(second.h)];
    expect(identyAdapter.renormalize!(all, v)).toEqual(second.outcome);
    expect(identyAdapter.renormalize!(stored(first.h), v)).toEqual(first.outcome);
  });

  it("a flow that stopped before its last answer (a match that failed technically, not recorded) says nothing", async () => {
    const { v, h, error } = await startWith(
      [
        ["/api/v1/process", 200, processOk()],
        ["/api/v1/matchWithPictureId", 400, { code: 505, feedbackCode: "ERROR_INVALID_MATCH_LEVEL" }],
      ],
      { faceCapture: blob, document },
      ["liveness", "face_match"],
    );
    expect(error!.toReason().code).toBe("vendor_rejected_request");
    expect(identyAdapter.renormalize!(stored(h), v)).toBeNull();
  });
});

describe("payloads recorded before identy-2026.12.2 (no identy.request)", () => {
  const at = (kind: string, body: unknown): StoredVendorPayload => ({ kind, body, receivedAt: new Date(1_700_000_000_000) });
  const v = makeVerification({}, ["liveness", "face_match"]);

  it.each([
    [507, "NO_TEMPLATES_SPECIFIED"],
    [601, "ERROR_DECRYPTION_FAILED"],
    [901, "ERROR_WRONG_RESOLUTION"],
  ])("a decline for code %i %s re-reads as failed vendor_rejected_request", (code, name) => {
    const o = identyAdapter.renormalize!([at("identy.verify_with_picture_id", { code, feedbackCode: name, refid: "W-face-VERIFY-x-1" })], v);
    expect(o).toMatchObject({
      status: "failed",
      reasons: [{ code: "vendor_rejected_request", category: "technical", vendor: "identy", vendorCode: String(code) }],
    });
  });

  it("the old spoof with quality false re-reads as a retake", () => {
    const o = identyAdapter.renormalize!(
      [at("identy.verify_with_picture_id", JSON.parse(fixture("verify-with-picture-id-spoof.json").replace('"data"', '"quality": false, "data"')))],
      v,
    );
    expect(o).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "image_low_quality", vendorCode: "401" }],
      checks: { liveness: { outcome: "inconclusive" }, faceMatch: { outcome: "not_performed" } },
    });
  });

  it("a successful answer needs the account's levels, which the old payloads do not hold: null", () => {
    expect(
      identyAdapter.renormalize!(
        [at("identy.verify_with_picture_id", { code: 200, feedbackCode: "FEEDBACK_MATCHED", similarityScore: 100, possibleMatch: true })],
        v,
      ),
    ).toBeNull();
    expect(identyAdapter.renormalize!([], v)).toBeNull();
  });
});

describe("mappingVersion", () => {
  it("is identy-2026.12.3", () => {
    expect(identyAdapter.mappingVersion).toBe("identy-2026.12.3");
  });
});

// LiveVerifr against the doc's own "face_detection response" and "face_verify response" (nock):
// every row of the liveness, face-count, quality and face_verify tables, and which calls happen.
import nock from "nock";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import { FACE_COUNT_MAP, FACE_VERIFY_MAP, LIVENESS_MAP, UNPROCESSABLE_MAP } from "../../../../src/adapters/dms/mapping.js";
import { isVendorError } from "../../../../src/domain/errors.js";
import type { Outcome } from "../../../../src/adapters/types.js";
import { makeHarness } from "../../../support/adapter-harness.js";
import {
  BASE,
  IDV,
  LIVE,
  PORTRAIT,
  SELFIE,
  documentSample,
  dmsAccount,
  faceDetectionSample,
  fixtureJson,
  fixtureText,
  input,
  verification,
} from "./helpers.js";

const FACE = `${LIVE}/face_detection`;
const PNG_PORTRAIT = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("png portrait")]);
const WEBP_PORTRAIT = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x20, 0, 0, 0]), Buffer.from("WEBPVP8 webp portrait")]);
const TEMPLATE = `${LIVE}/template_extraction`;
const VERIFY = `${LIVE}/face_verify`;
const DOC = `${IDV}/idcard_recognition_base64`;

/** nock hands a binary (multipart) body over as hex */
function bodyText(b: unknown): string {
  if (typeof b !== "string") return JSON.stringify(b);
  return /^(?:[0-9a-f]{2})+$/.test(b) ? Buffer.from(b, "hex").toString("latin1") : b;
}

function completed(out: Outcome) {
  if (out.status !== "completed") throw new Error(`expected completed, got ${out.status}`);
  return out;
}

async function runLiveness(answer: { status: number; body: unknown }, settings: Record<string, unknown> = {}) {
  const account = dmsAccount(settings);
  const h = makeHarness(account);
  const scope = nock(BASE)
    .post(FACE)
    .reply(answer.status, answer.body as nock.Body);
  const out = completed(await dmsAdapter.start(verification(["liveness"]), account, h.ctx));
  expect(scope.isDone()).toBe(true);
  return { out, h };
}

beforeEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("dms face_detection: the doc's sample", () => {
  it("the verbatim doc sample is not valid JSON (landmarks_68 [[x1,y1], ...]): a parse VendorError, not a crash", async () => {
    const verbatim = fixtureText("face-detection-response.txt");
    expect(() => JSON.parse(verbatim)).toThrow();
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE).post(FACE).reply(200, verbatim, { "Content-Type": "application/json" });
    const err = await dmsAdapter.start(verification(["liveness"]), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err)).toBe(true);
    expect(isVendorError(err) && err.kind).toBe("parse");
    expect(isVendorError(err) && err.toReason().code).toBe("vendor_error");
  });

  it("the corrected sample (GENUINE, quality 0.94) passes liveness and carries the face's capture signals", async () => {
    const { out, h } = await runLiveness({ status: 200, body: fixtureJson("face-detection-response.corrected.json") });
    expect(out.decision).toBe("approved");
    // the doc gives no liveness score nor level: null; every capture field under the doc's own name
    expect(out.checks).toEqual({
      liveness: {
        outcome: "pass",
        score: null,
        level: null,
        quality: {
          quality: 0.94,
          luminance: 0.87,
          eye_distance: 142.3,
          "pose.yaw": 1.8,
          "pose.roll": -0.4,
          "pose.pitch": 2.1,
          "eye_state.left_closed": 0.02,
          "eye_state.right_closed": 0.03,
          mouth_opened: 0.12,
          occlusion: 0.01,
        },
      },
    });
    expect(out.reasons).toEqual([]);
    expect(h.payloads.map((p) => p.kind)).toEqual(["gateway_request", "face_detection"]);
  });

  it("posts the selfie as multipart `image` (as the doc's curl) with the Bearer key", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    let body = "";
    const scope = nock(BASE, { reqheaders: { authorization: "Bearer sk_test_unit_key", "content-type": /^multipart\/form-data; boundary=/ } })
      .post(FACE, (b: string) => {
        body = bodyText(b);
        return true;
      })
      .reply(200, faceDetectionSample());
    await dmsAdapter.start(verification(["liveness"]), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(body).toContain('name="image"; filename="selfie.jpg"');
    expect(body).toContain("Content-Type: image/jpeg");
  });
});

describe("dms face_detection: liveness table", () => {
  it("the face tables have exactly the rows tested in this file", () => {
    expect(Object.keys(LIVENESS_MAP)).toEqual(["GENUINE", "SPOOF"]);
    expect(Object.keys(FACE_COUNT_MAP)).toEqual(["none", "multiple"]);
    expect(Object.keys(FACE_VERIFY_MAP)).toEqual(["true", "false"]);
    expect(Object.keys(UNPROCESSABLE_MAP)).toEqual(["document", "face"]);
  });

  it.each([
    ["GENUINE", "pass", "approved", []],
    ["SPOOF", "fail", "declined", [["liveness_failed", "SPOOF"]]],
    ["REPLAY_ATTACK", "fail", "declined", [["capture_invalid", "REPLAY_ATTACK"]]],
  ] as const)("liveness %s -> %s", async (verdict, outcome, decision, reasons) => {
    const { out } = await runLiveness({ status: 200, body: faceDetectionSample({ liveness: verdict }) });
    expect(out.checks.liveness?.outcome).toBe(outcome);
    expect(out.decision).toBe(decision);
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual(reasons);
  });
});

describe("dms face_detection: quality threshold (minFaceQuality)", () => {
  it.each([
    [0.94, {}, "pass", []],
    [0.5, {}, "pass", []],
    [0.49, {}, "fail", ["image_low_quality"]],
    [0.6, { minFaceQuality: 0.7 }, "fail", ["image_low_quality"]],
    [0.3, { minFaceQuality: 0.25 }, "pass", []],
  ] as const)("quality %s with settings %j -> %s", async (quality, settings, outcome, codes) => {
    const { out } = await runLiveness({ status: 200, body: faceDetectionSample({ quality }) }, settings);
    expect(out.checks.liveness?.outcome).toBe(outcome);
    expect(out.reasons.map((r) => r.code)).toEqual(codes);
    expect(out.decision).toBe(codes.length ? "declined" : "approved");
  });

  it("a spoof of low quality carries both reasons", async () => {
    const { out } = await runLiveness({ status: 200, body: faceDetectionSample({ liveness: "SPOOF", quality: 0.2 }) });
    expect(out.reasons.map((r) => r.code)).toEqual(["liveness_failed", "image_low_quality"]);
  });
});

describe("dms face_detection: face_count table and 422", () => {
  it.each([
    [{ face_count: 0, faces: [] }, ["no_face_detected", "face_count=0"]],
    [{ face_count: 2 }, ["multiple_faces", "face_count=2"]],
  ] as const)("%j -> %j", async (top, [code, vendorCode]) => {
    const sample = faceDetectionSample();
    const body = "faces" in top ? { ...sample, ...top } : { ...sample, ...top, faces: [...(sample.faces as unknown[]), ...(sample.faces as unknown[])] };
    const { out } = await runLiveness({ status: 200, body });
    expect(out.checks.liveness?.outcome).toBe("fail");
    expect(out.decision).toBe("declined");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([[code, vendorCode]]);
  });

  it("422 (no face detected) on face_detection is a business answer: no_face_detected, declined, not retried", async () => {
    const { out, h } = await runLiveness({ status: 422, body: { error: "Unprocessable Entity", detail: "no face detected in image" } });
    expect(out.status).toBe("completed");
    expect(out.decision).toBe("declined");
    expect(out.checks.liveness?.outcome).toBe("fail");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["no_face_detected", "422"]]);
    expect(h.calls).toHaveLength(1);
  });
});

describe("dms face match: template_extraction + face_verify", () => {
  const templateAnswer = (template: string) => ({ face_count: 1, faces: [{ bbox: [120, 80, 380, 420], quality: 0.94, template }] });

  it.each([
    [true, "pass", "approved", []],
    [false, "fail", "declined", [["face_mismatch", "match=false"]]],
  ] as const)("face_verify match %s -> %s", async (match, outcome, decision, reasons) => {
    const account = dmsAccount();
    const h = makeHarness(account);
    const verify = { ...fixtureJson("face-verify-response.json"), match };
    let verifyBody: unknown = null;
    const scope = nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(TEMPLATE)
      .reply(200, templateAnswer("PORTRAIT-TEMPLATE"))
      .post(TEMPLATE)
      .reply(200, templateAnswer("SELFIE-TEMPLATE"))
      .post(VERIFY, (b) => {
        verifyBody = b;
        return true;
      })
      .reply(200, verify);
    const out = completed(await dmsAdapter.start(verification(["face_match"]), account, h.ctx));
    expect(scope.isDone()).toBe(true);
    expect(verifyBody).toEqual({ template_a: "PORTRAIT-TEMPLATE", template_b: "SELFIE-TEMPLATE" });
    expect(out.checks).toEqual({ faceMatch: { outcome, similarity: 0.9342, threshold: 0.82 } });
    expect(out.decision).toBe(decision);
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual(reasons);
    // face_match alone: the document is read for its Portrait but not judged
    expect(out.checks.document).toBeUndefined();
    expect(h.calls.map((c) => c.endpoint)).toEqual(["idcard_recognition_base64", "template_extraction", "template_extraction", "face_verify"]);
  });

  /** the multipart bodies of the two template_extraction calls of a face_match-only start */
  async function templateBodies(documentAnswer: Record<string, unknown>): Promise<string[]> {
    const account = dmsAccount();
    const h = makeHarness(account);
    const bodies: string[] = [];
    nock(BASE)
      .post(DOC)
      .reply(200, documentAnswer)
      .post(TEMPLATE, (b: string) => {
        bodies.push(bodyText(b));
        return true;
      })
      .times(2)
      .reply(200, templateAnswer("T"))
      .post(VERIFY)
      .reply(200, fixtureJson("face-verify-response.json"));
    await dmsAdapter.start(verification(["face_match"]), account, h.ctx);
    return bodies;
  }

  it("sends the document's Portrait bytes to template_extraction", async () => {
    const bodies = await templateBodies(documentSample());
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain('filename="portrait.jpg"');
    expect(bodies[0]).toContain("Content-Type: image/jpeg");
    expect(bodies[0]).toContain("portrait");
    expect(bodies[1]).toContain('filename="selfie.jpg"');
  });

  it.each([
    ["a PNG", PNG_PORTRAIT, 'filename="portrait.png"', "Content-Type: image/png"],
    ["a WEBP", WEBP_PORTRAIT, 'filename="portrait.webp"', "Content-Type: image/webp"],
    ["bytes of no known image type", Buffer.from("not an image at all"), 'filename="portrait.bin"', "Content-Type: application/octet-stream"],
  ])("a Portrait that is %s is sent with its own content type, not as image/jpeg", async (_what, portrait, filename, contentType) => {
    const [portraitBody] = await templateBodies(documentSample({ Portrait: portrait.toString("base64") }));
    expect(portraitBody).toContain(filename);
    expect(portraitBody).toContain(contentType);
    expect(portraitBody).not.toContain("image/jpeg");
  });

  it("all three checks with the doc's samples: the selfie template of face_detection is reused (4 calls)", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, () => new Date("2026-05-01T00:00:00Z"));
    let verifyBody: unknown = null;
    const scope = nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(FACE)
      .reply(200, fixtureJson("face-detection-response.corrected.json"))
      .post(TEMPLATE)
      .reply(200, { template: "PORTRAIT-TEMPLATE" })
      .post(VERIFY, (b) => {
        verifyBody = b;
        return true;
      })
      .reply(200, fixtureJson("face-verify-response.json"));
    const out = completed(await dmsAdapter.start(verification(["document", "liveness", "face_match"]), account, h.ctx));
    expect(scope.isDone()).toBe(true);
    expect(out.decision).toBe("approved");
    expect(out.checks.document?.outcome).toBe("pass");
    expect(out.checks.liveness?.outcome).toBe("pass");
    expect(out.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.9342, threshold: 0.82 });
    expect(verifyBody).toEqual({ template_a: "PORTRAIT-TEMPLATE", template_b: "<2048-byte-biometric-vector>" });
    expect(h.payloads.map((p) => p.kind)).toEqual(["gateway_request", "idcard_recognition_base64", "face_detection", "template_extraction", "face_verify"]);
  });

  it("the doc's verbatim sample has a placeholder Portrait: face match fails with no_face_detected, no face call made", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    const scope = nock(BASE).post(DOC).reply(200, fixtureJson("idcard-recognition-response.json"));
    const out = completed(await dmsAdapter.start(verification(["face_match"]), account, h.ctx));
    expect(scope.isDone()).toBe(true);
    expect(out.checks.faceMatch?.outcome).toBe("fail");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["no_face_detected", "Portrait"]]);
    expect(h.calls).toHaveLength(1);
  });

  it("422 on the document call: document_missing for both the document and the face match", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE).post(DOC).reply(422, { error: "Unprocessable Entity" }).post(FACE).reply(200, faceDetectionSample());
    const out = completed(await dmsAdapter.start(verification(["document", "liveness", "face_match"]), account, h.ctx));
    expect(out.decision).toBe("declined");
    expect(out.checks.document).toEqual({ outcome: "fail", type: null, country: null, fields: {} });
    expect(out.checks.liveness?.outcome).toBe("pass");
    expect(out.checks.faceMatch?.outcome).toBe("fail");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["document_missing", "422"]]);
    expect(h.calls.map((c) => c.endpoint)).toEqual(["idcard_recognition_base64", "face_detection"]);
  });

  it.each([
    [{ status: 422, body: { error: "Unprocessable Entity" } }, ["no_face_detected", "422"]],
    [{ status: 200, body: { face_count: 0, faces: [] } }, ["no_face_detected", "face_count=0"]],
    [{ status: 200, body: { face_count: 2, faces: [{ template: "A" }, { template: "B" }] } }, ["multiple_faces", "face_count=2"]],
  ] as const)("template_extraction of the portrait answering %j fails the face match", async (answer, [code, vendorCode]) => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE).post(DOC).reply(200, documentSample()).post(TEMPLATE).reply(answer.status, answer.body);
    const out = completed(await dmsAdapter.start(verification(["face_match"]), account, h.ctx));
    expect(out.checks.faceMatch).toEqual({ outcome: "fail", similarity: null, threshold: null });
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([[code, vendorCode]]);
    expect(h.calls.map((c) => c.endpoint)).toEqual(["idcard_recognition_base64", "template_extraction"]);
  });

  it("a selfie rejected by face_detection (2 faces) is not sent again: liveness and face match both fail", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    const sample = faceDetectionSample();
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(FACE)
      .reply(200, { ...sample, face_count: 2, faces: [...(sample.faces as unknown[]), ...(sample.faces as unknown[])] });
    const out = completed(await dmsAdapter.start(verification(["liveness", "face_match"]), account, h.ctx));
    expect(out.checks.liveness?.outcome).toBe("fail");
    expect(out.checks.faceMatch?.outcome).toBe("fail");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["multiple_faces", "face_count=2"]]);
    expect(h.calls.map((c) => c.endpoint)).toEqual(["idcard_recognition_base64", "face_detection"]);
  });

  it("a template_extraction answer without any template is a parse error", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(TEMPLATE)
      .reply(200, { face_count: 1, faces: [{ quality: 0.9 }] });
    const err = await dmsAdapter.start(verification(["face_match"]), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err) && err.kind).toBe("parse");
  });

  it("similarity outside 0..1 is clamped", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE)
      .post(DOC)
      .reply(200, documentSample())
      .post(TEMPLATE)
      .times(2)
      .reply(200, { template: "T" })
      .post(VERIFY)
      .reply(200, { similarity: 1.7, match: true, threshold: 0.82 });
    const out = completed(await dmsAdapter.start(verification(["face_match"]), account, h.ctx));
    expect(out.checks.faceMatch?.similarity).toBe(1);
  });
});

describe("dms request validation", () => {
  it.each([
    [["document"], { selfie: null }, []],
    [["liveness"], { selfie: null }, ["selfie"]],
    [["face_match"], { selfie: null }, ["selfie"]],
  ] as const)("checks %j without a selfie -> problems at %j", (checks, opts, paths) => {
    const problems = dmsAdapter.validateRequest!(input(opts), [...checks], dmsAccount());
    expect(problems.map((p) => p.path)).toEqual(paths);
  });

  it("document and face_match need a document image; at most front + back", () => {
    const noDoc = { selfie: { contentType: "image/jpeg", data: SELFIE } };
    expect(dmsAdapter.validateRequest!(noDoc, ["face_match"], dmsAccount()).map((p) => p.path)).toEqual(["document.images"]);
    expect(dmsAdapter.validateRequest!(noDoc, ["liveness"], dmsAccount())).toEqual([]);
    const three = input();
    three.document!.images.push({ side: "back", contentType: "image/jpeg", data: PORTRAIT }, { side: "back", contentType: "image/jpeg", data: PORTRAIT });
    expect(dmsAdapter.validateRequest!(three, ["document"], dmsAccount()).map((p) => p.path)).toEqual(["document.images[2]"]);
  });
});

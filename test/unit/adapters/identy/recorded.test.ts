// The adapter against the doc's own sample payloads (fixtures/), served by nock.
import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes } from "node:crypto";
import nock from "nock";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import type { AdapterAccount, Outcome, VerificationInputData } from "../../../../src/adapters/types.js";
import { VendorError } from "../../../../src/domain/errors.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { DOC_PROCESS_OK, DOC_PROCESS_SPOOF, fixture, png } from "./samples.js";

const BASE = "https://iws.identy.test";
const blob = Buffer.from("IDENTY-ENCRYPTED-BLOB\u0000\u0001opaque");
const selfie = { contentType: "image/jpeg", data: fakeJpeg("selfie") };
const portrait = { side: "front" as const, contentType: "image/png", data: png };

interface Captured {
  path: string;
  headers: Record<string, string>;
  body: string;
}

function intercept(path: string, status: number, body: string | object, captured?: Captured[], times = 1) {
  return (
    nock(BASE)
      .post(path)
      .times(times)
      // nock 15 hands the reply function the fetch Request
      .reply(async (request: Request) => {
        captured?.push({ path: new URL(request.url).pathname, headers: Object.fromEntries(request.headers), body: await request.text() });
        return [status, typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json" }];
      })
  );
}

function account(settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}): AdapterAccount {
  return makeAccount("identy", { baseUrl: BASE, settings, credentials });
}

async function run(input: VerificationInputData, checks: CheckName[], acc = account()) {
  const v = makeVerification(input, checks);
  const h = makeHarness(acc, v.id);
  const outcome = await identyAdapter.start(v, acc, h.ctx);
  return { v, h, outcome };
}

async function runError(input: VerificationInputData, checks: CheckName[], acc = account()) {
  const v = makeVerification(input, checks);
  const h = makeHarness(acc, v.id);
  const err = await identyAdapter.start(v, acc, h.ctx).then(
    () => null,
    (e: unknown) => e,
  );
  return { v, h, err: err as VendorError };
}

function completed(o: Outcome) {
  if (o.status !== "completed") throw new Error(`expected completed, got ${o.status}`);
  return o;
}

const withBlob = (extra: Partial<VerificationInputData> = {}): VerificationInputData => ({ faceCapture: { identyBlob: blob.toString("base64") }, ...extra });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("/api/v1/verifyWithPictureId (BLOB + document portrait, blobMatchFlow verifyWithPictureId)", () => {
  const verify = (settings: Record<string, unknown> = {}) => account({ blobMatchFlow: "verifyWithPictureId", ...settings });

  it("the doc's successful match: similarity 1.0, no liveness level, so the required level is not judged (review); the request as the doc builds it", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-successful.txt"), cap);
    const { v, h, outcome } = await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], verify());
    const o = completed(outcome);
    expect(o.decision).toBe("review");
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 1, threshold: 0.8 });
    // never a pass at a level the IWS did not report
    expect(o.checks.liveness).toMatchObject({ outcome: "inconclusive", score: null, level: null });
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["manual_review_required", "as_highest_security_level_reached=absent"]]);
    expect(o.reasons[0]!.message).toContain("BALANCED_VERY_HIGH");
    expect(o.vendorReference).toBe("W-face-VERIFY-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1757929730406");
    // headers: requestID = the verification id, LogAPITrigger: true, a Referer
    const req = cap[0]!;
    expect(req.headers.requestid).toBe(v.id);
    expect(req.headers.logapitrigger).toBe("true");
    expect(req.headers.referer).toBe("https://gateway.test/");
    expect(String(req.headers["content-type"])).toMatch(/^multipart\/form-data; boundary=/);
    // the doc: form_data.append("file", capresult, `bdata`); picID; template; level
    expect(req.body).toContain('name="file"; filename="bdata"');
    expect(req.body).toContain("IDENTY-ENCRYPTED-BLOB");
    expect(req.body).toMatch(new RegExp(`name="picID"\\r\\n\\r\\n${png.toString("base64").replace(/[+/]/g, "\\$&")}\\r\\n`));
    expect(req.body).toMatch(/name="template"\r\n\r\nPNG\r\n/);
    expect(req.body).toMatch(/name="level"\r\n\r\nHIGH\r\n/);
    expect(h.payloads.map((p) => p.kind)).toEqual(["identy.request", "identy.verify_with_picture_id"]);
    expect((h.payloads[1]!.body as { similarityScore: number }).similarityScore).toBe(100);
  });

  it("a legitimate capture proves a required LOW: approved, level still null", async () => {
    intercept("/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-successful.txt"));
    const o = completed((await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], verify({ livenessLevel: "LOW" }))).outcome);
    expect(o.decision).toBe("approved");
    expect(o.reasons).toEqual([]);
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: null, level: null });
  });

  it("face_match alone reports no liveness check it cannot judge", async () => {
    intercept("/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-successful.txt"));
    const o = completed((await run(withBlob({ document: { images: [portrait] } }), ["face_match"], verify())).outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks).toMatchObject({ faceMatch: { outcome: "pass", similarity: 1, threshold: 0.8 } });
  });

  it("the doc's unsuccessful match: declined face_mismatch, similarity 0", async () => {
    intercept("/api/v1/verifyWithPictureId", 200, fixture("verify-with-picture-id-unsuccessful.txt"));
    const o = completed((await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], verify({ livenessLevel: "LOW" }))).outcome);
    expect(o.decision).toBe("declined");
    expect(o.checks.faceMatch).toMatchObject({ outcome: "fail", similarity: 0, threshold: 0.8 });
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["face_mismatch", "possibleMatch=false"]]);
  });

  it("the doc's spoof answer: declined liveness_failed, refid kept for audit, no match", async () => {
    intercept("/api/v1/verifyWithPictureId", 400, fixture("verify-with-picture-id-spoof.json"));
    const { h, outcome } = await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], verify());
    const o = completed(outcome);
    expect(o.decision).toBe("declined");
    expect(o.checks.liveness?.outcome).toBe("fail");
    expect(o.checks.faceMatch?.outcome).toBe("not_performed");
    expect(o.reasons).toHaveLength(1);
    expect(o.reasons[0]).toMatchObject({ code: "liveness_failed", category: "face", vendor: "identy", vendorCode: "401" });
    expect(o.reasons[0]!.message).toContain("W-face-VERIFY-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1757929730406");
    expect(o.vendorReference).toBe("W-face-VERIFY-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1757929730406");
    expect((h.payloads.find((p) => p.kind === "identy.verify_with_picture_id")!.body as { refid: string }).refid).toBe(
      "W-face-VERIFY-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1757929730406",
    );
  });

  it("enforces the liveness level when the IWS does send one", async () => {
    intercept("/api/v1/verifyWithPictureId", 200, {
      ...JSON.parse(fixture("verify-with-picture-id-spoof.json").replace("401", "200")),
      feedbackCode: "FEEDBACK_MATCHED",
      as_highest_security_level_reached: "MEDIUM",
      possibleMatch: true,
      similarityScore: 95,
    });
    const o = completed((await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], verify())).outcome);
    expect(o.checks.liveness).toMatchObject({ outcome: "fail", score: null, level: "MEDIUM" });
    expect(o.decision).toBe("declined");
  });
});

describe("BLOB + document portrait by default: /process, then /matchWithPictureId (the level is reported and enforced)", () => {
  it("the doc's samples: liveness at HIGHEST with its score, the captured template matched against the portrait", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/process", 200, DOC_PROCESS_OK, cap);
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    const { h, outcome } = await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], account({ multipleFaces: "ignore" }));
    const o = completed(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks).toMatchObject({
      liveness: { outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" },
      faceMatch: { outcome: "pass", similarity: 1, threshold: 0.8 },
    });
    expect(cap.map((c) => c.path)).toEqual(["/api/v1/process", "/api/v1/matchWithPictureId"]);
    expect(JSON.parse(cap[1]!.body)).toEqual({
      image: { template: DOC_PROCESS_OK.data.templates.JPEG, format: "JPEG" },
      imageToVerifyAgainst: { template: png.toString("base64"), format: "PNG" },
      level: "HIGH",
    });
    expect(o.vendorReference).toBe(DOC_PROCESS_OK.refid);
    expect(h.payloads.map((p) => p.kind)).toEqual(["identy.request", "identy.process", "identy.templates", "identy.match_with_picture_id"]);
  });

  it.each([
    ["HIGH", "BALANCED_VERY_HIGH", "fail"],
    ["HIGH", "HIGH", "pass"],
    ["VERY_HIGH", "HIGHEST", "fail"],
  ])("reached %s against an account level %s -> %s (no match call on a fail)", async (reached, required, outcome) => {
    const cap: Captured[] = [];
    intercept("/api/v1/process", 200, { ...DOC_PROCESS_OK, data: { ...DOC_PROCESS_OK.data, as_highest_security_level_reached: reached } }, cap);
    if (outcome === "pass") intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    const o = completed(
      (await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], account({ livenessLevel: required, multipleFaces: "ignore" })))
        .outcome,
    );
    expect(o.checks.liveness).toMatchObject({ outcome, score: null, spoofScore: 0.9757902, level: reached });
    expect(o.decision).toBe(outcome === "pass" ? "approved" : "declined");
    expect(cap).toHaveLength(outcome === "pass" ? 2 : 1);
  });
});

describe("/api/v1/face/as and /api/v1/secure/face/as (the doc's `0,12345` sample)", () => {
  it("selfie liveness: VERY_HIGH reaches the default BALANCED_VERY_HIGH", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/face/as", 200, fixture("face-as-output.txt"), cap);
    const o = completed((await run({ selfie }, ["liveness"])).outcome);
    expect(o.decision).toBe("approved");
    // the doc's `"score": 0,12345`, reported as the vendor gives it
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: 0.12345, level: "VERY_HIGH" });
    expect(o.vendorReference).toBe("W-finger-process-e8abfc01-97fe-4587-8cec-9613c8873e40-1754967565683");
    expect(cap[0]!.body).toMatch(/name="threshold"\r\n\r\nBALANCED_VERY_HIGH\r\n/);
    expect(cap[0]!.body).toContain(`name="image"\r\n\r\n${selfie.data.toString("base64")}\r\n`);
  });

  it("selfie liveness: VERY_HIGH does not reach a required HIGHEST", async () => {
    intercept("/api/v1/face/as", 200, fixture("face-as-output.txt"));
    const o = completed((await run({ selfie }, ["liveness"], account({ livenessLevel: "HIGHEST" }))).outcome);
    expect(o.decision).toBe("declined");
    expect(o.checks.liveness).toMatchObject({ outcome: "fail", score: 0.12345, level: "VERY_HIGH" });
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["liveness_failed", "as_highest_security_level_reached=VERY_HIGH"]]);
  });

  it('/secure/face/as is not offered for Web SDK BLOBs: it takes "the encrypted response returned by the native Face SDK"', () => {
    expect(() => identyAdapter.settings.parse({ blobLivenessEndpoint: "secure_face_as" })).toThrow(/blobLivenessEndpoint/);
  });

  it("is_spoof true declines", async () => {
    intercept("/api/v1/face/as", 200, fixture("face-as-output.txt").replace('"is_spoof": false', '"is_spoof": true'));
    const o = completed((await run({ selfie }, ["liveness"])).outcome);
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["liveness_failed", "is_spoof=true"]]);
  });
});

describe("/api/v1/matchWithPictureId and /api/v1/matchWithSelfie", () => {
  it("selfie vs portrait with the doc's sample: JSON body as documented; multipleFacesImage asks for review", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    const o = completed((await run({ selfie, document: { images: [portrait] } }, ["face_match"])).outcome);
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 1, threshold: 0.8 });
    expect(o.decision).toBe("review");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["manual_review_required", "multipleFacesImage"]]);
    expect(JSON.parse(cap[0]!.body)).toEqual({
      image: { template: selfie.data.toString("base64"), format: "JPEG" },
      imageToVerifyAgainst: { template: png.toString("base64"), format: "PNG" },
      level: "HIGH",
    });
    expect(String(cap[0]!.headers["content-type"])).toBe("application/json");
  });

  it.each([
    ["decline", "declined", ["multiple_faces"]],
    ["ignore", "approved", []],
  ])("multipleFaces policy %s -> %s", async (policy, decision, codes) => {
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"));
    const o = completed((await run({ selfie, document: { images: [portrait] } }, ["face_match"], account({ multipleFaces: policy }))).outcome);
    expect(o.decision).toBe(decision);
    expect(o.reasons.map((r) => r.code)).toEqual(codes);
  });

  it("BLOB + reference selfie: /process, then /matchWithSelfie with the captured JPEG (doc sample answer)", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/process", 200, DOC_PROCESS_OK, cap);
    intercept("/api/v1/matchWithSelfie", 200, fixture("match-with-selfie-response.txt"), cap);
    const { h, outcome } = await run(withBlob({ selfie }), ["liveness", "face_match"], account({ multipleFaces: "ignore" }));
    const o = completed(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" });
    // selfie vs selfie working point HIGH = 90
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 1, threshold: 0.9 });
    expect(cap.map((c) => c.path)).toEqual(["/api/v1/process", "/api/v1/matchWithSelfie"]);
    expect(cap[0]!.body).toMatch(/name="enableQuality"\r\n\r\ntrue\r\n/);
    const match = JSON.parse(cap[1]!.body) as { image: { template: string; format: string }; imageToVerifyAgainst: { template: string } };
    expect(match.image).toEqual({ template: DOC_PROCESS_OK.data.templates.JPEG, format: "JPEG" });
    expect(match.imageToVerifyAgainst.template).toBe(selfie.data.toString("base64"));
    expect(h.payloads.map((p) => p.kind)).toEqual(["identy.request", "identy.process", "identy.templates", "identy.match_with_selfie"]);
  });
});

describe('a plain selfie is sized to 480x640 for the match endpoints (901: "Passed image isn\'t 480x640")', () => {
  const photo = (width: number, height: number, format: "jpeg" | "png" = "jpeg") => {
    const p = sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 150 } } });
    return (format === "png" ? p.png() : p.jpeg()).toBuffer();
  };
  const sentProbe = async (cap: Captured[]) => {
    const body = JSON.parse(cap.find((c) => c.path.startsWith("/api/v1/match"))!.body) as {
      image: { template: string; format: string };
      imageToVerifyAgainst: { template: string; format: string };
    };
    return body;
  };

  it.each([
    [800, 600, "jpeg", "JPEG"],
    [1080, 1920, "jpeg", "JPEG"],
    [300, 300, "png", "PNG"],
  ] as const)("%ix%i %s -> exactly 480 wide, 640 high, still %s", async (width, height, kind, format) => {
    const cap: Captured[] = [];
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    const img = { contentType: `image/${kind}`, data: await photo(width, height, kind) };
    await run({ selfie: img, document: { images: [portrait] } }, ["face_match"]);
    const { image, imageToVerifyAgainst } = await sentProbe(cap);
    expect(image.format).toBe(format);
    const meta = await sharp(Buffer.from(image.template, "base64")).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([480, 640, kind]);
    // the document portrait is sent as it is: the doc sets no size for it
    expect(imageToVerifyAgainst.template).toBe(png.toString("base64"));
  });

  it("a 480x640 selfie is sent byte for byte; so is the reference selfie of /matchWithSelfie once sized", async () => {
    const exact = await photo(480, 640);
    const cap: Captured[] = [];
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    await run({ selfie: { contentType: "image/jpeg", data: exact }, document: { images: [portrait] } }, ["face_match"]);
    expect((await sentProbe(cap)).image.template).toBe(exact.toString("base64"));

    const cap2: Captured[] = [];
    intercept("/api/v1/process", 200, DOC_PROCESS_OK, cap2);
    intercept("/api/v1/matchWithSelfie", 200, fixture("match-with-selfie-response.txt"), cap2);
    await run(withBlob({ selfie: { contentType: "image/jpeg", data: await photo(640, 480) } }), ["liveness", "face_match"]);
    const ref = await sharp(Buffer.from((await sentProbe(cap2)).imageToVerifyAgainst.template, "base64")).metadata();
    expect([ref.width, ref.height]).toEqual([480, 640]);
  });

  it('the liveness endpoint gets the selfie unchanged ("no longer enforces a fixed 640×480 resolution")', async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/face/as", 200, fixture("face-as-output.txt"), cap);
    const img = await photo(800, 600);
    await run({ selfie: { contentType: "image/jpeg", data: img } }, ["liveness"]);
    expect(cap[0]!.body).toContain(`name="image"\r\n\r\n${img.toString("base64")}\r\n`);
  });
});

describe("/api/v1/process", () => {
  it("the doc's success sample passes at HIGHEST with its spoof_score, and records template sizes", async () => {
    intercept("/api/v1/process", 200, DOC_PROCESS_OK);
    const { h, outcome } = await run(withBlob(), ["liveness"]);
    const o = completed(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks).toMatchObject({ liveness: { outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" } });
    const templates = h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: { format: string; bytes: number }[] };
    expect(templates.opened.map((t) => [t.format, t.bytes])).toEqual([
      ["JPEG", fakeJpeg("captured").length],
      ["PNG", png.length],
    ]);
  });

  it("the doc's spoof sample with quality:false is a retake: image_low_quality alone (code 401 kept), liveness not judged", async () => {
    // the doc: "We recommend asking users to retake the picture if the capture has been flagged as a spoof and its
    // quality key is set to false"; a liveness_failed beside it would turn the retake into a decline
    intercept("/api/v1/process", 400, DOC_PROCESS_SPOOF);
    const o = completed((await run(withBlob(), ["liveness"])).outcome);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.category, r.vendorCode])).toEqual([["image_low_quality", "image", "401"]]);
    expect(o.reasons[0]!.message).toBe(
      "FEEDBACK_RETRY with quality=false: a poor-quality capture, ask the user to retake (refid W-face-process-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1743773080405)",
    );
    // debug.spoof_score [0.0] is carried as the spoof score, and the answer's `quality` flag as a signal
    expect(o.checks.liveness).toEqual({ outcome: "inconclusive", score: null, spoofScore: 0, level: null, quality: { quality: false } });
  });

  it("qc_passed:false on a legitimate capture asks for a retake: image_low_quality, liveness still reported", async () => {
    const poor = { ...DOC_PROCESS_OK, data: { ...DOC_PROCESS_OK.data, quality: { ...DOC_PROCESS_OK.data.quality, quality_metric: 12.5, qc_passed: false } } };
    intercept("/api/v1/process", 200, poor);
    const o = completed((await run(withBlob(), ["liveness"])).outcome);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["image_low_quality", "qc_passed=false"]]);
    expect(o.reasons[0]!.message).toContain("quality_metric 12.5");
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" });
  });

  it("qc_passed:false with a level below ours: the low level is not held against a poor capture (retake)", async () => {
    const poor = {
      ...DOC_PROCESS_OK,
      data: { ...DOC_PROCESS_OK.data, as_highest_security_level_reached: "MEDIUM", quality: { ...DOC_PROCESS_OK.data.quality, qc_passed: false } },
    };
    intercept("/api/v1/process", 200, poor);
    const o = completed((await run(withBlob(), ["liveness"])).outcome);
    expect(o.reasons.map((r) => r.code)).toEqual(["image_low_quality"]);
    expect(o.checks.liveness).toMatchObject({ outcome: "inconclusive", score: null, spoofScore: 0.9757902, level: "MEDIUM" });
  });

  it("qc_passed:false before a match: no match call, image_low_quality", async () => {
    const cap: Captured[] = [];
    const poor = { ...DOC_PROCESS_OK, data: { ...DOC_PROCESS_OK.data, quality: { ...DOC_PROCESS_OK.data.quality, qc_passed: false } } };
    intercept("/api/v1/process", 200, poor, cap);
    const o = completed((await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"])).outcome);
    expect(o.reasons.map((r) => r.code)).toEqual(["image_low_quality"]);
    expect(o.checks.faceMatch).toMatchObject({ outcome: "not_performed", similarity: null, threshold: null });
    expect(cap.map((c) => c.path)).toEqual(["/api/v1/process"]);
  });

  it("a spoof with quality:true adds no image reason; FEEDBACK_RETRY_INSECURE is a spoof too", async () => {
    intercept("/api/v1/process", 400, { ...DOC_PROCESS_SPOOF, quality: true });
    expect(completed((await run(withBlob(), ["liveness"])).outcome).reasons.map((r) => r.code)).toEqual(["liveness_failed"]);
    intercept("/api/v1/process", 400, { ...DOC_PROCESS_SPOOF, message: "FEEDBACK_RETRY_INSECURE", quality: true });
    const o = completed((await run(withBlob(), ["liveness"])).outcome);
    expect(o.reasons.map((r) => [r.code, r.message?.split(" ")[0]])).toEqual([["liveness_failed", "FEEDBACK_RETRY_INSECURE"]]);
  });

  it.each([
    ["MEDIUM", "fail", "liveness_failed"],
    ["HIGH", "fail", "liveness_failed"],
    ["BALANCED_VERY_HIGH", "pass", null],
    ["VERY_HIGH", "pass", null],
    [null, "fail", "liveness_failed"],
    ["ULTRA", "inconclusive", "manual_review_required"],
  ])("reached %s against the default BALANCED_VERY_HIGH -> %s", async (level, outcome, code) => {
    intercept("/api/v1/process", 200, { ...DOC_PROCESS_OK, data: { ...DOC_PROCESS_OK.data, as_highest_security_level_reached: level } });
    const o = completed((await run(withBlob(), ["liveness"])).outcome);
    expect(o.checks.liveness?.outcome).toBe(outcome);
    expect(o.reasons.map((r) => r.code)).toEqual(code ? [code] : []);
  });

  it("the doc's printed /process sample is unreadable: a parse error ending as vendor_error", async () => {
    intercept("/api/v1/process", 200, fixture("process-output.txt"));
    const { err } = await runError(withBlob(), ["liveness"]);
    expect(err).toBeInstanceOf(VendorError);
    expect(err.kind).toBe("parse");
    expect(err.toReason().code).toBe("vendor_error");
  });

  it("a body missing the documented fields is a parse error, not a crash", async () => {
    intercept("/api/v1/process", 200, { code: 200, message: "FEEDBACK_CAPTURED" });
    const { err } = await runError(withBlob(), ["liveness"]);
    expect(err.kind).toBe("parse");
    expect(err.message).toContain("data");
  });
});

// Every row of the doc's error tables, end to end on /process, at the table's HTTP status and at HTTP 200.
const ERROR_ROWS: [number, string, number, string, "completed" | "failed"][] = [
  [401, "FEEDBACK_RETRY", 400, "liveness_failed", "completed"],
  [404, "ERROR_CLIENT_NOT_EXISTS", 400, "vendor_rejected_request", "failed"],
  [500, "ERROR_SERVER_INTERNAL", 500, "vendor_unavailable", "failed"],
  [501, "ERROR_INVALID_JSON", 400, "vendor_rejected_request", "failed"],
  [503, "ERROR_INVALID_IMAGE", 400, "no_face_detected", "completed"],
  [504, "ERROR_INVALID_FORMAT", 400, "vendor_rejected_request", "failed"],
  [505, "ERROR_INVALID_MATCH_LEVEL", 400, "vendor_rejected_request", "failed"],
  [506, "ERROR_INVALID_AS_LEVEL", 400, "vendor_rejected_request", "failed"],
  [507, "NO_TEMPLATES_SPECIFIED", 400, "vendor_rejected_request", "failed"],
  [509, "ERROR_MULTIPLE_FACES", 400, "multiple_faces", "completed"],
  [510, "ERROR_POOR_ICAO_QUALITY", 400, "image_low_quality", "completed"],
  [601, "ERROR_DECRYPTION_FAILED", 400, "vendor_rejected_request", "failed"],
  [604, "ERROR_REQUEST_EXPIRED", 500, "capture_expired", "completed"],
  [900, "INVALID_IMAGE", 400, "vendor_rejected_request", "failed"],
  [901, "ERROR_WRONG_RESOLUTION", 400, "vendor_rejected_request", "failed"],
];

describe("IWS error codes end to end", () => {
  for (const httpMode of ["table", "200"] as const) {
    it.each(ERROR_ROWS)(`code %i %s (HTTP %i, sent as ${httpMode}) -> %s`, async (code, name, httpStatus, expected, status) => {
      // a /process answer is never resent by default: the BLOB call is billed and the server may be the slow one
      const times = 1;
      intercept("/api/v1/process", httpMode === "table" ? httpStatus : 200, { code, message: name, refid: `W-face-process-e-${code}` }, undefined, times);
      const v = makeVerification(withBlob(), ["liveness"]);
      const acc = account();
      const h = makeHarness(acc, v.id);
      const result = await identyAdapter.start(v, acc, h.ctx).then(
        (o) => ({ o, e: null }),
        (e: unknown) => ({ o: null, e: e as VendorError }),
      );
      if (status === "completed") {
        const o = completed(result.o!);
        expect(o.decision).toBe("declined");
        expect(o.reasons[0]).toMatchObject({ code: expected, vendor: "identy", vendorCode: String(code) });
        expect(o.reasons[0]!.message).toContain(`W-face-process-e-${code}`);
        expect(o.vendorReference).toBe(`W-face-process-e-${code}`);
      } else {
        expect(result.e).toBeInstanceOf(VendorError);
        expect(result.e!.toReason()).toMatchObject({ code: expected, category: "technical", vendorCode: String(code) });
        expect(h.calls).toHaveLength(times);
      }
    });
  }

  it("an undocumented code fails technically and keeps its code", async () => {
    intercept("/api/v1/process", 400, { code: 777, message: "ERROR_NEW" });
    const { err } = await runError(withBlob(), ["liveness"]);
    expect(err.toReason()).toMatchObject({ code: "vendor_error", vendorCode: "777" });
  });

  it("an HTTP 503 without an IWS body on /process is vendor_unavailable, the BLOB not resent", async () => {
    intercept("/api/v1/process", 503, "Service Unavailable", undefined, 1);
    const { err, h } = await runError(withBlob(), ["liveness"]);
    expect(err.toReason().code).toBe("vendor_unavailable");
    expect(h.calls).toHaveLength(1);
  });

  it("code 500 ERROR_SERVER_INTERNAL on /process is retried (3 attempts) only when the account sets resendBlob", async () => {
    intercept("/api/v1/process", 500, { code: 500, message: "ERROR_SERVER_INTERNAL", refid: "W-face-process-e-500" }, undefined, 3);
    const { err, h } = await runError(withBlob(), ["liveness"], account({ resendBlob: true }));
    expect(err.toReason()).toMatchObject({ code: "vendor_unavailable", vendorCode: "500" });
    expect(h.calls).toHaveLength(3);
  });
});

describe("encrypted_templates (TEMPLATE_ENCRYPTION_ENABLED)", () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const captured = fakeJpeg("decrypted-capture");
  function enc(plain: Buffer) {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv);
    const data = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    const wrap = (b: Buffer) => publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, b).toString("base64");
    return { data: data.toString("base64"), key2: wrap(iv), key1: wrap(key) };
  }
  const encryptedBody = () => {
    const { templates: _t, ...data } = DOC_PROCESS_OK.data;
    return { ...DOC_PROCESS_OK, data: { ...data, encrypted_templates: { PNG: enc(png), JPEG: enc(captured) } } };
  };

  it("decrypts with templatePrivateKey, records sizes and formats, and matches the decrypted capture", async () => {
    const cap: Captured[] = [];
    intercept("/api/v1/process", 200, encryptedBody());
    intercept("/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt"), cap);
    const acc = account({ blobMatchFlow: "process_then_match", multipleFaces: "ignore" }, { templatePrivateKey: privatePem });
    const { h, outcome } = await run(withBlob({ document: { images: [portrait] } }), ["liveness", "face_match"], acc);
    expect(completed(outcome).decision).toBe("approved");
    const rec = h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: Record<string, unknown>[] };
    expect(rec.opened).toEqual([
      { format: "PNG", encrypted: true, decrypted: true, bytes: png.length, detectedType: "image/png", width: 1, height: 1 },
      { format: "JPEG", encrypted: true, decrypted: true, bytes: captured.length, detectedType: "image/jpeg", width: null, height: null },
    ]);
    // never the template bytes in the record
    expect(JSON.stringify(rec)).not.toContain(captured.toString("base64").slice(0, 12));
    expect((JSON.parse(cap[0]!.body) as { image: { template: string } }).image.template).toBe(captured.toString("base64"));
  });

  it("without a private key the liveness still stands, and a match that needs the template fails as a configuration problem", async () => {
    intercept("/api/v1/process", 200, encryptedBody());
    const only = await run(withBlob(), ["liveness"]);
    expect(completed(only.outcome).decision).toBe("approved");
    const rec = only.h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: { error?: string }[] };
    expect(rec.opened.every((t) => t.error === "no templatePrivateKey configured")).toBe(true);

    intercept("/api/v1/process", 200, encryptedBody());
    const { err } = await runError(withBlob({ selfie }), ["liveness", "face_match"]);
    expect(err.toReason().code).toBe("vendor_feature_disabled");
  });
});

describe("health from /api/v1/face_health", () => {
  it("OK is healthy", async () => {
    nock(BASE).get("/api/v1/face_health").matchHeader("LogAPITrigger", "true").reply(200, "OK");
    const acc = account();
    expect(await identyAdapter.health!(acc, makeHarness(acc).ctx)).toEqual({ ok: true, detail: "face_health OK" });
  });

  it("a 503 or a refused connection is not", async () => {
    nock(BASE).get("/api/v1/face_health").reply(503, "down");
    const acc = account();
    const r = await identyAdapter.health!(acc, makeHarness(acc).ctx);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("503");
  });
});

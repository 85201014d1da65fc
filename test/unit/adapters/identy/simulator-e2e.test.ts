// The adapter against the IWS simulator on an ephemeral port, one test per magic input.
import { generateKeyPairSync } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import type { AdapterAccount, Outcome, VerificationInputData } from "../../../../src/adapters/types.js";
import { VendorError } from "../../../../src/domain/errors.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { createIdentySimulator, makeIdentySimulator } from "../../../../src/sandbox/identy/simulator.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification, sizedJpeg } from "../../../support/adapter-harness.js";

const log = pino({ level: "silent" });
const faults = new FaultInjector(500);
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express()
    .use("/identy", createIdentySimulator({ faults, log }))
    // the same simulator with TEMPLATE_ENCRYPTION_ENABLED and our public key
    .use("/identy-enc", makeIdentySimulator({ faults, log, templateEncryptionKey: publicPem }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => faults.clear());
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const blobWith = (marker = "") => Buffer.from(`IDENTY-SDK-BLOB\u0000\u0001${marker}`).toString("base64");
const portrait = (marker = "") => ({ side: "front" as const, contentType: "image/jpeg", data: fakeJpeg(`portrait ${marker}`) });
// a 480x640 selfie as the match endpoints take it ("640 x 480 base64 encoded selfie"), markers in its bytes
const selfieWith = (marker = "") => ({ contentType: "image/jpeg", data: sizedJpeg(`selfie ${marker}`) });

function account(settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}, path = "/identy"): AdapterAccount {
  return makeAccount("identy", { baseUrl: `${base}${path}`, settings, credentials });
}

async function start(input: VerificationInputData, checks: CheckName[], acc = account()) {
  const v = makeVerification(input, checks);
  const h = makeHarness(acc, v.id);
  const result = await identyAdapter.start(v, acc, h.ctx).then(
    (outcome) => ({ outcome, error: null }),
    (error: unknown) => ({ outcome: null, error: error as VendorError }),
  );
  return { v, h, ...result };
}

function done(o: Outcome | null) {
  if (o?.status !== "completed") throw new Error(`expected completed, got ${o?.status}`);
  return o;
}
const codes = (o: Outcome | null) => done(o).reasons.map((r) => r.code);

describe("no magic: a clean pass", () => {
  it("BLOB liveness (/process): approved at HIGHEST, refid as vendor reference", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith() } }, ["liveness"]);
    const o = done(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" });
    expect(o.vendorReference).toMatch(/^W-face-process-[0-9a-f-]{36}-\d{13}$/);
    const tpl = h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: { format: string; width: number | null }[] };
    expect(tpl.opened.map((t) => [t.format, t.width])).toEqual([
      ["JPEG", 480],
      ["PNG", 1],
    ]);
  });

  it("BLOB + portrait (/process then /matchWithPictureId): approved at HIGHEST, similarity 0.93", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith() }, document: { images: [portrait()] } }, ["liveness", "face_match"]);
    const o = done(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks).toMatchObject({
      liveness: { outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" },
      faceMatch: { outcome: "pass", similarity: 0.93, threshold: 0.8 },
    });
    expect(h.calls.map((c) => c.endpoint)).toEqual(["process", "match_with_picture_id"]);
    expect(o.vendorReference).toMatch(/^W-face-process-/);
  });

  it("BLOB + portrait on /verifyWithPictureId (blobMatchFlow): similarity 0.93, liveness without a level is not judged", async () => {
    const o = done(
      (
        await start(
          { faceCapture: { identyBlob: blobWith() }, document: { images: [portrait()] } },
          ["liveness", "face_match"],
          account({ blobMatchFlow: "verifyWithPictureId" }),
        )
      ).outcome,
    );
    expect(o.decision).toBe("review");
    expect(o.checks).toMatchObject({
      liveness: { outcome: "inconclusive", score: null, level: null },
      faceMatch: { outcome: "pass", similarity: 0.93, threshold: 0.8 },
    });
    expect(o.vendorReference).toMatch(/^W-face-VERIFY-/);
  });

  it("selfie + portrait (/face/as then /matchWithPictureId): approved", async () => {
    const { outcome, h } = await start({ selfie: selfieWith(), document: { images: [portrait()] } }, ["liveness", "face_match"]);
    const o = done(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks).toMatchObject({
      liveness: { outcome: "pass", score: 0.12345, level: "HIGHEST" },
      faceMatch: { outcome: "pass", similarity: 0.93, threshold: 0.8 },
    });
    expect(h.calls.map((c) => c.endpoint)).toEqual(["face_as", "match_with_picture_id"]);
  });

  it("BLOB + reference selfie (/process then /matchWithSelfie): HIGH working point reached at 93", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith() }, selfie: selfieWith() }, ["liveness", "face_match"]);
    const o = done(outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 0.93, threshold: 0.9 });
    expect(h.calls.map((c) => c.endpoint)).toEqual(["process", "match_with_selfie"]);
  });

  it('a Web SDK BLOB is checked on /process, never /secure/face/as ("the encrypted response returned by the native Face SDK")', async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith() } }, ["liveness"]);
    expect(done(outcome).vendorReference).toMatch(/^W-face-process-/);
    expect(h.calls.map((c) => c.endpoint)).toEqual(["process"]);
    expect(() => identyAdapter.settings.parse({ blobLivenessEndpoint: "secure_face_as" })).toThrow();
  });

  it("health is OK", async () => {
    const acc = account();
    expect(await identyAdapter.health!(acc, makeHarness(acc).ctx)).toEqual({ ok: true, detail: "face_health OK" });
  });
});

describe("selfie resolution (the IWS answers 901 to a selfie that is not 480x640)", () => {
  const photo = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 160, b: 130 } } })
      .jpeg()
      .toBuffer();

  it("an 800x600 selfie is refused by the simulator as sent, and approved once the adapter has sized it", async () => {
    const selfie = await photo(800, 600);
    // the simulator, called directly with the selfie as the tenant sent it
    const direct = await fetch(`${base}/identy/api/v1/matchWithPictureId`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Referer: "https://gateway.test/" },
      body: JSON.stringify({
        image: { template: selfie.toString("base64"), format: "JPEG" },
        imageToVerifyAgainst: { template: portrait().data.toString("base64"), format: "JPEG" },
        level: "HIGH",
      }),
    });
    expect(direct.status).toBe(400);
    expect(await direct.json()).toMatchObject({ code: 901, feedbackCode: "ERROR_WRONG_RESOLUTION" });
    // through the adapter: face match only, then liveness + match
    const o = done((await start({ selfie: { contentType: "image/jpeg", data: selfie }, document: { images: [portrait()] } }, ["face_match"])).outcome);
    expect(o.decision).toBe("approved");
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 0.93, threshold: 0.8 });
    const both = await start({ selfie: { contentType: "image/jpeg", data: await photo(1080, 1920) }, document: { images: [portrait()] } }, [
      "liveness",
      "face_match",
    ]);
    expect(done(both.outcome).decision).toBe("approved");
    expect(both.h.calls.map((c) => [c.endpoint, c.httpStatus])).toEqual([
      ["face_as", 200],
      ["match_with_picture_id", 200],
    ]);
  });
});

describe("magic inputs", () => {
  it("MAGIC:spoof on a BLOB: liveness_failed, refid in the reason", async () => {
    const o = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:spoof") } }, ["liveness"])).outcome);
    expect(o.decision).toBe("declined");
    expect(o.reasons).toHaveLength(1);
    expect(o.reasons[0]).toMatchObject({ code: "liveness_failed", vendorCode: "401" });
    expect(o.reasons[0]!.message).toMatch(/^FEEDBACK_RETRY \(refid W-face-process-/);
  });

  it("MAGIC:spoof_lowquality: a retake (image_low_quality, code 401)", async () => {
    const o = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:spoof_lowquality") } }, ["liveness"])).outcome);
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["image_low_quality", "401"]]);
    expect(o.checks.liveness?.outcome).toBe("inconclusive");
  });

  it("MAGIC:spoof_lowquality on /verifyWithPictureId too, and no match", async () => {
    const input = { faceCapture: { identyBlob: blobWith("MAGIC:spoof_lowquality") }, document: { images: [portrait()] } };
    const o = done((await start(input, ["liveness", "face_match"], account({ blobMatchFlow: "verifyWithPictureId" }))).outcome);
    expect(o.reasons.map((r) => r.code)).toEqual(["image_low_quality"]);
    expect(o.checks.faceMatch?.outcome).toBe("not_performed");
  });

  it("MAGIC:lowqc: a legitimate capture with qc_passed false asks for a retake, and is not matched", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith("MAGIC:lowqc") }, document: { images: [portrait()] } }, [
      "liveness",
      "face_match",
    ]);
    const o = done(outcome);
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["image_low_quality", "qc_passed=false"]]);
    expect(o.checks.liveness).toMatchObject({ outcome: "pass", score: null, spoofScore: 0.9757902, level: "HIGHEST" });
    expect(h.calls.map((c) => c.endpoint)).toEqual(["process"]);
  });

  it("MAGIC:insecure: FEEDBACK_RETRY_INSECURE is a liveness failure", async () => {
    const o = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:insecure") } }, ["liveness"])).outcome);
    expect(o.reasons.map((r) => [r.code, r.message!.split(" ")[0]])).toEqual([["liveness_failed", "FEEDBACK_RETRY_INSECURE"]]);
  });

  it("MAGIC:spoof on a selfie (/face/as): no match call", async () => {
    const { outcome, h } = await start({ selfie: selfieWith("MAGIC:spoof"), document: { images: [portrait()] } }, ["liveness", "face_match"]);
    const o = done(outcome);
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["liveness_failed", "is_spoof=true"]]);
    expect(o.checks.faceMatch?.outcome).toBe("not_performed");
    expect(h.calls.map((c) => c.endpoint)).toEqual(["face_as"]);
  });

  it("MAGIC:level=MEDIUM on a BLOB: below the default BALANCED_VERY_HIGH fails, above a LOW requirement passes", async () => {
    const fail = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:level=MEDIUM") } }, ["liveness"])).outcome);
    expect(fail.checks.liveness).toMatchObject({ outcome: "fail", score: null, spoofScore: 0.9757902, level: "MEDIUM" });
    expect(fail.reasons.map((r) => r.vendorCode)).toEqual(["as_highest_security_level_reached=MEDIUM"]);
    const pass = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:level=MEDIUM") } }, ["liveness"], account({ livenessLevel: "LOW" }))).outcome);
    expect(pass.checks.liveness).toMatchObject({ outcome: "pass", score: null, spoofScore: 0.9757902, level: "MEDIUM" });
  });

  it("MAGIC:level=MEDIUM on a selfie: /face/as judges it against our threshold", async () => {
    const fail = done((await start({ selfie: selfieWith("MAGIC:level=MEDIUM") }, ["liveness"])).outcome);
    expect(fail.reasons.map((r) => r.vendorCode)).toEqual(["is_spoof=true"]);
    const pass = done((await start({ selfie: selfieWith("MAGIC:level=MEDIUM") }, ["liveness"], account({ livenessLevel: "MEDIUM" }))).outcome);
    expect(pass.decision).toBe("approved");
    expect(pass.checks.liveness?.level).toBe("MEDIUM");
  });

  it("a BLOB packaged more than 2 minutes before it reaches /process: 604 ERROR_REQUEST_EXPIRED, capture_expired (a retake)", async () => {
    const old = done((await start({ faceCapture: { identyBlob: blobWith(`packaged_at=${Date.now() - 2 * 60_000 - 1_000}`) } }, ["liveness"])).outcome);
    expect(old.reasons).toMatchObject([{ code: "capture_expired", vendor: "identy", vendorCode: "604" }]);
    expect(done((await start({ faceCapture: { identyBlob: blobWith(`packaged_at=${Date.now() - 5_000}`) } }, ["liveness"])).outcome).decision).toBe("approved");
  });

  it("MAGIC:level=VERY_HIGH on /process passes the default level, fails HIGHEST", async () => {
    const input = { faceCapture: { identyBlob: blobWith("MAGIC:level=VERY_HIGH") } };
    expect(done((await start(input, ["liveness"])).outcome).decision).toBe("approved");
    expect(codes((await start(input, ["liveness"], account({ livenessLevel: "HIGHEST" }))).outcome)).toEqual(["liveness_failed"]);
  });

  it("MAGIC:nomatch: face_mismatch with similarity 0.12", async () => {
    const o = done(
      (await start({ faceCapture: { identyBlob: blobWith("MAGIC:nomatch") }, document: { images: [portrait()] } }, ["liveness", "face_match"])).outcome,
    );
    expect(o.checks.faceMatch).toMatchObject({ outcome: "fail", similarity: 0.12, threshold: 0.8 });
    expect(o.checks.liveness?.outcome).toBe("pass");
    expect(o.reasons.map((r) => r.code)).toEqual(["face_mismatch"]);
  });

  it("MAGIC:nomatch in the BLOB reaches /matchWithSelfie through the captured template", async () => {
    expect(codes((await start({ faceCapture: { identyBlob: blobWith("MAGIC:nomatch") }, selfie: selfieWith() }, ["liveness", "face_match"])).outcome)).toEqual([
      "face_mismatch",
    ]);
  });

  it("MAGIC:similarity=85 passes at HIGH, fails at HIGHEST", async () => {
    const input = { selfie: selfieWith("MAGIC:similarity=85"), document: { images: [portrait()] } };
    const pass = done((await start(input, ["face_match"])).outcome);
    expect(pass.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 0.85, threshold: 0.8 });
    const fail = done((await start(input, ["face_match"], account({ matchLevel: "HIGHEST" }))).outcome);
    expect(fail.checks.faceMatch).toMatchObject({ outcome: "fail", similarity: 0.85, threshold: 0.9 });
    expect(fail.reasons.map((r) => r.code)).toEqual(["face_mismatch"]);
  });

  it("MAGIC:multiface: review by default, declined with multipleFaces=decline", async () => {
    const input = { selfie: selfieWith("MAGIC:multiface"), document: { images: [portrait()] } };
    const review = done((await start(input, ["face_match"])).outcome);
    expect(review.decision).toBe("review");
    expect(review.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["manual_review_required", "multipleFacesImage"]]);
    expect(codes((await start(input, ["face_match"], account({ multipleFaces: "decline" }))).outcome)).toEqual(["multiple_faces"]);
    const blob = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:multiface") } }, ["liveness"])).outcome);
    expect(blob.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["manual_review_required", "icao_data.multiple_faces"]]);
  });

  it("MAGIC:expired: 604 at HTTP 500 is capture_expired, not a retry", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith("MAGIC:expired") } }, ["liveness"]);
    expect(done(outcome).reasons.map((r) => [r.code, r.vendorCode])).toEqual([["capture_expired", "604"]]);
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.httpStatus).toBe(500);
  });

  it("MAGIC:http200 with MAGIC:code=503: the body's code decides", async () => {
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith("MAGIC:code=503 MAGIC:http200") } }, ["liveness"]);
    expect(codes(outcome)).toEqual(["no_face_detected"]);
    expect(h.calls[0]!.httpStatus).toBe(200);
  });

  it("MAGIC:badjson: the doc's `0,12345` and bare level words are read", async () => {
    const as = done((await start({ selfie: selfieWith("MAGIC:badjson") }, ["liveness"])).outcome);
    expect(as.decision).toBe("approved");
    expect(as.checks.liveness?.level).toBe("HIGHEST");
    const verify = done((await start({ faceCapture: { identyBlob: blobWith("MAGIC:badjson") }, document: { images: [portrait()] } }, ["face_match"])).outcome);
    expect(verify.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 0.93, threshold: 0.8 });
  });

  it("MAGIC:garbage: unreadable body -> VendorError parse, vendor_error", async () => {
    const { error } = await start({ faceCapture: { identyBlob: blobWith("MAGIC:garbage") } }, ["liveness"]);
    expect(error).toBeInstanceOf(VendorError);
    expect(error!.toReason().code).toBe("vendor_error");
  });

  it("MAGIC:encrypted (a key the gateway does not hold): liveness stands, the template is recorded as not decrypted", async () => {
    const { outcome, h } = await start(
      { faceCapture: { identyBlob: blobWith("MAGIC:encrypted") } },
      ["liveness"],
      account({}, { templatePrivateKey: privatePem }),
    );
    expect(done(outcome).decision).toBe("approved");
    const tpl = h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: { decrypted: boolean; error?: string }[] };
    expect(tpl.opened.every((t) => !t.decrypted && /decryption failed/.test(t.error ?? ""))).toBe(true);
  });

  it("template encryption with our key: decrypted JPEG (480x640) is matched and carries the BLOB's markers", async () => {
    const acc = account({}, { templatePrivateKey: privatePem }, "/identy-enc");
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith("MAGIC:similarity=96") }, selfie: selfieWith() }, ["liveness", "face_match"], acc);
    const o = done(outcome);
    expect(o.checks.faceMatch).toMatchObject({ outcome: "pass", similarity: 0.96, threshold: 0.9 });
    const tpl = h.payloads.find((p) => p.kind === "identy.templates")!.body as { opened: Record<string, unknown>[] };
    expect(tpl.opened).toContainEqual(
      expect.objectContaining({ format: "JPEG", encrypted: true, decrypted: true, detectedType: "image/jpeg", width: 480, height: 640 }),
    );
  });
});

// every documented code, on each answer family: /process (message), /face/as (error), /matchWithPictureId (feedbackCode)
const CODE_ROWS: [number, string, "completed" | "failed"][] = [
  [401, "liveness_failed", "completed"],
  [404, "vendor_rejected_request", "failed"],
  [500, "vendor_unavailable", "failed"],
  [501, "vendor_rejected_request", "failed"],
  [503, "no_face_detected", "completed"],
  [504, "vendor_rejected_request", "failed"],
  [505, "vendor_rejected_request", "failed"],
  [506, "vendor_rejected_request", "failed"],
  [507, "vendor_rejected_request", "failed"],
  [509, "multiple_faces", "completed"],
  [510, "image_low_quality", "completed"],
  [601, "vendor_rejected_request", "failed"],
  [604, "capture_expired", "completed"],
  [900, "vendor_rejected_request", "failed"],
  [901, "vendor_rejected_request", "failed"],
  [777, "vendor_error", "failed"],
];

describe.each([
  ["process", (m: string) => ({ input: { faceCapture: { identyBlob: blobWith(m) } }, checks: ["liveness"] as CheckName[] })],
  ["face_as", (m: string) => ({ input: { selfie: selfieWith(m) }, checks: ["liveness"] as CheckName[] })],
  ["match_with_picture_id", (m: string) => ({ input: { selfie: selfieWith(m), document: { images: [portrait()] } }, checks: ["face_match"] as CheckName[] })],
])("MAGIC:code=<n> on %s", (endpoint, make) => {
  it.each(CODE_ROWS)("code %i -> %s (%s)", async (code, expected, status) => {
    const { input, checks } = make(`MAGIC:code=${code}`);
    const { outcome, error, h } = await start(input, checks);
    expect(h.calls[0]!.endpoint).toBe(endpoint);
    if (status === "completed") {
      expect(done(outcome).decision).toBe("declined");
      expect(done(outcome).reasons[0]).toMatchObject({ code: expected, vendorCode: String(code) });
    } else {
      expect(error).toBeInstanceOf(VendorError);
      expect(error!.toReason()).toMatchObject({ code: expected, category: "technical", vendorCode: String(code) });
    }
  });
});

describe("injected faults", () => {
  it("a 503 once on /process fails the call without resending the BLOB; with resendBlob it is retried and completes", async () => {
    faults.add({ vendor: "identy", endpoint: "/api/v1/process", fault: "http_503", times: 1, latencyMs: 0 });
    const once = await start({ faceCapture: { identyBlob: blobWith() } }, ["liveness"]);
    expect(once.error!.toReason().code).toBe("vendor_unavailable");
    expect(once.h.calls.map((c) => c.httpStatus)).toEqual([503]);
    faults.add({ vendor: "identy", endpoint: "/api/v1/process", fault: "http_503", times: 1, latencyMs: 0 });
    const { outcome, h } = await start({ faceCapture: { identyBlob: blobWith() } }, ["liveness"], account({ resendBlob: true }));
    expect(done(outcome).decision).toBe("approved");
    expect(h.calls.map((c) => c.httpStatus)).toEqual([503, 200]);
  });

  it("a malformed body is vendor_error", async () => {
    faults.add({ vendor: "identy", endpoint: "/api/v1/process", fault: "malformed", times: 1, latencyMs: 0 });
    const { error } = await start({ faceCapture: { identyBlob: blobWith() } }, ["liveness"]);
    expect(error!.toReason().code).toBe("vendor_error");
  });

  it("health fails when face_health is down", async () => {
    faults.add({ vendor: "identy", endpoint: "/api/v1/face_health", fault: "http_503", times: 1, latencyMs: 0 });
    const acc = account();
    expect((await identyAdapter.health!(acc, makeHarness(acc).ctx)).ok).toBe(false);
  });
});

// The DMS adapter end to end against the DMS simulator on an ephemeral port: every magic input.
import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import type { Outcome } from "../../../../src/adapters/types.js";
import { isVendorError, type VendorError } from "../../../../src/domain/errors.js";
import type { FaultInjector } from "../../../../src/sandbox/faults.js";
import { MAGIC_INPUTS } from "../../../../src/sandbox/dms/simulator.js";
import { fakeJpeg, makeAccount, makeHarness } from "../../../support/adapter-harness.js";
import { input, startDmsSimulator, verification } from "./helpers.js";

let sim: Awaited<ReturnType<typeof startDmsSimulator>>;
let baseUrl: string;
let faults: FaultInjector;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  sim = await startDmsSimulator();
  ({ baseUrl, faults } = sim);
});
afterAll(async () => {
  await sim.close();
  nock.enableNetConnect();
});
beforeEach(() => faults.clear());

const ALL = ["document", "liveness", "face_match"] as const;
const NOW = () => new Date("2026-05-01T10:00:00Z");

function account(settings: Record<string, unknown> = {}, apiKey = "sandbox-dms-key") {
  return makeAccount("dms", { baseUrl, credentials: { apiKey, webhookSecrets: ["sandbox-dms-webhook-secret"] }, settings });
}

async function run(
  opts: {
    front?: string;
    back?: string;
    selfie?: string;
    checks?: readonly ("document" | "liveness" | "face_match")[];
    settings?: Record<string, unknown>;
    apiKey?: string;
  } = {},
) {
  const acc = account(opts.settings, opts.apiKey);
  const h = makeHarness(acc, null, {}, NOW);
  const data = input({
    front: fakeJpeg(opts.front ?? "front"),
    back: opts.back ? fakeJpeg(opts.back) : null,
    selfie: fakeJpeg(opts.selfie ?? "selfie"),
  });
  const out = await dmsAdapter.start(verification([...(opts.checks ?? ALL)], data), acc, h.ctx).catch((e: unknown) => e);
  return { out: out as Outcome | VendorError, h, endpoints: () => h.calls.map((c) => c.endpoint) };
}

function completed(out: Outcome | VendorError) {
  if (isVendorError(out) || out.status !== "completed") throw new Error(`expected completed, got ${isVendorError(out) ? out.kind : out.status}`);
  return out;
}
const codes = (out: Outcome | VendorError) => completed(out).reasons.map((r) => r.code);

describe("dms adapter x simulator: no magic", () => {
  it("a clean pass of all three checks in four calls, with the doc sample's values", async () => {
    const { out, endpoints, h } = await run();
    const o = completed(out);
    expect(o.decision).toBe("approved");
    expect(o.reasons).toEqual([]);
    expect(o.vendorReference).toBeNull();
    expect(o.checks.document).toMatchObject({
      outcome: "pass",
      type: "driving_license",
      country: "ES",
      fields: { firstName: "CARLOS", lastName: "GARCIA LOPEZ", nationality: "ES", expiryDate: "2028-06-15" },
    });
    expect(o.checks.document).toMatchObject({ model: "DRIVING_LICENSE", quality: { OcrProvider: "V2_TEMPLATE" } });
    expect(o.checks.liveness).toEqual({
      outcome: "pass",
      score: null,
      level: null,
      quality: expect.objectContaining({ quality: 0.94, luminance: 0.87, "pose.yaw": 1.8, occlusion: 0.01, "eye_state.left_closed": 0.02 }),
    });
    expect(o.checks.faceMatch).toEqual({ outcome: "pass", similarity: 0.9342, threshold: 0.82 });
    expect(endpoints()).toEqual(["idcard_recognition_base64", "face_detection", "template_extraction", "face_verify"]);
    // what was asked, then each answer
    expect(h.payloads.map((p) => p.kind)).toEqual(["gateway_request", ...endpoints()]);
  });

  it("front and back go to _multi_page", async () => {
    const { out, endpoints } = await run({ back: "back page", checks: ["document"] });
    expect(completed(out).decision).toBe("approved");
    expect(endpoints()).toEqual(["idcard_recognition_base64_multi_page"]);
  });

  it("face_match alone extracts both templates", async () => {
    const { out, endpoints } = await run({ checks: ["face_match"] });
    expect(completed(out).checks).toEqual({ faceMatch: { outcome: "pass", similarity: 0.9342, threshold: 0.82 } });
    expect(endpoints()).toEqual(["idcard_recognition_base64", "template_extraction", "template_extraction", "face_verify"]);
  });

  it("the unprefixed paths of the doc's curl examples work too", async () => {
    const { out } = await run({ settings: { idverifrPrefix: "", liveverifrPrefix: "" } });
    expect(completed(out).decision).toBe("approved");
  });

  it("health() is ok", async () => {
    const acc = account();
    expect((await dmsAdapter.health!(acc, makeHarness(acc).ctx)).ok).toBe(true);
  });
});

describe("dms adapter x simulator: every magic input", () => {
  it("MAGIC_INPUTS documents the markers tested below", () => {
    expect(MAGIC_INPUTS.map((m) => m.input)).toEqual([
      "MAGIC:expired",
      "MAGIC:suspicious",
      "MAGIC:screen",
      "MAGIC:nodoc",
      "MAGIC:quota",
      "MAGIC:quota402",
      "MAGIC:spoof",
      "MAGIC:lowquality",
      "MAGIC:noface",
      "MAGIC:multiface",
      "MAGIC:mismatch",
      "MAGIC:noexpiry",
      "MAGIC:bare",
      "MAGIC:juan",
    ]);
  });

  it("MAGIC:expired (document) -> declined, document_expired", async () => {
    const { out } = await run({ front: "MAGIC:expired" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.checks.document?.fields.expiryDate).toBe("2019-06-15");
    expect(codes(o)).toEqual(["document_expired"]);
    expect(o.checks.faceMatch?.outcome).toBe("pass");
  });

  it("MAGIC:suspicious (document) -> declined, document_suspicious; only the passed check reported", async () => {
    const { out } = await run({ front: "MAGIC:suspicious" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["document_suspicious", "SUSPICIOUS"]]);
    expect(o.checks.document?.security).toEqual({ fraud_check: false, NO_SCREEN_CAPTURE: true });
  });

  it("MAGIC:screen (document, on the back page) -> declined, document_suspicious", async () => {
    const { out } = await run({ back: "MAGIC:screen" });
    expect(codes(out)).toEqual(["document_suspicious"]);
    expect(completed(out).checks.document?.security).toEqual({ fraud_check: false, NO_SPECIMEN_WATERMARK: true });
    expect(completed(out).decision).toBe("declined");
  });

  it("MAGIC:noexpiry (document) -> expiryDate null, the document otherwise read (the policy refuses to approve it)", async () => {
    const o = completed((await run({ front: "MAGIC:noexpiry", checks: ["document"] })).out);
    expect(o.checks.document).toMatchObject({ outcome: "pass", type: "driving_license", country: "ES", fields: { firstName: "CARLOS", expiryDate: null } });
    expect(o.reasons).toEqual([]);
  });

  it("MAGIC:bare (document) -> no data: inconclusive, data_not_extracted, review; the face match still runs without a portrait", async () => {
    const o = completed((await run({ front: "MAGIC:bare" })).out);
    expect(o.checks.document?.outcome).toBe("inconclusive");
    expect(o.checks.document?.fields.expiryDate).toBeNull();
    expect(o.reasons.map((r) => [r.code, r.vendor, r.vendorCode])).toEqual([
      ["data_not_extracted", "dms", null],
      ["no_face_detected", "dms", "Portrait"],
    ]);
    expect(o.decision).toBe("declined");
    const docOnly = completed((await run({ front: "MAGIC:bare", checks: ["document"] })).out);
    expect(docOnly.decision).toBe("review");
  });

  it("MAGIC:juan (document) -> the README example subject's id card, all three checks pass", async () => {
    const o = completed((await run({ front: "MAGIC:juan" })).out);
    expect(o.decision).toBe("approved");
    expect(o.checks.document).toEqual({
      outcome: "pass",
      type: "id_card",
      model: "NATIONAL_ID",
      quality: { OcrProvider: "V2_TEMPLATE" },
      country: "ES",
      fields: {
        firstName: "JUAN",
        lastName: "APARICIO LOPEZ",
        dateOfBirth: "1955-12-18",
        documentNumber: "00000000T",
        expiryDate: "2031-10-19",
        sex: "M",
        nationality: "ES",
        issuingCountry: "ES",
      },
      security: { fraud_check: true, NO_SPECIMEN_WATERMARK: true, NO_SCREEN_CAPTURE: true },
    });
  });

  it("MAGIC:nodoc (document) -> 422 -> declined, document_missing; liveness still runs, no face match call", async () => {
    const { out, endpoints } = await run({ front: "MAGIC:nodoc" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["document_missing", "422"]]);
    expect(o.checks.document?.outcome).toBe("fail");
    expect(o.checks.liveness?.outcome).toBe("pass");
    expect(o.checks.faceMatch?.outcome).toBe("fail");
    expect(endpoints()).toEqual(["idcard_recognition_base64", "face_detection"]);
  });

  it.each([
    ["document", { front: "MAGIC:quota" }],
    ["selfie", { selfie: "MAGIC:quota" }],
  ] as const)("MAGIC:quota (%s): over the allowance, requests keep succeeding -> approved as without the marker", async (_where, opts) => {
    const { out, endpoints } = await run(opts);
    expect(completed(out).decision).toBe("approved");
    expect(endpoints()).toEqual(["idcard_recognition_base64", "face_detection", "template_extraction", "face_verify"]);
  });

  it.each([
    ["document", { front: "MAGIC:quota402" }, ["idcard_recognition_base64"]],
    ["selfie", { selfie: "MAGIC:quota402" }, ["idcard_recognition_base64", "face_detection"]],
  ] as const)("MAGIC:quota402 (%s) -> 402 -> VendorError out_of_credits, not retried", async (_where, opts, calls) => {
    const { out, endpoints } = await run(opts);
    expect(isVendorError(out)).toBe(true);
    const err = out as VendorError;
    expect(err.kind).toBe("out_of_credits");
    expect(err.toReason()).toMatchObject({ code: "vendor_out_of_credits", vendor: "dms", vendorCode: "402" });
    expect(endpoints()).toEqual(calls);
  });

  it("MAGIC:spoof (selfie) -> declined, liveness_failed", async () => {
    const { out } = await run({ selfie: "MAGIC:spoof" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.checks.liveness?.outcome).toBe("fail");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["liveness_failed", "SPOOF"]]);
  });

  it("MAGIC:lowquality (selfie) -> declined, image_low_quality; a lower minFaceQuality lets it pass", async () => {
    expect(codes((await run({ selfie: "MAGIC:lowquality" })).out)).toEqual(["image_low_quality"]);
    const lenient = completed((await run({ selfie: "MAGIC:lowquality", settings: { minFaceQuality: 0.3 } })).out);
    expect(lenient.decision).toBe("approved");
  });

  it("MAGIC:noface (selfie) -> 422 -> liveness and face match fail with no_face_detected, no further face call", async () => {
    const { out, endpoints } = await run({ selfie: "MAGIC:noface" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.checks.liveness?.outcome).toBe("fail");
    expect(o.checks.faceMatch?.outcome).toBe("fail");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["no_face_detected", "422"]]);
    expect(endpoints()).toEqual(["idcard_recognition_base64", "face_detection"]);
  });

  it("MAGIC:noface (document image) -> its Portrait has no face -> face match fails with no_face_detected", async () => {
    const { out } = await run({ front: "MAGIC:noface" });
    const o = completed(out);
    expect(o.checks.document?.outcome).toBe("pass");
    expect(o.checks.liveness?.outcome).toBe("pass");
    expect(o.checks.faceMatch?.outcome).toBe("fail");
    expect(codes(o)).toEqual(["no_face_detected"]);
  });

  it("MAGIC:multiface (selfie) -> declined, multiple_faces", async () => {
    const { out } = await run({ selfie: "MAGIC:multiface" });
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["multiple_faces", "face_count=2"]]);
  });

  it.each([
    ["selfie", { selfie: "MAGIC:mismatch" }],
    ["document image", { front: "MAGIC:mismatch" }],
  ] as const)("MAGIC:mismatch (%s) -> face_verify match false -> declined, face_mismatch", async (_where, opts) => {
    const { out } = await run(opts);
    const o = completed(out);
    expect(o.decision).toBe("declined");
    expect(o.checks.faceMatch).toEqual({ outcome: "fail", similarity: 0.3127, threshold: 0.82 });
    expect(codes(o)).toEqual(["face_mismatch"]);
    expect(o.checks.liveness?.outcome).toBe("pass");
  });
});

describe("dms adapter x simulator: auth and faults", () => {
  it("a key the sandbox does not know -> 401 -> VendorError auth, no retry", async () => {
    const { out, h } = await run({ apiKey: "live_key_123" });
    expect(isVendorError(out) && out.toReason().code).toBe("vendor_auth_failed");
    expect(h.calls).toHaveLength(1);
  });

  it("any sk_test_ key is accepted", async () => {
    const { out } = await run({ apiKey: "sk_test_anything", checks: ["liveness"] });
    expect(completed(out).decision).toBe("approved");
  });

  it("an injected 500 on the document call is retried, then the verification completes", async () => {
    faults.add({ vendor: "dms", endpoint: "/idcard_recognition_base64", fault: "http_500", times: 1, latencyMs: 0 });
    const { out, h } = await run({ checks: ["document"] });
    expect(completed(out).decision).toBe("approved");
    expect(h.calls.map((c) => [c.endpoint, c.httpStatus, c.attempt])).toEqual([
      ["idcard_recognition_base64", 500, 1],
      ["idcard_recognition_base64", 200, 2],
    ]);
  });

  it("an injected malformed body -> VendorError parse", async () => {
    faults.add({ vendor: "dms", endpoint: "/face_detection", fault: "malformed", times: 1, latencyMs: 0 });
    const { out } = await run({ checks: ["liveness"] });
    expect(isVendorError(out) && out.kind).toBe("parse");
  });
});

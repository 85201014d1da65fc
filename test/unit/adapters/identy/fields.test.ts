// Every documented result field about the capture lands in the verification's checks
// (../shared/vendors/identy-web-solution-v6.txt): /process `spoof_score`, `data.quality.*` (eyes_status,
// eyes_open_metric, head_pose_check, quality_metric, qc_passed) and the ICAO section (`icao_data.*`, is_compliant),
// the /face/as family's `score`, and the match endpoints' multiple-faces flags. Never a template.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import type { Outcome, VerificationInputData } from "../../../../src/adapters/types.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { DOC_PROCESS_OK, fixture, png } from "./samples.js";

const BASE = "https://iws-fields.identy.test";
const blob = { faceCapture: { identyBlob: Buffer.from("IDENTY-SDK-BLOB").toString("base64") } };

// the doc's whole /process "Output" sample (its lost braces restored, values unchanged)
const DOC_PROCESS_FULL = {
  ...DOC_PROCESS_OK,
  icao_data: {
    multiple_faces: false,
    eyes_full_visibility: false,
    background_continuity: 14,
    illumination_uniformity: 19,
    over_exposure: 0,
    under_exposure: 0,
    nose_visibility: 96,
    mouth_visibility: 99,
    top_visibility: 33,
    bottom_visibility: 100,
    templates: { JPEG: "/9j/4AAQ....", PNG: "iVBORwOKG...." },
    eyeL_visibility: 50,
    eyeR_visibility: 78,
    sideL_visibility: 92,
    sideR_visibility: 99,
    is_compliant: false,
  },
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

async function run(replies: [string, number, string | object][], input: VerificationInputData, checks: CheckName[], settings: Record<string, unknown> = {}) {
  for (const [path, status, body] of replies)
    nock(BASE)
      .post(path)
      .reply(status, typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json" });
  const acc = makeAccount("identy", { baseUrl: BASE, settings });
  const v = makeVerification(input, checks);
  const o: Outcome = await identyAdapter.start(v, acc, makeHarness(acc, v.id).ctx);
  if (o.status !== "completed") throw new Error(`expected completed, got ${o.status}`);
  return o;
}

describe("documented fields carried into checks", () => {
  it("/process: spoof_score, data.quality.* and every ICAO metric, under the file's names; no template", async () => {
    const o = await run([["/api/v1/process", 200, DOC_PROCESS_FULL]], blob, ["liveness"]);
    expect(o.checks.liveness).toEqual({
      outcome: "pass",
      score: null,
      spoofScore: 0.9757902,
      level: "HIGHEST",
      quality: {
        "quality.eyes_status": "OPEN",
        "quality.eyes_open_metric": 59.93526,
        "quality.head_pose_check": true,
        "quality.quality_metric": 67.966354,
        "quality.qc_passed": true,
        "icao_data.multiple_faces": false,
        "icao_data.eyes_full_visibility": false,
        "icao_data.background_continuity": 14,
        "icao_data.illumination_uniformity": 19,
        "icao_data.over_exposure": 0,
        "icao_data.under_exposure": 0,
        "icao_data.nose_visibility": 96,
        "icao_data.mouth_visibility": 99,
        "icao_data.top_visibility": 33,
        "icao_data.bottom_visibility": 100,
        "icao_data.eyeL_visibility": 50,
        "icao_data.eyeR_visibility": 78,
        "icao_data.sideL_visibility": 92,
        "icao_data.sideR_visibility": 99,
        "icao_data.is_compliant": false,
      },
    });
    expect(JSON.stringify(o.checks)).not.toContain("/9j/");
  });

  it('/face/as: the doc sample\'s `"score": 0,12345` is the liveness score', async () => {
    const o = await run([["/api/v1/face/as", 200, fixture("face-as-output.txt")]], { selfie: { contentType: "image/jpeg", data: fakeJpeg("selfie") } }, [
      "liveness",
    ]);
    expect(o.checks.liveness).toEqual({ outcome: "pass", score: 0.12345, level: "VERY_HIGH" });
  });

  it("match answers: multipleFacesImage carried as a capture signal of the face match", async () => {
    const o = await run(
      [["/api/v1/matchWithPictureId", 200, fixture("match-with-picture-id-response.txt")]],
      { selfie: { contentType: "image/jpeg", data: fakeJpeg("selfie") }, document: { images: [{ side: "front", contentType: "image/png", data: png }] } },
      ["face_match"],
    );
    expect(o.checks.faceMatch).toEqual({ outcome: "pass", similarity: 1, threshold: 0.8, quality: { multipleFacesImage: true } });
  });
});

// The doc's sample payloads shared by the IDENTY adapter tests (../shared/vendors/identy-web-solution-v6.txt).
import { readFileSync } from "node:fs";
import { fakeJpeg } from "../../../support/adapter-harness.js";

export const fixture = (name: string) => readFileSync(new URL(`../../../../src/adapters/identy/fixtures/${name}`, import.meta.url), "utf8");
export const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

// The doc's /process "Output" sample, with the braces the printed doc lost put back (values unchanged).
export const DOC_PROCESS_OK = {
  refid: "W-face-process-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1743773080405",
  code: 200,
  message: "FEEDBACK_CAPTURED",
  upload_ts: 1908,
  data: {
    bits_per_pixel: 8,
    capture_date: "2025-04-94T13:04:40.481 +0000",
    width: 480,
    channels: 3,
    height: 640,
    resolution: "480x640x3",
    as_highest_security_level_reached: "HIGHEST",
    spoof_score: [0.9757902],
    quality: { eyes_status: "OPEN", eyes_open_metric: 59.93526, head_pose_check: true, quality_metric: 67.966354, qc_passed: true },
    templates: { JPEG: fakeJpeg("captured").toString("base64"), PNG: png.toString("base64") },
  },
  icao_data: { multiple_faces: false, eyes_full_visibility: false, background_continuity: 14, is_compliant: false },
};
// ... and its spoof answer
export const DOC_PROCESS_SPOOF = {
  code: 401,
  message: "FEEDBACK_RETRY",
  refid: "W-face-process-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1743773080405",
  description: "Something is weird, please try again.",
  data: { image: "/9j/4...." },
  quality: false,
  debug: { spoof_score: [0.0] },
};

// IDENTY Web Server (IWS v6) mapping tables, as data.
// Sources (vendor doc ../shared/vendors/identy-web-solution-v6.txt): "Error Codes" (table 9),
// the verifyWithPictureId `code` list, the generateTemplateFromImage `code` list, the liveness
// levels of /api/v1/face/as `threshold`, and the similarity working points of the match endpoints.
import type { VendorErrorKind } from "../../domain/errors.js";
import type { ReasonCode } from "../../domain/vocabulary.js";

import { LIVENESS_LEVELS, type LivenessLevel } from "../../domain/model.js";

// Liveness (AS) levels in the doc's order: "LOW | MEDIUM | MODERATE | BALANCED_HIGH | HIGH | BALANCED_VERY_HIGH | VERY_HIGH | HIGHEST"
// (the domain's scale, shared with the decision policy)
export { LIVENESS_LEVELS, type LivenessLevel };

export const LIVENESS_LEVEL_RANK = {
  LOW: 1,
  MEDIUM: 2,
  MODERATE: 3,
  BALANCED_HIGH: 4,
  HIGH: 5,
  BALANCED_VERY_HIGH: 6,
  VERY_HIGH: 7,
  HIGHEST: 8,
} as const satisfies Record<LivenessLevel, number>;

/**
 * Release note 710.621.131.420.1: "The default security level for liveness requests is now set to
 * BALANCED_VERY_HIGH, providing the optimal balance between security and user experience."
 */
export const DEFAULT_LIVENESS_LEVEL: LivenessLevel = "BALANCED_VERY_HIGH";

/** The `level` a match request accepts: "accepting 4 possible values: MEDIUM, HIGH, VERY_HIGH, HIGHEST". */
export const MATCH_REQUEST_LEVELS = ["MEDIUM", "HIGH", "VERY_HIGH", "HIGHEST"] as const;
export type MatchRequestLevel = (typeof MATCH_REQUEST_LEVELS)[number];
/** The doc's own request examples use `"level": "HIGH"`. */
export const DEFAULT_MATCH_LEVEL: MatchRequestLevel = "HIGH";

/**
 * `matchHighestSecurityLevelReached` may also be LOW ("if level is set to LOW") or NONE ("remains at
 * NONE when the matching score fails to meet the LOW threshold").
 */
export const MATCH_LEVEL_RANK = {
  NONE: 0,
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  VERY_HIGH: 4,
  HIGHEST: 5,
} as const satisfies Record<MatchRequestLevel | "NONE" | "LOW", number>;
export type MatchLevel = keyof typeof MATCH_LEVEL_RANK;

/**
 * similarityScore (0..100) at each working point, used as the faceMatch `threshold` we report.
 * /matchWithSelfie: "similarity: 100 98 95 90 80 working-point: HIGHEST VERY_HIGH HIGH MEDIUM"
 * with "80% ... MEDIUM" and "98% ... HIGHEST" spelled out in the text.
 */
export const SELFIE_VS_SELFIE_SIMILARITY = {
  MEDIUM: 80,
  HIGH: 90,
  VERY_HIGH: 95,
  HIGHEST: 98,
} as const satisfies Record<MatchRequestLevel, number>;

/** /matchWithPictureId and /verifyWithPictureId: "Similarity: 100 90 85 80 60 working-point: HIGHEST VERY_HIGH HIGH MEDIUM". */
export const SELFIE_VS_PICTURE_ID_SIMILARITY = {
  MEDIUM: 60,
  HIGH: 80,
  VERY_HIGH: 85,
  HIGHEST: 90,
} as const satisfies Record<MatchRequestLevel, number>;

/**
 * What an IWS `code` means for a verification (../shared/vendors/identy-web-solution-v6.txt, "Error Codes",
 * table 9, plus the codes only the verifyWithPictureId and generateTemplateFromImage lists name).
 * - `decision` rows are answers about the end user's capture (`cause: "user"`): the verification completes;
 *   user-fixable ones (no face, poor quality, an expired capture) carry a reason the core turns into a retake.
 * - `technical` rows mean no decision could be had: the gateway's or the tenant's own integration sent
 *   something the IWS cannot use (`cause: "integration"`: vendor_rejected_request), or the IWS failed
 *   (`cause: "vendor"`). They become a VendorError (status `failed`, `vendorCode` kept), never a decision.
 * The SDK's own codes (table 6: 100-104, 202, 500, 501 in the browser) never reach the server.
 */
export type IwsCodeRow =
  | { name: string; httpStatus: number; type: "decision"; cause: "user"; reason: ReasonCode }
  | { name: string; httpStatus: number; type: "technical"; cause: "integration" | "vendor"; kind: VendorErrorKind; retryable: boolean; reason: ReasonCode };

/** Every code the doc gives the IWS API. */
export type IwsErrorCode = 401 | 404 | 500 | 501 | 503 | 504 | 505 | 506 | 507 | 509 | 510 | 601 | 604 | 900 | 901;

const integration = (name: string, httpStatus = 400) =>
  ({ name, httpStatus, type: "technical", cause: "integration", kind: "rejected", retryable: false, reason: "vendor_rejected_request" }) as const;

export const IWS_ERROR_CODES = {
  // table 9: "FEEDBACK_RETRY, Code: 401, HTTP_CODE: 400 — Triggered in case liveness check fails"
  401: { name: "FEEDBACK_RETRY", httpStatus: 400, type: "decision", cause: "user", reason: "liveness_failed" },
  // "ERROR_CLIENT_NOT_EXISTS, Code: 404, HTTP_CODE: 400 — DiD client does not exists": this IWS's configuration
  404: integration("ERROR_CLIENT_NOT_EXISTS"),
  // "ERROR_SERVER_INTERNAL, Code: 500, HTTP_CODE: 500" (also "FEEDBACK_MATCHING_ERROR, Code: 500 ... Error thrown in
  // matching API" and the verifyWithPictureId list's "500 for ERROR_INTERNAL_SERVER"): the IWS failed, retried
  500: {
    name: "ERROR_SERVER_INTERNAL",
    httpStatus: 500,
    type: "technical",
    cause: "vendor",
    kind: "unavailable",
    retryable: true,
    reason: "vendor_unavailable",
  },
  // "ERROR_INVALID_JSON, Code:501, HTTP_CODE: 400 — ... does not adhere to the schema ... "Referer header not found"":
  // our request (the verifyWithPictureId list calls 501 FEEDBACK_MATCHING_ERROR; either way not about the user)
  501: integration("ERROR_INVALID_JSON"),
  // "ERROR_INVALID_IMAGE, Code: 503 ... "(/image/template) No face detected" ... "Image has no face on it."": the user's image
  503: { name: "ERROR_INVALID_IMAGE", httpStatus: 400, type: "decision", cause: "user", reason: "no_face_detected" },
  // "ERROR_INVALID_FORMAT, Code: 504 — Matching image is of unsupported format ... unable to decode template": the
  // format field or image bytes we sent (validateRequest admits JPEG and PNG only)
  504: integration("ERROR_INVALID_FORMAT"),
  // "ERROR_INVALID_MATCH_LEVEL, Code: 505 — Match level is outside supported range": our settings
  505: integration("ERROR_INVALID_MATCH_LEVEL"),
  // "ERROR_INVALID_AS_LEVEL, Code: 506 — AS level not supported": our settings
  506: integration("ERROR_INVALID_AS_LEVEL"),
  // "NO_TEMPLATES_SPECIFIED, Code: 507 — No templates specified in face Blob to extract in verifyWithPicID": the
  // tenant's Face SDK was set up without `requiredTemplates`; no new capture by the user changes that
  507: integration("NO_TEMPLATES_SPECIFIED"),
  // generateTemplateFromImage: "509 for ERROR_MULTIPLE_FACES, (/image) Multiple faces detected." (HTTP status not documented)
  509: { name: "ERROR_MULTIPLE_FACES", httpStatus: 400, type: "decision", cause: "user", reason: "multiple_faces" },
  // generateTemplateFromImage: "510 for ERROR_POOR_ICAO_QUALITY, Non-compliant quality." (HTTP status not documented)
  510: { name: "ERROR_POOR_ICAO_QUALITY", httpStatus: 400, type: "decision", cause: "user", reason: "image_low_quality" },
  // verifyWithPictureId: "601 for ERROR_DECRYPTION_FAILED ... whenever the BLOB decryption fails": a BLOB encrypted
  // with another IWS's keys ("each IWS deployment will use its dedicated RSA keys") or damaged on its way to us
  601: integration("ERROR_DECRYPTION_FAILED"),
  // "ERROR_REQUEST_EXPIRED, Code: 604, HTTP_CODE: 500 — took more than 2 min to reach the server": a new capture fixes it
  604: { name: "ERROR_REQUEST_EXPIRED", httpStatus: 500, type: "decision", cause: "user", reason: "capture_expired" },
  // verifyWithPictureId: "900 for INVALID_IMAGE ... whenever the images are invalid in some way": says nothing about
  // the person (a face missing is 503); the images we sent could not be used
  900: integration("INVALID_IMAGE"),
  // "ERROR_WRONG_RESOLUTION, Code: 901, HTTP_CODE: 400 — Passed image isn't 480x640": the gateway sent the wrong size
  901: integration("ERROR_WRONG_RESOLUTION"),
} as const satisfies Record<IwsErrorCode, IwsCodeRow>;

/** An IWS code absent from the doc: never dropped, a technical failure keeping the code. */
export const UNKNOWN_IWS_CODE_REASON: ReasonCode = "vendor_error";

/**
 * The SDK's feedback names that a spoof answer (code 401) carries in `message`
 * (Localization: FEEDBACK_RETRY "Something is weird...", FEEDBACK_RETRY_INSECURE "Insecure camera feed",
 * FEEDBACK_RETRY_QUALITY "Bad Quality, Retry Capture").
 */
export const IWS_RETRY_FEEDBACK = {
  FEEDBACK_RETRY: "liveness_failed",
  // a virtual camera / injected feed ("Digital Replay Attacks")
  FEEDBACK_RETRY_INSECURE: "liveness_failed",
  FEEDBACK_RETRY_QUALITY: "image_low_quality",
} as const satisfies Record<string, ReasonCode>;
export type IwsRetryFeedback = keyof typeof IWS_RETRY_FEEDBACK;

/** Image content types to the IWS template `format` ("Supported are JPEG | PNG | ISO_19794_5"). */
export const TEMPLATE_FORMAT_BY_CONTENT_TYPE = {
  "image/jpeg": "JPEG",
  "image/jpg": "JPEG",
  "image/png": "PNG",
} as const satisfies Record<string, "JPEG" | "PNG" | "ISO_19794_5">;

/** The IWS endpoints the gateway calls ("API Reference" of the IDENTY file). */
export const IWS_PATHS = {
  process: "/api/v1/process",
  secure_face_as: "/api/v1/secure/face/as",
  verify_with_picture_id: "/api/v1/verifyWithPictureId",
  face_as: "/api/v1/face/as",
  match_with_picture_id: "/api/v1/matchWithPictureId",
  match_with_selfie: "/api/v1/matchWithSelfie",
  face_health: "/api/v1/face_health",
} as const;
export type IwsEndpoint = keyof typeof IWS_PATHS;

// ---------------------------------------------------------------- throughput
// How fast one IWS may be called: the benchmark tables of ../shared/vendors/identy-web-solution-v6.txt
// ("Hardware requirements", measured on AWS c5a instances for identy_biometrics_tomcat:710.620.131.420.1),
// as data. An account declares its IWS hardware (`settings.hardware`) and the capture device its users have
// (`settings.captureDevice`); its liveness level picks the /process row: "Throughput is significantly influenced
// by the AS security level configured ... Therefore, both the security level and the device type must be
// considered when evaluating throughput."
//
// Every call takes a share of the server: 1000 / rps(endpoint) ms. The gateway admits calls to an account at
// most at 1000 ms of share per second (one budget for every endpoint and every process, see core/account-rate.ts),
// so mixed traffic (a /process then a /matchWithPictureId) never exceeds what the table says the server does.

/** The table's columns: "4 cores/8 GB RAM (c5a.xlarge)" ... "32 cores/64 GB RAM (c5a.8xlarge)", and one GPU. */
export const IWS_HARDWARE = ["cpu-4", "cpu-8", "cpu-16", "cpu-32", "gpu"] as const;
export type IwsHardware = (typeof IWS_HARDWARE)[number];

/** "(Mobile / Desktop)": the device the Face Web SDK captured on; `either` takes the slower of the two. */
export const CAPTURE_DEVICES = ["mobile", "desktop", "either"] as const;
export type CaptureDevice = (typeof CAPTURE_DEVICES)[number];

export type Column = 0 | 1 | 2 | 3;
// release notes 710.620.131.420.1: "Generally, a single GPU delivers performance equivalent 16 CPU cores"
export const COLUMN = { "cpu-4": 0, "cpu-8": 1, "cpu-16": 2, "cpu-32": 3, gpu: 2 } as const satisfies Record<IwsHardware, Column>;

export type Row = readonly [number, number, number, number];

/** "/Process requests", by AS level band then device: "<= HIGH: 1.34 / 1.24 ... HIGHEST: 5.12 / 2.28". */
export const PROCESS_RPS = {
  up_to_high: { mobile: [1.34, 2.98, 4.35, 9.0], desktop: [1.24, 2.73, 5.11, 7.49] },
  bvh: { mobile: [0.83, 1.81, 3.05, 5.12], desktop: [0.46, 1.03, 1.76, 2.95] },
  highest: { mobile: [0.83, 1.81, 3.05, 5.12], desktop: [0.27, 1.0, 1.69, 2.28] },
} as const satisfies Record<string, Record<"mobile" | "desktop", Row>>;
export type LevelBand = keyof typeof PROCESS_RPS;

/** The rows "<= HIGH", "≥ BVH" and "HIGHEST" for each liveness level. */
export const LEVEL_BAND = {
  LOW: "up_to_high",
  MEDIUM: "up_to_high",
  MODERATE: "up_to_high",
  BALANCED_HIGH: "up_to_high",
  HIGH: "up_to_high",
  BALANCED_VERY_HIGH: "bvh",
  VERY_HIGH: "bvh",
  HIGHEST: "highest",
} as const satisfies Record<LivenessLevel, LevelBand>;

/** The single-row tables: "/matchWithSelfie requests", "/matchWithPictureId requests", ... */
export const SINGLE_ROW_RPS = {
  match_with_selfie: [2.13, 4.2, 8.2, 15.96],
  match_with_picture_id: [1.47, 3.02, 5.88, 11.29],
  secure_face_as: [0.7, 1.49, 2.5, 5.11],
  face_as: [0.45, 0.9, 1.73, 3.26],
  // "/generateTemplateFromImage requests": the lightest call the file benchmarks
  generate_template: [4.04, 8.24, 16.25, 31.45],
} as const satisfies Record<string, Row>;

/**
 * What each call the gateway makes is worth, by endpoint. The file benchmarks neither /verifyWithPictureId
 * ("fuses the capabilities of the /process and /matchWithPictureId endpoints": both shares) nor the SDK's
 * models, pub_key and time (counted as the lightest benchmarked call: they share the server too).
 */
export type ThroughputKey = Exclude<IwsEndpoint, "face_health"> | "sdk";
export const THROUGHPUT_KEYS = [
  "process",
  "secure_face_as",
  "verify_with_picture_id",
  "face_as",
  "match_with_picture_id",
  "match_with_selfie",
  "sdk",
] as const satisfies readonly ThroughputKey[];

export interface ThroughputProfile {
  hardware: IwsHardware;
  captureDevice: CaptureDevice;
  livenessLevel: LivenessLevel;
  /** requests per second by key, replacing the table's figure (a measured deployment) */
  overrides?: Partial<Record<ThroughputKey, number>>;
}

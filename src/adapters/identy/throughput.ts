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
import type { IwsEndpoint, LivenessLevel } from "./mapping.js";

/** The table's columns: "4 cores/8 GB RAM (c5a.xlarge)" ... "32 cores/64 GB RAM (c5a.8xlarge)", and one GPU. */
export const IWS_HARDWARE = ["cpu-4", "cpu-8", "cpu-16", "cpu-32", "gpu"] as const;
export type IwsHardware = (typeof IWS_HARDWARE)[number];

/** "(Mobile / Desktop)": the device the Face Web SDK captured on; `either` takes the slower of the two. */
export const CAPTURE_DEVICES = ["mobile", "desktop", "either"] as const;
export type CaptureDevice = (typeof CAPTURE_DEVICES)[number];

type Column = 0 | 1 | 2 | 3;
// release notes 710.620.131.420.1: "Generally, a single GPU delivers performance equivalent 16 CPU cores"
const COLUMN = { "cpu-4": 0, "cpu-8": 1, "cpu-16": 2, "cpu-32": 3, gpu: 2 } as const satisfies Record<IwsHardware, Column>;

type Row = readonly [number, number, number, number];

/** "/Process requests", by AS level band then device: "<= HIGH: 1.34 / 1.24 ... HIGHEST: 5.12 / 2.28". */
const PROCESS_RPS = {
  up_to_high: { mobile: [1.34, 2.98, 4.35, 9.0], desktop: [1.24, 2.73, 5.11, 7.49] },
  bvh: { mobile: [0.83, 1.81, 3.05, 5.12], desktop: [0.46, 1.03, 1.76, 2.95] },
  highest: { mobile: [0.83, 1.81, 3.05, 5.12], desktop: [0.27, 1.0, 1.69, 2.28] },
} as const satisfies Record<string, Record<"mobile" | "desktop", Row>>;
type LevelBand = keyof typeof PROCESS_RPS;

/** The rows "<= HIGH", "≥ BVH" and "HIGHEST" for each liveness level. */
const LEVEL_BAND = {
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
const SINGLE_ROW_RPS = {
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
export const THROUGHPUT_KEYS = ["process", "secure_face_as", "verify_with_picture_id", "face_as", "match_with_picture_id", "match_with_selfie", "sdk"] as const satisfies readonly ThroughputKey[];

export interface ThroughputProfile {
  hardware: IwsHardware;
  captureDevice: CaptureDevice;
  livenessLevel: LivenessLevel;
  /** requests per second by key, replacing the table's figure (a measured deployment) */
  overrides?: Partial<Record<ThroughputKey, number>>;
}

function processRps(p: ThroughputProfile): number {
  const band = PROCESS_RPS[LEVEL_BAND[p.livenessLevel]];
  const col = COLUMN[p.hardware];
  if (p.captureDevice === "either") return Math.min(band.mobile[col], band.desktop[col]);
  return band[p.captureDevice][col];
}

/** Requests per second the account's IWS does for one kind of call (a fused call: the two shares in sequence). */
export function requestsPerSecond(key: ThroughputKey, p: ThroughputProfile): number {
  const override = p.overrides?.[key];
  if (override !== undefined) return override;
  const col = COLUMN[p.hardware];
  switch (key) {
    case "process":
      return processRps(p);
    case "verify_with_picture_id":
      return 1 / (1 / processRps(p) + 1 / SINGLE_ROW_RPS.match_with_picture_id[col]);
    case "sdk":
      return SINGLE_ROW_RPS.generate_template[col];
    default:
      return SINGLE_ROW_RPS[key][col];
  }
}

/** The share of the server one call takes, in ms (what core/account-rate.ts spaces calls by). */
export function callCostMs(key: ThroughputKey, p: ThroughputProfile): number {
  return 1000 / requestsPerSecond(key, p);
}

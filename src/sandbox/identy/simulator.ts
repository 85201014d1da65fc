// IDENTY Web Server (IWS v6) simulator, faithful to ../shared/vendors/identy-web-solution-v6.txt.
// Mounted at /identy: an account's baseUrl is http://host:port/identy.
//
// Endpoints (doc paths, methods and body formats):
//   POST /api/v1/models, /api/v1/pub_key, /api/v1/time   fixed small bytes, application/octet-stream ("Method: POST";
//                                        any other method: 405, as a servlet container answers)
//   POST /api/v1/process                 multipart: file (the SDK BLOB), enableQuality
//   POST /api/v1/secure/face/as          multipart: file (the doc's table names it "File"; both accepted)
//   POST /api/v1/verifyWithPictureId     multipart: file, picID (base64), template (format), level
//   POST /api/v1/face/as                 multipart: image (base64), threshold (liveness level)
//   POST /api/v1/matchWithSelfie         JSON {image:{template,format}, imageToVerifyAgainst:{template,format}, level}
//   POST /api/v1/matchWithPictureId      JSON, same shape
//   POST /api/v1/face/generateTemplateFromImage  JSON {image, qualityMode}
//   GET  /api/v1/face_health             "OK"
// Capacity (capacity.ts): off by default; set with IDENTY_SIM_CAPACITY="cpu-32:desktop:HIGH" or
// PUT /identy/_sim/capacity {hardware, device, level, maxQueueMs?} (null: off), read with GET /identy/_sim/capacity,
// its counters reset with DELETE. Past its capacity the server slows down, then answers 503.
// Request expiry: a BLOB that carries `packaged_at=<epoch ms>` (when the SDK packaged it, on the server's clock
// from /api/v1/time) older than 2 minutes is answered 604 ERROR_REQUEST_EXPIRED ("If the current request has
// expired because it took more than 2 min to reach the server").
// No API key (self-hosted). Processing endpoints answer 501 ERROR_INVALID_JSON "Referer header not found"
// without a Referer header. Errors carry the IWS `code` in the body and table 9's HTTP_CODE as status.
//
// Magic inputs: the BLOB is opaque, so the simulator decodes it (and any plain image: base64 `image`,
// `picID`, templates) and looks for marker text anywhere in the bytes. Markers combine.
//   (no marker)              pass: liveness HIGHEST, similarity 93 (match level from the doc's working points)
//   MAGIC:spoof              401 FEEDBACK_RETRY with quality:true (/face/as family: is_spoof true)
//   MAGIC:spoof_lowquality   401 FEEDBACK_RETRY with quality:false (/process, /verifyWithPictureId)
//   MAGIC:insecure           401 FEEDBACK_RETRY_INSECURE (virtual camera)
//   MAGIC:level=<LEVEL>      legitimate capture whose as_highest_security_level_reached is LEVEL
//                            (/face/as: is_spoof when LEVEL is below the request's threshold)
//   MAGIC:nomatch            similarityScore 12, possibleMatch false, matchHighestSecurityLevelReached NONE
//   MAGIC:similarity=<n>     similarityScore n (0..100); level and possibleMatch follow the working points
//   MAGIC:multiface          multipleFacesImage / multipleFacesImageToVerifyAgainst / icao_data.multiple_faces true
//   MAGIC:expired            604 ERROR_REQUEST_EXPIRED (HTTP 500)
//   MAGIC:code=<n>           error code n with its doc name and HTTP status (an undocumented n: HTTP 400)
//   MAGIC:http200            error answers come with HTTP 200 (the code only in the body)
//   MAGIC:badjson            the doc's own invalid JSON style: `"score": 0,12345` and bare `HIGHEST` values
//   MAGIC:garbage            HTTP 200 with the doc's truncated /process sample: not readable JSON
//   MAGIC:encrypted          /process answers encrypted_templates for a throwaway key (undecryptable by anyone)
//   MAGIC:lowqc              /process: a legitimate capture whose data.quality.qc_passed is false (quality_metric 12.5)
// Resolution: /matchWithSelfie and /matchWithPictureId answer 901 ERROR_WRONG_RESOLUTION ("Passed image isn't
// 480x640") when image.template is neither 480x640 nor 640x480 (the doc writes "640 x 480" on the attribute and
// "480x640" on the error), and 504 "(/image/template) unable to decode template: EXCEPTION" when its size cannot be
// read. /face/as takes any size ("no longer enforces a fixed 640×480 resolution").
// Template encryption as the IWS's TEMPLATE_ENCRYPTION_ENABLED/TEMPLATE_ENCRYPTION_KEY: the env var
// IDENTY_SIM_TEMPLATE_ENCRYPTION_KEY (RSA public key PEM) turns it on for every /process answer.
import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { imageSize } from "image-size";
import multer from "multer";
import type { SimulatorFactory, SimulatorOptions } from "../types.js";
import { capacityFromEnv, SimCapacity, type CapacityConfig, type SimEndpoint } from "./capacity.js";

export interface MagicInput {
  input: string;
  outcome: string;
}

export const MAGIC_INPUTS: readonly MagicInput[] = [
  { input: "(no marker)", outcome: "pass: as_highest_security_level_reached HIGHEST, similarityScore 93, possibleMatch true" },
  { input: "MAGIC:spoof", outcome: "401 FEEDBACK_RETRY, quality true (/face/as and /secure/face/as: is_spoof true)" },
  { input: "MAGIC:spoof_lowquality", outcome: "401 FEEDBACK_RETRY, quality false (/process, /verifyWithPictureId)" },
  { input: "MAGIC:insecure", outcome: "401 FEEDBACK_RETRY_INSECURE (virtual camera)" },
  { input: "MAGIC:level=<LEVEL>", outcome: "legitimate capture, as_highest_security_level_reached LEVEL (/face/as: is_spoof when below threshold)" },
  { input: "MAGIC:nomatch", outcome: "similarityScore 12, possibleMatch false, matchHighestSecurityLevelReached NONE" },
  { input: "MAGIC:similarity=<n>", outcome: "similarityScore n; level and possibleMatch from the doc's working points" },
  { input: "MAGIC:multiface", outcome: "multipleFacesImage (or icao_data.multiple_faces) true" },
  { input: "MAGIC:expired", outcome: "604 ERROR_REQUEST_EXPIRED, HTTP 500" },
  { input: "MAGIC:code=<n>", outcome: "IWS code n (401 404 500 501 503 504 505 506 507 509 510 601 604 900 901) with its HTTP status" },
  { input: "MAGIC:http200", outcome: "error answers with HTTP 200, the code only in the body" },
  { input: "MAGIC:badjson", outcome: 'the doc\'s invalid JSON: `"score": 0,12345` and unquoted level values' },
  { input: "MAGIC:garbage", outcome: "HTTP 200 with the doc's truncated /process sample (unreadable)" },
  { input: "MAGIC:lowqc", outcome: "/process: legitimate capture with data.quality.qc_passed false (quality_metric 12.5)" },
  {
    input: "MAGIC:encrypted",
    outcome: "/process answers encrypted_templates for a key no gateway holds (every answer is encrypted when IDENTY_SIM_TEMPLATE_ENCRYPTION_KEY is set)",
  },
];

const LEVELS = ["LOW", "MEDIUM", "MODERATE", "BALANCED_HIGH", "HIGH", "BALANCED_VERY_HIGH", "VERY_HIGH", "HIGHEST"] as const;
type Level = (typeof LEVELS)[number];
const MATCH_LEVELS = ["MEDIUM", "HIGH", "VERY_HIGH", "HIGHEST"] as const;
type MatchLevel = (typeof MATCH_LEVELS)[number];
const FORMATS = ["JPEG", "PNG", "ISO_19794_5"];

// table 9 and the endpoint code lists: name, HTTP status, a description from the doc
const CODES: Record<number, { name: string; http: number; description: string }> = {
  401: { name: "FEEDBACK_RETRY", http: 400, description: "Something is weird, please try again." },
  404: { name: "ERROR_CLIENT_NOT_EXISTS", http: 400, description: "DiD client does not exists" },
  500: { name: "ERROR_SERVER_INTERNAL", http: 500, description: "Server Error" },
  501: { name: "ERROR_INVALID_JSON", http: 400, description: "JSON EXCEPTION" },
  503: { name: "ERROR_INVALID_IMAGE", http: 400, description: "Image has no face on it." },
  504: { name: "ERROR_INVALID_FORMAT", http: 400, description: "Image format unsupported for operation." },
  505: { name: "ERROR_INVALID_MATCH_LEVEL", http: 400, description: "Match level is outside supported range" },
  506: { name: "ERROR_INVALID_AS_LEVEL", http: 400, description: "AS level not supported" },
  507: { name: "NO_TEMPLATES_SPECIFIED", http: 400, description: "No templates specified in face Blob to extract in verifyWithPicID" },
  509: { name: "ERROR_MULTIPLE_FACES", http: 400, description: "(/image) Multiple faces detected." },
  510: { name: "ERROR_POOR_ICAO_QUALITY", http: 400, description: "Non-compliant quality." },
  601: { name: "ERROR_DECRYPTION_FAILED", http: 400, description: "BLOB decryption failed" },
  604: { name: "ERROR_REQUEST_EXPIRED", http: 500, description: "Request expired" },
  900: { name: "INVALID_IMAGE", http: 400, description: "An invalid image was used" },
  901: { name: "ERROR_WRONG_RESOLUTION", http: 400, description: "Passed image isn't 480x640" },
};

// similarityScore at each working point (doc): selfie vs selfie 80/90/95/98, selfie vs picture ID 60/80/85/90
const WORKING_POINTS: Record<"selfie" | "picture_id", Record<MatchLevel, number>> = {
  selfie: { MEDIUM: 80, HIGH: 90, VERY_HIGH: 95, HIGHEST: 98 },
  picture_id: { MEDIUM: 60, HIGH: 80, VERY_HIGH: 85, HIGHEST: 90 },
};

// the doc's /process "Output" sample as printed (its closing braces were lost): MAGIC:garbage
const DOC_TRUNCATED_PROCESS_SAMPLE = `"refid":"W-face-process-b0e4b3e1-56ae-4fbc-b241-323645ed23d1-1743773080405",
"code":200,
"message":"FEEDBACK_CAPTURED",
"upload_ts":1908,
"data":{
   "bits_per_pixel":8,
   "as_highest_security_level_reached":"HIGHEST",
   "spoof_score":[
      0.9757902
   "quality":{
      "eyes_status":"OPEN",
`;

// small fixed bytes for the SDK bootstrap endpoints (non-UTF-8 on purpose: proxies must pass bytes)
export const SIM_MODELS_BYTES = Buffer.concat([Buffer.from("IDENTY-SIM-MODELS v6\n"), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x0d, 0x0a, 0x1a])]);
export const SIM_PUB_KEY_BYTES = Buffer.concat([Buffer.from("IDENTY-SIM-PUBKEY\n"), Buffer.from([0x30, 0x82, 0x01, 0x22, 0xc3, 0x28])]);

const ONE_PIXEL_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

interface Magic {
  spoof: "plain" | "lowquality" | "insecure" | null;
  level: Level | null;
  similarity: number | null;
  multiface: boolean;
  code: number | null;
  http200: boolean;
  badjson: boolean;
  garbage: boolean;
  encrypted: boolean;
  lowqc: boolean;
  /** the marker text to carry into templates made from this capture */
  carry: string[];
}

function magicOf(...sources: (Buffer | string | undefined)[]): Magic {
  const m: Magic = {
    spoof: null,
    level: null,
    similarity: null,
    multiface: false,
    code: null,
    http200: false,
    badjson: false,
    garbage: false,
    encrypted: false,
    lowqc: false,
    carry: [],
  };
  for (const src of sources) {
    if (src === undefined) continue;
    const text = Buffer.isBuffer(src) ? src.toString("latin1") : src;
    for (const [, name, value] of text.matchAll(/MAGIC:([a-z_0-9]+)(?:=([A-Za-z0-9_]+))?/g)) {
      switch (name) {
        case "spoof":
          m.spoof = "plain";
          break;
        case "spoof_lowquality":
          m.spoof = "lowquality";
          break;
        case "insecure":
          m.spoof = "insecure";
          break;
        case "level":
          if ((LEVELS as readonly string[]).includes(value ?? "")) m.level = value as Level;
          break;
        case "nomatch":
          m.similarity = 12;
          m.carry.push("MAGIC:nomatch");
          break;
        case "similarity":
          if (value && /^\d+$/.test(value)) m.similarity = Math.min(100, Number(value));
          m.carry.push(`MAGIC:similarity=${value}`);
          break;
        case "multiface":
          m.multiface = true;
          break;
        case "expired":
          m.code = 604;
          break;
        case "code":
          if (value && /^\d+$/.test(value)) m.code = Number(value);
          break;
        case "http200":
          m.http200 = true;
          break;
        case "badjson":
          m.badjson = true;
          break;
        case "lowqc":
          m.lowqc = true;
          break;
        case "garbage":
          m.garbage = true;
          break;
        case "encrypted":
          m.encrypted = true;
          break;
      }
    }
  }
  return m;
}

function fromBase64(s: unknown): Buffer | null {
  if (typeof s !== "string" || s.length === 0) return null;
  const clean = s.replace(/^data:[^,]*,/, "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) return null;
  const buf = Buffer.from(clean, "base64");
  return buf.length > 0 ? buf : null;
}

/** Width and height of a JPEG or PNG, or null when they cannot be read. */
function imageSizeOf(bytes: Buffer): { width: number; height: number } | null {
  try {
    const d = imageSize(bytes);
    return d.width && d.height ? { width: d.width, height: d.height } : null;
  } catch {
    return null;
  }
}

/** A tiny but real 480x640 JPEG whose comment segment carries the capture's match markers. */
function simJpeg(comment: string): Buffer {
  const text = Buffer.from(comment || "IDENTY-SIM");
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]), text]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xe0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), com, sof, Buffer.from([0xff, 0xd9])]);
}

/** The IWS hybrid template encryption as the doc describes it: AES-GCM data, RSA-OAEP(SHA-1) key1 (key) and key2 (IV). */
export function encryptTemplateForSim(bytes: Buffer, publicKeyPem: string): { data: string; key2: string; key1: string } {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
  const wrap = (b: Buffer) => publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, b).toString("base64");
  return { data: data.toString("base64"), key2: wrap(iv), key1: wrap(key) };
}

let throwaway: string | null = null;
function throwawayPublicKey(): string {
  throwaway ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  return throwaway;
}

function levelRank(l: string): number {
  return LEVELS.indexOf(l as Level);
}

function matchLevelFor(similarity: number, points: Record<MatchLevel, number>): string {
  for (const l of [...MATCH_LEVELS].reverse()) if (similarity >= points[l]) return l;
  return similarity >= 40 ? "LOW" : "NONE";
}

const MATCH_RANK: Record<string, number> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3, VERY_HIGH: 4, HIGHEST: 5 };

/** The doc's flawed JSON style (MAGIC:badjson): decimal comma with no comma after it, bare level words. */
function docStyleJson(body: Record<string, unknown>): string {
  return JSON.stringify(body, null, 4)
    .replace(/"(as_highest_security_level_reached|matchHighestSecurityLevelReached)": "([A-Z_]+)"/g, '"$1": $2')
    .replace(/"score": (-?\d+)\.(\d+),/g, '"score": $1,$2');
}

export interface IdentySimulatorConfig extends SimulatorOptions {
  /** RSA public key PEM: TEMPLATE_ENCRYPTION_ENABLED=true with this TEMPLATE_ENCRYPTION_KEY */
  templateEncryptionKey?: string;
  /** the benchmarked server to model (capacity.ts); none: answers as fast as it can */
  capacity?: CapacityConfig | null;
  now?: () => number;
}

// "ERROR_REQUEST_EXPIRED, Code: 604 ... took more than 2 min to reach the server"
export const REQUEST_EXPIRY_MS = 2 * 60_000;

/** When the SDK packaged the BLOB (`packaged_at=<epoch ms>` in the simulated BLOB), or null. */
function packagedAt(blob: Buffer): number | null {
  const m = /packaged_at=(\d{10,16})/.exec(blob.toString("latin1"));
  return m ? Number(m[1]) : null;
}

const TOMCAT_503 =
  '<!doctype html><html lang="en"><head><title>HTTP Status 503 – Service Unavailable</title></head><body><h1>HTTP Status 503 – Service Unavailable</h1></body></html>';

export function makeIdentySimulator(opts: IdentySimulatorConfig): Router {
  const router = express.Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 16 * 1024 * 1024, fieldSize: 16 * 1024 * 1024 } });
  const rawJson = express.raw({ type: () => true, limit: "32mb" });
  // in-memory state: transactions per endpoint (the refid uid is random, as the IWS's)
  const state = { transactions: new Map<string, number>() };
  const now = opts.now ?? Date.now;
  const capacity = new SimCapacity(opts.capacity ?? null, now);

  /** the capacity model in front of a benchmarked endpoint: wait for the queued work, or 503 past it */
  const modelled = (endpoint: SimEndpoint) => (_req: Request, res: Response, next: NextFunction) => {
    const r = capacity.arrive(endpoint);
    if (r === null) return next();
    if (r === "reject") return void res.status(503).type("text/html").send(TOMCAT_503);
    res.once("close", capacity.enter());
    if (r.waitMs > 0) setTimeout(() => next(), r.waitMs);
    else next();
  };
  const expired = (blob: Buffer) => {
    const at = packagedAt(blob);
    return at !== null && now() - at > REQUEST_EXPIRY_MS;
  };

  const refid = (action: string) => {
    state.transactions.set(action, (state.transactions.get(action) ?? 0) + 1);
    return `W-face-${action}-${randomUUID()}-${Date.now()}`;
  };

  type Family = "process" | "match" | "as";
  function sendError(res: Response, family: Family, code: number, action: string, m: Magic, description?: string) {
    const row = CODES[code] ?? { name: "UNKNOWN_ERROR", http: 400, description: "undocumented" };
    const id = refid(action);
    const body: Record<string, unknown> =
      family === "process"
        ? { code, message: row.name, refid: id, description: description ?? row.description }
        : family === "match"
          ? { code, feedbackCode: row.name, refid: id }
          : // the /face/as family's own shape ("error": 0 on success): the code in `error`, nothing it does not document
            { as_highest_security_level_reached: null, error: code, refid: id };
    res.status(m.http200 ? 200 : row.http).json(body);
  }

  function sendBody(res: Response, m: Magic, body: Record<string, unknown>, status = 200) {
    if (m.garbage) return res.status(200).type("application/json").send(DOC_TRUNCATED_PROCESS_SAMPLE);
    if (m.badjson) return res.status(status).type("application/json").send(docStyleJson(body));
    return res.status(status).json(body);
  }

  function spoofBody(m: Magic, action: string, image: Buffer) {
    return {
      code: 401,
      message: m.spoof === "insecure" ? "FEEDBACK_RETRY_INSECURE" : "FEEDBACK_RETRY",
      refid: refid(action),
      description: "Something is weird, please try again.",
      data: { image: image.toString("base64") },
      quality: m.spoof !== "lowquality",
      debug: { spoof_score: [0.0] },
    };
  }

  const requireReferer = (family: Family, action: string) => (req: Request, res: Response, next: NextFunction) => {
    if (req.get("referer")) return next();
    return sendError(res, family, 501, action, magicOf(), "Referer header not found");
  };

  router.use(opts.faults.middleware("identy"));

  // ---- the simulator's own controls (not IWS paths)
  router.get("/_sim/capacity", (_req, res) => void res.json(capacity.snapshot()));
  router.put("/_sim/capacity", express.json({ strict: false }), (req, res) => {
    capacity.configure((req.body as CapacityConfig | null) ?? null);
    res.json(capacity.snapshot());
  });
  router.delete("/_sim/capacity", (_req, res) => {
    capacity.reset();
    res.json(capacity.snapshot());
  });

  // ---- SDK bootstrap: "This response has to be returned exactly as it is to the SDK"; "Method: POST"
  router.post("/api/v1/models", (_req, res) => void res.status(200).type("application/octet-stream").send(SIM_MODELS_BYTES));
  router.post("/api/v1/pub_key", (_req, res) => void res.status(200).type("application/octet-stream").send(SIM_PUB_KEY_BYTES));
  router.post(
    "/api/v1/time",
    (_req, res) =>
      void res
        .status(200)
        .type("application/octet-stream")
        .send(Buffer.from(String(now()))),
  );
  router.get("/api/v1/face_health", (_req, res) => void res.status(200).type("text/plain").send("OK"));
  // every documented endpoint is POST but face_health: another method is refused, not served
  router.all(
    /^\/api\/v1\/(models|pub_key|time|process|secure\/face\/as|verifyWithPictureId|face\/as|matchWithSelfie|matchWithPictureId|face\/generateTemplateFromImage)$/,
    (req, res, next) => {
      if (req.method === "POST") return next();
      res.setHeader("Allow", "POST");
      return void res.status(405).type("text/html").send("<!doctype html><html><body><h1>HTTP Status 405 – Method Not Allowed</h1></body></html>");
    },
  );

  const fileOf = (req: Request): Buffer | null => {
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const f = files.find((x) => x.fieldname === "file" || x.fieldname === "File");
    if (f) return f.buffer;
    // a BLOB sent as a plain text field
    const asField = (req.body as Record<string, unknown> | undefined)?.file;
    return typeof asField === "string" ? Buffer.from(asField) : null;
  };
  const fields = (req: Request) => (req.body ?? {}) as Record<string, unknown>;

  // ---- /api/v1/process
  router.post("/api/v1/process", modelled("process"), requireReferer("process", "process"), upload.any(), (req, res) => {
    const blob = fileOf(req);
    if (!blob) return sendError(res, "process", 501, "process", magicOf(), "INVALID ARGUMENT EXCEPTION");
    const m = magicOf(blob);
    if (blob.length === 0) return sendError(res, "process", 601, "process", m);
    if (expired(blob)) return sendError(res, "process", 604, "process", m);
    if (m.code !== null) return sendError(res, "process", m.code, "process", m);
    const jpeg = simJpeg(m.carry.join(" "));
    if (m.spoof) return sendBody(res, m, spoofBody(m, "process", jpeg), m.http200 ? 200 : 400);
    const enableQuality = String(fields(req).enableQuality ?? "true") !== "false";
    // with a configured key every answer is encrypted (as TEMPLATE_ENCRYPTION_ENABLED=true); MAGIC:encrypted
    // without one encrypts for a throwaway key that no gateway holds
    const encryptWith = opts.templateEncryptionKey ?? (m.encrypted ? throwawayPublicKey() : null);
    const data: Record<string, unknown> = {
      bits_per_pixel: 8,
      capture_date: new Date().toISOString().replace("Z", " +0000"),
      width: 480,
      channels: 3,
      height: 640,
      resolution: "480x640x3",
      as_highest_security_level_reached: m.level ?? "HIGHEST",
      spoof_score: [0.9757902],
    };
    if (enableQuality)
      data.quality = {
        eyes_status: "OPEN",
        eyes_open_metric: 59.93526,
        head_pose_check: true,
        quality_metric: m.lowqc ? 12.5 : 67.966354,
        qc_passed: !m.lowqc,
      };
    if (encryptWith) data.encrypted_templates = { PNG: encryptTemplateForSim(ONE_PIXEL_PNG, encryptWith), JPEG: encryptTemplateForSim(jpeg, encryptWith) };
    else data.templates = { JPEG: jpeg.toString("base64"), PNG: ONE_PIXEL_PNG.toString("base64") };
    return sendBody(res, m, {
      refid: refid("process"),
      code: 200,
      message: "FEEDBACK_CAPTURED",
      upload_ts: 1908,
      data,
      icao_data: {
        multiple_faces: m.multiface,
        eyes_full_visibility: true,
        background_continuity: 14,
        illumination_uniformity: 19,
        over_exposure: 0,
        under_exposure: 0,
        nose_visibility: 96,
        mouth_visibility: 99,
        top_visibility: 33,
        bottom_visibility: 100,
        eyeL_visibility: 50,
        eyeR_visibility: 78,
        sideL_visibility: 92,
        sideR_visibility: 99,
        is_compliant: !m.multiface,
      },
    });
  });

  // ---- the /face/as family: {as_highest_security_level_reached, is_spoof, score, error, refid, input}
  function asAnswer(res: Response, m: Magic, image: Buffer, threshold: Level | null) {
    if (m.code !== null) return sendError(res, "as", m.code, "antispoof", m);
    const reached: Level | null = m.spoof ? null : (m.level ?? "HIGHEST");
    const isSpoof = m.spoof !== null || (threshold !== null && reached !== null && levelRank(reached) < levelRank(threshold));
    return sendBody(res, m, {
      as_highest_security_level_reached: reached,
      is_spoof: isSpoof,
      score: isSpoof ? 0.98765 : 0.12345,
      error: 0,
      refid: refid("antispoof"),
      input: { image: image.toString("base64") },
    });
  }

  router.post("/api/v1/secure/face/as", modelled("secure/face/as"), requireReferer("as", "antispoof"), upload.any(), (req, res) => {
    const blob = fileOf(req);
    if (!blob) return sendError(res, "as", 501, "antispoof", magicOf(), "INVALID ARGUMENT EXCEPTION");
    const m = magicOf(blob);
    if (blob.length === 0) return sendError(res, "as", 601, "antispoof", m);
    if (expired(blob)) return sendError(res, "as", 604, "antispoof", m);
    return asAnswer(res, m, simJpeg(""), null);
  });

  router.post("/api/v1/face/as", modelled("face/as"), requireReferer("as", "antispoof"), upload.any(), (req, res) => {
    const f = fields(req);
    const image = fromBase64(f.image);
    if (typeof f.image !== "string" || f.threshold === undefined) return sendError(res, "as", 501, "antispoof", magicOf(), "INVALID ARGUMENT EXCEPTION");
    if (f.threshold === "NONE") return sendError(res, "as", 501, "antispoof", magicOf(), "(/threshold) AS level can not be NONE");
    if (!(LEVELS as readonly string[]).includes(String(f.threshold))) return sendError(res, "as", 506, "antispoof", magicOf());
    if (!image) return sendError(res, "as", 504, "antispoof", magicOf(), "(/image) Could not decode image.");
    return asAnswer(res, magicOf(image), image, f.threshold as Level);
  });

  // ---- /api/v1/verifyWithPictureId: /process then /matchWithPictureId in one call
  router.post("/api/v1/verifyWithPictureId", modelled("verifyWithPictureId"), requireReferer("match", "VERIFY"), upload.any(), (req, res) => {
    const f = fields(req);
    const blob = fileOf(req);
    if (!blob) return sendError(res, "match", 501, "VERIFY", magicOf(), "INVALID ARGUMENT EXCEPTION");
    const picId = fromBase64(f.picID);
    const m = magicOf(blob, picId ?? undefined);
    if (blob.length === 0) return sendError(res, "match", 601, "VERIFY", m);
    if (expired(blob)) return sendError(res, "process", 604, "VERIFY", m);
    if (!picId) return sendError(res, "match", 503, "VERIFY", m);
    if (!FORMATS.includes(String(f.template))) return sendError(res, "match", 504, "VERIFY", m);
    if (!(MATCH_LEVELS as readonly string[]).includes(String(f.level))) return sendError(res, "match", 505, "VERIFY", m);
    if (m.code !== null) return sendError(res, m.code === 401 ? "process" : "match", m.code, "VERIFY", m);
    // "identical to the response of the /process endpoint for cases where spoof detection is triggered"
    if (m.spoof) {
      const { debug: _debug, description: _d, ...spoof } = spoofBody(m, "VERIFY", simJpeg(""));
      return sendBody(res, m, spoof, m.http200 ? 200 : 400);
    }
    const similarity = m.similarity ?? 93;
    const reached = matchLevelFor(similarity, WORKING_POINTS.picture_id);
    return sendBody(res, m, {
      code: 200,
      feedbackCode: "FEEDBACK_MATCHED",
      refid: refid("VERIFY"),
      score: similarity >= 80 ? 0.22522137 : 0.9923199,
      matchHighestSecurityLevelReached: reached,
      similarityScore: similarity,
      possibleMatch: (MATCH_RANK[reached] ?? 0) >= (MATCH_RANK[String(f.level)] ?? 99),
    });
  });

  // ---- JSON match endpoints
  function matchEndpoint(kind: "selfie" | "picture_id") {
    return (req: Request, res: Response) => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "");
      } catch {
        return sendError(res, "match", 501, "MATCH121", magicOf(), "JSON EXCEPTION");
      }
      const b = (body ?? {}) as {
        image?: { template?: unknown; format?: unknown };
        imageToVerifyAgainst?: { template?: unknown; format?: unknown };
        level?: unknown;
      };
      if (!b.image || !b.imageToVerifyAgainst || typeof b.level !== "string")
        return sendError(res, "match", 501, "MATCH121", magicOf(), "INVALID ARGUMENT EXCEPTION");
      if (!FORMATS.includes(String(b.image.format)) || !FORMATS.includes(String(b.imageToVerifyAgainst.format)))
        return sendError(res, "match", 504, "MATCH121", magicOf(), "(/image/format) unsupported");
      const probe = fromBase64(b.image.template);
      const reference = fromBase64(b.imageToVerifyAgainst.template);
      if (!probe || !reference) return sendError(res, "match", 504, "MATCH121", magicOf(), "(/image/template) unable to decode template: EXCEPTION");
      // image.template: "640 x 480 base64 encoded selfie to be verified against imageToVerifyAgainst. (No cropped and no
      // padding)"; "ERROR_WRONG_RESOLUTION, Code: 901 — Passed image isn't 480x640". A template whose size cannot be read
      // is not a selfie at all: "ERROR_INVALID_FORMAT ... "(/image/template) unable to decode template: EXCEPTION"".
      // Both orientations pass: the file writes "640 x 480" on the attribute and "480x640" on the error and its captures.
      const size = imageSizeOf(probe);
      if (!size) return sendError(res, "match", 504, "MATCH121", magicOf(probe), "(/image/template) unable to decode template: EXCEPTION");
      if (!((size.width === 480 && size.height === 640) || (size.width === 640 && size.height === 480)))
        return sendError(res, "match", 901, "MATCH121", magicOf(probe));
      if (!(MATCH_LEVELS as readonly string[]).includes(b.level)) return sendError(res, "match", 505, "MATCH121", magicOf());
      const m = magicOf(probe, reference);
      if (m.code !== null) return sendError(res, "match", m.code, "MATCH121", m);
      const similarity = m.similarity ?? 93;
      const reached = matchLevelFor(similarity, WORKING_POINTS[kind]);
      const answer: Record<string, unknown> = {
        code: 200,
        feedbackCode: "FEEDBACK_MATCHED",
        refid: refid("MATCH121"),
        score: similarity >= 80 ? 6.2109287e-9 : 0.9923199,
        similarityScore: similarity,
        possibleMatch: (MATCH_RANK[reached] ?? 0) >= (MATCH_RANK[b.level] ?? 99),
        multipleFacesImage: magicOf(probe).multiface,
      };
      // "/matchWithPictureId ... assumes the provided PictureId has been extracted from a valid card ID, therefore, it will never contain multiple faces"
      if (kind === "selfie") answer.multipleFacesImageToVerifyAgainst = magicOf(reference).multiface;
      answer.matchHighestSecurityLevelReached = reached;
      return sendBody(res, m, answer);
    };
  }
  router.post("/api/v1/matchWithSelfie", modelled("matchWithSelfie"), requireReferer("match", "MATCH121"), rawJson, matchEndpoint("selfie"));
  router.post("/api/v1/matchWithPictureId", modelled("matchWithPictureId"), requireReferer("match", "MATCH121"), rawJson, matchEndpoint("picture_id"));

  // ---- /api/v1/face/generateTemplateFromImage (the only documented source of 509 and 510)
  router.post(
    "/api/v1/face/generateTemplateFromImage",
    modelled("face/generateTemplateFromImage"),
    requireReferer("match", "GENERATE"),
    rawJson,
    (req, res) => {
      let body: { image?: unknown; qualityMode?: unknown };
      try {
        body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "") as typeof body;
      } catch {
        return sendError(res, "match", 501, "GENERATE", magicOf(), "JSON EXCEPTION");
      }
      const image = fromBase64(body.image);
      if (!image) return sendError(res, "match", 504, "GENERATE", magicOf(), "(/image) Could not decode image.");
      const m = magicOf(image);
      if (m.code !== null) return sendError(res, "match", m.code, "GENERATE", m);
      if (m.multiface && body.qualityMode !== "DISABLED") return sendError(res, "match", 509, "GENERATE", m);
      return sendBody(res, m, {
        code: 200,
        feedbackCode: "FEEDBACK_CAPTURED",
        data: {
          height: 640,
          width: 480,
          channels: 3,
          templates: { IDENTY_TYPE_1: Buffer.from(`IDENTY_TYPE_1:${image.length}`).toString("base64") },
          bits_per_pixel: 8,
        },
        icao_data: { multiple_faces: m.multiface, eyes_full_visibility: true },
        refid: refid("GENERATE"),
      });
    },
  );

  // multer limits and malformed multipart: the IWS's generic invalid-input answer
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    opts.log.warn({ vendor: "identy", err: err instanceof Error ? err.message : "error" }, "identy simulator: bad request");
    return sendError(res, "process", 501, "process", magicOf(), "INVALID ARGUMENT EXCEPTION");
  });

  return router;
}

export const createIdentySimulator: SimulatorFactory = (opts) =>
  makeIdentySimulator({
    ...opts,
    templateEncryptionKey: process.env.IDENTY_SIM_TEMPLATE_ENCRYPTION_KEY || undefined,
    capacity: capacityFromEnv(process.env.IDENTY_SIM_CAPACITY),
  });

/** the sandbox mounts this at /identy: src/sandbox/simulators.ts finds every folder's `simulator` */
export const simulator: SimulatorFactory = createIdentySimulator;

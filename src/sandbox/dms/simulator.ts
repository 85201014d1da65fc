// DMS IDVerifr + LiveVerifr simulator, mounted at /dms (an account's baseUrl is http://host:port/dms).
// Faithful to ../shared/vendors/dms-idverifr-liveverifr.txt (written from it, no adapter code):
//   IDVerifr   POST idcard_recognition (multipart `file`), idcard_recognition_base64 {"image_base64"},
//              idcard_recognition_base64_multi_page {"images_base64": [front, back]} (the body the
//              gateway's adapter sends: the doc does not show one), GET health
//   LiveVerifr POST face_detection and template_extraction (multipart `image` as in the doc's curl;
//              a JSON {"image_base64"} is taken too), face_verify {"template_a","template_b"}, GET health
// Each path is served under its product prefix (/idcard_recognition_v2, /v1/livecheck: the doc's
// "Base URLs") AND without it (the doc's quickstart and curl examples).
// Auth: "Authorization: Bearer <key>", accepted keys `sandbox-dms-key` and any `sk_test_...`; else 401.
// Errors: 400 missing/invalid parameters, 401 bad key, 422 no document / no face; 402 only on request
// (MAGIC:quota402): the doc says "Requests never block when you exceed it — the API keeps answering
// and every scan past the allowance is counted as overage" (DESIGN.md: DMS's public docs add 402).
//
// MAGIC INPUTS: the image BYTES (after base64 decoding) containing a marker text choose the outcome.
// No document marker: the doc's own sample document, CARLOS GARCIA LOPEZ, born 1990-06-15, a
// Spanish DRIVING_LICENSE B12345678 expiring 2028-06-15, GENUINE (it does NOT match the README's
// example subject Juan Aparicio Lopez: that is MAGIC:juan).
//   MAGIC:juan        document image   the README example subject: NATIONAL_ID of ESP, GivenNames JUAN,
//                                      Surname APARICIO LOPEZ, DateOfBirth 1955-12-18, DocumentNumber
//                                      00000000T, DateOfExpiry 2031-10-19, Sex M, Nationality ESP, GENUINE
//   MAGIC:expired     document image   DateOfExpiry 2019-06-15 (in the past)
//   MAGIC:suspicious  document image   FraudCheck SUSPICIOUS, Checks [NO_SCREEN_CAPTURE] (the watermark check not passed)
//   MAGIC:screen      document image   FraudCheck SUSPICIOUS, Checks [NO_SPECIMEN_WATERMARK] (the screen check not passed)
//     (the doc names only the passed items NO_SPECIMEN_WATERMARK and NO_SCREEN_CAPTURE, no failing one)
//   MAGIC:nodoc       document image   422 (no document detected)
//   MAGIC:quota       any image        the scan is past the monthly allowance: answered as usual, counted
//                                      as overage ("Requests continue to succeed"; GET /dms/_control/usage)
//   MAGIC:quota402    any image        402 (scan quota spent), DMS's public docs' variant, never by default
//   MAGIC:spoof       selfie           face_detection liveness SPOOF
//   MAGIC:lowquality  selfie           face_detection quality 0.31
//   MAGIC:noface      selfie/portrait  422 on face_detection / template_extraction (no face detected)
//   MAGIC:multiface   selfie/portrait  face_count 2
//   MAGIC:mismatch    selfie/document  face_verify {"similarity": 0.3127, "match": false, "threshold": 0.82}
//   MAGIC:noexpiry    document image   GENUINE, every field but DateOfExpiry
//   MAGIC:bare        document image   only {"FraudCheck":{"Result":"GENUINE"}} (the doc marks every other field optional)
// Document markers combine with MAGIC:juan (e.g. "MAGIC:juan MAGIC:noexpiry").
// A document image's face markers (noface, multiface, mismatch) are carried into its Portrait and
// from there into the portrait's template. No marker: a clean pass (the doc's own sample values).
//
// Control (not DMS routes):
//   POST /dms/_control/send-webhook { url, secret | [secrets], event, deliveryId?, timestamp?, payload?,
//        retry?: { maxAttempts?, baseDelayMs?, timeoutMs? } }
//     POSTs a signed account webhook to `url` the way DMS does and answers the first attempt:
//     { status: <target's status>, deliveryId, timestamp, attempt: 1, retrying }. "Non-2xx responses (and
//     timeouts after 10 s) are retried with exponential backoff": attempt n+1 follows attempt n by
//     baseDelayMs * 2^(n-1) (the doc gives no figures: 30 s base, 6 attempts in all by default), with
//     the same body and delivery id ("retries and at-least-once delivery can repeat an id"), signed
//     again when sent ("X-Hillogy-Timestamp: Unix timestamp (seconds) of when the delivery was signed").
//   GET /dms/_control/webhook-deliveries[?deliveryId=]  every attempt: { deliveryId, attempt, at, status | error }
//   DELETE /dms/_control/webhook-deliveries             cancels the retries still due, forgets the attempts
//   GET /dms/_control/usage                             { scans, overage } (answered image scans)
import { createHash, createHmac, randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import multer from "multer";
import { z } from "zod";
import type { SimulatorFactory } from "../types.js";

/** the doc's "Event catalog" */
const DMS_WEBHOOK_EVENTS = [
  "anomaly.detected",
  "invoice.created",
  "invoice.finalized",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.voided",
  "test",
  "retry",
] as const;
type DmsWebhookEvent = (typeof DMS_WEBHOOK_EVENTS)[number];

/** "The v1 value is HMAC-SHA256(secret, timestamp + "." + rawBody) in hex." */
function signHillogy(secret: string, ts: number, rawBody: string): string {
  return createHmac("sha256", secret).update(`${ts}.${rawBody}`, "utf8").digest("hex");
}

export const DMS_SANDBOX_API_KEY = "sandbox-dms-key";
export const DMS_IDVERIFR_PREFIX = "/idcard_recognition_v2";
export const DMS_LIVEVERIFR_PREFIX = "/v1/livecheck";

export const MAGIC_INPUTS = [
  { input: "MAGIC:expired", outcome: "document image: DateOfExpiry 2019-06-15, in the past (gateway: document_expired)" },
  { input: "MAGIC:suspicious", outcome: "document image: FraudCheck.Result SUSPICIOUS, Checks [NO_SCREEN_CAPTURE] (gateway: document_suspicious)" },
  { input: "MAGIC:screen", outcome: "document image: FraudCheck.Result SUSPICIOUS, Checks [NO_SPECIMEN_WATERMARK] (gateway: document_suspicious)" },
  { input: "MAGIC:nodoc", outcome: "document image: 422 no document detected (gateway: document_missing)" },
  { input: "MAGIC:quota", outcome: "any image: past the monthly allowance, answered as usual and counted as overage (gateway: as without the marker)" },
  { input: "MAGIC:quota402", outcome: "any image: 402 scan quota spent, the public docs' variant (gateway: failed, vendor_out_of_credits)" },
  { input: "MAGIC:spoof", outcome: "selfie: face_detection liveness SPOOF (gateway: liveness_failed)" },
  { input: "MAGIC:lowquality", outcome: "selfie: face_detection quality 0.31 (gateway: image_low_quality)" },
  { input: "MAGIC:noface", outcome: "selfie or document portrait: 422 no face detected (gateway: no_face_detected)" },
  { input: "MAGIC:multiface", outcome: "selfie or document portrait: face_count 2 (gateway: multiple_faces)" },
  { input: "MAGIC:mismatch", outcome: "selfie or document image: face_verify match false, similarity 0.3127 (gateway: face_mismatch)" },
  { input: "MAGIC:noexpiry", outcome: "document image: GENUINE without DateOfExpiry (gateway: never approved, review with data_not_extracted)" },
  { input: "MAGIC:bare", outcome: 'document image: only {"FraudCheck":{"Result":"GENUINE"}} (gateway: review, no document data)' },
  { input: "MAGIC:juan", outcome: "document image: the README example subject (JUAN APARICIO LOPEZ, 1955-12-18, NATIONAL_ID 00000000T of ESP), GENUINE" },
] as const satisfies readonly { input: string; outcome: string }[];

type Marker =
  | "juan"
  | "expired"
  | "suspicious"
  | "screen"
  | "nodoc"
  | "quota"
  | "quota402"
  | "spoof"
  | "lowquality"
  | "noface"
  | "multiface"
  | "mismatch"
  | "noexpiry"
  | "bare";
const MARKERS = new Set<string>(MAGIC_INPUTS.map((m) => m.input.slice("MAGIC:".length)));
/** markers a document image hands on to its Portrait crop */
const FACE_MARKERS: readonly Marker[] = ["noface", "multiface", "mismatch"];

function markersIn(images: Buffer[]): Set<Marker> {
  const found = new Set<Marker>();
  for (const img of images) for (const m of img.toString("latin1").matchAll(/MAGIC:([a-z0-9]+)/g)) if (m[1] && MARKERS.has(m[1])) found.add(m[1] as Marker);
  return found;
}

// ---------- payloads (the doc's samples) ----------

const JPEG_HEADER = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
const TEMPLATE_BYTES = 2048; // "2048-byte biometric vector for 1:1 matching"
const TEMPLATE_MAGIC = "DMSTPL1";

function portraitOf(markers: Set<Marker>): string {
  const tags = FACE_MARKERS.filter((m) => markers.has(m))
    .map((m) => `MAGIC:${m}`)
    .join(" ");
  return Buffer.concat([JPEG_HEADER, Buffer.from(`DMS-PORTRAIT ${tags}`.padEnd(96, "."))]).toString("base64");
}

function templateOf(image: Buffer, markers: Set<Marker>): string {
  const head = Buffer.from(`${TEMPLATE_MAGIC}${markers.has("mismatch") ? " MAGIC:mismatch" : ""}|`, "latin1");
  const body = Buffer.alloc(TEMPLATE_BYTES - head.length);
  const seed = createHash("sha256").update(image).digest();
  for (let i = 0; i < body.length; i++) body[i] = seed[i % seed.length]!;
  return Buffer.concat([head, body]).toString("base64");
}

/** the doc's "Sample response" holder */
const SAMPLE_DOCUMENT = {
  DocumentType: "DRIVING_LICENSE",
  IssuingCountry: "ESP",
  Surname: "GARCIA LOPEZ",
  GivenNames: "CARLOS",
  DateOfBirth: "1990-06-15",
  DateOfExpiry: "2028-06-15",
  DocumentNumber: "B12345678",
  Sex: "M",
  Nationality: "ESP",
} as const;

/** MAGIC:juan: the README's example subject, on a Spanish NATIONAL_ID */
const README_SUBJECT_DOCUMENT = {
  DocumentType: "NATIONAL_ID",
  IssuingCountry: "ESP",
  Surname: "APARICIO LOPEZ",
  GivenNames: "JUAN",
  DateOfBirth: "1955-12-18",
  DateOfExpiry: "2031-10-19",
  DocumentNumber: "00000000T",
  Sex: "M",
  Nationality: "ESP",
} as const;

function documentResponse(markers: Set<Marker>): Record<string, unknown> {
  if (markers.has("bare")) return { FraudCheck: { Result: "GENUINE" } };
  const full = fullDocumentResponse(markers);
  if (markers.has("noexpiry")) delete full.DateOfExpiry;
  return full;
}

function fullDocumentResponse(markers: Set<Marker>): Record<string, unknown> {
  // "Checks": ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"] (the doc's sample): the passed checks
  const checks = ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"].filter(
    (c) => !(markers.has("suspicious") && c === "NO_SPECIMEN_WATERMARK") && !(markers.has("screen") && c === "NO_SCREEN_CAPTURE"),
  );
  const holder = markers.has("juan") ? README_SUBJECT_DOCUMENT : SAMPLE_DOCUMENT;
  return {
    ...holder,
    ...(markers.has("expired") ? { DateOfExpiry: "2019-06-15" } : {}),
    Portrait: portraitOf(markers),
    OcrProvider: "V2_TEMPLATE",
    FraudCheck: {
      Result: markers.has("screen") || markers.has("suspicious") ? "SUSPICIOUS" : "GENUINE",
      Checks: checks,
    },
  };
}

function landmarks(): number[][] {
  return Array.from({ length: 68 }, (_, i) => [Math.round((140 + 3.5 * i) * 10) / 10, Math.round((180 + 2.25 * (i % 17)) * 10) / 10]);
}

function detectedFace(image: Buffer, markers: Set<Marker>, index: number): Record<string, unknown> {
  const dx = index * 300;
  return {
    liveness: markers.has("spoof") ? "SPOOF" : "GENUINE",
    quality: markers.has("lowquality") ? 0.31 : 0.94,
    luminance: 0.87,
    eye_distance: 142.3,
    pose: { yaw: 1.8, roll: -0.4, pitch: 2.1 },
    eye_state: { left_closed: 0.02, right_closed: 0.03 },
    mouth_opened: 0.12,
    occlusion: 0.01,
    bbox: [120 + dx, 80, 380 + dx, 420],
    landmarks_68: landmarks(),
    template: templateOf(Buffer.concat([image, Buffer.from([index])]), markers),
  };
}

function faceCount(markers: Set<Marker>): number {
  return markers.has("multiface") ? 2 : 1;
}

// ---------- HTTP plumbing ----------

interface ApiError {
  status: number;
  error: string;
  detail: string;
}
const ERRORS = {
  missingImage: { status: 400, error: "Bad Request", detail: "missing or invalid parameter: image_base64" },
  missingPages: { status: 400, error: "Bad Request", detail: "missing or invalid parameter: images_base64 (an array of 1 to 4 base64 images)" },
  missingTemplates: { status: 400, error: "Bad Request", detail: "missing or invalid parameters: template_a and template_b (2048-byte templates)" },
  unauthorized: { status: 401, error: "Unauthorized", detail: "missing or invalid API key" },
  quota: { status: 402, error: "Payment Required", detail: "scan quota spent" },
  noDocument: { status: 422, error: "Unprocessable Entity", detail: "no document detected in image" },
  noFace: { status: 422, error: "Unprocessable Entity", detail: "no face detected in image" },
} as const satisfies Record<string, ApiError>;

function fail(res: Response, e: ApiError): void {
  res.status(e.status).json({ error: e.error, detail: e.detail });
}

export function isAcceptedKey(key: string): boolean {
  return key === DMS_SANDBOX_API_KEY || (key.startsWith("sk_test_") && key.length > "sk_test_".length);
}

function bearerAuth(req: Request, res: Response, next: NextFunction): void {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
  if (!m?.[1] || !isAcceptedKey(m[1])) return fail(res, ERRORS.unauthorized);
  next();
}

/** a base64 string to its bytes; null when it is not base64 or decodes to nothing */
function decodeBase64(value: unknown): Buffer | null {
  if (typeof value !== "string") return null;
  const b64 = value.replace(/^data:[^,]*,/, "").replace(/\s+/g, "");
  if (!b64 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return null;
  const buf = Buffer.from(b64, "base64");
  return buf.length > 0 ? buf : null;
}

function jsonBody(req: Request): Record<string, unknown> {
  return req.body && typeof req.body === "object" && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

/** the multipart file `field`, else the JSON `image_base64` */
function imageFrom(req: Request, field: string): Buffer | null {
  const files = Array.isArray(req.files) ? req.files : [];
  const file = files.find((f) => f.fieldname === field);
  if (file) return file.buffer.length > 0 ? file.buffer : null;
  return decodeBase64(jsonBody(req).image_base64);
}

/** "Non-2xx responses (and timeouts after 10 s) are retried with exponential backoff" (no figures given but the 10 s) */
const WEBHOOK_RETRY_DEFAULTS = { maxAttempts: 6, baseDelayMs: 30_000, timeoutMs: 10_000 } as const;

const SendWebhookSchema = z.object({
  url: z.string().url(),
  secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2)]),
  event: z.enum(DMS_WEBHOOK_EVENTS),
  deliveryId: z.string().min(1).optional(),
  timestamp: z.number().int().positive().optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  retry: z
    .object({
      maxAttempts: z.number().int().min(1).max(20).default(WEBHOOK_RETRY_DEFAULTS.maxAttempts),
      baseDelayMs: z.number().int().min(0).max(3_600_000).default(WEBHOOK_RETRY_DEFAULTS.baseDelayMs),
      timeoutMs: z.number().int().min(1).max(60_000).default(WEBHOOK_RETRY_DEFAULTS.timeoutMs),
    })
    .default(WEBHOOK_RETRY_DEFAULTS),
});
type SendWebhook = z.infer<typeof SendWebhookSchema>;

interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
}
const MAX_ATTEMPTS_KEPT = 500;

/** One signed POST of `body`; the timestamp (signed and sent) is `ts`. */
async function deliverOnce(
  url: string,
  secrets: string[],
  deliveryId: string,
  ts: number,
  body: string,
  timeoutMs: number,
): Promise<{ status: number | null; error: string | null }> {
  // "Both are used to sign outbound deliveries during the rollover window"
  const signature = [`t=${ts}`, ...secrets.map((s) => `v1=${signHillogy(s, ts, body)}`)].join(",");
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Hillogy-Webhooks/1.0",
        "X-Hillogy-Delivery-Id": deliveryId,
        "X-Hillogy-Timestamp": String(ts),
        "X-Hillogy-Signature": signature,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await answer.arrayBuffer();
    return { status: answer.status, error: null };
  } catch (e) {
    return { status: null, error: (e as Error).name === "TimeoutError" ? "timeout" : (e as Error).name };
  }
}

/**
 * Event bodies. Only anomaly.detected has a sample in the doc (used verbatim); the others carry the
 * envelope plus a few neutral fields, and `retry` its "originalExecutionId".
 */
function eventFields(event: DmsWebhookEvent): Record<string, unknown> {
  switch (event) {
    case "anomaly.detected":
      return {
        anomalyId: "f3e6b2a0-7c1d-4e9f-9d3b-11c2d3e4f5a6",
        scanType: "idRecognition",
        anomalyType: "VOLUME_SPIKE",
        severity: "WARN",
        metricValue: "421",
        baselineMean: "38.2",
        baselineStddev: "8.1",
      };
    case "retry":
      return { originalExecutionId: randomUUID() };
    case "test":
      return {};
    default:
      return { invoiceId: `in_sandbox_${randomUUID().slice(0, 8)}` };
  }
}

export const createDmsSimulator: SimulatorFactory = (opts) => {
  const router = express.Router();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 15 * 1024 * 1024, files: 4 } });
  const json = express.json({ limit: "40mb" });

  // ----- control (not a DMS route: no faults, no auth) -----
  const attempts: DeliveryAttempt[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const usage = { scans: 0, overage: 0 };

  /** attempt `n` of a delivery; a non-2xx answer or no answer schedules attempt n+1 while attempts are left */
  const attemptDelivery = async (req: SendWebhook, deliveryId: string, body: string, n: number, ts: number) => {
    const secrets = Array.isArray(req.secret) ? req.secret : [req.secret];
    const result = await deliverOnce(req.url, secrets, deliveryId, ts, body, req.retry.timeoutMs);
    attempts.push({ deliveryId, attempt: n, at: new Date().toISOString(), ...result });
    if (attempts.length > MAX_ATTEMPTS_KEPT) attempts.splice(0, attempts.length - MAX_ATTEMPTS_KEPT);
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const retrying = !delivered && n < req.retry.maxAttempts;
    if (retrying) {
      const timer = setTimeout(
        () => {
          pending.delete(timer);
          void attemptDelivery(req, deliveryId, body, n + 1, Math.floor(Date.now() / 1000));
        },
        req.retry.baseDelayMs * 2 ** (n - 1),
      );
      timer.unref();
      pending.add(timer);
    }
    opts.log.debug({ event: req.event, deliveryId, attempt: n, status: result.status, retrying }, "dms sandbox webhook attempt");
    return { ...result, retrying };
  };

  router.post("/_control/send-webhook", express.json(), async (req, res) => {
    const parsed = SendWebhookSchema.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ errors: parsed.error.issues });
    const { event, payload } = parsed.data;
    const deliveryId = parsed.data.deliveryId ?? randomUUID();
    const ts = parsed.data.timestamp ?? Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      event,
      deliveryId,
      timestamp: new Date(ts * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ...eventFields(event),
      ...(payload ?? {}),
    });
    const first = await attemptDelivery(parsed.data, deliveryId, body, 1, ts);
    if (first.status === null)
      return void res.status(502).json({ error: "delivery failed", detail: first.error, deliveryId, attempt: 1, retrying: first.retrying });
    res.json({ status: first.status, deliveryId, timestamp: ts, attempt: 1, retrying: first.retrying });
  });

  router.get("/_control/webhook-deliveries", (req, res) => {
    const id = typeof req.query.deliveryId === "string" ? req.query.deliveryId : null;
    res.json({ data: id ? attempts.filter((a) => a.deliveryId === id) : attempts, pendingRetries: pending.size });
  });
  router.delete("/_control/webhook-deliveries", (_req, res) => {
    for (const t of pending) clearTimeout(t);
    pending.clear();
    attempts.length = 0;
    res.status(204).end();
  });
  router.get("/_control/usage", (_req, res) => void res.json(usage));

  // ----- the DMS API -----
  const api = express.Router();
  api.use(opts.faults.middleware("dms"));
  api.use(bearerAuth);

  const withPrefixes = (prefix: string, path: string) => [`${prefix}${path}`, path];
  const answerImages = (res: Response, images: Buffer[], endpoint: string, kind: "document" | "face", ok: (m: Set<Marker>) => unknown) => {
    const markers = markersIn(images);
    opts.log.debug({ endpoint, markers: [...markers] }, "dms sandbox call");
    if (markers.has("quota402")) return fail(res, ERRORS.quota);
    if (kind === "document" && markers.has("nodoc")) return fail(res, ERRORS.noDocument);
    if (kind === "face" && markers.has("noface")) return fail(res, ERRORS.noFace);
    // "You cross the allowance: Requests continue to succeed. Every additional scan increments the overage counter"
    usage.scans += 1;
    if (markers.has("quota")) usage.overage += 1;
    res.json(ok(markers));
  };

  for (const path of withPrefixes(DMS_IDVERIFR_PREFIX, "/idcard_recognition_base64")) {
    api.post(path, json, (req, res) => {
      const image = decodeBase64(jsonBody(req).image_base64);
      if (!image) return fail(res, ERRORS.missingImage);
      answerImages(res, [image], "idcard_recognition_base64", "document", documentResponse);
    });
  }
  for (const path of withPrefixes(DMS_IDVERIFR_PREFIX, "/idcard_recognition_base64_multi_page")) {
    api.post(path, json, (req, res) => {
      const raw = jsonBody(req).images_base64;
      const pages = Array.isArray(raw) ? raw.map(decodeBase64) : [];
      if (pages.length === 0 || pages.length > 4 || pages.some((p) => p === null)) return fail(res, ERRORS.missingPages);
      answerImages(res, pages as Buffer[], "idcard_recognition_base64_multi_page", "document", documentResponse);
    });
  }
  for (const path of withPrefixes(DMS_IDVERIFR_PREFIX, "/idcard_recognition")) {
    // curl -F "file=@id_card.jpg"
    api.post(path, upload.any(), (req, res) => {
      const image = imageFrom(req, "file");
      if (!image) return fail(res, { ...ERRORS.missingImage, detail: "missing or invalid parameter: file" });
      answerImages(res, [image], "idcard_recognition", "document", documentResponse);
    });
  }
  for (const path of withPrefixes(DMS_LIVEVERIFR_PREFIX, "/face_detection")) {
    api.post(path, upload.any(), json, (req, res) => {
      const image = imageFrom(req, "image");
      if (!image) return fail(res, { ...ERRORS.missingImage, detail: "missing or invalid parameter: image (or image_base64)" });
      answerImages(res, [image], "face_detection", "face", (m) => ({
        face_count: faceCount(m),
        faces: Array.from({ length: faceCount(m) }, (_, i) => detectedFace(image, m, i)),
      }));
    });
  }
  for (const path of withPrefixes(DMS_LIVEVERIFR_PREFIX, "/template_extraction")) {
    api.post(path, upload.any(), json, (req, res) => {
      const image = imageFrom(req, "image");
      if (!image) return fail(res, { ...ERRORS.missingImage, detail: "missing or invalid parameter: image (or image_base64)" });
      answerImages(res, [image], "template_extraction", "face", (m) => ({
        face_count: faceCount(m),
        faces: Array.from({ length: faceCount(m) }, (_, i) => {
          const face = detectedFace(image, m, i);
          return { bbox: face.bbox, quality: face.quality, template: face.template };
        }),
      }));
    });
  }
  for (const path of withPrefixes(DMS_LIVEVERIFR_PREFIX, "/face_verify")) {
    api.post(path, json, (req, res) => {
      const body = jsonBody(req);
      const a = decodeBase64(body.template_a);
      const b = decodeBase64(body.template_b);
      if (!a || !b || a.length !== TEMPLATE_BYTES || b.length !== TEMPLATE_BYTES) return fail(res, ERRORS.missingTemplates);
      const markers = markersIn([a, b]);
      opts.log.debug({ endpoint: "face_verify", markers: [...markers] }, "dms sandbox call");
      if (markers.has("mismatch")) return void res.json({ similarity: 0.3127, match: false, threshold: 0.82 });
      res.json({ similarity: 0.9342, match: true, threshold: 0.82 });
    });
  }
  for (const path of new Set([`${DMS_IDVERIFR_PREFIX}/health`, `${DMS_LIVEVERIFR_PREFIX}/health`, "/health"])) {
    api.get(path, (_req, res) => void res.json({ status: "ok" }));
  }

  api.use((_req: Request, res: Response) => void res.status(404).json({ error: "Not Found", detail: "no such DMS endpoint" }));
  // body parser and multipart failures (bad JSON, too large, unexpected parts) are the caller's fault
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    const code = typeof status === "number" && status >= 400 && status < 500 ? status : 400;
    res.status(code).json({ error: code === 413 ? "Payload Too Large" : "Bad Request", detail: "the request body could not be read" });
  });

  router.use(api);
  return router;
};

/** the sandbox mounts this at /dms: src/sandbox/simulators.ts finds every folder's `simulator` */
export const simulator: SimulatorFactory = createDmsSimulator;

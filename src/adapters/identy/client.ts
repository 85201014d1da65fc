// HTTP to an IDENTY Web Server: request building, headers, and turning answers into either a
// documented business answer or a VendorError. The IWS has no API key (self-hosted, "All API's will
// be routed through the Client Server. Not exposed directly").
//
// Quirk: the IWS answers errors with HTTP 200 and a `code` field in some cases (the doc's
// verifyWithPictureId sample rejects inside `.done()` when `response.code !== 200`) and with the
// HTTP_CODE of table 9 in others (400 for FEEDBACK_RETRY, 500 for ERROR_REQUEST_EXPIRED). So the
// body's `code` decides, whatever the HTTP status; the HTTP status decides only when there is no code.
import { constants, createDecipheriv, createPrivateKey, privateDecrypt, type KeyObject } from "node:crypto";
import { imageSize } from "image-size";
import sharp, { type Metadata } from "sharp";
import type { AdapterContext } from "../types.js";
import type { VendorError } from "../../domain/errors.js";
import { defaultClassify, joinUrl, jsonBody, multipartBody, type FilePart, type VendorResponse } from "../kit/http.js";
import {
  COLUMN,
  IWS_PATHS,
  LEVEL_BAND,
  PROCESS_RPS,
  SINGLE_ROW_RPS,
  IWS_ERROR_CODES,
  TEMPLATE_FORMAT_BY_CONTENT_TYPE,
  UNKNOWN_IWS_CODE_REASON,
  type IwsCodeRow,
  type IwsErrorCode,
  type IwsEndpoint,
  type ThroughputKey,
  type ThroughputProfile,
} from "./mapping.js";
import { IdentySettingsSchema, IwsEnvelopeSchema, parseIwsBody, readIwsBody, vendorError, type IdentySettings, type IwsEnvelope } from "./schemas.js";

export { vendorError };

export { IWS_PATHS, type IwsEndpoint, type ThroughputProfile };

/** The endpoints that take the user's encrypted BLOB: "no automatic resend" unless settings.resendBlob. */
export const BLOB_ENDPOINTS: ReadonlySet<IwsEndpoint> = new Set(["process", "verify_with_picture_id", "secure_face_as"]);

/** The settings of an account whose stored settings cannot be read (all defaults). */
export const DEFAULT_SETTINGS_FALLBACK: IdentySettings = IdentySettingsSchema.parse({});

/** The throughput the account declared (hardware, device, level, measured overrides). */
export function throughputProfile(s: IdentySettings): ThroughputProfile {
  return { hardware: s.hardware, captureDevice: s.captureDevice, livenessLevel: s.livenessLevel, overrides: s.throughput };
}

export interface IwsCallContext {
  ctx: AdapterContext;
  baseUrl: string;
  settings: IdentySettings;
  /** the verification id, sent as `requestID` */
  requestId: string;
}

export function iwsHeaders(c: IwsCallContext): Record<string, string> {
  const h: Record<string, string> = {
    requestID: c.requestId,
    Referer: c.settings.referer ?? joinUrl(c.ctx.publicBaseUrl, "/"),
    Accept: "application/json",
  };
  // doc: "include the `LogAPITrigger: true` header in each endpoint request"
  if (c.settings.logApiTrigger) h.LogAPITrigger = "true";
  return h;
}

function urlOf(baseUrl: string, endpoint: IwsEndpoint): string {
  return joinUrl(baseUrl, IWS_PATHS[endpoint]);
}

/** The IWS `code` of an answer: `code`, or a non-zero numeric `error` (the /face/as family). */
export function codeOf(env: IwsEnvelope): number | null {
  if (typeof env.code === "number" && Number.isFinite(env.code)) return env.code;
  if (typeof env.error === "number" && env.error !== 0) return env.error;
  return null;
}

function envelopeOf(text: string): IwsEnvelope | null {
  const r = readIwsBody(text);
  if (!r.ok || !r.value || typeof r.value !== "object" || Array.isArray(r.value)) return null;
  const env = IwsEnvelopeSchema.safeParse(r.value);
  return env.success ? env.data : null;
}

export function technicalError(
  row: Extract<IwsCodeRow, { type: "technical" }>,
  code: number,
  endpoint: string,
  httpStatus: number | null,
  refid: string | null,
): VendorError {
  return vendorError({
    kind: row.kind,
    endpoint,
    httpStatus,
    retryable: row.retryable,
    vendorCode: code,
    reasonCode: row.reason,
    message: `IWS ${endpoint} answered ${row.name} (code ${code})${refid ? ` refid ${refid}` : ""}`,
  });
}

/**
 * classify option for ctx.http.call: technical codes become VendorErrors (500 retryable), codes about
 * the capture (401, 503, 604, ...) are returned to the adapter as business answers (null).
 */
export function classifyIws(endpoint: IwsEndpoint) {
  const fallback = defaultClassify("identy", endpoint);
  return (res: VendorResponse): VendorError | null => {
    const env = envelopeOf(res.text);
    const code = env ? codeOf(env) : null;
    if (code === null || (code === 200 && (res.status < 200 || res.status >= 300))) {
      // no IWS code: the HTTP status speaks (a 2xx body that is unreadable fails later as "parse")
      return fallback(res);
    }
    if (code === 200) return null;
    const row = iwsCodeRow(code);
    const refid = env?.refid ?? null;
    if (!row)
      return vendorError({
        kind: res.status >= 500 ? "unavailable" : "rejected",
        endpoint,
        httpStatus: res.status,
        retryable: false,
        vendorCode: code,
        reasonCode: UNKNOWN_IWS_CODE_REASON,
        message: `IWS ${endpoint} answered an undocumented code ${code}${refid ? ` refid ${refid}` : ""}`,
      });
    if (row.type === "technical") return technicalError(row, code, endpoint, res.status, refid);
    return null;
  };
}

/**
 * One IWS call: technical and undocumented codes are VendorErrors (classifyIws); every other answer is
 * recorded as `identy.<endpoint>` and returned as received, for outcome.ts to read.
 */
async function send(
  c: IwsCallContext,
  endpoint: Exclude<IwsEndpoint, "face_health">,
  request: { data?: Buffer; headers?: Record<string, string> },
): Promise<unknown> {
  const res = await c.ctx.http.call({
    endpoint,
    method: "POST",
    url: urlOf(c.baseUrl, endpoint),
    headers: { ...iwsHeaders(c), ...request.headers },
    data: request.data,
    timeoutMs: c.settings.timeoutMs,
    classify: classifyIws(endpoint),
    // a BLOB call is a billed transaction on a server that may be the slow one: resent only when the account says so
    retry: BLOB_ENDPOINTS.has(endpoint) ? c.settings.resendBlob : true,
    costMs: callCostMs(endpoint, throughputProfile(c.settings)),
  });
  const raw = parseIwsBody(res.text, endpoint, res.status);
  c.ctx.recordPayload(`identy.${endpoint}`, raw);
  return raw;
}

const multipart = multipartBody;
const json = jsonBody;

/** the BLOB as the doc's sample sends it: `form_data.append("file", capresult, \`bdata\`)` */
function blobPart(blob: Buffer): FilePart {
  return { data: blob, filename: "bdata", contentType: "application/octet-stream" };
}

export function postProcess(c: IwsCallContext, blob: Buffer) {
  return send(
    c,
    "process",
    multipart([
      ["file", blobPart(blob)],
      ["enableQuality", String(c.settings.enableQuality)],
    ]),
  );
}

export function postVerifyWithPictureId(c: IwsCallContext, blob: Buffer, picId: { base64: string; format: string }, level: string) {
  return send(
    c,
    "verify_with_picture_id",
    multipart([
      ["file", blobPart(blob)],
      ["picID", picId.base64],
      // "template: Indicating format of the provided template": the format of picID
      ["template", picId.format],
      ["level", level],
    ]),
  );
}

export function postFaceAs(c: IwsCallContext, imageBase64: string, threshold: string) {
  return send(
    c,
    "face_as",
    multipart([
      ["image", imageBase64],
      ["threshold", threshold],
    ]),
  );
}

export interface TemplateRef {
  template: string;
  format: string;
}

export function postMatchWithPictureId(c: IwsCallContext, image: TemplateRef, imageToVerifyAgainst: TemplateRef, level: string) {
  return send(c, "match_with_picture_id", json({ image, imageToVerifyAgainst, level }));
}

export function postMatchWithSelfie(c: IwsCallContext, image: TemplateRef, imageToVerifyAgainst: TemplateRef, level: string) {
  return send(c, "match_with_selfie", json({ image, imageToVerifyAgainst, level }));
}

export async function getFaceHealth(c: IwsCallContext): Promise<{ status: number; text: string }> {
  const res = await c.ctx.http.call({
    endpoint: "face_health",
    method: "GET",
    url: urlOf(c.baseUrl, "face_health"),
    headers: iwsHeaders(c),
    timeoutMs: 10_000,
    retry: false,
  });
  return { status: res.status, text: res.text };
}

// ---------------------------------------------------------------- the call's cost (mapping.ts throughput tables)

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

// ---------------------------------------------------------------- a selfie sized for the match endpoints
// A plain selfie sized as the match endpoints ask for it. The doc (../shared/vendors/identy-web-solution-v6.txt):
//   image.template "640 x 480 base64 encoded selfie to be verified against imageToVerifyAgainst. (No cropped and no padding)"
//   "ERROR_WRONG_RESOLUTION, Code: 901, HTTP_CODE: 400 — Passed image isn't 480x640"
// and its own captures are portrait: "width":480, "height":640, "resolution":"480x640x3" (the SDK: "Only Portrait
// mode is supported"). So a selfie of any other size is scaled to cover 480 wide x 640 high and centre-cropped to it
// (no padding, no distortion), in the format it came in (the request names it in `image.format`).
// /api/v1/face/as no longer needs this: "The liveness endpoint for 3rd-party captures no longer enforces a fixed
// 640×480 resolution" (710.620.131.420.3).

export const SELFIE_WIDTH = 480;
export const SELFIE_HEIGHT = 640;

export type SizedSelfie = { data: Buffer; resized: boolean; width: number | null; height: number | null };

/**
 * The selfie at exactly 480x640, re-encoded as `format`; unchanged when it already is 480x640 (upright), or
 * when it cannot be decoded (the IWS then says what is wrong with it: 504, a technical answer).
 */
export async function sizeSelfieForMatch(data: Buffer, format: "JPEG" | "PNG"): Promise<SizedSelfie> {
  let meta: Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch {
    return { data, resized: false, width: null, height: null };
  }
  // EXIF orientations 5-8 swap width and height once applied
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? meta.height : meta.width;
  const height = rotated ? meta.width : meta.height;
  if (width === SELFIE_WIDTH && height === SELFIE_HEIGHT && (meta.orientation ?? 1) === 1) return { data, resized: false, width, height };
  try {
    const pipeline = sharp(data).rotate().resize(SELFIE_WIDTH, SELFIE_HEIGHT, { fit: "cover", position: "centre" });
    const out = await (format === "PNG" ? pipeline.png() : pipeline.jpeg({ quality: 92, chromaSubsampling: "4:4:4" })).toBuffer();
    return { data: out, resized: true, width: SELFIE_WIDTH, height: SELFIE_HEIGHT };
  } catch {
    return { data, resized: false, width: width ?? null, height: height ?? null };
  }
}

// ---------------------------------------------------------------- the templates /process answers with
// Decryption of IWS `encrypted_templates` (TEMPLATE_ENCRYPTION_ENABLED=true), exactly as the doc's
// Java sample does it:
//   Cipher.getInstance("RSA/ECB/OAEPWithSHA1AndMGF1Padding")  -> key = rsa(key1), iv = rsa(key2)
//   Cipher.getInstance("AES/GCM/NoPadding"); new GCMParameterSpec(128, iv)
//   data = cipher.doFinal(Base64.decode(output.getData()))    -> Java appends the 128-bit tag to the ciphertext
// Only sizes and formats of the result ever leave this module for logs or payload records.

export interface EncryptedTemplate {
  data: string;
  key1: string;
  key2: string;
}

const GCM_TAG_BYTES = 16;

function rsaOaepSha1Decrypt(key: KeyObject, b64: string): Buffer {
  return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from(b64, "base64"));
}

export function decryptTemplate(t: EncryptedTemplate, privateKeyPem: string | KeyObject): Buffer {
  const key = typeof privateKeyPem === "string" ? createPrivateKey(privateKeyPem) : privateKeyPem;
  const aesKey = rsaOaepSha1Decrypt(key, t.key1);
  const iv = rsaOaepSha1Decrypt(key, t.key2);
  if (![16, 24, 32].includes(aesKey.length)) throw new Error(`unwrapped AES key has ${aesKey.length} bytes`);
  if (iv.length === 0) throw new Error("unwrapped IV is empty");
  const sealed = Buffer.from(t.data, "base64");
  if (sealed.length < GCM_TAG_BYTES) throw new Error("encrypted template shorter than its GCM tag");
  const decipher = createDecipheriv(`aes-${aesKey.length * 8}-gcm` as "aes-256-gcm", aesKey, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
}

/** Non-personal description of a template: what the audit record and logs may hold. */
export interface TemplateInfo {
  format: string;
  encrypted: boolean;
  decrypted: boolean;
  bytes: number | null;
  detectedType: "image/jpeg" | "image/png" | "unknown" | null;
  width: number | null;
  height: number | null;
  error?: string;
}

export function describeTemplate(format: string, bytes: Buffer, encrypted: boolean): TemplateInfo {
  const detectedType = bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))
    ? "image/jpeg"
    : bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
      ? "image/png"
      : "unknown";
  let width: number | null = null;
  let height: number | null = null;
  try {
    const d = imageSize(bytes);
    width = d.width ?? null;
    height = d.height ?? null;
  } catch {
    // not an image with readable dimensions (ISO_19794_5, or truncated)
  }
  return { format, encrypted, decrypted: encrypted, bytes: bytes.length, detectedType, width, height };
}

export interface OpenedTemplates {
  /** format -> bytes, for a later match call; never logged */
  bytes: Map<string, Buffer>;
  info: TemplateInfo[];
}

/**
 * Opens the templates of a /process answer: plain base64 ones are decoded, encrypted ones are
 * decrypted when a private key is configured. A template that cannot be opened is described, not thrown.
 */
export function openTemplates(
  plain: Record<string, string> | undefined,
  encrypted: Record<string, EncryptedTemplate> | undefined,
  privateKeyPem: string | undefined,
): OpenedTemplates {
  const bytes = new Map<string, Buffer>();
  const info: TemplateInfo[] = [];
  for (const [format, b64] of Object.entries(plain ?? {})) {
    const buf = Buffer.from(b64, "base64");
    bytes.set(format, buf);
    info.push({ ...describeTemplate(format, buf, false), decrypted: false });
  }
  const key = privateKeyPem ? createPrivateKey(privateKeyPem) : null;
  for (const [format, t] of Object.entries(encrypted ?? {})) {
    if (!key) {
      info.push({
        format,
        encrypted: true,
        decrypted: false,
        bytes: null,
        detectedType: null,
        width: null,
        height: null,
        error: "no templatePrivateKey configured",
      });
      continue;
    }
    try {
      const buf = decryptTemplate(t, key);
      bytes.set(format, buf);
      info.push(describeTemplate(format, buf, true));
    } catch {
      // the crypto error text carries no template bytes, but keep the record generic anyway
      info.push({
        format,
        encrypted: true,
        decrypted: false,
        bytes: null,
        detectedType: null,
        width: null,
        height: null,
        error: "decryption failed (wrong key or corrupted template)",
      });
    }
  }
  return { bytes, info };
}

// ---------------------------------------------------------------- codes and formats, through mapping.ts

export function iwsCodeRow(code: number): IwsCodeRow | null {
  return Object.hasOwn(IWS_ERROR_CODES, code) ? IWS_ERROR_CODES[code as IwsErrorCode] : null;
}

export function templateFormatOf(contentType: string): "JPEG" | "PNG" | null {
  const ct = contentType.split(";")[0]!.trim().toLowerCase();
  return Object.hasOwn(TEMPLATE_FORMAT_BY_CONTENT_TYPE, ct) ? TEMPLATE_FORMAT_BY_CONTENT_TYPE[ct as keyof typeof TEMPLATE_FORMAT_BY_CONTENT_TYPE] : null;
}

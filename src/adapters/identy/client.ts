// HTTP to an IDENTY Web Server: request building, headers, and turning answers into either a
// documented business answer or a VendorError. The IWS has no API key (self-hosted, "All API's will
// be routed through the Client Server. Not exposed directly").
//
// Quirk: the IWS answers errors with HTTP 200 and a `code` field in some cases (the doc's
// verifyWithPictureId sample rejects inside `.done()` when `response.code !== 200`) and with the
// HTTP_CODE of table 9 in others (400 for FEEDBACK_RETRY, 500 for ERROR_REQUEST_EXPIRED). So the
// body's `code` decides, whatever the HTTP status; the HTTP status decides only when there is no code.
import FormData from "form-data";
import type { AdapterContext } from "../types.js";
import { VendorError } from "../../domain/errors.js";
import { defaultClassify, type VendorResponse } from "../kit/http.js";
import { callCostMs, type ThroughputProfile } from "./throughput.js";
import { IWS_PATHS, iwsCodeRow, type IwsEndpoint, UNKNOWN_IWS_CODE_REASON, type IwsCodeRow } from "./mapping.js";
import { IdentySettingsSchema, IwsEnvelopeSchema, parseIwsBody, readIwsBody, type IdentySettings, type IwsEnvelope } from "./schemas.js";

export { IWS_PATHS, type IwsEndpoint };

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
    Referer: c.settings.referer ?? `${c.ctx.publicBaseUrl.replace(/\/+$/, "")}/`,
    Accept: "application/json",
  };
  // doc: "include the `LogAPITrigger: true` header in each endpoint request"
  if (c.settings.logApiTrigger) h.LogAPITrigger = "true";
  return h;
}

function urlOf(baseUrl: string, endpoint: IwsEndpoint): string {
  return `${baseUrl.replace(/\/+$/, "")}${IWS_PATHS[endpoint]}`;
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

export function technicalError(row: Extract<IwsCodeRow, { type: "technical" }>, code: number, endpoint: string, httpStatus: number | null, refid: string | null): VendorError {
  return new VendorError({
    kind: row.kind,
    vendor: "identy",
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
      return new VendorError({
        kind: res.status >= 500 ? "unavailable" : "rejected",
        vendor: "identy",
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
 * recorded as `identy.<endpoint>` and returned as received, for result.ts to read.
 */
async function send(c: IwsCallContext, endpoint: Exclude<IwsEndpoint, "face_health">, request: { data?: Buffer; headers?: Record<string, string> }): Promise<unknown> {
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

function multipart(fields: [name: string, value: string | { bytes: Buffer; filename: string; contentType: string }][]): { data: Buffer; headers: Record<string, string> } {
  const form = new FormData();
  for (const [name, value] of fields) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value.bytes, { filename: value.filename, contentType: value.contentType });
  }
  // a Buffer (not a stream) so that a retry can send it again
  return { data: form.getBuffer(), headers: form.getHeaders() as Record<string, string> };
}

function json(body: unknown): { data: Buffer; headers: Record<string, string> } {
  return { data: Buffer.from(JSON.stringify(body)), headers: { "Content-Type": "application/json" } };
}

/** the BLOB as the doc's sample sends it: `form_data.append("file", capresult, \`bdata\`)` */
function blobPart(blob: Buffer) {
  return { bytes: blob, filename: "bdata", contentType: "application/octet-stream" };
}

export function postProcess(c: IwsCallContext, blob: Buffer) {
  return send(c, "process", multipart([["file", blobPart(blob)], ["enableQuality", String(c.settings.enableQuality)]]));
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
  return send(c, "face_as", multipart([["image", imageBase64], ["threshold", threshold]]));
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

// ShareID HTTP: one multipart/form-data POST to {API}/flow/authenticity/photo. The credentials
// travel inside the `data` JSON part ("api_key", "business_hash"), not in a header.
import FormData from "form-data";
import { VendorError } from "../../domain/errors.js";
import { toAlpha2 } from "../../domain/countries.js";
import type { VendorResponse } from "../kit/http.js";
import type { AdapterAccount, AdapterContext, VerificationInputData } from "../types.js";
import { DOC_TYPE_TO_SHAREID, FILE_EXTENSION_BY_MIME, HTTP_STATUS_CLASS_ERRORS, HTTP_STATUS_ERRORS, type HttpErrorRow } from "./mapping.js";
import { ShareidCredentialsSchema, ShareidSettingsSchema, type ShareidCredentials, type ShareidRequestData, type ShareidSettings } from "./schemas.js";
import { isAcceptedMime, normalizeMime } from "./validate.js";

export const ENDPOINT = "authenticity_photo";

export function readCredentials(account: AdapterAccount): ShareidCredentials {
  const parsed = ShareidCredentialsSchema.safeParse(account.credentials);
  if (!parsed.success)
    throw new VendorError({
      kind: "auth",
      vendor: "shareid",
      retryable: false,
      endpoint: ENDPOINT,
      message: "ShareID account credentials are incomplete (apiKey and businessHash are required)",
    });
  return parsed.data;
}

export function readSettings(account: AdapterAccount): ShareidSettings {
  return account.settings as ShareidSettings;
}

export function buildRequestData(input: VerificationInputData, creds: ShareidCredentials): ShareidRequestData {
  const data: ShareidRequestData = { api_key: creds.apiKey, business_hash: creds.businessHash };
  const docType = input.document?.type ? DOC_TYPE_TO_SHAREID[input.document.type] : null;
  if (docType) data.doc_type = docType;
  // "a lowercase ISO 3166-1 alpha-2 country code, eg: "fr""
  const country = toAlpha2(input.document?.country);
  if (country) data.country_code = country.toLowerCase();
  if (input.subject?.firstName) data.first_name = input.subject.firstName;
  if (input.subject?.lastName) data.last_name = input.subject.lastName;
  if (input.tags && input.tags.length > 0) data.tags = [...input.tags];
  return data;
}

/**
 * The file name of a `photos` part: "Provide an extension to your filename: it must match the
 * mime/type used". Built from the position and side only, never from the person's data.
 */
export function photoFilename(index: number, side: string | undefined, mime: keyof typeof FILE_EXTENSION_BY_MIME): string {
  return `document_${index + 1}_${side ?? "page"}.${FILE_EXTENSION_BY_MIME[mime]}`;
}

export interface BuiltForm {
  body: Buffer;
  headers: Record<string, string>;
  data: ShareidRequestData;
  filenames: string[];
}

/** The whole multipart body as one Buffer, so a resent attempt (settings.resendUpload) sends it again intact. */
export function buildForm(input: VerificationInputData, creds: ShareidCredentials): BuiltForm {
  const form = new FormData();
  const data = buildRequestData(input, creds);
  // a plain form field, as in the doc's curl example (-F 'data={...}')
  form.append("data", JSON.stringify(data));
  const filenames: string[] = [];
  (input.document?.images ?? []).forEach((img, i) => {
    const mime = normalizeMime(img.contentType);
    if (!isAcceptedMime(mime))
      throw new VendorError({ kind: "rejected", vendor: "shareid", retryable: false, endpoint: ENDPOINT, message: `document.images[${i}] has a type ShareID does not accept` });
    const filename = photoFilename(i, img.side, mime);
    filenames.push(filename);
    form.append("photos", img.data, { filename, contentType: mime, knownLength: img.data.length });
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(form.getHeaders())) headers[k] = String(v);
  return { body: form.getBuffer(), headers, data, filenames };
}

function errorFromRow(row: HttpErrorRow, res: VendorResponse): VendorError {
  return new VendorError({
    kind: row.kind,
    vendor: "shareid",
    retryable: row.retryable,
    endpoint: ENDPOINT,
    httpStatus: res.status,
    vendorCode: res.status,
    message: `${row.message} (HTTP ${res.status})`,
    retryAfterMs: row.kind === "rate_limited" ? retryAfterMs(res.headers["retry-after"]) : null,
  });
}

function retryAfterMs(value: string | undefined): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** HTTP status -> VendorError by table; null for 2xx (the result is read by the adapter). */
export function classifyShareid(res: VendorResponse): VendorError | null {
  const s = res.status;
  if (s >= 200 && s < 300) return null;
  const exact = (HTTP_STATUS_ERRORS as Record<number, HttpErrorRow>)[s];
  if (exact) return errorFromRow(exact, res);
  const cls = s >= 500 ? "5xx" : s >= 400 ? "4xx" : "3xx";
  return errorFromRow(HTTP_STATUS_CLASS_ERRORS[cls], res);
}

export function shareidUrl(account: AdapterAccount, settings: ShareidSettings): string {
  return `${account.baseUrl.replace(/\/+$/, "")}${settings.path}`;
}

export async function postAuthenticityPhoto(
  ctx: AdapterContext,
  account: AdapterAccount,
  settings: ShareidSettings,
  form: BuiltForm,
): Promise<VendorResponse> {
  return ctx.http.call({
    endpoint: ENDPOINT,
    method: "POST",
    url: shareidUrl(account, settings),
    headers: { ...form.headers, accept: "application/json" },
    data: form.body,
    timeoutMs: settings.timeoutMs,
    classify: classifyShareid,
    // never sent again on its own (a timeout may leave ShareID analysing the first upload) unless the account allows it
    retry: settings.resendUpload,
  });
}

// ShareID HTTP: one multipart/form-data POST to {API}/flow/authenticity/photo. The credentials
// travel inside the `data` JSON part ("api_key", "business_hash"), not in a header.
import { toAlpha2 } from "../../domain/countries.js";
import { joinUrl, multipartBody, statusClassifier, vendorErrorFor, type VendorResponse } from "../kit/http.js";
import type { AccountOf } from "../kit/define.js";
import type { AdapterContext, VerificationInputData } from "../types.js";
import type { manifest } from "./manifest.js";
import {
  ACCEPTED_MIME_TYPES,
  DOC_TYPE_TO_SHAREID,
  FILE_EXTENSION_BY_MIME,
  HTTP_STATUS_CLASS_ERRORS,
  HTTP_STATUS_ERRORS,
  type AcceptedMimeType,
} from "./mapping.js";
import type { ShareidCredentials, ShareidRequestData } from "./schemas.js";

export type ShareidAccount = AccountOf<typeof manifest>;
export const vendorError = vendorErrorFor("shareid");

export const ENDPOINT = "authenticity_photo";

/** "image/JPEG; charset=x" -> "image/jpeg" */
export function normalizeMime(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

export function isAcceptedMime(mime: string): mime is AcceptedMimeType {
  return (ACCEPTED_MIME_TYPES as readonly string[]).includes(mime);
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
  const data = buildRequestData(input, creds);
  const photos = (input.document?.images ?? []).map((img, i) => {
    const mime = normalizeMime(img.contentType);
    if (!isAcceptedMime(mime))
      throw vendorError({ kind: "rejected", retryable: false, endpoint: ENDPOINT, message: `document.images[${i}] has a type ShareID does not accept` });
    return ["photos", { data: img.data, filename: photoFilename(i, img.side, mime), contentType: mime }] as const;
  });
  // `data` a plain form field, as in the doc's curl example (-F 'data={...}')
  const form = multipartBody([["data", JSON.stringify(data)], ...photos]);
  return { body: form.data, headers: form.headers, data, filenames: photos.map(([, p]) => p.filename) };
}

/** HTTP status -> VendorError by table, every other status by its class; null for 2xx (the result is read by the adapter). */
export const classifyShareid = statusClassifier("shareid", HTTP_STATUS_ERRORS, {
  classes: HTTP_STATUS_CLASS_ERRORS,
  message: (status, row) => `${row.message} (HTTP ${status})`,
})(ENDPOINT);

export async function postAuthenticityPhoto(ctx: AdapterContext, account: ShareidAccount, form: BuiltForm): Promise<VendorResponse> {
  const settings = account.settings;
  return ctx.http.call({
    endpoint: ENDPOINT,
    method: "POST",
    url: joinUrl(account.baseUrl, settings.path),
    headers: { ...form.headers, accept: "application/json" },
    data: form.body,
    timeoutMs: settings.timeoutMs,
    classify: classifyShareid,
    // never sent again on its own (a timeout may leave ShareID analysing the first upload) unless the account allows it
    retry: settings.resendUpload,
  });
}

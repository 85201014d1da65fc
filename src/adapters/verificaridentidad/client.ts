// HTTP + auth of VerificarIdentidad API 3.0. Every call goes through ctx.http.
//   "To use Basic Authentication you must include a header in the requests of the type:
//    Authorization: Basic Base64StringAPI where Base64StringAPI is the Base64 encoding of the string APIUser:APIToken"
//   "The Requests, for security reasons, must be made via POST and with Secure HTTPS protocol."
//   "Parameters are sent in the body of the POST request, either as a JSON object
//    (Content-Type application/json, RECOMMENDED) or as an application/x-www-form-urlencoded form."
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";
import type { ZodType } from "zod";
import type { AdapterContext } from "../types.js";
import { isVendorError, type VendorError } from "../../domain/errors.js";
import { GENERIC_CODE_BY_CATEGORY } from "../../domain/vocabulary.js";
import type { AccountOf } from "../kit/define.js";
import { basicAuth, joinUrl, parseAnswer, rowOf, statusClassifier, vendorErrorFor, type VendorResponse } from "../kit/http.js";
import type { manifest } from "./manifest.js";
import { HTTP_STATUS, RES_CODES, VENDOR } from "./mapping.js";
import { SendResponseSchema, CreditsResponseSchema, canonicalKeys, type Credentials, type SendResult } from "./schemas.js";

export type VerificarIdentidadAccount = AccountOf<typeof manifest>;
export const vendorError = vendorErrorFor(VENDOR);

export const ENDPOINTS = {
  send: "VerificarIdentidad",
  certificate: "GetCertificadoIdentidad",
  credits: "GetCreditos",
} as const;

function url(account: VerificarIdentidadAccount, endpoint: string): string {
  return joinUrl(account.baseUrl, endpoint);
}

function headers(creds: Credentials): Record<string, string> {
  return {
    ...basicAuth(creds.apiUser, creds.apiToken),
    "Content-Type": "application/json",
    Accept: "application/json, application/pdf",
  };
}

// ---------------------------------------------------------------- phone

export interface SmsPhone {
  /** "Telefono=34600000001": the international number as digits, no "+" */
  digits: string;
  /** "+346*****001" */
  masked: string;
}

/** A real mobile-capable number, or null. Numbers without "+" are read in `defaultCountry`. */
export function parseSmsPhone(input: string | undefined, defaultCountry: string): SmsPhone | null {
  if (!input?.trim()) return null;
  const n = parsePhoneNumberFromString(input.trim(), defaultCountry.toUpperCase() as CountryCode);
  if (!n?.isValid()) return null;
  // the link goes by SMS: a number known to be a landline cannot receive it
  const type = n.getType();
  if (type === "FIXED_LINE" || type === "TOLL_FREE" || type === "PREMIUM_RATE" || type === "SHARED_COST") return null;
  const cc = String(n.countryCallingCode);
  const nsn = String(n.nationalNumber);
  return { digits: `${cc}${nsn}`, masked: maskPhone(cc, nsn) };
}

/** "+34" + "600000001" -> "+346*****001": calling code and first digit, the last three, stars between. */
export function maskPhone(countryCallingCode: string, nationalNumber: string): string {
  const keepEnd = nationalNumber.length > 6 ? 3 : 2;
  const head = nationalNumber.slice(0, 1);
  const tail = nationalNumber.slice(-keepEnd);
  const stars = Math.max(0, nationalNumber.length - head.length - tail.length);
  return `+${countryCallingCode}${head}${"*".repeat(stars)}${tail}`;
}

/** The webhook's `Telefono` (digits with the country prefix) masked the same way, or null. */
export function maskWebhookPhone(telefono: string | undefined): string | null {
  if (!telefono) return null;
  const digits = telefono.replace(/\D/g, "");
  if (!digits) return null;
  const n = parsePhoneNumberFromString(`+${digits}`);
  return n ? maskPhone(String(n.countryCallingCode), String(n.nationalNumber)) : null;
}

// ---------------------------------------------------------------- Fecha

const SPAIN_TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Madrid",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** "Format Year-Month-day hour:minute. The time reference is CET/CEST (Spain time zone)." e.g. 2022-05-01 15:10 */
export function toSpainLocalTime(date: Date): string {
  const parts = Object.fromEntries(SPAIN_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

// ---------------------------------------------------------------- calls

export interface SendParams {
  telefono: string;
  mensaje: string;
  remitente?: string | null;
  dni?: string | null;
  sendAt?: Date | null;
}

export interface SendBody {
  Telefono: string;
  Mensaje: string;
  Remitente?: string;
  Dni?: string;
  Fecha?: string;
  Resp: "JSON";
}

export function buildSendBody(p: SendParams): SendBody {
  return {
    Telefono: p.telefono,
    Mensaje: p.mensaje,
    ...(p.remitente ? { Remitente: p.remitente } : {}),
    ...(p.dni ? { Dni: p.dni } : {}),
    ...(p.sendAt ? { Fecha: toSpainLocalTime(p.sendAt) } : {}),
    // "It is always recommended to define this parameter"
    Resp: "JSON",
  };
}

/** "Parameter names are case-insensitive": the answer's keys in the doc's spelling, then its schema; recorded as `kind`. */
function readAnswer<T>(ctx: AdapterContext, res: VendorResponse, schema: ZodType<T>, endpoint: string, kind: string, retryable: boolean): T {
  return parseAnswer(res, {
    vendor: VENDOR,
    endpoint,
    schema,
    retryable,
    body: res.json === undefined ? undefined : canonicalKeys(res.json),
    record: (b) => ctx.recordPayload(kind, b),
    message: () => `${endpoint}: answer is not the documented JSON`,
  });
}

/**
 * Sends the SMS. Never repeated: `retry: false`, and any failure is returned as not
 * retryable, since after a timeout or a 5xx the SMS may already have gone out.
 */
export async function sendVerification(ctx: AdapterContext, account: VerificarIdentidadAccount, body: SendBody): Promise<SendResult> {
  const creds = account.credentials;
  let res: VendorResponse;
  try {
    res = await ctx.http.call({
      endpoint: ENDPOINTS.send,
      method: "POST",
      url: url(account, ENDPOINTS.send),
      headers: headers(creds),
      data: body,
      classify: classifyHttp(ENDPOINTS.send),
      retry: false,
    });
  } catch (e) {
    if (isVendorError(e) && e.retryable)
      throw vendorError({
        kind: e.kind,
        endpoint: ENDPOINTS.send,
        retryable: false,
        httpStatus: e.httpStatus,
        vendorCode: e.vendorCode,
        message: `${e.message} (not retried: the SMS may have been sent)`,
      });
    throw e;
  }
  const answer = readAnswer(ctx, res, SendResponseSchema, ENDPOINTS.send, "send", false);
  return answer;
}

export async function getCredits(ctx: AdapterContext, account: VerificarIdentidadAccount): Promise<number> {
  const creds = account.credentials;
  const res = await ctx.http.call({
    endpoint: ENDPOINTS.credits,
    method: "POST",
    url: url(account, ENDPOINTS.credits),
    headers: headers(creds),
    data: { Resp: "JSON" },
    classify: classifyHttp(ENDPOINTS.credits),
  });
  const answer = readAnswer(ctx, res, CreditsResponseSchema, ENDPOINTS.credits, "credits", true);
  const err = resError(answer.Res, ENDPOINTS.credits, false);
  if (err) throw err;
  if (answer.Cred === undefined) throw vendorError({ kind: "parse", endpoint: ENDPOINTS.credits, retryable: true, message: "GetCreditos: answer has no Cred" });
  return answer.Cred;
}

const PDF_MAGIC = Buffer.from("%PDF");

/**
 * "The PDF file is downloaded directly if the function executes successfully": the answer is
 * the PDF bytes; anything else (a JSON `Res` error, say) is a retryable failure.
 */
export async function getCertificate(ctx: AdapterContext, account: VerificarIdentidadAccount, id: string): Promise<Buffer> {
  const creds = account.credentials;
  const endpoint = ENDPOINTS.certificate;
  let res: VendorResponse;
  try {
    res = await ctx.http.call({
      endpoint,
      method: "POST",
      url: url(account, endpoint),
      headers: headers(creds),
      // the doc's sample sends the numeric Id as a string: { "Id": "1283876988", "Resp": "JSON" }
      data: { Id: id, Resp: "JSON" },
      classify: classifyHttp(endpoint),
    });
  } catch (e) {
    if (isVendorError(e) && !e.retryable)
      throw vendorError({ kind: e.kind, endpoint, retryable: true, httpStatus: e.httpStatus, vendorCode: e.vendorCode, message: e.message });
    throw e;
  }
  if (res.rawBody.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
    ctx.recordPayload("certificate", { contentType: res.headers["content-type"] ?? null, bytes: res.rawBody.length });
    return res.rawBody;
  }
  const parsed = res.json === undefined ? null : SendResponseSchema.safeParse(canonicalKeys(res.json));
  if (parsed?.success) {
    ctx.recordPayload("certificate", parsed.data);
    const err = resError(parsed.data.Res, endpoint, true);
    if (err) throw err;
  }
  throw vendorError({ kind: "parse", endpoint, retryable: true, httpStatus: res.status, message: `${endpoint}: answer is not a PDF` });
}

// ---------------------------------------------------------------- Res and HTTP statuses, through mapping.ts

/** The VendorError of a `Res` other than 1, or null for 1. An unknown code is a generic technical error that keeps its code. */
export function resError(res: number, endpoint: string, retryable: boolean): VendorError | null {
  const rule = rowOf(RES_CODES, res);
  if (rule && rule.kind === null) return null;
  return vendorError({
    endpoint,
    retryable,
    kind: rule?.kind ?? "rejected",
    reasonCode: rule?.reasonCode ?? GENERIC_CODE_BY_CATEGORY.technical,
    vendorCode: res,
    message: rule ? `${endpoint}: ${rule.message} (Res ${res})` : `${endpoint}: unknown answer (Res ${res})`,
  });
}

/** HTTP statuses through HTTP_STATUS (a business answer is a 2xx whose `Res` the caller reads); others: the shared defaults. */
export const classifyHttp = statusClassifier(VENDOR, HTTP_STATUS, { message: (status, _row, endpoint) => `${endpoint}: vendor answered HTTP ${status}` });

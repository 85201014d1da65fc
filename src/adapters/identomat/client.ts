// HTTP + auth for Identomat: every call goes through ctx.http; bodies are JSON
// ("The parameters can be passed in a query string or as a URL-encoded form data or as
// a request body containing a JSON document"). With a secret_key, requests carry
// `Authorization: signature="base64(hmac_sha_256(secret_key, request_body))"` and the
// answer's own `Authorization: signature="base64(hmac_sha_256(secret_key, response_body))"`
// is checked (Identomat's HMAC page: "Like a request, the response contains an authorization
// header as well ... An unsuccessful request does not include an authorization header").
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../../domain/crypto.js";
import type { VendorError } from "../../domain/errors.js";
import type { AccountOf } from "../kit/define.js";
import { defaultClassify, joinUrl, rowOf, vendorErrorFor, type VendorResponse } from "../kit/http.js";
import type { AdapterContext } from "../types.js";
import { manifest } from "./manifest.js";
import { ERROR_CODES, HTTP_STATUS_HANDLING, LANGUAGE_ALIASES, type IdentomatErrorCode } from "./mapping.js";
import { ErrorAnswerSchema, type IdentomatCredentials, type IdentomatSettings } from "./schemas.js";

const VENDOR = "identomat" as const;
export type IdentomatAccount = AccountOf<typeof manifest>;
export const vendorError = vendorErrorFor(VENDOR);

export type IdentomatEndpoint = "begin" | "result" | "delete";

/** base64(HMAC-SHA256(secret, body)) */
export function signBody(secret: string, body: string | Buffer): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

/** the Authorization header value Identomat expects: `signature="<base64>"` */
export function authorizationHeader(secret: string, body: string | Buffer): string {
  return `signature="${signBody(secret, body)}"`;
}

/** the base64 code of an `Authorization: signature="..."` header, or null */
export function parseSignatureHeader(value: string | undefined | null): string | null {
  if (!value) return null;
  const m = /^\s*signature\s*=\s*"?([A-Za-z0-9+/=]+)"?\s*$/i.exec(value);
  return m ? m[1]! : null;
}

export function signatureMatches(secret: string, body: string | Buffer, code: string): boolean {
  const expected = Buffer.from(signBody(secret, body), "base64");
  const given = Buffer.from(code, "base64");
  return constantTimeEqual(expected, given);
}

export interface IdentomatAccountConfig {
  baseUrl: string;
  credentials: IdentomatCredentials;
  settings: IdentomatSettings;
}

/** the parsed account as the calls read it (its configuration was parsed when it was loaded) */
export function accountConfig(account: IdentomatAccount): IdentomatAccountConfig {
  return { baseUrl: account.baseUrl || manifest.defaultBaseUrl, credentials: account.credentials, settings: account.settings };
}

export function widgetUrlFor(cfg: IdentomatAccountConfig, sessionToken: string): string {
  return `${joinUrl(cfg.settings.widgetUrl ?? cfg.baseUrl, "/")}?session_token=${encodeURIComponent(sessionToken)}`;
}

/**
 * An error code in a body: a bare JSON string such as "SESSION_NOT_FOUND" ("In case of non
 * existing session it returns SESSION_NOT_FOUND", ../shared/vendors/identomat.txt), or
 * `{ "error": ... }`. On a 2xx too: a session token is lower-case letters and digits (the API
 * reference's "47fjzxvvzapi4ztasth3c2ozfucli3l0qx13hisc"), so a bare upper-case word such as
 * "UNAUTHORIZED" is a code, never a token, whether the table knows it or not.
 */
export function errorCodeOf(json: unknown): string | null {
  const parsed = ErrorAnswerSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

function classifyFor(endpoint: IdentomatEndpoint) {
  const fallback = defaultClassify(VENDOR, endpoint);
  return (res: VendorResponse): VendorError | null => {
    if (res.status >= 200 && res.status < 300) return null;
    if (rowOf(HTTP_STATUS_HANDLING, res.status) && errorCodeOf(res.json)) return null;
    return fallback(res);
  };
}

export interface IdentomatAnswer {
  httpStatus: number;
  /** the body parsed as JSON (undefined when it is not JSON) */
  json: unknown;
  /** the Identomat error code the answer carries, or null for a business answer */
  errorCode: string | null;
}

/**
 * One call to begin/, result/ or delete/ with company_key in the JSON body.
 * Transport failures, 5xx, 429 and the like throw VendorError (via ctx.http);
 * error-code answers come back in `errorCode` for the caller to judge.
 */
export async function callIdentomat(
  ctx: AdapterContext,
  cfg: IdentomatAccountConfig,
  endpoint: IdentomatEndpoint,
  params: Record<string, unknown>,
): Promise<IdentomatAnswer> {
  const path = endpoint === "begin" ? cfg.settings.beginPath : endpoint === "result" ? cfg.settings.resultPath : cfg.settings.deletePath;
  // the exact bytes signed are the bytes sent
  const body = JSON.stringify({ company_key: cfg.credentials.companyKey, ...params });
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  const secret = cfg.credentials.secretKey;
  if (secret) headers.authorization = authorizationHeader(secret, body);

  const res = await ctx.http.call({
    endpoint,
    method: "POST",
    url: joinUrl(cfg.baseUrl, path),
    headers,
    data: body,
    classify: classifyFor(endpoint),
  });

  const ok = res.status >= 200 && res.status < 300;
  if (ok && secret) {
    const code = parseSignatureHeader(res.headers.authorization);
    if (code === null && res.headers.authorization !== undefined) {
      throw vendorError({
        kind: "auth",
        retryable: false,
        endpoint,
        httpStatus: res.status,
        message: `identomat ${endpoint} answer carries an unreadable signature`,
      });
    }
    if (code !== null && !signatureMatches(secret, res.rawBody, code)) {
      throw vendorError({
        kind: "auth",
        retryable: false,
        endpoint,
        httpStatus: res.status,
        message: `identomat ${endpoint} answer signature does not match: answer not trusted`,
      });
    }
    if (code === null && cfg.settings.requireAnswerSignature) {
      throw vendorError({ kind: "auth", retryable: false, endpoint, httpStatus: res.status, message: `identomat ${endpoint} answer is not signed` });
    }
  }

  const errorCode = errorCodeOf(res.json);
  if (!ok && errorCode === null) {
    // classify let it through only with an error code; keep the guard for custom statuses
    throw errorFromCode(`HTTP_${res.status}`, endpoint, res.status);
  }
  return { httpStatus: res.status, json: res.json, errorCode };
}

// ---------------------------------------------------------------------------
// error codes and the request's language, through mapping.ts

export function languageFlagOf(language: string | null | undefined): string | null {
  if (!language) return null;
  const primary = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  if (!/^[a-z]{2,3}$/.test(primary)) return null;
  return rowOf(LANGUAGE_ALIASES, primary) ?? primary;
}

export function isKnownErrorCode(code: string): code is IdentomatErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** An error code (known or not) as a VendorError; unknown codes are refused requests and keep their code. */
export function errorFromCode(code: string, endpoint: string, httpStatus: number | null): VendorError {
  const rule = rowOf(ERROR_CODES, code) ?? { kind: "rejected" as const, retryable: false };
  return vendorError({
    kind: rule.kind,
    retryable: rule.retryable,
    endpoint,
    httpStatus,
    vendorCode: code,
    message: `identomat ${endpoint} answered ${code}`,
  });
}

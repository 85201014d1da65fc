// The Face Web SDK in the end user's browser must reach the IWS's models, public key and time
// endpoints "through the client server" (doc: "The URL has to proxy passed to IDENTY Web Server if
// there is a client server in between"; "This response has to be returned exactly as it is to the
// SDK"). This router does that for one verification at a time, behind a short-lived HMAC token,
// and reaches NOTHING else of the IWS.
//
// Mount it at `/sdk/identy` BEFORE any app-wide body parser: it needs the raw request bytes.
//
// CORS: the SDK runs on the tenant's page, another origin, and sends custom headers (preInitialize's
// `headers: [{name: "LogAPITrigger", value: "true"}, {name: "requestID", ...}]`), so the browser sends a preflight
// first. OPTIONS on the three resources answers with the tenant's allowed origins (domain/origins.ts), the POST the
// file gives ("/api/v1/models" + "/api/v1/pub_key": "Method: POST"; "/api/v1/time": "Method: POST") and those
// headers; a request from an origin the tenant has not allowed is refused (403), never passed on.
// Load: every call counts in the account's shared in-flight limit and call rate (Redis), as the processing calls do.
// Token: base64url(JSON {v: verificationId, a: accountId, e: expiresAt ms}) "." base64url(HMAC-SHA256(key, first part)).
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../../domain/crypto.js";
import express, { type Request, type Response, type Router } from "express";
import { VendorError } from "../../domain/errors.js";
import { joinUrl, type VendorHttp } from "../kit/http.js";
import { allowOriginFor } from "../../domain/origins.js";
import { callCostMs, DEFAULT_SETTINGS_FALLBACK, throughputProfile } from "./client.js";
import { parseIdentySettings, type IdentySettings } from "./schemas.js";

export interface SdkProxyClaims {
  verificationId: string;
  accountId: string;
  expiresAt: Date;
}

/** The SDK-facing IWS endpoints, and only those. */
export const SDK_PROXY_RESOURCES = ["models", "pub_key", "time"] as const;

function b64url(buf: Buffer): string {
  return buf.toString("base64url");
}

function mac(payloadPart: string, key: Buffer): Buffer {
  return createHmac("sha256", key).update(payloadPart).digest();
}

export function signSdkProxyToken(claims: { verificationId: string; accountId: string; expiresAt: Date | number }, key: Buffer): string {
  const e = claims.expiresAt instanceof Date ? claims.expiresAt.getTime() : claims.expiresAt;
  const payloadPart = b64url(Buffer.from(JSON.stringify({ v: claims.verificationId, a: claims.accountId, e })));
  return `${payloadPart}.${b64url(mac(payloadPart, key))}`;
}

export type SdkProxyTokenCheck = { ok: true; claims: SdkProxyClaims } | { ok: false; error: "malformed" | "bad_signature" | "expired" };

export function inspectSdkProxyToken(token: string, key: Buffer, now: Date = new Date()): SdkProxyTokenCheck {
  const parts = token.split(".");
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return { ok: false, error: "malformed" };
  const [payloadPart, sigPart] = parts as [string, string];
  const given = Buffer.from(sigPart, "base64url");
  const expected = mac(payloadPart, key);
  if (!constantTimeEqual(given, expected)) return { ok: false, error: "bad_signature" };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
  } catch {
    return { ok: false, error: "malformed" };
  }
  const p = payload as { v?: unknown; a?: unknown; e?: unknown };
  if (typeof p.v !== "string" || typeof p.a !== "string" || typeof p.e !== "number" || !Number.isFinite(p.e)) return { ok: false, error: "malformed" };
  if (p.e <= now.getTime()) return { ok: false, error: "expired" };
  return { ok: true, claims: { verificationId: p.v, accountId: p.a, expiresAt: new Date(p.e) } };
}

/** The claims of a valid, unexpired token; null otherwise. */
export function verifySdkProxyToken(token: string, key: Buffer, now: Date = new Date()): SdkProxyClaims | null {
  const r = inspectSdkProxyToken(token, key, now);
  return r.ok ? r.claims : null;
}

export interface SdkProxyAccount {
  baseUrl: string;
  /** the account's settings (concurrency, throughput); defaults when absent or unreadable */
  settings?: Record<string, unknown>;
  /** the tenant's browser origins (CORS) */
  allowedOrigins?: readonly string[];
}

export interface IdentySdkProxyOptions {
  key: Buffer;
  resolveAccount: (accountId: string) => Promise<SdkProxyAccount | null>;
  /** NODE_ENV=production: a stored "*" origin is ignored */
  production?: boolean;
  /**
   * The resilient vendor-call client for one proxied call, built by the core's vendor runtime: the proxy runs on its
   * own breaker/bulkhead key (so browser traffic never resizes the account's processing bulkhead) but inside the
   * account's in-flight limit and call rate shared with every process (the same IWS serves both).
   */
  httpFor: (call: { accountId: string; verificationId: string; concurrency: number; maxRetries: number; timeoutMs?: number }) => VendorHttp;
  now?: () => Date;
  /** largest request body passed on (the SDK sends small multipart forms) */
  maxBodyBytes?: number;
  timeoutMs?: number;
}

// request headers passed on besides the body: what the SDK sends on purpose (doc: `LogAPITrigger`, `requestID`)
const FORWARDED_REQUEST_HEADERS = ["content-type", "accept", "referer", "logapitrigger"] as const;
// what a preflight may ask for: the SDK's own headers and the form's content type
export const SDK_PROXY_CORS = { methods: "POST", headers: "Content-Type, LogAPITrigger, requestID", maxAgeSeconds: 600 } as const;

function settingsOf(account: SdkProxyAccount): IdentySettings {
  try {
    return parseIdentySettings(account.settings ?? {});
  } catch {
    return DEFAULT_SETTINGS_FALLBACK;
  }
}

export function createIdentySdkProxyRouter(opts: IdentySdkProxyOptions): Router {
  const router = express.Router();
  const now = opts.now ?? (() => new Date());
  const rawBody = express.raw({ type: () => true, limit: opts.maxBodyBytes ?? 1024 * 1024 });

  /** the link's account, or an answer already sent */
  const resolve = async (req: Request, res: Response): Promise<{ claims: SdkProxyClaims; account: SdkProxyAccount; resource: string } | null> => {
    const resource = String(req.params.resource);
    if (!(SDK_PROXY_RESOURCES as readonly string[]).includes(resource)) return (notFound(res), null);
    const check = inspectSdkProxyToken(String(req.params.token), opts.key, now());
    if (!check.ok) {
      if (check.error === "expired") return (refuse(res, 401, "Capture link expired", "this capture link has expired; ask for a new one"), null);
      return (notFound(res), null);
    }
    const account = await opts.resolveAccount(check.claims.accountId).catch(() => null);
    if (!account) return (notFound(res), null);
    // CORS: a browser says where the page is; an origin the tenant did not allow gets nothing from the IWS
    const origin = req.get("origin");
    if (origin !== undefined) {
      const allow = allowOriginFor(origin, account.allowedOrigins ?? [], opts.production ?? false);
      res.setHeader("Vary", "Origin");
      if (allow === null) return (refuse(res, 403, "Origin not allowed", "this page's origin is not allowed for this tenant", "header:Origin"), null);
      res.setHeader("Access-Control-Allow-Origin", allow);
    }
    return { claims: check.claims, account, resource };
  };

  const preflight = async (req: Request, res: Response) => {
    const r = await resolve(req, res);
    if (!r) return;
    res.setHeader("Access-Control-Allow-Methods", SDK_PROXY_CORS.methods);
    res.setHeader("Access-Control-Allow-Headers", SDK_PROXY_CORS.headers);
    res.setHeader("Access-Control-Max-Age", String(SDK_PROXY_CORS.maxAgeSeconds));
    res.status(204).end();
  };

  const handler = async (req: Request, res: Response) => {
    const r = await resolve(req, res);
    if (!r) return;
    const { claims, account, resource } = r;
    const settings = settingsOf(account);

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const v = req.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    // the doc recommends "a unique session id, to track session activity on IWS logs": the verification id
    headers.requestID = claims.verificationId;
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;

    const http = opts.httpFor({
      accountId: claims.accountId,
      verificationId: claims.verificationId,
      concurrency: settings.concurrency,
      maxRetries: req.method === "GET" ? 1 : 0,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
    try {
      const upstream = await http.call({
        endpoint: `sdk_proxy_${resource}`,
        method: req.method === "GET" ? "GET" : "POST",
        url: joinUrl(account.baseUrl, "/api/v1", resource),
        headers,
        data: body,
        // every IWS status goes back to the SDK unchanged
        classify: () => null,
        costMs: callCostMs("sdk", throughputProfile(settings)),
      });
      res.status(upstream.status);
      const ct = upstream.headers["content-type"];
      if (ct) res.setHeader("Content-Type", ct);
      res.setHeader("Cache-Control", "no-store");
      res.end(upstream.rawBody);
    } catch (e) {
      const timeout = e instanceof VendorError && e.kind === "timeout";
      if (timeout) refuse(res, 504, "Vendor timeout", "the IDENTY server did not answer in time");
      else refuse(res, 502, "Vendor unreachable", "the IDENTY server could not be reached");
    }
  };

  router.options("/:token/api/v1/:resource", preflight);
  router.get("/:token/api/v1/:resource", handler);
  router.post("/:token/api/v1/:resource", rawBody, handler);
  // everything else under the mount point, including other IWS paths and methods
  router.use((_req, res) => notFound(res));
  return router;
}

/**
 * The proxy's own refusals (never the IWS's answers, passed on as they are) in the RFC 9457 shape
 * the rest of the gateway answers with (src/api/problem.ts, which this layer cannot import).
 */
function refuse(res: Response, status: number, title: string, detail: string, field?: string) {
  const type = `https://kyc-gateway.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  res
    .status(status)
    .type("application/problem+json")
    .send(JSON.stringify({ type, title, status, detail, ...(field ? { errors: [{ path: field, message: detail }] } : {}) }));
}

function notFound(res: Response) {
  refuse(res, 404, "Not found", "no such capture resource");
}

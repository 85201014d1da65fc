// Status webhooks of VerificarIdentidad:
//   "you will receive a POST request with the indicated format each time each sent request changes status."
//   "You can configure receiving the requests with basic authentication and in JSON or FORM-DATA format"
// FORM-DATA may be urlencoded or multipart; parameter names are matched in any case, numbers
// may be strings, and Result/Acceso/Posicion/Dispositivo may be JSON strings (PHP-style `\/` escapes).
import { constantTimeEqual } from "../../core/crypto.js";
import type { AdapterAccount, ParsedWebhook, RawWebhookRequest } from "../types.js";
import { VendorError } from "../../core/errors.js";
import { CredentialsSchema, type Webhook } from "./schemas.js";
import { VENDOR } from "./mapping.js";
import { isIdentityReport, outcomeOf, readHook } from "./outcome.js";

export function authenticateWebhook(req: RawWebhookRequest, account: AdapterAccount): boolean {
  const creds = CredentialsSchema.safeParse(account.credentials);
  if (!creds.success) return false;
  const header = req.headers["authorization"] ?? "";
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const user = colon >= 0 ? decoded.slice(0, colon) : "";
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  const userOk = constantTimeEqual(user, creds.data.webhookUser);
  const passwordOk = constantTimeEqual(password, creds.data.webhookPassword);
  return m !== null && colon >= 0 && userOk && passwordOk;
}

function parseError(message: string): VendorError {
  return new VendorError({ kind: "parse", vendor: VENDOR, endpoint: "webhook", retryable: false, message });
}

function contentTypeOf(req: RawWebhookRequest): { mime: string; boundary: string | null } {
  const raw = req.headers["content-type"] ?? "";
  const mime = raw.split(";")[0]!.trim().toLowerCase();
  const b = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(raw);
  return { mime, boundary: b ? (b[1] ?? b[2] ?? null) : null };
}

/** multipart/form-data fields (file parts are ignored) */
export function parseMultipartFields(body: Buffer, boundary: string): Record<string, string> {
  const out: Record<string, string> = {};
  const text = body.toString("latin1");
  for (const part of text.split(`--${boundary}`)) {
    if (part.startsWith("--")) break;
    const sep = part.indexOf("\r\n\r\n");
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? "";
    if (/filename\*?=/i.test(disposition)) continue;
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? /\bname=([^;\s]+)/i.exec(disposition)?.[1];
    if (!name) continue;
    const value = part.slice(sep + 4).replace(/\r\n$/, "");
    out[Buffer.from(name, "latin1").toString("utf8")] = Buffer.from(value, "latin1").toString("utf8");
  }
  return out;
}

function formFields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) if (!(k in out)) out[k] = v;
  return out;
}

/** The body as a plain object, whatever of the three encodings it came in. */
export function decodeBody(req: RawWebhookRequest): Record<string, unknown> {
  const { mime, boundary } = contentTypeOf(req);
  const text = req.rawBody.toString("utf8");
  let value: unknown;
  if (mime === "multipart/form-data") {
    if (!boundary) throw parseError("multipart webhook without a boundary");
    value = parseMultipartFields(req.rawBody, boundary);
  } else if (mime === "application/x-www-form-urlencoded") {
    value = formFields(text);
  } else if (mime.endsWith("json") || /^\s*[[{]/.test(text)) {
    try {
      value = JSON.parse(text);
    } catch {
      throw parseError("webhook body is not valid JSON");
    }
  } else if (text.includes("=")) {
    value = formFields(text.trim());
  } else {
    throw parseError("webhook body is empty or of an unknown encoding");
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (!value || typeof value !== "object" || Array.isArray(value)) throw parseError("webhook body is not an object");
  return value as Record<string, unknown>;
}

export function parseWebhookBody(req: RawWebhookRequest): { body: Record<string, unknown>; hook: Webhook } {
  const body = decodeBody(req);
  const read = readHook(body);
  if (!read.ok) throw parseError(`webhook does not match the documented parameters (${read.fields.join(", ")})`);
  return { body, hook: read.hook };
}

export function parseWebhook(req: RawWebhookRequest, _account: AdapterAccount): ParsedWebhook[] {
  const { body, hook } = parseWebhookBody(req);
  if (!isIdentityReport(hook)) return [];
  const { outcome, step, notes } = outcomeOf(hook);
  return [
    {
      type: "verification",
      vendorReference: hook.ID,
      // one event per (ID, Estado): a repeated delivery of the same status is the same event
      dedupeKey: `${hook.ID}:${hook.Estado}`,
      vendorStatus: String(hook.Estado),
      outcome,
      detail: { estado: hook.Estado, step, ...notes },
      // the decoded body as the parse read it: the core keeps it as {kind: "webhook", body} for renormalize
      payload: body,
    },
  ];
}

// Status webhooks of VerificarIdentidad:
//   "you will receive a POST request with the indicated format each time each sent request changes status."
//   "You can configure receiving the requests with basic authentication and in JSON or FORM-DATA format"
// FORM-DATA may be urlencoded or multipart; parameter names are matched in any case, numbers
// may be strings, and Result/Acceso/Posicion/Dispositivo may be JSON strings (PHP-style `\/` escapes).
import { createHash } from "node:crypto";
import { constantTimeEqual } from "../../domain/crypto.js";
import type { AdapterAccount, ParsedWebhook, RawWebhookRequest } from "../types.js";
import type { VendorError } from "../../domain/errors.js";
import { vendorError, type VerificarIdentidadAccount } from "./client.js";
import { canonicalKeys, type Webhook } from "./schemas.js";
import { isIdentityReport, outcomeOf, readHook } from "./outcome.js";

export function authenticateWebhook(req: RawWebhookRequest, account: VerificarIdentidadAccount): boolean {
  const creds = account.credentials;
  const header = req.headers.authorization ?? "";
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const user = colon >= 0 ? decoded.slice(0, colon) : "";
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  const userOk = constantTimeEqual(user, creds.webhookUser);
  const passwordOk = constantTimeEqual(password, creds.webhookPassword);
  return m !== null && colon >= 0 && userOk && passwordOk;
}

function parseError(message: string): VendorError {
  return vendorError({ kind: "parse", endpoint: "webhook", retryable: false, message });
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

/** a JSON object or array sent as a JSON string ("Result", "Acceso"... and Result's "DNI"), else null */
function jsonText(value: string): unknown {
  const t = value.trim();
  if (!/^[[{]/.test(t)) return null;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return null;
  }
}

const NUMERIC = /^[-+]?\d+(?:[.,]\d+)?$/;

/**
 * The content of a report, the same whatever its encoding: names in the doc's spelling, nested
 * JSON strings decoded, numbers and numeric strings alike, keys sorted. `UltimaActualizacion`
 * ("Last update/interaction with the user") is when the report was made, not what it says.
 */
function canonicalContent(value: unknown, depth = 0): unknown {
  if (depth > 8) return null;
  if (typeof value === "string") {
    const nested = jsonText(value);
    if (nested !== null) return canonicalContent(canonicalKeys(nested), depth + 1);
    const t = value.trim();
    return NUMERIC.test(t) ? String(Number(t.replace(",", "."))) : t;
  }
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map((v) => canonicalContent(v, depth + 1));
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k]) => depth > 0 || k !== "UltimaActualizacion")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalContent(v, depth + 1)]));
  }
  return value ?? null;
}

/** a short hash of what a report says: a repeated delivery has the same, a corrected re-send another */
export function contentHash(body: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify(canonicalContent(canonicalKeys(body))))
    .digest("hex")
    .slice(0, 16);
}

export function parseWebhook(req: RawWebhookRequest, _account: AdapterAccount): ParsedWebhook[] {
  const { body, hook } = parseWebhookBody(req);
  const hash = contentHash(body);
  if (!isIdentityReport(hook)) {
    // "Type of report you are receiving (the goal is to distinguish between the reports of the
    // different services)": not an identity verification, but never dropped unseen: operations
    // get an account event (its service, ID and Estado only: the rest may be personal)
    const servicio = (hook.Servicio ?? "").trim().slice(0, 64);
    return [
      {
        type: "account_event",
        event: {
          type: "other_service_report",
          externalId: `other_service:${servicio}:${hook.ID}:${hook.Estado}:${hash}`,
          payload: { servicio, id: hook.ID, estado: hook.Estado },
        },
      },
    ];
  }
  const { outcome, step, notes } = outcomeOf(hook);
  return [
    {
      type: "verification",
      vendorReference: hook.ID,
      // one event per (ID, Estado, content): a repeated delivery of the same report is the same
      // event; a re-send of the same Estado with other data (a corrected Result) is a new one
      dedupeKey: `${hook.ID}:${hook.Estado}:${hash}`,
      vendorStatus: String(hook.Estado),
      outcome,
      detail: { estado: hook.Estado, step, ...notes },
      // the decoded body as the parse read it: the core keeps it as {kind: "webhook", body} for renormalize
      payload: body,
    },
  ];
}

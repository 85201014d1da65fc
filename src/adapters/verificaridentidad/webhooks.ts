// Status webhooks of VerificarIdentidad:
//   "you will receive a POST request with the indicated format each time each sent request changes status."
//   "You can configure receiving the requests with basic authentication and in JSON or FORM-DATA format"
// FORM-DATA may be urlencoded or multipart; parameter names are matched in any case, numbers
// may be strings, and Result/Acceso/Posicion/Dispositivo may be JSON strings (PHP-style `\/` escapes).
import { constantTimeEqual } from "../../core/crypto.js";
import type { AdapterAccount, Outcome, ParsedWebhook, RawWebhookRequest } from "../types.js";
import { VendorError } from "../../core/errors.js";
import { reason } from "../../core/model.js";
import { CredentialsSchema, SERVICE_IDENTITY, WebhookSchema, canonicalKeys, type Webhook } from "./schemas.js";
import { OPERATOR_REJECTION, VENDOR, estadoRule, mapResult } from "./mapping.js";
import { maskWebhookPhone } from "./client.js";


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

export function parseWebhookBody(req: RawWebhookRequest): Webhook {
  const parsed = WebhookSchema.safeParse(canonicalKeys(decodeBody(req)));
  if (!parsed.success) {
    // paths only: the values may be personal
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(body)"))].join(", ");
    throw parseError(`webhook does not match the documented parameters (${fields})`);
  }
  return parsed.data;
}

export function outcomeOf(hook: Webhook): { outcome: Outcome; step: string } {
  const rule = estadoRule(hook.Estado);
  const vendorReference = hook.ID;
  switch (rule.status) {
    case "awaiting_user": {
      const phone = maskWebhookPhone(hook.Telefono);
      return {
        step: rule.step,
        outcome: { status: "awaiting_user", nextAction: phone ? { type: "sms_sent", phone } : null, vendorReference, step: rule.step },
      };
    }
    case "processing": {
      if (!rule.readResult || !hook.Result) return { step: rule.step, outcome: { status: "processing", vendorReference, step: rule.step } };
      const { checks, reasons } = mapResult(hook.Result);
      return { step: rule.step, outcome: { status: "processing", vendorReference, step: rule.step, checks, reasons } };
    }
    case "completed": {
      const { checks, reasons } = hook.Result ? mapResult(hook.Result) : { checks: {}, reasons: [] };
      if (rule.decision === "approved") {
        // "validated and certified": the vendor's verdict wins over whatever flags Result carried
        return {
          step: rule.step,
          outcome: { status: "completed", decision: "approved", reasons: [], checks, vendorReference, followUps: ["certificate"] },
        };
      }
      // rejected "by an operator": a "must be validated by an operator" reason is settled, the others explain why
      const settled = reasons.filter((r) => r.category !== "review");
      const finalReasons = settled.length
        ? settled
        : reasons.length
          ? reasons
          : [reason(OPERATOR_REJECTION.code, VENDOR, OPERATOR_REJECTION.vendorCode, OPERATOR_REJECTION.message)];
      return { step: rule.step, outcome: { status: "completed", decision: "declined", reasons: finalReasons, checks, vendorReference } };
    }
  }
}

export function parseWebhook(req: RawWebhookRequest, _account: AdapterAccount): ParsedWebhook[] {
  const hook = parseWebhookBody(req);
  // the same script may receive other services' reports: they are not identity verifications
  if (hook.Servicio !== undefined && hook.Servicio.trim().toUpperCase() !== SERVICE_IDENTITY) return [];
  const { outcome, step } = outcomeOf(hook);
  return [
    {
      type: "verification",
      vendorReference: hook.ID,
      // one event per (ID, Estado): a repeated delivery of the same status is the same event
      dedupeKey: `${hook.ID}:${hook.Estado}`,
      vendorStatus: String(hook.Estado),
      outcome,
      detail: { estado: hook.Estado, step },
    },
  ];
}

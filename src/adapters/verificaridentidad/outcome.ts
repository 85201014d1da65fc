// VerificarIdentidad payloads -> normalized outcomes, pure. The webhook path (webhooks.ts), the
// start path (index.ts) and renormalize (re-decision from the stored payloads) all go through
// these functions, so the live and the re-derived outcomes cannot diverge.
import type { AdapterVerification, Outcome, StoredVendorPayload } from "../types.js";
import type { Checks } from "../../domain/model.js";
import { reason } from "../../domain/model.js";
import { DniSchema, ResultSchema, SERVICE_IDENTITY, WebhookSchema, canonicalKeys, type Result, type Webhook } from "./schemas.js";
import { VENDOR, estadoRule, mapResult } from "./mapping.js";
import { maskWebhookPhone } from "./client.js";
import { sessionOf } from "./session.js";

// ---------------------------------------------------------------- Result

export type ResultRead =
  | { state: "present"; result: Result; /** fields left out because they did not parse (names only, never values) */ invalidFields: string[] }
  | { state: "missing" }
  | { state: "unparseable" };

type SafeParser<T> = { safeParse(x: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[] }[] } } };

/** `schema` over `value`, leaving out the top-level fields that do not parse (at most a few rounds). */
function parseLeavingOut<T>(schema: SafeParser<T>, value: Record<string, unknown>, prefix: string, invalid: string[]): T | null {
  const rest = { ...value };
  for (let round = 0; round < 8; round++) {
    const parsed = schema.safeParse(rest);
    if (parsed.success) return parsed.data;
    const keys = [...new Set(parsed.error.issues.map((i) => i.path[0]))];
    if (keys.some((k) => typeof k !== "string" || !(k in rest))) return null;
    for (const k of keys as string[]) {
      delete rest[k];
      invalid.push(`${prefix}${k}`);
    }
  }
  return null;
}

function jsonValue(raw: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof raw !== "string") return { ok: true, value: raw };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function asObject(value: unknown): Record<string, unknown> | null {
  // "Result Array of arrays": the sample is one object; a one-element array of it is read the same
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * The webhook's `Result` (an object, or a JSON string with `\/` escapes). Missing: no `Result` or an
 * empty one. Unparseable: not a JSON object. A field that does not parse is left out (and named in
 * `invalidFields`), so what is known is still reported and nothing is guessed.
 */
export function readResult(raw: unknown): ResultRead {
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return { state: "missing" };
  const decoded = jsonValue(raw);
  const obj = decoded.ok ? asObject(canonicalKeys(decoded.value)) : null;
  if (!obj) return { state: "unparseable" };
  const invalidFields: string[] = [];
  const value = { ...obj };
  if (value.DNI !== undefined && value.DNI !== null && value.DNI !== "") {
    const dniJson = jsonValue(value.DNI);
    const dniObj = dniJson.ok ? asObject(canonicalKeys(dniJson.value)) : null;
    const dni = dniObj ? parseLeavingOut(DniSchema, dniObj, "DNI.", invalidFields) : null;
    if (dni) value.DNI = dni;
    else {
      delete value.DNI;
      invalidFields.push("DNI");
    }
  }
  const result = parseLeavingOut(ResultSchema, value, "", invalidFields);
  // nothing left once the fields that do not parse are out: the Result as a whole is unreadable
  if (!result || (invalidFields.length && Object.keys(result).length === 0)) return { state: "unparseable" };
  return { state: "present", result, invalidFields };
}

// ---------------------------------------------------------------- webhook -> outcome

/** The decoded webhook body (any encoding, names in any case) as the documented parameters, or null when they are not there. */
export function readHook(body: unknown): { ok: true; hook: Webhook } | { ok: false; fields: string[] } {
  const parsed = WebhookSchema.safeParse(canonicalKeys(body));
  if (parsed.success) return { ok: true, hook: parsed.data };
  // paths only: the values may be personal
  return { ok: false, fields: [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(body)"))] };
}

/** the same script may receive other services' reports: they are not identity verifications */
export function isIdentityReport(hook: Webhook): boolean {
  return hook.Servicio === undefined || hook.Servicio.trim().toUpperCase() === SERVICE_IDENTITY;
}

export interface HookOutcome {
  outcome: Outcome;
  step: string;
  /** non-personal notes for the event log: resultMissing / resultUnparseable / resultInvalidFields */
  notes: Record<string, unknown>;
}

function resultNotes(read: ResultRead): Record<string, unknown> {
  if (read.state === "missing") return { resultMissing: true };
  if (read.state === "unparseable") return { resultUnparseable: true };
  return read.invalidFields.length ? { resultInvalidFields: read.invalidFields } : {};
}

/** the Result with the side numbers the webhook itself carries where the Result has none ("If it is already available at the time of this request") */
function withSides(result: Result, hook: Webhook): Result {
  return { ...result, DNIAnverso: result.DNIAnverso ?? hook.DNIAnverso, DNIReverso: result.DNIReverso ?? hook.DNIReverso };
}

/** checks plus the webhook's session signals (access, position, device), when it carries any */
function withSession(checks: Checks, hook: Webhook, read: ResultRead | null): Checks {
  const session = sessionOf(hook, read?.state === "present" ? read.result.Dispositivo : undefined);
  return session ? { ...checks, session } : checks;
}

export function outcomeOf(hook: Webhook): HookOutcome {
  const rule = estadoRule(hook.Estado);
  const vendorReference = hook.ID;
  switch (rule.status) {
    case "awaiting_user": {
      const phone = maskWebhookPhone(hook.Telefono);
      const checks = withSession({}, hook, null);
      return {
        step: rule.step,
        notes: {},
        outcome: { status: "awaiting_user", nextAction: phone ? { type: "sms_sent", phone } : null, vendorReference, step: rule.step, ...(Object.keys(checks).length ? { checks } : {}) },
      };
    }
    case "processing": {
      const base = { status: "processing", vendorReference, step: rule.step } as const;
      const read = rule.readResult ? readResult(hook.Result) : null;
      // no Result, or none that parses: no document/liveness/face checks (a later event without data never erases earlier data)
      if (read?.state !== "present") {
        const checks = withSession({}, hook, read);
        return { step: rule.step, notes: read ? resultNotes(read) : {}, outcome: Object.keys(checks).length ? { ...base, checks } : base };
      }
      const { checks, reasons } = mapResult(withSides(read.result, hook));
      return { step: rule.step, notes: resultNotes(read), outcome: { ...base, checks: withSession(checks, hook, read), reasons } };
    }
    case "completed": {
      // the vendor's operator decided ("validated and certified" / "rejected by an operator"): that
      // decision stands whatever Result carries, and a Result that is missing or unreadable never stops it
      const read = readResult(hook.Result);
      const mapped = read.state === "present" ? mapResult(withSides(read.result, hook), rule) : { checks: {}, reasons: [] };
      const reasons = mapped.reasons;
      const checks = withSession(mapped.checks, hook, read);
      const common = { status: "completed", reasons, checks, vendorReference, humanDecision: true } as const;
      if (rule.decision === "approved") {
        // the failures Result carries are reported; the core decides what failing checks mean after a human approval
        return { step: rule.step, notes: resultNotes(read), outcome: { ...common, decision: "approved", followUps: ["certificate"] } };
      }
      // Result's reasons explain the rejection; when it explains nothing, the Estado's own reason
      const explained = reasons.length || !rule.rejection ? reasons : [reason(rule.rejection.code, VENDOR, String(hook.Estado), rule.rejection.message)];
      return { step: rule.step, notes: resultNotes(read), outcome: { ...common, decision: "declined", reasons: explained } };
    }
  }
}

// ---------------------------------------------------------------- start -> outcome

/** what start() records (kind "sms_link") to give its outcome again: nothing personal beyond the masked phone it answers */
export interface SmsLink {
  vendorReference: string;
  /** "+346*****001" */
  phone: string;
  /** ISO 8601: past this, a user who never finished is `expired` */
  expiresAt: string;
}

export const SMS_LINK_KIND = "sms_link";

export function smsLinkOutcome(link: SmsLink): Outcome {
  return { status: "awaiting_user", nextAction: { type: "sms_sent", phone: link.phone }, vendorReference: link.vendorReference, expiresAt: new Date(link.expiresAt) };
}

function readSmsLink(body: unknown): SmsLink | null {
  const b = body as Partial<SmsLink> | null;
  if (!b || typeof b.vendorReference !== "string" || typeof b.phone !== "string" || typeof b.expiresAt !== "string" || Number.isNaN(Date.parse(b.expiresAt))) return null;
  return { vendorReference: b.vendorReference, phone: b.phone, expiresAt: b.expiresAt };
}

// ---------------------------------------------------------------- renormalize

/** a later event's checks replace an earlier one's check by check; a check it does not carry is kept */
export function mergeChecks(earlier: Checks, later: Checks | undefined): Checks {
  const merged: Checks = { ...earlier };
  if (later?.document) merged.document = later.document;
  if (later?.liveness) merged.liveness = later.liveness;
  if (later?.faceMatch) merged.faceMatch = later.faceMatch;
  // session signals member by member: a user step without the Result's device summary keeps it
  if (later?.session) {
    const e = earlier.session ?? {};
    const l = later.session;
    merged.session = { ...e, ...l };
    if (e.device || l.device) merged.session.device = { ...e.device, ...l.device };
    if (e.access || l.access) merged.session.access = { ...e.access, ...l.access };
  }
  return merged;
}

/**
 * Re-derives the outcome from the recorded payloads (oldest first): every `webhook` body goes
 * through the same readHook/outcomeOf as parseWebhook. The outcome is the most advanced Estado's
 * (a final 5100/5500 over any other, the first final one winning, as status only moves forward;
 * otherwise the highest Estado, a later delivery of the same Estado replacing the earlier one),
 * with the checks of every event merged as the core merges them. Without webhooks, start's
 * `sms_link` gives the awaiting_user outcome; with neither, null.
 */
export function renormalize(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null {
  let best: { rank: number; outcome: Outcome } | null = null;
  let checks: Checks = {};
  let link: SmsLink | null = null;
  for (const p of payloads) {
    if (p.kind === SMS_LINK_KIND) {
      link = readSmsLink(p.body) ?? link;
      continue;
    }
    if (p.kind !== "webhook") continue;
    const read = readHook(p.body);
    if (!read.ok || !isIdentityReport(read.hook)) continue;
    if (v.vendorReference && read.hook.ID !== v.vendorReference) continue;
    const { outcome } = outcomeOf(read.hook);
    if ("checks" in outcome) checks = mergeChecks(checks, outcome.checks);
    const rank = outcome.status === "completed" ? Number.POSITIVE_INFINITY : read.hook.Estado;
    if (best === null || (best.outcome.status !== "completed" && rank >= best.rank)) best = { rank, outcome };
  }
  if (!best) return link ? smsLinkOutcome(link) : null;
  const o = best.outcome;
  if (o.status === "completed") return { ...o, checks };
  if (o.status === "processing" && Object.keys(checks).length) return { ...o, checks };
  return o;
}

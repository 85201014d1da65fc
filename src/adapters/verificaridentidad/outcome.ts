// VerificarIdentidad payloads -> normalized outcomes, pure. The webhook path (webhooks.ts), the
// start path (index.ts) and renormalize (re-decision from the stored payloads) all go through
// these functions, so the live and the re-derived outcomes cannot diverge.
import type { AdapterVerification, Outcome, StoredVendorPayload } from "../types.js";
import { reason, type CheckOutcome, type Checks, type DocumentFields, type DocumentType, type Reason, type SessionSignals } from "../../domain/model.js";
import { toAlpha2 } from "../../domain/countries.js";
import { normalizeSex, toIsoDate } from "../../domain/dates.js";
import type { ReasonCode } from "../../domain/vocabulary.js";
import { DniSchema, ResultSchema, SERVICE_IDENTITY, WebhookSchema, canonicalKeys, type Dni, type Result, type Webhook } from "./schemas.js";
import {
  DOCUMENT_TYPES,
  ESTADOS,
  FACE_SIMILARITY_THRESHOLD,
  FLAGS,
  RESULTADO_CODES,
  SEVERITY,
  SI_NO,
  UNKNOWN_RESULTADO,
  VENDOR,
  type CheckKey,
  type EstadoRule,
  type FlagName,
  type FlagRule,
  type OperatorDecision,
  type ResultadoRule,
} from "./mapping.js";
import { maskWebhookPhone } from "./client.js";

// ---------------------------------------------------------------- Result

export type ResultRead =
  | { state: "present"; result: Result /** fields left out because they did not parse (names only, never values) */; invalidFields: string[] }
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
        outcome: {
          status: "awaiting_user",
          nextAction: phone ? { type: "sms_sent", phone } : null,
          vendorReference,
          step: rule.step,
          ...(Object.keys(checks).length ? { checks } : {}),
        },
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
  return {
    status: "awaiting_user",
    nextAction: { type: "sms_sent", phone: link.phone },
    vendorReference: link.vendorReference,
    expiresAt: new Date(link.expiresAt),
  };
}

function readSmsLink(body: unknown): SmsLink | null {
  const b = body as Partial<SmsLink> | null;
  if (!b || typeof b.vendorReference !== "string" || typeof b.phone !== "string" || typeof b.expiresAt !== "string" || Number.isNaN(Date.parse(b.expiresAt)))
    return null;
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

// ---------------------------------------------------------------- the Result of a report, through mapping.ts

/**
 * An Estado the doc does not list never decides: below 5000 it is another user step,
 * from 5000 on the vendor is working. Either way it is kept in the event log under its code.
 */
export function estadoRule(estado: number): EstadoRule {
  const known: EstadoRule | undefined = (ESTADOS as Record<string, EstadoRule>)[String(estado)];
  if (known) return known;
  return estado < 5000 ? { status: "awaiting_user", step: `unknown_${estado}` } : { status: "processing", step: `unknown_${estado}`, readResult: false };
}

/** ">80": a similarity in percent passes only strictly above the vendor's threshold */
export function passesSimilarity(percent: number): boolean {
  return percent > FACE_SIMILARITY_THRESHOLD;
}

export function resultadoRule(resultado: number): ResultadoRule | null {
  if (passesSimilarity(resultado)) return null;
  // a positive similarity of 80 or less "must be validated manually (operator)": the same as -1
  if (resultado >= 0) return RESULTADO_CODES["-1"];
  return (RESULTADO_CODES as Record<string, ResultadoRule>)[String(resultado)] ?? UNKNOWN_RESULTADO;
}

export function siNo(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value
    .trim()
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "");
  for (const [k, b] of Object.entries(SI_NO)) if (k.toLowerCase() === v) return b;
  return null;
}

export function documentType(tipo: string | undefined): DocumentType | null {
  if (!tipo) return null;
  return (DOCUMENT_TYPES as Record<string, DocumentType>)[tipo.trim().toUpperCase()] ?? "other";
}

/** `Nombre`: "Full name in format Surnames, Name" ("APARICIO LOPEZ,JUAN") */
export function splitNombre(nombre: string | undefined): { firstName: string | null; lastName: string | null } {
  if (!nombre?.trim()) return { firstName: null, lastName: null };
  const comma = nombre.indexOf(",");
  if (comma < 0) return { firstName: null, lastName: nombre.trim() };
  const lastName = nombre.slice(0, comma).trim();
  const firstName = nombre.slice(comma + 1).trim();
  return { firstName: firstName || null, lastName: lastName || null };
}

/**
 * A document number as the vendor read it, or null. `DNIAnverso`/`DNIReverso` are "the ID
 * document number detected on the front/back of the document"; a value that is not a document
 * number (an image, a base64 blob) is never taken for one: images never go into the checks.
 */
export function documentNumberOf(value: string | undefined): string | null {
  const t = value?.trim();
  return t && /^[A-Z0-9][A-Z0-9 ./-]{0,31}$/i.test(t) ? t : null;
}

/**
 * `DNI` (and the numbers read on each side): the document's fields. The number is the one "that
 * appears on the document" (`DNI.DNI`), else the one detected on the front, else the back.
 * `Edad` ("Real age") and `NumeroSerie` ("Serial number of the document") have no document field:
 * they stay in the stored, redacted webhook payload.
 */
export function documentFields(dni: Dni, sides: { front?: string; back?: string } = {}): DocumentFields {
  const { firstName, lastName } = splitNombre(dni.Nombre);
  return {
    firstName,
    lastName,
    dateOfBirth: toIsoDate(dni.FechaNacimiento),
    documentNumber: documentNumberOf(dni.DNI) ?? documentNumberOf(sides.front) ?? documentNumberOf(sides.back),
    expiryDate: toIsoDate(dni.FechaExpira),
    issuingCountry: toAlpha2(dni.Pais),
    sex: normalizeSex(dni.Sexo),
    nationality: toAlpha2(dni.Nacionalidad),
  };
}

function worst(a: CheckOutcome | undefined, b: CheckOutcome): CheckOutcome {
  return a === undefined || SEVERITY[b] > SEVERITY[a] ? b : a;
}

/**
 * Result -> checks and reasons. `decided` is the final Estado's rule when the vendor's operator
 * decided: a "must be validated by an operator" reason is settled then, and an unknown negative
 * Resultado takes the Estado's rejection code (keeping its own vendorCode) when it has one.
 */
export function mapResult(result: Result, decided: OperatorDecision | null = null): { checks: Checks; reasons: Reason[] } {
  const outcomes: Partial<Record<CheckKey, CheckOutcome>> = {};
  const reasons: Reason[] = [];
  const security: Record<string, boolean | null> = {};
  const add = (code: ReasonCode, vendorCode: string, message: string) => {
    if (!reasons.some((r) => r.code === code)) reasons.push(reason(code, VENDOR, vendorCode, message));
  };

  const resultado = result.Resultado;
  const similarityPercent =
    resultado !== undefined && resultado >= 0 ? resultado : result.ParecidoPersonaDNI !== undefined ? result.ParecidoPersonaDNI : undefined;

  if (resultado !== undefined) {
    const rule = resultadoRule(resultado);
    if (rule) {
      for (const code of rule.reasons) {
        if (decided && rule.settledByOperator.includes(code)) continue;
        const recoded = rule === UNKNOWN_RESULTADO && decided?.rejection ? decided.rejection.code : code;
        add(recoded, String(resultado), rule.message);
      }
      if (rule.check && rule.outcome) outcomes[rule.check] = worst(outcomes[rule.check], rule.outcome);
    }
  }
  // -7 "Process not yet finished": no face result to read from ParecidoPersonaDNI
  const unfinished = resultado === -7;

  if (similarityPercent !== undefined && !unfinished) {
    outcomes.faceMatch = worst(outcomes.faceMatch, passesSimilarity(similarityPercent) ? "pass" : "inconclusive");
  }

  const flagValues: Record<FlagName, string | undefined> = {
    AnversoReversoCoinciden: result.AnversoReversoCoinciden,
    DNISolicitadoCoincide: result.DNISolicitadoCoincide,
    PruebaDeVida: result.PruebaDeVida,
    ProcesoRelizadoMismaPersona: result.ProcesoRelizadoMismaPersona,
    Caducado: result.DNI?.Caducado,
  };
  for (const [name, rule] of Object.entries(FLAGS) as [FlagName, FlagRule][]) {
    const value = siNo(flagValues[name]);
    if (value === null) continue;
    const failed = value === rule.failsWhen;
    if (rule.security) security[rule.security] = !failed;
    if (failed) {
      add(rule.reason, `${name}=${flagValues[name]}`, rule.message);
      outcomes[rule.check] = worst(outcomes[rule.check], "fail");
    } else if (rule.passes) outcomes[rule.check] = worst(outcomes[rule.check], "pass");
  }

  const checks: Checks = {};
  const dni = result.DNI;
  const sides = { front: result.DNIAnverso, back: result.DNIReverso };
  const sideNumber = documentNumberOf(sides.front) ?? documentNumberOf(sides.back);
  if (dni || outcomes.document || sideNumber) {
    const model = dni?.TipoDocumento?.trim();
    checks.document = {
      outcome: outcomes.document ?? (dni ? "pass" : "not_performed"),
      // "TipoDocumento: Document type", the vendor's own name of the model ("ID-1")
      ...(model ? { model } : {}),
      type: documentType(dni?.TipoDocumento),
      country: toAlpha2(dni?.Pais),
      fields: dni ? documentFields(dni, sides) : { documentNumber: sideNumber },
      ...(Object.keys(security).length ? { security } : {}),
    };
  }
  if (outcomes.liveness) checks.liveness = { outcome: outcomes.liveness, score: null, level: null };
  if (outcomes.faceMatch) {
    checks.faceMatch = {
      outcome: outcomes.faceMatch,
      similarity: similarityPercent === undefined || unfinished ? null : Math.min(1, Math.max(0, similarityPercent / 100)),
      threshold: FACE_SIMILARITY_THRESHOLD / 100,
    };
  }
  return { checks, reasons };
}

// ---------------------------------------------------------------- session signals
// The session signals of a VerificarIdentidad webhook -> checks.session, pure
// (../shared/vendors/verificaridentidad-api-3.0.txt, "Reception of delivery reports"):
//   FechaEnvio  "Date on which the request was sent."
//   Acceso      "Array with date and IP address of the recipient's access ... Fecha : Access date,
//                IP : IP from which the service is accessed, Puerto : Port from which the recipient connects"
//   Posicion    "Array with the recipient's location if they have allowed it during the process ...
//                Coordenadas : Latitude, longitude and altitude ... Longitud, Latitud, Altura, Precision"
//   Dispositivo "browser : Browser used and version, SysOp : Operating system ..., displayResolution"
//   Result.Dispositivo "Summary of the device used."
// Times are kept as the vendor wrote them: the file gives a zone (CET/CEST) for the send's `Fecha`
// only, not for these. The street address (`Direccion`), altitude and GPS precision have no place
// in checks.session: they stay in the stored, redacted webhook payload. All of it is personal:
// checks.session is erased with the document fields (src/core/checks-merge.ts).

type Scalar = string | number | boolean | null;

const MAX_TEXT = 200;

/** an object sent as an object, a JSON string (already decoded by the schema) or a one-element array of it */
function objectOf(value: unknown): Record<string, unknown> | null {
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** "Parameter names are case-insensitive": a member by its documented name in any case */
function member(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

function textOf(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return null;
  const t = value.trim();
  return t && t.length <= MAX_TEXT ? t : null;
}

/** a number, or a string holding one ("-1.6592592", "11892", "4,45") */
function numberOf(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string" || !/^\s*[-+]?\d+(?:[.,]\d+)?\s*$/.test(value)) return null;
  return Number(value.trim().replace(",", "."));
}

function compact(record: Record<string, Scalar>): Record<string, Scalar> | undefined {
  const out = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null));
  return Object.keys(out).length ? out : undefined;
}

/** Acceso + FechaEnvio -> { date, ip, port, requestSentAt } (what is there) */
export function accessOf(acceso: unknown, fechaEnvio: string | undefined): Record<string, Scalar> | undefined {
  const o = objectOf(acceso);
  return compact({
    date: o ? textOf(member(o, "Fecha")) : null,
    ip: o ? textOf(member(o, "IP")) : null,
    port: o ? numberOf(member(o, "Puerto")) : null,
    requestSentAt: textOf(fechaEnvio),
  });
}

/** Posicion.Coordenadas -> { latitude, longitude }; anything off the globe is no position */
export function positionOf(posicion: unknown): { latitude: number; longitude: number } | undefined {
  const o = objectOf(posicion);
  const c = o ? objectOf(member(o, "Coordenadas")) : null;
  if (!c) return undefined;
  const latitude = numberOf(member(c, "Latitud"));
  const longitude = numberOf(member(c, "Longitud"));
  if (latitude === null || longitude === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  return { latitude, longitude };
}

/** Dispositivo + Result.Dispositivo -> { browser, operatingSystem, displayResolution, summary } */
export function deviceOf(dispositivo: unknown, summary: unknown): Record<string, Scalar> | undefined {
  const o = objectOf(dispositivo);
  return compact({
    browser: o ? textOf(member(o, "browser")) : null,
    operatingSystem: o ? textOf(member(o, "SysOp")) : null,
    displayResolution: o ? textOf(member(o, "displayResolution")) : null,
    summary: textOf(summary),
  });
}

export interface SessionSource {
  FechaEnvio?: string;
  Acceso?: unknown;
  Posicion?: unknown;
  Dispositivo?: unknown;
}

/** the webhook's session signals, or undefined when it carries none */
export function sessionOf(hook: SessionSource, resultDevice?: unknown): SessionSignals | undefined {
  const session: SessionSignals = {};
  const access = accessOf(hook.Acceso, hook.FechaEnvio);
  const position = positionOf(hook.Posicion);
  const device = deviceOf(hook.Dispositivo, resultDevice);
  if (access) session.access = access;
  if (position) session.position = position;
  if (device) session.device = device;
  return Object.keys(session).length ? session : undefined;
}

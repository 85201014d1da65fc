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
import type { SessionSignals } from "../../domain/model.js";

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

// Sandbox simulator of VerificarIdentidad API 3.0 (mounted at /verificaridentidad).
//
// Vendor API, as the doc describes it (POST only; parameters in a JSON or urlencoded body,
// or the query string; names in any case; HTTP Basic auth APIUser:APIToken):
//   POST /VerificarIdentidad       Telefono (required), Mensaje (must contain [LINK]), Remitente (<= 11 chars),
//                                  Dni, Fecha ("2022-05-01 15:10"), Resp  ->  [{ "Res": 1, "ID": "...", "Cred": 99 }]
//   POST /GetCertificadoIdentidad  Id, Resp  ->  the PDF bytes (application/pdf) once the request reached 5100
//   POST /GetCreditos              Resp      ->  [{ "Res": 1, "Cred": 99 }]
// Business errors are HTTP 200 with a negative `Res` (-1 authentication, -2 no credits, -3 bad call data
// with an `Error` text, -4 function not activated, -5 general error). Without `Resp` the answer omits `Cred`,
// as the doc warns the old formats omit this version's variables.
// Sandbox credentials: apiUser `sandbox` / apiToken `sandbox-token` (any apiUser `sandbox<suffix>` with
// apiToken `<apiUser>-token` works too, each with its own credits and webhook configuration).
// Credits start at 100 per apiUser and go down by one per SMS sent.
//
// Webhooks: after a send, the Estado sequence 3000, 3001, 3002, 3003, 5000, 5001 and the final
// Estado (5100 validated, 5500 rejected) is POSTed, `stepDelayMs` apart, in the doc's sample shape
// (Estado as a string, Acceso/Posicion/Dispositivo/Result as JSON strings with `\/` escapes), with
// HTTP Basic auth, as JSON, urlencoded form or multipart form data. Control routes (sandbox only):
//   POST /_control/webhook-config {apiUser?, url, user?, password?, format?: "json"|"form"|"multipart", stepDelayMs?}
//   POST /_control/replay {id, estado}        (re)sends one Estado of a request (duplicates, out of order,
//                                             or the operator's 5100/5500 for a request left at 5001)
//   POST /_control/credits {apiUser?, credits} sets an account's balance
//   GET  /_control/requests/:id               { id, scheduledFor, sentAt, posted }
//   POST /_control/send-scheduled {id}        sends a request held for its Fecha now (the sandbox's time travel)
// A `Fecha` ("Date on which the sending of the identity verification request is scheduled ...
// Format Year-Month-day hour:minute. The time reference is CET/CEST") in the future holds the SMS,
// and so every webhook, until that minute in Madrid; FechaEnvio is then that time. `Result` is sent
// from 5001 on ("you have the data available"), never with 3000-3003 or 5000 ("In process").
//
// Magic inputs (by Telefono; the default, any other valid number, is a clean pass = the 34600000001 row):
//   34600000001  5100 validated: Resultado 93.96, every flag Si                     -> approved
//   34600000002  5500: Resultado -5, Caducado Si                                    -> declined document_expired
//   34600000003  5500: Resultado -6, PruebaDeVida No                                -> declined liveness_failed
//   34600000004  5500: Resultado -4, ProcesoRelizadoMismaPersona No                 -> declined different_person_in_session
//   34600000005  5500: Resultado -2, Edad 16                                        -> declined underage
//   34600000006  Res -2 (no credits), no SMS, no webhooks                           -> out_of_credits
//   34600000007  3000, 3001 and nothing more (the user never finishes)              -> stays awaiting_user
//   34600000008  5500: Resultado -9, DNISolicitadoCoincide No                       -> declined document_number_mismatch
//   34600000009  stops at 5001: Resultado -1, ParecidoPersonaDNI 65 (operator review) -> processing, review reasons
//   34600000010  5500: Resultado -3, AnversoReversoCoinciden No                     -> declined document_sides_mismatch
//   34600000011  5500: Resultado -8, ParecidoPersonaDNI 31.5                        -> declined face_mismatch
//   34600000012  3000, 3001, 3002 then 5500 with Resultado -7 (not finished)        -> declined user_abandoned
//   34600000013  Res -4 (function not activated)                                    -> feature_disabled
//   34600000014  Res -5 (general error)                                             -> vendor_error
//   34600000015  5001 with the clean Result, then 5100 with no Result parameter      -> approved (checks of 5001 kept)
//   34600000016  5001 with the clean Result, then 5500 with nothing attached         -> declined document_suspicious (vendorCode 5500)
//   34600000017  5001 and 5100 with Resultado -3, AnversoReversoCoinciden No (the operator validated anyway)
//                                                                                   -> approved, humanDecision, reason document_sides_mismatch
//   34600000018  stops at 5001: Resultado 80, ParecidoPersonaDNI 80 (">80" passes, 80 does not: operator review)
//                                                                                   -> processing, face_similarity_low + manual_review_required
//   34600000019  5100 validated, Resultado 93.96, but the document is another person's: Nombre
//                "APARICIO GARCIA,RAFAEL" (the doc sample's), FechaNacimiento 07/03/1981, DNI the requested Dni
//                (or 00000001R when none was sent); every other scenario's document is "APARICIO LOPEZ,JUAN",
//                18/12/1955, as the design's sample subject  -> approved by the vendor; the core's identity match finds the mismatch
import express, { type Request, type Response } from "express";
import { z } from "zod";
import type { SimulatorFactory } from "../types.js";

export const SANDBOX_API_USER = "sandbox";
export const SANDBOX_API_TOKEN = "sandbox-token";
export const INITIAL_CREDITS = 100;
export const DEFAULT_STEP_DELAY_MS = 200;
export const FIRST_ID = 299846332;

type ScenarioName =
  | "approved"
  | "expired"
  | "liveness"
  | "different_person"
  | "underage"
  | "no_credits"
  | "never_completes"
  | "document_number"
  | "operator_review"
  | "sides_mismatch"
  | "face_mismatch"
  | "not_finished"
  | "feature_disabled"
  | "general_error"
  | "approved_no_result"
  | "rejected_bare"
  | "approved_with_failures"
  | "similarity_80"
  | "other_person";

interface Scenario {
  /** a send answered with this negative Res */
  res?: number;
  /** the Estados posted after a send */
  sequence: readonly number[];
  resultado: number;
  similarity: number;
  flags?: Partial<Record<"AnversoReversoCoinciden" | "PruebaDeVida" | "ProcesoRelizadoMismaPersona", "Si" | "No">>;
  dni?: Partial<{ Edad: number; FechaNacimiento: string; FechaExpira: string; Caducado: "Si" | "No"; DNI: string; Nombre: string }>;
  requestedMismatch?: boolean;
  /** the Estados posted without a Result parameter at all */
  noResultAt?: readonly number[];
  /** the document number when no Dni was requested (default 00000000T) */
  unrequestedDni?: string;
}

const FULL_APPROVED = [3000, 3001, 3002, 3003, 5000, 5001, 5100] as const;
const FULL_REJECTED = [3000, 3001, 3002, 3003, 5000, 5001, 5500] as const;

const SCENARIOS = {
  approved: { sequence: FULL_APPROVED, resultado: 93.957847595214844, similarity: 93.957847595214844 },
  expired: { sequence: FULL_REJECTED, resultado: -5, similarity: 91.2, dni: { FechaExpira: "19/10/2020", Caducado: "Si" } },
  liveness: { sequence: FULL_REJECTED, resultado: -6, similarity: 90.4, flags: { PruebaDeVida: "No" } },
  different_person: { sequence: FULL_REJECTED, resultado: -4, similarity: 88.1, flags: { ProcesoRelizadoMismaPersona: "No" } },
  underage: { sequence: FULL_REJECTED, resultado: -2, similarity: 92.3, dni: { Edad: 16, FechaNacimiento: "03/02/2010" } },
  no_credits: { res: -2, sequence: [], resultado: 0, similarity: 0 },
  never_completes: { sequence: [3000, 3001], resultado: -7, similarity: 0 },
  document_number: { sequence: FULL_REJECTED, resultado: -9, similarity: 94.5, requestedMismatch: true, dni: { DNI: "00000001R" } },
  operator_review: { sequence: [3000, 3001, 3002, 3003, 5000, 5001], resultado: -1, similarity: 65 },
  sides_mismatch: { sequence: FULL_REJECTED, resultado: -3, similarity: 90.9, flags: { AnversoReversoCoinciden: "No" } },
  face_mismatch: { sequence: FULL_REJECTED, resultado: -8, similarity: 31.5 },
  not_finished: { sequence: [3000, 3001, 3002, 5500], resultado: -7, similarity: 0 },
  feature_disabled: { res: -4, sequence: [], resultado: 0, similarity: 0 },
  general_error: { res: -5, sequence: [], resultado: 0, similarity: 0 },
  approved_no_result: { sequence: FULL_APPROVED, resultado: 93.957847595214844, similarity: 93.957847595214844, noResultAt: [5100] },
  rejected_bare: { sequence: FULL_REJECTED, resultado: 93.957847595214844, similarity: 93.957847595214844, noResultAt: [5500] },
  approved_with_failures: { sequence: FULL_APPROVED, resultado: -3, similarity: 90.9, flags: { AnversoReversoCoinciden: "No" } },
  similarity_80: { sequence: [3000, 3001, 3002, 3003, 5000, 5001], resultado: 80, similarity: 80 },
  other_person: {
    sequence: FULL_APPROVED,
    resultado: 93.957847595214844,
    similarity: 93.957847595214844,
    dni: { Nombre: "APARICIO GARCIA,RAFAEL", FechaNacimiento: "07/03/1981", Edad: 44 },
    unrequestedDni: "00000001R",
  },
} as const satisfies Record<ScenarioName, Scenario>;

const SCENARIO_BY_PHONE: Record<string, ScenarioName> = {
  "34600000001": "approved",
  "34600000002": "expired",
  "34600000003": "liveness",
  "34600000004": "different_person",
  "34600000005": "underage",
  "34600000006": "no_credits",
  "34600000007": "never_completes",
  "34600000008": "document_number",
  "34600000009": "operator_review",
  "34600000010": "sides_mismatch",
  "34600000011": "face_mismatch",
  "34600000012": "not_finished",
  "34600000013": "feature_disabled",
  "34600000014": "general_error",
  "34600000015": "approved_no_result",
  "34600000016": "rejected_bare",
  "34600000017": "approved_with_failures",
  "34600000018": "similarity_80",
  "34600000019": "other_person",
};

export const MAGIC_INPUTS = [
  { input: "Telefono 34600000001 (+34600000001)", outcome: "Estados 3000..5001 then 5100, Resultado 93.96: approved, certificate available" },
  { input: "Telefono 34600000002 (+34600000002)", outcome: "5500 with Resultado -5, Caducado Si: declined, document_expired" },
  { input: "Telefono 34600000003 (+34600000003)", outcome: "5500 with Resultado -6, PruebaDeVida No: declined, liveness_failed" },
  { input: "Telefono 34600000004 (+34600000004)", outcome: "5500 with Resultado -4, ProcesoRelizadoMismaPersona No: declined, different_person_in_session" },
  { input: "Telefono 34600000005 (+34600000005)", outcome: "5500 with Resultado -2, Edad 16: declined, underage" },
  { input: "Telefono 34600000006 (+34600000006)", outcome: "Res -2 (not enough credits), no SMS: VendorError out_of_credits" },
  { input: "Telefono 34600000007 (+34600000007)", outcome: "only 3000 and 3001 are sent: stays awaiting_user" },
  { input: "Telefono 34600000008 (+34600000008)", outcome: "5500 with Resultado -9, DNISolicitadoCoincide No: declined, document_number_mismatch" },
  {
    input: "Telefono 34600000009 (+34600000009)",
    outcome:
      "stops at 5001 with Resultado -1, ParecidoPersonaDNI 65: processing with face_similarity_low + manual_review_required (replay 5100/5500 plays the operator)",
  },
  { input: "Telefono 34600000010 (+34600000010)", outcome: "5500 with Resultado -3, AnversoReversoCoinciden No: declined, document_sides_mismatch" },
  { input: "Telefono 34600000011 (+34600000011)", outcome: "5500 with Resultado -8, ParecidoPersonaDNI 31.5: declined, face_mismatch" },
  { input: "Telefono 34600000012 (+34600000012)", outcome: "3000, 3001, 3002 then 5500 with Resultado -7: declined, user_abandoned" },
  { input: "Telefono 34600000013 (+34600000013)", outcome: "Res -4 (function not activated): VendorError feature_disabled" },
  { input: "Telefono 34600000014 (+34600000014)", outcome: "Res -5 (general error): VendorError, vendor_error" },
  {
    input: "Telefono 34600000015 (+34600000015)",
    outcome: "5001 with the clean Result, then 5100 without a Result parameter: approved, humanDecision, no checks claimed by the 5100 (5001's kept)",
  },
  {
    input: "Telefono 34600000016 (+34600000016)",
    outcome: "5001 with the clean Result, then 5500 with nothing attached: declined, document_suspicious with vendorCode 5500",
  },
  {
    input: "Telefono 34600000017 (+34600000017)",
    outcome:
      "5001 and 5100 with Resultado -3, AnversoReversoCoinciden No: approved by the operator, humanDecision, reason document_sides_mismatch, document check fail",
  },
  {
    input: "Telefono 34600000018 (+34600000018)",
    outcome:
      "stops at 5001 with Resultado 80, ParecidoPersonaDNI 80: processing with face_similarity_low + manual_review_required, similarity 0.8 (replay 5100/5500 plays the operator)",
  },
  {
    input: "Telefono 34600000019 (+34600000019)",
    outcome:
      "5100 validated, but the document reads APARICIO GARCIA, RAFAEL born 1981-03-07 (number: the requested Dni, else 00000001R): approved by the vendor; against the subject Juan Aparicio Lopez 1955-12-18 the core finds first/last name and date of birth mismatches",
  },
  { input: "any other valid Telefono", outcome: "the clean pass of 34600000001" },
  { input: "Mensaje without [LINK], Remitente over 11 characters, no Telefono or a malformed Fecha", outcome: "Res -3 with an Error text" },
  { input: "wrong Basic credentials", outcome: "Res -1 (authentication error)" },
] as const satisfies readonly { input: string; outcome: string }[];

interface SentRequest {
  id: string;
  apiUser: string;
  telefono: string;
  dni: string | null;
  scenario: ScenarioName;
  /** when the SMS went (or goes) out: now, or the scheduled `Fecha` */
  sentAt: Date;
  /** a scheduled `Fecha` not reached yet: nothing is sent before it */
  scheduled: { at: Date; timer: NodeJS.Timeout | null } | null;
  /** Estados already posted */
  posted: number[];
}

const WebhookConfigSchema = z.object({
  apiUser: z.string().min(1).default(SANDBOX_API_USER),
  url: z.string().url(),
  user: z.string().default(""),
  password: z.string().default(""),
  format: z.enum(["json", "form", "multipart"]).default("json"),
  stepDelayMs: z.number().int().min(0).max(60_000).default(DEFAULT_STEP_DELAY_MS),
});
type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

const ReplaySchema = z.object({ id: z.union([z.string(), z.number()]).transform(String), estado: z.coerce.number().int() });
const CreditsSchema = z.object({ apiUser: z.string().min(1).default(SANDBOX_API_USER), credits: z.number().min(0) });

const SPAIN = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Madrid",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function spainTime(d: Date, seconds = false): string {
  const p = Object.fromEntries(SPAIN.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ""}`;
}

/** Europe/Madrid's offset from UTC at `at`, in ms (CET +1h, CEST +2h) */
function spainOffsetMs(at: number): number {
  const p = Object.fromEntries(SPAIN.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(at / 1000) * 1000;
}

/**
 * A send's `Fecha` as an instant: "Format Year-Month-day hour:minute. The time reference is
 * CET/CEST (Spain time zone)." e.g. 2022-05-01 15:10. null for a date that is not one (or a
 * minute the clock skips when CEST begins).
 */
export function fromSpainTime(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let at = local - spainOffsetMs(local);
  at = local - spainOffsetMs(at);
  return spainTime(new Date(at)) === text.trim() ? new Date(at) : null;
}

/** The vendor's JSON strings escape "/" as "\/" (PHP json_encode): `"N\/A"`, `"18\/12\/1955"` */
export function phpJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, "\\/");
}

/** request parameters, names lower-cased ("Parameter names are case-insensitive"); the body wins over the query */
function params(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (src: unknown) => {
    if (!src || typeof src !== "object") return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      out[k.toLowerCase()] = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
    }
  };
  put(req.query);
  put(req.body);
  return out;
}

function credentialsValid(req: Request): string | null {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  const token = decoded.slice(colon + 1);
  return /^sandbox[\w.-]*$/.test(user) && token === `${user}-token` ? user : null;
}

/** a tiny but well-formed one-page PDF (no personal data: the request ID only) */
function certificatePdf(id: string, certifiedAt: Date): Buffer {
  const text = `Certificado de verificacion de identidad ${id} - ${spainTime(certifiedAt)} (sandbox)`;
  const stream = `BT /F1 12 Tf 40 780 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

export const createVerificaridentidadSimulator: SimulatorFactory = ({ faults, log }) => {
  const router = express.Router();
  const credits = new Map<string, number>();
  const webhookConfigs = new Map<string, WebhookConfig>();
  const requests = new Map<string, SentRequest>();
  // ids keep growing across sandbox restarts, as a real vendor's do
  let nextId = FIRST_ID + (Math.floor(Date.now() / 1000) % 10_000_000) * 10;

  const creditsOf = (apiUser: string) => credits.get(apiUser) ?? INITIAL_CREDITS;

  /** the document numbers read on the front and the back of the scenario's document */
  function sideNumbers(r: SentRequest): { front: string; back: string } {
    const s: Scenario = SCENARIOS[r.scenario];
    const front = s.dni?.DNI ?? r.dni ?? s.unrequestedDni ?? "00000000T";
    return { front, back: s.flags && "AnversoReversoCoinciden" in s.flags ? "00000002W" : front };
  }

  /**
   * The `Result` an Estado carries. The file gives data from 5001 on: "5000 In process: The service
   * is accepted and in the process of verification", "5001 ... The process has finished and you have
   * the data available (you will receive them in variables ...)", "5500 ... You will receive the data
   * and the reason as parameters". No Result before 5001.
   */
  function resultOf(r: SentRequest, estado: number): Record<string, unknown> | null {
    if (estado < 5001) return null;
    const s: Scenario = SCENARIOS[r.scenario];
    // the user never finished: "-7 Process not yet finished."
    if (s.resultado === -7) return { Resultado: -7 };
    if (s.noResultAt?.includes(estado)) return null;
    const { front, back } = sideNumbers(r);
    const number = front;
    const requested = r.dni ?? (s.requestedMismatch ? "00000000T" : "");
    return {
      Resultado: s.resultado,
      DNIAnverso: front,
      DNIReverso: back,
      AnversoReversoCoinciden: s.flags?.AnversoReversoCoinciden ?? "Si",
      DNISolicitado: requested,
      DNISolicitadoCoincide: s.requestedMismatch ? "No" : requested ? "Si" : "N/A",
      DNI: {
        Edad: s.dni?.Edad ?? 66,
        FechaNacimiento: s.dni?.FechaNacimiento ?? "18/12/1955",
        DNI: number,
        Nacionalidad: "ESP",
        Pais: "ESP",
        Nombre: s.dni?.Nombre ?? "APARICIO LOPEZ,JUAN",
        NumeroSerie: "BGHR56776",
        TipoDocumento: "ID-1",
        Sexo: "M",
        FechaExpira: s.dni?.FechaExpira ?? "19/10/2027",
        Caducado: s.dni?.Caducado ?? "No",
      },
      ProcesoRelizadoMismaPersona: s.flags?.ProcesoRelizadoMismaPersona ?? "Si",
      Barba: "No",
      Bigote: "No",
      GafasLectura: "No",
      GafasSol: "No",
      Sexo: "Hombre con probabilidad de 99.599784851074%",
      RangoAparenteEdad: "44-62",
      Dispositivo: "Android.v11-Chrome.v92.0.4515.131",
      ParecidoPersonaDNI: s.similarity,
      PruebaDeVida: s.flags?.PruebaDeVida ?? "Si",
    };
  }

  /** the doc's sample webhook shape: every value a string, nested data as JSON strings */
  function webhookPayload(r: SentRequest, estado: number, now: Date): Record<string, string> {
    const result = resultOf(r, estado);
    // "If it is already available at the time of this request": the front's number once the front
    // was shown (after 3002 "Request for front"), the back's once the back was (after 3003)
    const sides = sideNumbers(r);
    const front = estado >= 3003 && estado !== 5500 ? sides.front : result ? String(result.DNIAnverso ?? "") : "";
    const back = estado >= 5000 && estado !== 5500 ? sides.back : result ? String(result.DNIReverso ?? "") : "";
    return {
      Servicio: "VERIFICACION_IDENTIDAD",
      ID: r.id,
      FechaEnvio: spainTime(r.sentAt),
      Estado: String(estado),
      UltimaActualizacion: spainTime(now),
      Acceso: phpJson({ Fecha: spainTime(r.sentAt, true), IP: "85.10.20.221", Puerto: "11892" }),
      Telefono: r.telefono,
      DNIAnverso: front,
      DNIReverso: back,
      DNISolicitado: r.dni ?? "",
      Posicion: phpJson({
        Direccion: "C. de las calles, 8B, 28333 Madrid, Spain",
        Coordenadas: { Longitud: "-1.6592592", Latitud: "4.4577993", Altura: 75.70229058041491, Precision: 15.265999794006348 },
      }),
      Dispositivo: phpJson({ browser: "Chrome 92.0.4515.131", SysOp: "Android 11", displayResolution: "360 x 800" }),
      ...(result ? { Result: phpJson(result) } : {}),
    };
  }

  async function deliver(r: SentRequest, estado: number): Promise<{ delivered: boolean; status: number | null }> {
    const cfg = webhookConfigs.get(r.apiUser);
    if (!cfg) {
      log.info({ vendor: "verificaridentidad", id: r.id, estado }, "no webhook configured: status change not sent");
      return { delivered: false, status: null };
    }
    const payload = webhookPayload(r, estado, new Date());
    const headers: Record<string, string> = {};
    if (cfg.user || cfg.password) headers.Authorization = `Basic ${Buffer.from(`${cfg.user}:${cfg.password}`).toString("base64")}`;
    let body: string | FormData;
    if (cfg.format === "json") {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(payload);
    } else if (cfg.format === "form") {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(payload).toString();
    } else {
      const fd = new FormData();
      for (const [k, v] of Object.entries(payload)) fd.append(k, v);
      body = fd;
    }
    r.posted.push(estado);
    try {
      const res = await fetch(cfg.url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return { delivered: res.ok, status: res.status };
    } catch (e) {
      log.warn({ vendor: "verificaridentidad", id: r.id, estado, error: (e as Error).name }, "webhook delivery failed");
      return { delivered: false, status: null };
    }
  }

  /** "Date on which the sending ... is scheduled": the sequence begins at the scheduled time (setTimeout's limit is ~24.8 days: waits chain) */
  function schedule(r: SentRequest): void {
    if (!r.scheduled) return runSequence(r);
    const left = r.scheduled.at.getTime() - Date.now();
    if (left <= 0) return release(r);
    r.scheduled.timer = setTimeout(() => schedule(r), Math.min(left, 2 ** 31 - 1));
    r.scheduled.timer.unref();
  }

  /** the scheduled SMS goes out now (at its time, or by the control route) */
  function release(r: SentRequest): void {
    if (!r.scheduled) return;
    if (r.scheduled.timer) clearTimeout(r.scheduled.timer);
    r.scheduled = null;
    r.sentAt = new Date();
    runSequence(r);
  }

  function runSequence(r: SentRequest): void {
    const steps = [...SCENARIOS[r.scenario].sequence];
    const next = () => {
      const estado = steps.shift();
      if (estado === undefined) return;
      const delay = webhookConfigs.get(r.apiUser)?.stepDelayMs ?? DEFAULT_STEP_DELAY_MS;
      setTimeout(() => {
        void deliver(r, estado).finally(next);
      }, delay).unref();
    };
    next();
  }

  const vendor = express.Router();
  vendor.use(faults.middleware("verificaridentidad"));
  vendor.use(express.json({ limit: "1mb" }), express.urlencoded({ extended: false, limit: "1mb" }));

  const answer = (res: Response, p: Record<string, string>, body: Record<string, unknown>) => {
    // without Resp the old formats "omit" this version's variables, Cred among them
    if (!p.resp) delete body.Cred;
    res.status(200).json([body]);
  };

  vendor.post("/VerificarIdentidad", (req, res) => {
    const p = params(req);
    const apiUser = credentialsValid(req);
    if (!apiUser) return answer(res, p, { Res: -1 });
    const telefono = (p.telefono ?? "").replace(/^\+|^00/, "").replace(/[\s-]/g, "");
    const fail3 = (error: string) => answer(res, p, { Res: -3, Error: error, Cred: creditsOf(apiUser) });
    if (!telefono) return fail3("Telefono is required");
    if (!/^\d{8,15}$/.test(telefono)) return fail3("Telefono is not a valid mobile number");
    if (!p.mensaje?.includes("[LINK]")) return fail3("Mensaje must include the keyword [LINK]");
    if (p.remitente !== undefined && p.remitente.length > 11) return fail3("Remitente: maximum 11 characters");
    const fecha = p.fecha?.trim() ? fromSpainTime(p.fecha) : null;
    if (p.fecha?.trim() && !fecha) return fail3("Fecha: format Year-Month-day hour:minute (CET/CEST)");
    const scenario = SCENARIO_BY_PHONE[telefono] ?? "approved";
    const s: Scenario = SCENARIOS[scenario];
    const balance = creditsOf(apiUser);
    if (s.res !== undefined) return answer(res, p, { Res: s.res, Cred: balance });
    if (balance < 1) return answer(res, p, { Res: -2, Cred: balance });
    credits.set(apiUser, balance - 1);
    nextId += 1;
    const r: SentRequest = {
      id: String(nextId),
      apiUser,
      telefono,
      dni: p.dni?.trim() || null,
      scenario,
      // "By default "" which means send immediately"; a Fecha that already went by is sent now too
      sentAt: fecha && fecha.getTime() > Date.now() ? fecha : new Date(),
      scheduled: fecha && fecha.getTime() > Date.now() ? { at: fecha, timer: null } : null,
      posted: [],
    };
    requests.set(r.id, r);
    // the user "opens the link" as soon as the SMS is out: now, or at the scheduled Fecha
    schedule(r);
    answer(res, p, { Res: 1, ID: r.id, Cred: balance - 1 });
  });

  vendor.post("/GetCertificadoIdentidad", (req, res) => {
    const p = params(req);
    const apiUser = credentialsValid(req);
    if (!apiUser) return answer(res, p, { Res: -1 });
    const id = (p.id ?? "").trim();
    if (!/^\d+$/.test(id)) return answer(res, p, { Res: -3, Error: "Id is required" });
    const r = requests.get(id);
    if (!r || r.apiUser !== apiUser) return answer(res, p, { Res: -3, Error: "Unknown Id" });
    if (!r.posted.includes(5100)) return answer(res, p, { Res: -3, Error: "The verification has not been certified" });
    res
      .status(200)
      .type("application/pdf")
      .setHeader("Content-Disposition", `attachment; filename="certificado-${r.id}.pdf"`)
      .send(certificatePdf(r.id, new Date()));
  });

  vendor.post("/GetCreditos", (req, res) => {
    const p = params(req);
    const apiUser = credentialsValid(req);
    if (!apiUser) return answer(res, p, { Res: -1 });
    answer(res, p, { Res: 1, Cred: creditsOf(apiUser) });
  });

  // control routes parse their own JSON and sit outside the fault injection
  const control = express.Router();
  control.post("/_control/webhook-config", express.json(), (req, res) => {
    const parsed = WebhookConfigSchema.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
    webhookConfigs.set(parsed.data.apiUser, parsed.data);
    res.status(201).json({ ok: true, apiUser: parsed.data.apiUser, format: parsed.data.format, stepDelayMs: parsed.data.stepDelayMs });
  });
  control.post("/_control/replay", express.json(), async (req, res) => {
    const parsed = ReplaySchema.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
    const r = requests.get(parsed.data.id);
    if (!r) return res.status(404).json({ error: "unknown ID" });
    if (!webhookConfigs.has(r.apiUser)) return res.status(409).json({ error: "no webhook configured for this apiUser" });
    const result = await deliver(r, parsed.data.estado);
    res.status(200).json(result);
  });
  control.get("/_control/requests/:id", (req, res) => {
    const r = requests.get(req.params.id);
    if (!r) return res.status(404).json({ error: "unknown ID" });
    res.json({ id: r.id, scheduledFor: r.scheduled?.at.toISOString() ?? null, sentAt: r.sentAt.toISOString(), posted: r.posted });
  });
  control.post("/_control/send-scheduled", express.json(), (req, res) => {
    const parsed = z.object({ id: z.union([z.string(), z.number()]).transform(String) }).safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
    const r = requests.get(parsed.data.id);
    if (!r) return res.status(404).json({ error: "unknown ID" });
    if (!r.scheduled) return res.status(409).json({ error: "not a scheduled request, or already sent" });
    release(r);
    res.json({ ok: true, sentAt: r.sentAt.toISOString() });
  });
  control.post("/_control/credits", express.json(), (req, res) => {
    const parsed = CreditsSchema.safeParse(req.body ?? {});
    if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
    credits.set(parsed.data.apiUser, parsed.data.credits);
    res.status(200).json({ ok: true });
  });

  router.use(control);
  router.use(vendor);
  return router;
};

/** the sandbox mounts this at /verificaridentidad: src/sandbox/simulators.ts finds every folder's `simulator` */
export const simulator: SimulatorFactory = createVerificaridentidadSimulator;

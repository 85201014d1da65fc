// Zod schemas of VerificarIdentidad API 3.0 payloads, parsed defensively:
// extra fields are allowed, numbers may arrive as strings, and the nested
// `Result`/`Acceso`/`Posicion`/`Dispositivo` fields may be JSON strings or objects.
import { z } from "zod";
import { accountSettingsSchema } from "../kit/settings.js";

export const CredentialsSchema = z.object({
  apiUser: z.string().min(1),
  apiToken: z.string().min(1),
  webhookUser: z.string().min(1),
  webhookPassword: z.string().min(1),
});
export type Credentials = z.infer<typeof CredentialsSchema>;

export const SENDER_MAX_LENGTH = 11;

export const SettingsSchema = accountSettingsSchema({
  /** `Remitente` when the request names no `hosted.smsSender` ("Maximum 11 characters.") */
  defaultSender: z.string().min(1).max(SENDER_MAX_LENGTH).optional(),
  /** `Mensaje` when the request names no `hosted.smsMessage`; must contain [LINK] */
  defaultMessage: z.string().includes("[LINK]").optional(),
  /** below this many credits, operations get a `low_credits` account event */
  lowCreditsThreshold: z.number().int().min(0).default(50),
  /** the doc gives no life for the SMS link: past this, a user who never finished is `expired` (user_abandoned) */
  linkTtlHours: z.number().positive().default(72),
  /** country for phone numbers written without an international prefix */
  defaultPhoneCountry: z.string().length(2).default("ES"),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** Every parameter name the doc uses; incoming names in any case are mapped onto these. */
export const CANONICAL_NAMES = [
  // responses
  "Res",
  "ID",
  "Cred",
  "Error",
  // webhook
  "Servicio",
  "FechaEnvio",
  "Estado",
  "UltimaActualizacion",
  "Acceso",
  "Telefono",
  "DNIAnverso",
  "DNIReverso",
  "DNISolicitado",
  "Posicion",
  "Dispositivo",
  "Result",
  // Result
  "Resultado",
  "AnversoReversoCoinciden",
  "DNISolicitadoCoincide",
  "DNI",
  "ProcesoRelizadoMismaPersona",
  "Barba",
  "Bigote",
  "GafasLectura",
  "GafasSol",
  "Sexo",
  "RangoAparenteEdad",
  "ParecidoPersonaDNI",
  "PruebaDeVida",
  // Result.DNI
  "Edad",
  "FechaNacimiento",
  "Nacionalidad",
  "Pais",
  "Nombre",
  "NumeroSerie",
  "TipoDocumento",
  "FechaExpira",
  "Caducado",
] as const;

const CANONICAL_BY_LOWER = new Map<string, string>(CANONICAL_NAMES.map((n) => [n.toLowerCase(), n]));

/** "Parameter names are case-insensitive": rename known keys (at every depth) to the doc's spelling. */
export function canonicalKeys(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => canonicalKeys(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const name = CANONICAL_BY_LOWER.get(k.toLowerCase()) ?? k;
      if (!(name in out)) out[name] = canonicalKeys(v, depth + 1);
    }
    return out;
  }
  return value;
}

const emptyToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);

/** a number, or a string holding one ("93.957847595214844", "5001", "93,95") */
const numeric = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^[-+]?\d+(?:[.,]\d+)?$/)
    .transform((s) => Number(s.replace(",", "."))),
]);
const integer = numeric.pipe(z.number().int());
/** identifiers and texts that may arrive as numbers (`Telefono`, `ID`) */
const text = z.union([z.string(), z.number().transform(String)]);

const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());

/** a JSON object sent either as an object or as a JSON-encoded string (with `\/` escapes) */
function jsonObject<T extends z.ZodType>(schema: T) {
  return z.union([
    schema,
    z
      .string()
      .transform((s, ctx) => {
        try {
          return canonicalKeys(JSON.parse(s));
        } catch {
          ctx.addIssue({ code: "custom", message: "not a JSON string" });
          return z.NEVER;
        }
      })
      .pipe(schema),
  ]);
}

export const SendResultSchema = z.looseObject({
  Res: integer,
  ID: optional(text),
  Cred: optional(numeric),
  /** "-3 ... you will obtain an additional parameter called Error with the description of the error" */
  Error: optional(z.string()),
});
export type SendResult = z.infer<typeof SendResultSchema>;

/** "Response Schema: Array": the answer is a one-element array; a bare object is accepted too. */
export const SendResponseSchema = z.union([z.array(SendResultSchema).min(1), SendResultSchema]).transform((x) => (Array.isArray(x) ? x[0]! : x));

export const CreditsResponseSchema = SendResponseSchema;

export const DniSchema = z.looseObject({
  Edad: optional(numeric),
  FechaNacimiento: optional(text),
  DNI: optional(text),
  Nacionalidad: optional(z.string()),
  Pais: optional(z.string()),
  Nombre: optional(z.string()),
  NumeroSerie: optional(text),
  TipoDocumento: optional(z.string()),
  Sexo: optional(z.string()),
  FechaExpira: optional(text),
  Caducado: optional(z.string()),
});
export type Dni = z.infer<typeof DniSchema>;

export const ResultSchema = z.looseObject({
  Resultado: optional(numeric),
  DNIAnverso: optional(text),
  DNIReverso: optional(text),
  AnversoReversoCoinciden: optional(z.string()),
  DNISolicitado: optional(text),
  DNISolicitadoCoincide: optional(z.string()),
  DNI: optional(jsonObject(DniSchema)),
  ProcesoRelizadoMismaPersona: optional(z.string()),
  Sexo: optional(z.string()),
  RangoAparenteEdad: optional(z.string()),
  ParecidoPersonaDNI: optional(numeric),
  PruebaDeVida: optional(z.string()),
  /** "Dispositivo : Summary of the device used." */
  Dispositivo: optional(z.string()),
});
export type Result = z.infer<typeof ResultSchema>;

/** Acceso, Posicion, Dispositivo: informative only, so a value that does not parse is kept as sent. */
const informative = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}, z.unknown());

export const SERVICE_IDENTITY = "VERIFICACION_IDENTIDAD";

export const WebhookSchema = z.looseObject({
  Servicio: optional(z.string()),
  ID: text.pipe(z.string().trim().min(1)),
  FechaEnvio: optional(text),
  Estado: integer,
  UltimaActualizacion: optional(text),
  Acceso: optional(informative),
  Telefono: optional(text),
  DNIAnverso: optional(text),
  DNIReverso: optional(text),
  DNISolicitado: optional(text),
  Posicion: optional(informative),
  Dispositivo: optional(informative),
  /**
   * kept as sent and read by `readResult` (outcome.ts): a Result that is missing or does not parse
   * must not stop the Estado (a 5100/5500 still decides), so it is no part of the envelope's schema
   */
  Result: z.unknown().optional(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

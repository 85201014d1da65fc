// IWS payload schemas, parsed defensively: unknown fields pass, numbers may arrive as strings,
// and the body text itself is repaired before JSON.parse because the doc's own samples are not
// all JSON: `"score": 0,12345` (decimal comma, then no comma before the next key) on
// /api/v1/face/as and /api/v1/secure/face/as, and `"matchHighestSecurityLevelReached": HIGHEST`
// (a bare word) on the match endpoints.
import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import type { VendorError } from "../../domain/errors.js";
import { vendorErrorFor } from "../kit/http.js";
import { DEFAULT_LIVENESS_LEVEL, DEFAULT_MATCH_LEVEL, LIVENESS_LEVELS, MATCH_REQUEST_LEVELS } from "./mapping.js";
import { accountSettingsSchema, parseStrict } from "../kit/settings.js";
import { CAPTURE_DEVICES, IWS_HARDWARE, THROUGHPUT_KEYS, type ThroughputKey } from "./mapping.js";

/** a VendorError of IDENTY (the folder's lowest module: client.ts and outcome.ts take it from here) */
export const vendorError = vendorErrorFor("identy");

// ---------------------------------------------------------------- credentials and settings

export const IdentyCredentialsSchema = z
  .object({
    /** PEM (PKCS#8 or PKCS#1) RSA private key matching the IWS TEMPLATE_ENCRYPTION_KEY */
    templatePrivateKey: z
      .string()
      .optional()
      .refine(
        (pem) => {
          if (pem === undefined) return true;
          try {
            return createPrivateKey(pem).asymmetricKeyType === "rsa";
          } catch {
            return false;
          }
        },
        // never echo the value: it is a secret
        { message: "templatePrivateKey must be an RSA private key in PEM" },
      )
      // only for an IWS that encrypts its templates: not in the console's starting template
      .meta({ advanced: true }),
  })
  .strict();
export type IdentyCredentials = z.infer<typeof IdentyCredentialsSchema>;

const rps = z.number().positive().max(10_000);

/**
 * Account settings, validated strictly: an unknown key is refused with its path (parseIdentySettings), never
 * dropped (a dropped `maxRetries` once made the core fall back to its own default and resend BLOBs).
 */
export const IdentySettingsSchema = accountSettingsSchema({
  /** the liveness level a capture must reach (as_highest_security_level_reached >= this); also picks the /process throughput row */
  livenessLevel: z.enum(LIVENESS_LEVELS).default(DEFAULT_LIVENESS_LEVEL),
  /** the `level` sent to the match endpoints */
  matchLevel: z.enum(MATCH_REQUEST_LEVELS).default(DEFAULT_MATCH_LEVEL),
  /** calls in flight per account, across every gateway process (Redis); beside the rate below */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * retries of a call that failed technically (5xx, timeout), read by the core. A call that carries the user's
   * BLOB (/process, /verifyWithPictureId) is never resent unless resendBlob: each one is a billed IWS transaction
   * (release notes: "simplifying reconciliation of billed transactions") on a server that may be the one overloaded.
   */
  maxRetries: z.number().int().min(0).max(5).default(2),
  /** allow the retries above on the BLOB endpoints too (default off: "queue rather than overload") */
  resendBlob: z.boolean().default(false),
  /** the IWS's hardware: a column of the file's throughput tables ("4 cores/8 GB RAM" ... "32 cores", or one GPU) */
  hardware: z.enum(IWS_HARDWARE).default("cpu-4"),
  /** the device the users capture on ("(Mobile / Desktop)" columns of /process); `either`: the slower */
  captureDevice: z.enum(CAPTURE_DEVICES).default("either"),
  /** measured requests per second by call, replacing the table's figure for the declared hardware */
  throughput: z
    .strictObject(Object.fromEntries(THROUGHPUT_KEYS.map((k) => [k, rps.optional()])) as Record<ThroughputKey, z.ZodOptional<typeof rps>>)
    .optional(),
  /** life of the SDK proxy link handed out with `identy_capture` */
  captureTtlSeconds: z.number().int().min(60).max(86_400).default(900),
  /**
   * which endpoint checks liveness on a Web SDK BLOB when no face match is asked for: /process only. The file's
   * /api/v1/secure/face/as takes "The encrypted response returned by the native Face SDK" (release 710.611: "allowing
   * the Native SDKs to send liveness requests"), not the Face Web SDK's BLOB that faceCapture.identyBlob carries.
   */
  blobLivenessEndpoint: z.enum(["process"]).default("process"),
  /**
   * BLOB + document portrait: /process (its as_highest_security_level_reached checked against livenessLevel) then
   * /matchWithPictureId with the captured template (the default), or one /verifyWithPictureId call, whose answer
   * carries no liveness level: liveness is then a pass only against a livenessLevel of LOW, otherwise inconclusive
   */
  blobMatchFlow: z.enum(["verifyWithPictureId", "process_then_match"]).default("process_then_match"),
  /** the `LogAPITrigger: true` header ("include the `LogAPITrigger: true` header in each endpoint request") */
  logApiTrigger: z.boolean().default(true),
  /** /process `enableQuality` ("If not informed on the request, it is defaulted to True") */
  enableQuality: z.boolean().default(true),
  /** Referer sent to the IWS (it answers 501 "Referer header not found" without one); default: the gateway's public URL */
  referer: z.string().url().optional(),
  /** a selfie with several faces: the IWS matches "the most prominent one"; we decline, ask for review or ignore */
  multipleFaces: z.enum(["decline", "review", "ignore"]).default("review"),
  /** per-call timeout; /process at HIGHEST on 4 cores runs at 0.27 requests/s */
  timeoutMs: z.number().int().min(1_000).max(120_000).default(30_000),
});
export type IdentySettings = z.infer<typeof IdentySettingsSchema>;

/**
 * IdentySettingsSchema.parse, with each unknown key reported at its own path (`throughput.proces`), not at
 * the object holding it: the admin API answers `$.settings.throughput.proces`.
 */
export function parseIdentySettings(input: unknown): IdentySettings {
  return parseStrict(IdentySettingsSchema, input ?? {});
}

// ---------------------------------------------------------------- tolerant body reading

/** Repairs the doc's known non-JSON shapes. Applied only after JSON.parse failed. */
export function repairIwsJson(text: string): string {
  // work on a skeleton where every string literal is a numbered placeholder, so that nothing
  // inside a string (a description, base64) is ever rewritten
  const strings: string[] = [];
  let t = text.trim().replace(/"(?:[^"\\\r\n]|\\.)*"/g, (m) => {
    strings.push(m);
    return `"${strings.length - 1}"`;
  });
  // `"score": 0,12345` -> `"score": 0.12345`: a digit after `<number>,` can never start a JSON key
  t = t.replace(/(:\s*-?\d+),(\d+)(?=\s*[,}\]\r\n])/g, "$1.$2");
  // `"matchHighestSecurityLevelReached": HIGHEST` -> quoted (true/false/null are lowercase and untouched)
  t = t.replace(/(:\s*)([A-Z][A-Z0-9_]*)(?=\s*[,}\]\r\n])/g, '$1"$2"');
  // a value at a line end followed by a key on the next line without the comma between them
  t = t.replace(/([0-9"}\]]|true|false|null)([ \t]*\r?\n\s*)(?=")/g, "$1,$2");
  // trailing commas
  t = t.replace(/,(\s*[}\]])/g, "$1");
  // samples whose opening brace was lost (`"code": 200, ... }`)
  if (!t.startsWith("{") && !t.startsWith("[") && t.endsWith("}") && /^"\d+"\s*:/.test(t)) t = `{${t}`;
  return t.replace(/"(\d+)"/g, (m, i: string) => strings[Number(i)] ?? m);
}

export type ReadResult = { ok: true; value: unknown; repaired: boolean } | { ok: false };

export function readIwsBody(text: string): ReadResult {
  if (!text.trim()) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text), repaired: false };
  } catch {
    // fall through to the repair
  }
  try {
    return { ok: true, value: JSON.parse(repairIwsJson(text)), repaired: true };
  } catch {
    return { ok: false };
  }
}

/** The body as JSON or a VendorError of kind "parse" (reason vendor_error), never a crash. */
export function parseIwsBody(text: string, endpoint: string, httpStatus: number): unknown {
  const r = readIwsBody(text);
  if (!r.ok)
    throw vendorError({
      kind: "parse",
      endpoint,
      httpStatus,
      retryable: false,
      message: `IWS ${endpoint} answered a body that is not readable JSON (${text.length} chars)`,
    });
  return r.value;
}

export function schemaError(endpoint: string, httpStatus: number | null, issues: z.core.$ZodIssue[]): VendorError {
  // paths only: values may be personal
  const where = issues
    .slice(0, 3)
    .map((i) => i.path.join(".") || "(root)")
    .join(", ");
  return vendorError({
    kind: "parse",
    endpoint,
    httpStatus,
    retryable: false,
    message: `IWS ${endpoint} answer does not have the documented shape (at ${where})`,
  });
}

// ---------------------------------------------------------------- payload schemas

const num = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+([.,]\d+)?([eE][-+]?\d+)?$/)
    .transform((s) => Number(s.replace(",", "."))),
]);
const bool = z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")]);
const level = z.string().trim().toUpperCase();

/** What every IWS answer may carry to say what happened. */
export const IwsEnvelopeSchema = z.looseObject({
  code: num.optional(),
  // the /face/as family answers `"error": 0` on success
  error: z.union([num, z.string()]).optional(),
  message: z.string().optional(),
  feedbackCode: z.string().optional(),
  refid: z.string().optional(),
  description: z.string().optional(),
  // "JUST for captures detected as spoof ... true if the image quality is good"
  quality: z.union([bool, z.looseObject({})]).optional(),
});
export type IwsEnvelope = z.infer<typeof IwsEnvelopeSchema>;

export const EncryptedTemplateSchema = z.looseObject({
  data: z.string(),
  /** RSA-OAEP wrapped AES key (the Java sample's keyB) */
  key1: z.string(),
  /** RSA-OAEP wrapped GCM IV: "byte[] ivB = Base64.getDecoder().decode(output.getKey2())" */
  key2: z.string(),
});

export const ProcessSuccessSchema = z.looseObject({
  refid: z.string().optional(),
  code: num,
  message: z.string().optional(),
  data: z.looseObject({
    as_highest_security_level_reached: level.nullable().optional(),
    spoof_score: z.array(num).optional(),
    width: num.optional(),
    height: num.optional(),
    quality: z
      .looseObject({
        quality_metric: num.optional(),
        qc_passed: bool.optional(),
        eyes_status: z.string().optional(),
      })
      .optional(),
    templates: z.record(z.string(), z.string()).optional(),
    encrypted_templates: z.record(z.string(), EncryptedTemplateSchema).optional(),
  }),
  icao_data: z
    .looseObject({
      multiple_faces: bool.optional(),
      is_compliant: bool.optional(),
    })
    .optional(),
});
export type ProcessSuccess = z.infer<typeof ProcessSuccessSchema>;

export const MatchResponseSchema = z.looseObject({
  code: num,
  feedbackCode: z.string().optional(),
  refid: z.string().optional(),
  score: num.optional(),
  similarityScore: num.optional(),
  possibleMatch: bool.optional(),
  multipleFacesImage: bool.optional(),
  multipleFacesImageToVerifyAgainst: bool.optional(),
  matchHighestSecurityLevelReached: level.nullable().optional(),
  // not in the doc's verifyWithPictureId sample; honoured when an IWS sends it
  as_highest_security_level_reached: level.nullable().optional(),
});
export type MatchResponse = z.infer<typeof MatchResponseSchema>;

export const AsResponseSchema = z.looseObject({
  as_highest_security_level_reached: level.nullable().optional(),
  is_spoof: bool,
  score: num.optional(),
  error: z.union([num, z.string()]).optional(),
  refid: z.string().optional(),
});
export type AsResponse = z.infer<typeof AsResponseSchema>;

// zod schemas of ShareID's payloads and of a ShareID vendor account's credentials and settings.
// The result is parsed defensively: unknown extra fields are allowed, "" and null mean "absent".
import { z } from "zod";
import { accountSettingsSchema } from "../kit/settings.js";

export const ShareidCredentialsSchema = z.object({
  apiKey: z.string().min(1),
  businessHash: z.string().min(1),
});
export type ShareidCredentials = z.infer<typeof ShareidCredentialsSchema>;

export const SHAREID_DEFAULT_PATH = "/flow/authenticity/photo";

/**
 * The doc gives no processing time; a slow analysis is ShareID's to end ("if there's a timeout in the
 * request the http code will be 408"). Ours: a minute for an upload of up to 10 MB and its analysis.
 */
export const SHAREID_DEFAULT_TIMEOUT_MS = 60_000;

export const ShareidSettingsSchema = accountSettingsSchema({
  /** the doc's "{API}/flow/authenticity/photo" */
  path: z.string().startsWith("/").default(SHAREID_DEFAULT_PATH),
  /** the call waits for the analysis ("As soon as the request processing is finished, you will receive an http code 200") */
  timeoutMs: z.number().int().min(1_000).max(300_000).default(SHAREID_DEFAULT_TIMEOUT_MS),
  /**
   * Send the whole upload again (up to maxRetries times) after a timeout, a 408, a 429 or a 5xx.
   * Off by default: after a timeout on our side ShareID may still be analysing (and billing) the
   * first upload, and nothing in the doc lets a second one be recognised as the same request.
   */
  resendUpload: z.boolean().default(false),
});
export type ShareidSettings = z.infer<typeof ShareidSettingsSchema>;

/** The `data` part of the request ("a json encoded object with those properties"). */
export const ShareidRequestDataSchema = z.object({
  api_key: z.string().min(1),
  business_hash: z.string().min(1),
  doc_type: z.enum(["id_card", "passport", "driver_permit", "residency_permit"]).optional(),
  country_code: z
    .string()
    .regex(/^[a-z]{2}$/)
    .optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  tags: z.array(z.string().regex(/^[a-z0-9_]{4,16}$/)).optional(),
});
export type ShareidRequestData = z.infer<typeof ShareidRequestDataSchema>;

const optionalText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined || String(v).trim() === "" ? null : String(v).trim()));

const booleanish = z.union([z.boolean(), z.enum(["true", "false", "True", "False", "TRUE", "FALSE"]).transform((v) => v.toLowerCase() === "true")]);

/** `security`: "detailed security checks", true / false / null ("Not verified"). */
const securityValue = z.unknown().transform((v): boolean | null => {
  const b = booleanish.safeParse(v);
  return b.success ? b.data : null;
});

/** An empty `ocr` / `security` may come as {} or, from some serializers, as [] or null. */
const objectOrEmpty = <T extends z.ZodType>(value: T) =>
  z
    .union([z.record(z.string(), value), z.array(z.unknown()).transform(() => ({})), z.null().transform(() => ({}))])
    .optional()
    .transform((v) => (v ?? {}) as Record<string, z.output<T>>);

/**
 * `reason`: "If verdict is false, this will indicate the reasons of the rejection"; a string, possibly
 * "". Kept as sent: a list (not documented, tolerated) stays a list, never joined with a separator.
 */
const reasonField = z
  .union([z.string(), z.array(z.string()), z.null()])
  .optional()
  .transform((v): string | string[] => v ?? "");

export const ShareidResultSchema = z.looseObject({
  doc_type: optionalText,
  country_code: optionalText,
  doc_model: optionalText,
  ocr: objectOrEmpty(z.unknown()),
  security: objectOrEmpty(securityValue),
  reason: reasonField,
  // not in the documented result shape, only in the "Reasons" table as "informational": kept if sent
  reason_id: z.unknown().optional(),
  verdict: booleanish,
  flow_id: optionalText,
});
export type ShareidResult = z.infer<typeof ShareidResultSchema>;

/**
 * JSON.parse, then a tolerant second try: the doc's own sample is not valid JSON
 * (`"printing_technique": False,` and `"integrated_photo": null, //Not verified`), so
 * Python literals (True/False/None) and `//` comments outside strings are rewritten.
 * Returns undefined when the text is not JSON even then.
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // fall through to the tolerant pass
  }
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      const word = text.slice(i, j);
      out += word === "True" ? "true" : word === "False" ? "false" : word === "None" ? "null" : word;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  try {
    return JSON.parse(out);
  } catch {
    return undefined;
  }
}

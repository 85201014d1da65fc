// zod schemas of Identomat's payloads (../shared/vendors/identomat.txt), parsed defensively:
// unknown extra fields are allowed, every documented member is optional where the
// doc says so ("Every member is optional" for `person`, "Can be null" for `reject_reason`).
import { z } from "zod";
import { accountSettingsSchema } from "../kit/settings.js";

/** Vendor account credentials (DESIGN.md: identomat `{ companyKey, secretKey? }`). */
export const IdentomatCredentialsSchema = z.object({
  companyKey: z.string().min(1),
  /** the HMAC key ("The secret_key is the encryption key used with HMAC") */
  secretKey: z.string().min(1).optional(),
});
export type IdentomatCredentials = z.infer<typeof IdentomatCredentialsSchema>;

export const DEFAULT_BASE_URL = "https://widget.identomat.com";
export const DEFAULT_POLL_SCHEDULE_SECONDS = [5, 10, 20, 30, 60] as const;

/** Vendor account settings: all optional with defaults. */
export const IdentomatSettingsSchema = accountSettingsSchema({
  /** where the end user is sent; defaults to the account's baseUrl (the API and the widget share the host widget.identomat.com) */
  widgetUrl: z.string().url().optional(),
  beginPath: z.string().min(1).default("/external-api/begin/"),
  resultPath: z.string().min(1).default("/external-api/result/"),
  deletePath: z.string().min(1).default("/external-api/delete/"),
  /** account-wide `flags` merged under the flags built from each request */
  flags: z.record(z.string(), z.unknown()).default({}),
  /**
   * optional custom `steps` array sent with every session ("Company server can also provide a
   * custom steps object as an argument"). Per account only: the tenant API's create request
   * (../shared/DESIGN.md "Tenant API", names fixed) has no field that could carry it per verification.
   */
  steps: z.array(z.record(z.string(), z.unknown())).optional(),
  /** optional predefined configuration (`config_id` of Identomat's API reference) */
  configId: z.string().min(1).optional(),
  /** delays between result polls, by poll number; the last one repeats */
  pollScheduleSeconds: z
    .array(z.number().positive())
    .min(1)
    .default([...DEFAULT_POLL_SCHEDULE_SECONDS]),
  /** per-account poll budget shared by every session being polled */
  maxPollsPerMinute: z.number().int().positive().default(60),
  /** how long a session_token lives at Identomat ("valid for 15 minutes by default") */
  sessionTtlMinutes: z.number().positive().default(15),
  /** grace after the token's life before an unfinished session is called abandoned */
  expiryMarginMinutes: z.number().min(0).default(5),
  /**
   * DEPRECATED, accepted for compatibility and ignored: it used to fail the face match below it,
   * overriding the vendor's verdict. The vendor's decision stands; a tenant's minimum similarity
   * is the core decision policy's `minimumFaceSimilarity` (which can at most send to review).
   */
  similarityThreshold: z.number().min(0).max(1).optional(),
  /** a failed poll (vendor down, circuit open, unreadable answer) is retried with backoff up to this, until the session's deadline */
  pollBackoffMaxSeconds: z.number().positive().default(60),
  /** slower polling of a MANUAL_CHECK session until the vendor's operator settles it */
  manualCheckPollSeconds: z.number().positive().default(600),
  /** with a secretKey: refuse successful answers that carry no signature */
  requireAnswerSignature: z.boolean().default(false),
});
export type IdentomatSettings = z.infer<typeof IdentomatSettingsSchema>;

/**
 * begin/ answer. Identomat's API reference shows the token as a bare JSON string
 * (`"47fjzxvvzapi4ztasth3c2ozfucli3l0qx13hisc"`); an object carrying `session_token` is
 * also accepted.
 */
export const BeginAnswerSchema = z.union([z.string().min(1), z.looseObject({ session_token: z.string().min(1) }).transform((o) => o.session_token)]);

/** Strings, or numbers some deployments send for numeric-looking fields. */
const text = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .nullish();

export const PersonSchema = z.looseObject({
  local_first_name: text,
  local_last_name: text,
  first_name: text,
  last_name: text,
  birthday: text,
  birthday_time: text,
  age: z.number().nullish(),
  birth_place: text,
  citizenship: text,
  nationality: text,
  document_number: text,
  document_issued: text,
  document_expires: text,
  document_expires_time: text,
  personal_number: text,
  authority: text,
  issuing_state: text,
  sex: text,
  address: text,
  email: text,
  phone: text,
  status: text,
});
export type IdentomatPerson = z.infer<typeof PersonSchema>;

export const RejectReasonSchema = z.looseObject({
  value: text,
  description: text,
});

/** result/ answer ("It returns a JSON document containing all the information about the user"). */
export const ResultAnswerSchema = z.looseObject({
  result: z.string().min(1),
  live: z.boolean().nullish(),
  similarity: z.number().nullish(),
  document_type: text,
  generalDocuments: z.array(z.unknown()).nullish(),
  reject_reason: RejectReasonSchema.nullish(),
  person: PersonSchema.nullish(),
  configId: text,
  trustedDatabaseRecord: z.unknown().optional(),
  result_comment: text,
  /**
   * "In case of the session having the questionnaire this object will return array containing
   * answers" and "In case of the session having screening matches this object will return array
   * containing those matches": no place in the checks (they describe neither the document nor the
   * capture), so they are kept as answered in the stored vendor payload (poll records the answer
   * as received); read loosely so a shape the file does not spell out never fails a result.
   */
  questionnaires: z.array(z.unknown()).nullish(),
  screeningMatches: z.array(z.unknown()).nullish(),
});
export type IdentomatResultAnswer = z.infer<typeof ResultAnswerSchema>;

/**
 * delete/ answer: "a JSON document containing all the information about the deleted session",
 * or the error code SESSION_NOT_FOUND / SESSION_INVALID.
 */
export const DeleteAnswerSchema = z.union([z.string().min(1), z.looseObject({ result: z.string().optional() })]);

/** An error answer: a bare JSON string holding the code (as the doc names SESSION_NOT_FOUND), or `{ error }`. */
export const ErrorAnswerSchema = z.union([
  z.string().regex(/^[A-Z][A-Z0-9_]+$/),
  z.looseObject({ error: z.string().regex(/^[A-Z][A-Z0-9_]+$/) }).transform((o) => o.error),
]);

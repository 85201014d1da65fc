// DMS IDVerifr + LiveVerifr payloads (zod), parsed defensively: extra fields are kept,
// optional fields may be missing or null. Source: ../shared/vendors/dms-idverifr-liveverifr.txt.
import { z } from "zod";
import { accountSettingsSchema } from "../kit/settings.js";

// ---------- account configuration ----------

export const DmsCredentialsSchema = z.object({
  apiKey: z.string().min(1),
  /**
   * "Each endpoint can hold two signing secrets simultaneously — a primary and a staged rollover."
   * Only for an account that receives DMS's account webhooks ("Configure endpoints in Webhooks":
   * an account may have none); without a secret every webhook to the account is refused.
   */
  webhookSecrets: z.array(z.string().min(1)).min(1).max(2).optional(),
  /**
   * The staged rollover secret ("Promote the staged secret to primary from the backoffice once
   * you're done"): accepted beside webhookSecrets while staged. Rotation through
   * PATCH /admin/vendor-accounts/:id: stage `{ credentials: { webhookSecretNext } }` when DMS stages
   * it; once promoted at DMS, `{ credentials: { webhookSecrets: [<new>], webhookSecretNext: null } }`.
   */
  webhookSecretNext: z.string().min(1).optional().meta({ advanced: true }),
});
export type DmsCredentials = z.infer<typeof DmsCredentialsSchema>;

/** "" (no prefix) or "/segment[/segment...]" without a trailing slash. */
const PathPrefix = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, "a path prefix such as /idcard_recognition_v2, or an empty string")
  .transform((p) => p.replace(/\/+$/, ""));

export const DmsSettingsSchema = accountSettingsSchema({
  // "IDVerifr is served under /idcard_recognition_v2 and LiveVerifr under /v1/livecheck."
  // The quickstart and curl examples call the same endpoints without these prefixes: set "" then.
  idverifrPrefix: PathPrefix.default("/idcard_recognition_v2"),
  liveverifrPrefix: PathPrefix.default("/v1/livecheck"),
  /** document recognition runs a four-stage OCR pipeline: allow it more time than the face calls */
  idverifrTimeoutMs: z.number().int().min(1_000).max(120_000).default(30_000),
  liveverifrTimeoutMs: z.number().int().min(1_000).max(120_000).default(15_000),
  /** "Face quality score 0–1. Reject below 0.5 in production." */
  minFaceQuality: z.number().min(0).max(1).default(0.5),
});
export type DmsSettings = z.infer<typeof DmsSettingsSchema>;

// ---------- IDVerifr ----------

const optionalString = z.string().nullable().optional();

export const DmsFraudCheckSchema = z.looseObject({
  Result: z.string().min(1),
  Checks: z.array(z.string()).nullable().optional(),
});

/** Response of idcard_recognition_base64 (and, by assumption, of its _multi_page variant). */
export const DmsDocumentResponseSchema = z.looseObject({
  DocumentType: optionalString,
  IssuingCountry: optionalString,
  Surname: optionalString,
  GivenNames: optionalString,
  DateOfBirth: optionalString,
  DateOfExpiry: optionalString,
  DocumentNumber: optionalString,
  Sex: optionalString,
  Nationality: optionalString,
  Portrait: optionalString,
  OcrProvider: optionalString,
  // "Every response includes all key fields, the portrait photo, and a fraud assessment."
  FraudCheck: DmsFraudCheckSchema,
});
export type DmsDocumentResponse = z.infer<typeof DmsDocumentResponseSchema>;

// ---------- LiveVerifr ----------

export const DmsFaceSchema = z.looseObject({
  liveness: z.string().nullable().optional(),
  quality: z.number().nullable().optional(),
  template: z.string().nullable().optional(),
});
export type DmsFace = z.infer<typeof DmsFaceSchema>;

export const DmsFaceDetectionResponseSchema = z.looseObject({
  face_count: z.number().int().min(0),
  faces: z.array(DmsFaceSchema).default([]),
});
export type DmsFaceDetectionResponse = z.infer<typeof DmsFaceDetectionResponseSchema>;

/**
 * The doc lists template_extraction but shows no response. The sandbox answers like
 * face_detection (`face_count` + `faces[].template`); a bare `{ "template": "..." }` is accepted too.
 */
export const DmsTemplateResponseSchema = z.looseObject({
  face_count: z.number().int().min(0).optional(),
  faces: z.array(DmsFaceSchema).optional(),
  template: z.string().nullable().optional(),
});
export type DmsTemplateResponse = z.infer<typeof DmsTemplateResponseSchema>;

export const DmsFaceVerifyResponseSchema = z.looseObject({
  similarity: z.number().nullable().optional(),
  match: z.boolean(),
  threshold: z.number().nullable().optional(),
});
export type DmsFaceVerifyResponse = z.infer<typeof DmsFaceVerifyResponseSchema>;

// ---------- account webhooks ----------

/**
 * "The top-level event discriminator tells you which schema applies; all deliveries also include
 * deliveryId and timestamp". Only the envelope is checked; every other field is kept as sent.
 */
export const DmsWebhookSchema = z.looseObject({
  event: z.string().min(1),
  deliveryId: z.string().min(1).optional(),
  timestamp: z.string().optional(),
  /** on `retry`: "the original delivery id in originalExecutionId" */
  originalExecutionId: z.string().optional(),
});
export type DmsWebhook = z.infer<typeof DmsWebhookSchema>;

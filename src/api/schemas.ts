// Request schemas of the public API (the source of /openapi.json with the model).
import { isValidPhoneNumber } from "libphonenumber-js";
import { isAlpha2 } from "../domain/countries.js";
import { toIsoDate } from "../domain/dates.js";
import { CheckNameSchema, DocumentTypeSchema } from "../domain/model.js";
import { RegisteredVendorSchema } from "../adapters/registry.js";
import { z } from "../domain/zod.js";
import { ACCEPTED_IMAGE_TYPES } from "./images.js";

const isoDate = z.string().refine((v) => toIsoDate(v) === v, "a real date as YYYY-MM-DD");

export const ImageSchema = z.object({
  side: z.enum(["front", "back", "single"]).optional(),
  contentType: z.enum(ACCEPTED_IMAGE_TYPES),
  data: z.string().min(1).openapi({ description: "base64 of the image bytes" }),
});

export const CreateVerificationSchema = z
  .object({
    reference: z.string().min(1).max(200).optional(),
    checks: z
      .array(CheckNameSchema)
      .min(1)
      .refine((c) => new Set(c).size === c.length, "checks must not repeat"),
    vendor: RegisteredVendorSchema.optional(),
    subject: z
      .object({
        firstName: z.string().min(1).max(200).optional(),
        lastName: z.string().min(1).max(200).optional(),
        dateOfBirth: isoDate.optional(),
        phone: z
          .string()
          .refine((p) => isValidPhoneNumber(p), "an international phone number, e.g. +34600000001")
          .optional(),
        email: z.string().email().optional(),
        documentNumber: z.string().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
    document: z
      .object({
        type: DocumentTypeSchema.optional(),
        country: z.string().refine(isAlpha2, "an ISO 3166-1 alpha-2 country code, e.g. ES").optional(),
        images: z.array(ImageSchema).max(4).default([]),
      })
      .strict()
      .optional(),
    selfie: ImageSchema.omit({ side: true }).optional(),
    faceCapture: z
      .object({ identyBlob: z.string().min(1) })
      .strict()
      .optional(),
    hosted: z
      .object({
        returnUrl: z.string().url().optional(),
        language: z.string().min(2).max(8).optional(),
        smsMessage: z.string().min(1).max(480).optional(),
        smsSender: z.string().min(1).max(32).optional(),
        /** when to send the SMS (VerificarIdentidad `Fecha`), ISO 8601 with an offset */
        sendAt: z.string().datetime({ offset: true }).optional(),
      })
      .strict()
      .optional(),
    tags: z.array(z.string().max(64)).max(20).optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((m) => JSON.stringify(m).length <= 8192, "at most 8 KB of JSON")
      .optional(),
  })
  .strict()
  .openapi("CreateVerification");
export type CreateVerificationBody = z.infer<typeof CreateVerificationSchema>;

/** POST /v1/verifications/:id/retake: new input after a user-fixable outcome (the create body's document, selfie, faceCapture). */
export const RetakeSchema = CreateVerificationSchema.pick({ document: true, selfie: true, faceCapture: true })
  .strict()
  .refine((b) => Boolean(b.document?.images.length || b.selfie || b.faceCapture), {
    message: "send new document images, a selfie or a faceCapture",
    path: ["document"],
  })
  .openapi("Retake");

export const CaptureSchema = z
  .object({ identyBlob: z.string().min(1) })
  .strict()
  .openapi("Capture");

export const ListQuerySchema = z.object({
  reference: z.string().max(200).optional(),
  status: z.enum(["pending", "awaiting_user", "processing", "completed", "failed", "expired", "cancelled"]).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const CreateWebhookEndpointSchema = z
  .object({
    url: z.string().url(),
    events: z.array(z.enum(["verification.updated", "verification.completed", "verification.failed"])).optional(),
  })
  .strict()
  .openapi("CreateWebhookEndpoint");

export const CreateTenantSchema = z
  .object({ name: z.string().min(1).max(200) })
  .strict()
  .openapi("CreateTenant");

/**
 * A vendor's base URL: http(s) only, no credentials, query or fragment. Paths are appended to it
 * (a base ending in `?x=` would turn the IDENTY SDK proxy into a read-anything proxy).
 */
export const VendorBaseUrlSchema = z
  .string()
  .url()
  .superRefine((raw, ctx) => {
    // zod's refinements run after a failed check too: a string .url() refused must not throw here (a 500)
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL" });
      return;
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") ctx.addIssue({ code: "custom", message: "must use https (or http)" });
    if (u.username || u.password) ctx.addIssue({ code: "custom", message: "must not carry credentials" });
    if (u.search || raw.includes("?")) ctx.addIssue({ code: "custom", message: "must not have a query string" });
    if (u.hash || raw.includes("#")) ctx.addIssue({ code: "custom", message: "must not have a fragment" });
  });

export const CreateVendorAccountSchema = z
  .object({
    vendor: RegisteredVendorSchema,
    name: z.string().min(1).max(200),
    baseUrl: VendorBaseUrlSchema.optional(),
    credentials: z.record(z.string(), z.unknown()),
    settings: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .openapi("CreateVendorAccount");

/** PATCH /admin/vendor-accounts/:id: credentials and settings merged key by key (null removes a key), then validated whole. */
export const UpdateVendorAccountSchema = z
  .object({
    credentials: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "keys to set (null removes one); the others are kept. DMS rotation: stage `webhookSecretNext`, then promote with `webhookSecrets: [<new>]` and `webhookSecretNext: null`",
    }),
    settings: z.record(z.string(), z.unknown()).optional().openapi({ description: "keys to set (null returns one to its default); the others are kept" }),
    /** true: routing skips the account (its webhooks are still taken, for verifications in flight); false: back in its routes */
    disabled: z.boolean().optional(),
  })
  .strict()
  .openapi("UpdateVendorAccount");

/** PATCH /v1/webhook-endpoints/:id */
export const UpdateWebhookEndpointSchema = CreateWebhookEndpointSchema.partial()
  .extend({
    /** true re-enables an endpoint (also one the gateway disabled after failing deliveries); false disables it */
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("UpdateWebhookEndpoint");

export const RedecideSchema = z
  .object({
    tenantId: z.string().min(1),
    from: z.string().datetime({ offset: true }),
    to: z.string().datetime({ offset: true }),
    /** false (the default): report what would change, change nothing */
    apply: z.boolean().default(false),
  })
  .strict()
  .openapi("RedecideRequest");

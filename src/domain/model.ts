// The normalized verification model. These zod schemas are the public contract
// (DESIGN.md "The verification resource") and the source of /openapi.json.
import { z } from "./zod.js";
import { ALL_REASON_CODES, type ReasonCode, categoryOf, REASON_CODES } from "./vocabulary.js";

/**
 * A vendor's id. The domain does not list the vendors: the adapter registry does (src/adapters/registry.ts,
 * VENDOR_IDS, derived from the adapters' manifests), and /openapi.json gets the enum from there.
 */
export const VendorIdSchema = z
  .string()
  .min(1)
  .openapi({ description: "a vendor of the gateway's adapter registry (GET /admin/vendors)", "x-vendor-id": true } as never);
export type VendorId = string;

export const VERIFICATION_STATUSES = ["pending", "awaiting_user", "processing", "completed", "failed", "expired", "cancelled"] as const;
export const VerificationStatusSchema = z.enum(VERIFICATION_STATUSES);
export type VerificationStatus = z.infer<typeof VerificationStatusSchema>;

export const DecisionSchema = z.enum(["approved", "declined", "review"]);
export type Decision = z.infer<typeof DecisionSchema>;

export const CheckOutcomeSchema = z.enum(["pass", "fail", "inconclusive", "not_performed"]);
export type CheckOutcome = z.infer<typeof CheckOutcomeSchema>;

export const CHECK_NAMES = ["document", "liveness", "face_match"] as const;
export const CheckNameSchema = z.enum(CHECK_NAMES);
export type CheckName = z.infer<typeof CheckNameSchema>;

export const DOCUMENT_TYPES = ["id_card", "passport", "driving_license", "residence_permit", "other"] as const;
export const DocumentTypeSchema = z.enum(DOCUMENT_TYPES);
export type DocumentType = z.infer<typeof DocumentTypeSchema>;

/**
 * Liveness levels from weakest to strongest, the scale the policy's requiredLivenessLevel uses
 * (IDENTY IWS names: "LOW | MEDIUM | MODERATE | BALANCED_HIGH | HIGH | BALANCED_VERY_HIGH | VERY_HIGH | HIGHEST").
 */
export const LIVENESS_LEVELS = ["LOW", "MEDIUM", "MODERATE", "BALANCED_HIGH", "HIGH", "BALANCED_VERY_HIGH", "VERY_HIGH", "HIGHEST"] as const;
export type LivenessLevel = (typeof LIVENESS_LEVELS)[number];

export const ReasonSchema = z
  .object({
    code: z.enum(ALL_REASON_CODES as [ReasonCode, ...ReasonCode[]]),
    category: z.enum(Object.keys(REASON_CODES) as [keyof typeof REASON_CODES, ...(keyof typeof REASON_CODES)[]]),
    vendor: VendorIdSchema.nullable(),
    vendorCode: z.string().nullable(),
    message: z.string().nullable(),
  })
  .openapi("Reason");
export type Reason = z.infer<typeof ReasonSchema>;

export function reason(code: ReasonCode, vendor: VendorId | null, vendorCode: string | number | null = null, message: string | null = null): Reason {
  return {
    code,
    category: categoryOf(code),
    vendor,
    vendorCode: vendorCode === null ? null : String(vendorCode),
    message,
  };
}

export const DocumentFieldsSchema = z
  .object({
    firstName: z.string().nullable().optional(),
    lastName: z.string().nullable().optional(),
    dateOfBirth: z.string().nullable().optional(),
    placeOfBirth: z.string().nullable().optional(),
    documentNumber: z.string().nullable().optional(),
    personalNumber: z.string().nullable().optional(),
    expiryDate: z.string().nullable().optional(),
    issueDate: z.string().nullable().optional(),
    issuingCountry: z.string().nullable().optional(),
    sex: z.enum(["M", "F", "X"]).nullable().optional(),
    nationality: z.string().nullable().optional(),
    address: z.string().nullable().optional(),
  })
  .openapi("DocumentFields");
export type DocumentFields = z.infer<typeof DocumentFieldsSchema>;

/**
 * A vendor's capture-quality signals by name (face quality, luminance, pose, occlusion, eye state,
 * ICAO compliance, image quality metrics...), as the vendor reports them: numbers, words or flags.
 */
export const QualitySignalsSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).openapi("QualitySignals");
export type QualitySignals = z.infer<typeof QualitySignalsSchema>;

export const DocumentCheckSchema = z
  .object({
    outcome: CheckOutcomeSchema,
    /** the vendor's own name of the document model (ShareID doc_model, DMS DocumentType), when it gives one */
    model: z.string().nullable().optional(),
    quality: QualitySignalsSchema.optional(),
    type: DocumentTypeSchema.nullable(),
    country: z.string().length(2).nullable(),
    fields: DocumentFieldsSchema,
    // vendor security checks by name, true = passed, false = failed, null = not verified
    security: z.record(z.string(), z.boolean().nullable()).optional(),
  })
  .openapi("DocumentCheck");
export type DocumentCheck = z.infer<typeof DocumentCheckSchema>;

export const LivenessCheckSchema = z
  .object({
    outcome: CheckOutcomeSchema,
    score: z.number().nullable(),
    level: z.string().nullable(),
    /** a presentation-attack (spoof) score where the vendor reports one beside the liveness score */
    spoofScore: z.number().nullable().optional(),
    quality: QualitySignalsSchema.optional(),
  })
  .openapi("LivenessCheck");
export type LivenessCheck = z.infer<typeof LivenessCheckSchema>;

export const FaceMatchCheckSchema = z
  .object({
    outcome: CheckOutcomeSchema,
    similarity: z.number().min(0).max(1).nullable(),
    threshold: z.number().nullable(),
    quality: QualitySignalsSchema.optional(),
  })
  .openapi("FaceMatchCheck");

/**
 * What the vendor says about the session rather than the person's document: the operator's
 * review note, the device and access signals of a hosted flow. Personal (GPS, IP, device):
 * erased with the document fields.
 */
export const SessionSignalsSchema = z
  .object({
    operatorComment: z.string().nullable().optional(),
    device: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    access: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    position: z.object({ latitude: z.number(), longitude: z.number() }).nullable().optional(),
  })
  .openapi("SessionSignals");
export type SessionSignals = z.infer<typeof SessionSignalsSchema>;
export type FaceMatchCheck = z.infer<typeof FaceMatchCheckSchema>;

export const ChecksSchema = z
  .object({
    document: DocumentCheckSchema.optional(),
    liveness: LivenessCheckSchema.optional(),
    faceMatch: FaceMatchCheckSchema.optional(),
    session: SessionSignalsSchema.optional(),
  })
  .openapi("Checks");
export type Checks = z.infer<typeof ChecksSchema>;

export const NextActionSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("redirect"), url: z.string().url() }),
    z.object({ type: z.literal("sms_sent"), phone: z.string() }),
    z.object({ type: z.literal("identy_capture"), sdkBaseUrl: z.string(), expiresAt: z.string().optional() }),
    // a user-fixable outcome: send new input with POST /v1/verifications/:id/retake
    z.object({
      type: z.literal("retake"),
      reasons: z.array(z.enum(ALL_REASON_CODES as [ReasonCode, ...ReasonCode[]])),
      attemptsLeft: z.number().int().min(0),
      expiresAt: z.string().optional(),
    }),
  ])
  .openapi("NextAction");
export type NextAction = z.infer<typeof NextActionSchema>;

export const ErasureReceiptSchema = z
  .object({
    status: z.enum(["pending", "done", "partial"]),
    requestedAt: z.string(),
    vendors: z.array(
      z.object({
        vendor: VendorIdSchema,
        status: z.enum(["requested", "confirmed", "not_supported", "failed"]),
        at: z.string(),
        detail: z.string().nullable(),
      }),
    ),
  })
  .openapi("ErasureReceipt");
export type ErasureReceipt = z.infer<typeof ErasureReceiptSchema>;

export const VerificationResourceSchema = z
  .object({
    id: z.string().openapi({ example: "ver_01JD..." }),
    reference: z.string().nullable(),
    vendor: VendorIdSchema.nullable(),
    status: VerificationStatusSchema,
    decision: DecisionSchema.nullable(),
    reasons: z.array(ReasonSchema),
    checks: ChecksSchema,
    nextAction: NextActionSchema.nullable(),
    vendorReference: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
    /** the adapter mapping version and the tenant policy version that made the decision */
    decidedBy: z.object({ mapping: z.string(), policy: z.number().int() }).nullable(),
    /** null until the tenant erases its personal data; then the erasure's progress at each vendor */
    erasure: ErasureReceiptSchema.nullable(),
  })
  .openapi("Verification");
export type VerificationResource = z.infer<typeof VerificationResourceSchema>;

export const TERMINAL_STATUSES: ReadonlySet<VerificationStatus> = new Set(["completed", "failed", "expired", "cancelled"]);

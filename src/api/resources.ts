// Response schemas of the public API: what the routes answer, described once. The routes check
// their answers against these types (`satisfies z.input<...>`), /openapi.json is generated from
// them, and clients/typescript and the console are typed from that document.
import { DecisionSchema, VendorIdSchema, VerificationResourceSchema } from "../domain/model.js";
import { DecisionPolicySchema } from "../core/policy.js";
import { RoutingSchema } from "../core/routing.js";
import { z } from "../domain/zod.js";

const isoTime = (description?: string) =>
  z.string().openapi({ format: "date-time", ...(description ? { description } : {}), example: "2026-12-03T10:15:00.000Z" });
const json = z.unknown().openapi({ description: "any JSON value" });

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://kyc-gateway.dev/problems/invalid-request" }),
    title: z.string().openapi({ example: "Invalid request" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().optional().openapi({ example: "$.checks: Invalid option" }),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ description: 'JSON path of the bad field ("$.document.images[0].data"), or header:<name>', example: "$.checks" }),
          message: z.string().openapi({ example: "Invalid option" }),
        }),
      )
      .optional()
      .openapi({ description: "one entry per bad field" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details: every error of the API" });

export const VerificationPageSchema = z
  .object({
    data: z.array(VerificationResourceSchema),
    nextCursor: z.string().nullable().openapi({ description: "pass as `cursor` for the next page; null on the last" }),
  })
  .openapi("VerificationPage");

export const ErasedVerificationSchema = VerificationResourceSchema.extend({ erasedAt: isoTime("when the personal data was erased").optional() }).openapi(
  "ErasedVerification",
);

export const VendorDataSchema = z
  .object({
    data: z.array(
      z.object({
        vendor: VendorIdSchema,
        kind: z.string().openapi({ description: "what the payload was (a vendor answer, a webhook...)" }),
        receivedAt: isoTime(),
        body: json,
      }),
    ),
  })
  .openapi("VendorData");

export const WEBHOOK_EVENT_TYPES = ["verification.updated", "verification.completed", "verification.failed"] as const;
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).openapi("WebhookEventType");

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: "we_01JD..." }),
    url: z.string().openapi({ example: "https://shop.example/kyc-hook" }),
    events: z.array(WebhookEventTypeSchema).openapi({ description: "empty: every event" }),
    disabled: z.boolean(),
    createdAt: isoTime(),
  })
  .openapi("WebhookEndpoint");
export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({ description: "the signing secret (whsec_<base64>), shown this once", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
}).openapi("WebhookEndpointWithSecret");
export const RotatedWebhookEndpointSchema = WebhookEndpointWithSecretSchema.extend({
  previousSecretsValidUntil: isoTime("the previous secrets keep signing until then"),
}).openapi("RotatedWebhookEndpoint");
export const WebhookEndpointListSchema = z.object({ data: z.array(WebhookEndpointSchema) }).openapi("WebhookEndpointList");

export const DELIVERY_STATUSES = ["pending", "retrying", "succeeded", "failed"] as const;
const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DeliveryAttemptSchema = z
  .object({
    attemptNo: z.number().int(),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    latencyMs: z.number().int().nullable(),
    at: isoTime(),
  })
  .openapi("DeliveryAttempt");
export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    verificationId: z.string().nullable(),
    status: DeliveryStatusSchema,
    attemptCount: z.number().int(),
    nextAttemptAt: isoTime().nullable(),
    attempts: z.array(DeliveryAttemptSchema),
  })
  .openapi("WebhookDelivery");
export const WebhookDeliveryListSchema = z.object({ data: z.array(WebhookDeliverySchema) }).openapi("WebhookDeliveryList");
export const ReplayQueuedSchema = z.object({ id: z.string(), status: z.literal("pending") }).openapi("ReplayQueued");

// the outbound webhook as delivered: body `{ type, timestamp, data }` (webhooks/outbound/emit.ts)
export const WebhookEventSchema = z
  .object({ type: WebhookEventTypeSchema, timestamp: isoTime("when the change happened"), data: VerificationResourceSchema })
  .openapi("WebhookEvent", { description: "The body of every outbound webhook: the verification resource after the change" });

// ---------- admin ----------
export const VendorAccountSchema = z
  .object({
    id: z.string().openapi({ example: "va_01JD..." }),
    tenantId: z.string(),
    vendor: VendorIdSchema,
    name: z.string(),
    baseUrl: z.string(),
    webhookUrl: z.string().openapi({ description: "where the vendor sends its webhooks for this account (POST /hooks/{vendor}/{accountId})" }),
    credentials: z.record(z.string(), json).openapi({ description: "masked: secrets as ••••, others as ••••<last four>" }),
    settings: json.openapi({ description: "the account's settings as stored" }),
    credits: z.number().int().nullable(),
    creditsCheckedAt: isoTime().nullable(),
    disabled: z.boolean(),
    createdAt: isoTime(),
  })
  .openapi("VendorAccount");

export const CreatedTenantSchema = z
  .object({
    id: z.string().openapi({ example: "ten_01JD..." }),
    name: z.string(),
    apiKey: z.string().openapi({ description: "the tenant's first API key, shown this once" }),
  })
  .openapi("CreatedTenant");
export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), routing: RoutingSchema, vendorAccounts: z.array(VendorAccountSchema), createdAt: isoTime() })
  .openapi("Tenant");
export const TenantListSchema = z.object({ data: z.array(TenantSchema) }).openapi("TenantList");
export const CreatedApiKeySchema = z
  .object({ id: z.string(), apiKey: z.string().openapi({ description: "shown this once; stored hashed" }) })
  .openapi("CreatedApiKey");
export const RoutingResourceSchema = z.object({ tenantId: z.string(), routing: RoutingSchema }).openapi("RoutingResource");
export const PolicyResourceSchema = DecisionPolicySchema.extend({
  version: z.number().int(),
  updatedAt: isoTime().nullable().openapi({ description: "null: the defaults, never set" }),
}).openapi("DecisionPolicyResource");
export const RedecideReportSchema = z
  .object({
    compared: z.number().int(),
    changed: z.array(z.object({ id: z.string(), from: DecisionSchema, to: DecisionSchema })),
    applied: z.boolean(),
    skipped: z.record(z.string(), z.number().int()).openapi({ description: "verifications not re-decided, by why (erased, no vendor payloads...)" }),
    byChange: z.record(z.string(), z.number().int()).openapi({ description: 'changes by "old→new" decision' }),
    policyVersion: z.number().int(),
  })
  .openapi("RedecideReport");

export const VendorEventSchema = z
  .object({
    id: z.string(),
    vendorAccountId: z.string(),
    vendor: VendorIdSchema,
    type: z.string(),
    externalId: z.string(),
    payload: json,
    deliveries: z.number().int(),
    createdAt: isoTime(),
    lastSeenAt: isoTime(),
  })
  .openapi("VendorEvent");
export const VendorEventListSchema = z.object({ data: z.array(VendorEventSchema) }).openapi("VendorEventList");

export const CIRCUIT_STATES = ["closed", "open", "half_open", "isolated", "unknown"] as const;
const CircuitStateSchema = z
  .enum(CIRCUIT_STATES)
  .openapi({ description: "the newest transition any gateway process published (Redis); unknown: none has called the account lately" });
const circuitSince = isoTime().nullable().openapi({ description: "when the circuit entered this state" });
const HealthProbeSchema = z.object({ ok: z.boolean().nullable(), detail: z.string().nullable(), checkedAt: isoTime().nullable() });
const nullableMs = z.number().nullable();
export const VendorAccountHealthSchema = z
  .object({
    id: z.string(),
    vendor: VendorIdSchema,
    circuit: CircuitStateSchema,
    circuitSince,
    credits: z.number().int().nullable(),
    health: HealthProbeSchema,
    last15Minutes: z.object({ calls: z.number().int(), errorRate: z.number(), p50LatencyMs: nullableMs, p95LatencyMs: nullableMs }),
    probe: z
      .object({ ok: z.boolean(), detail: z.string(), credits: z.number().nullable().optional() })
      .nullable()
      .openapi({ description: "the vendor's health call, with ?probe=true" }),
  })
  .openapi("VendorAccountHealth");

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string().openapi({ example: "routing.updated" }),
    entityType: z.string(),
    entityId: z.string(),
    before: json.nullable(),
    after: json.nullable(),
    createdAt: isoTime(),
  })
  .openapi("AuditEntry");
export const AuditLogSchema = z.object({ data: z.array(AuditEntrySchema) }).openapi("AuditLog");

// ---------- the console's endpoints (src/api/console) ----------
export const VendorInfoListSchema = z
  .object({
    data: z.array(
      z.object({
        vendor: VendorIdSchema,
        displayName: z.string(),
        defaultBaseUrl: z.string(),
        capabilities: z.object({
          document: z.boolean(),
          liveness: z.boolean(),
          faceMatch: z.boolean(),
          hosted: z.boolean(),
          webhooks: z.boolean(),
          polling: z.boolean(),
        }),
        secretKeys: z.array(z.string()),
        credentialsTemplate: z.record(z.string(), json).openapi({ description: "what an operator fills in when adding an account" }),
        credentialsSchema: z
          .record(z.string(), json)
          .openapi({ description: "JSON Schema (2020-12) of the account's credentials, from the vendor's manifest" }),
        settingsSchema: z.record(z.string(), json).openapi({ description: "JSON Schema (2020-12) of its settings, the shared keys included" }),
      }),
    ),
  })
  .openapi("VendorInfoList");

export const AdminVerificationSchema = VerificationResourceSchema.extend({ tenantId: z.string(), vendorAccountId: z.string().nullable() }).openapi(
  "AdminVerification",
);
export const AdminVerificationPageSchema = z
  .object({ data: z.array(AdminVerificationSchema), nextCursor: z.string().nullable() })
  .openapi("AdminVerificationPage");
export const VerificationEventLogSchema = z
  .object({
    verification: AdminVerificationSchema,
    data: z.array(
      z.object({
        id: z.string(),
        source: z.string(),
        type: z.string(),
        fromStatus: z.string().nullable().openapi({ description: "a verification status; null for the first event" }),
        toStatus: z.string().nullable(),
        detail: json,
        createdAt: isoTime(),
      }),
    ),
    vendorCalls: z.array(
      z.object({
        id: z.string(),
        vendorAccountId: z.string(),
        vendor: z.string(),
        endpoint: z.string(),
        httpStatus: z.number().int().nullable(),
        attempt: z.number().int(),
        outcome: z.string(),
        errorKind: z.string().nullable(),
        latencyMs: z.number().int(),
        createdAt: isoTime(),
      }),
    ),
  })
  .openapi("VerificationEventLog");

export const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed"] as const;
export const QueuesReportSchema = z
  .object({
    redis: z.string().openapi({ description: "the Redis connection's status (ready, reconnecting...)" }),
    queues: z.array(
      z.object({
        name: z.string(),
        counts: z
          .record(z.string(), z.number().int())
          .nullable()
          .openapi({ description: `jobs by state (${QUEUE_STATES.join(", ")}); null when Redis is away` }),
        paused: z.boolean().nullable(),
        error: z.string().nullable(),
      }),
    ),
    outbox: z.object({
      backlog: z.number().int(),
      due: z.number().int(),
      scheduled: z.number().int(),
      oldestDueAt: isoTime().nullable(),
      oldestDueAgeMs: z.number().nullable(),
    }),
    at: isoTime(),
  })
  .openapi("QueuesReport");

export const VendorAccountStatusListSchema = z
  .object({
    windowMinutes: z.number().int(),
    data: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        vendor: VendorIdSchema,
        tenant: z.object({ id: z.string(), name: z.string() }),
        disabled: z.boolean(),
        credits: z.number().int().nullable(),
        creditsCheckedAt: isoTime().nullable(),
        circuit: CircuitStateSchema,
        circuitSince,
        health: HealthProbeSchema.openapi({ description: "the last health probe of the account, from any process" }),
        concurrency: z.object({ executing: z.number().int(), queued: z.number().int() }).nullable(),
        last15Minutes: z.object({
          calls: z.number().int(),
          errors: z.number().int(),
          errorRate: z.number(),
          p50LatencyMs: nullableMs,
          p95LatencyMs: nullableMs,
          lastCallAt: isoTime().nullable(),
        }),
      }),
    ),
  })
  .openapi("VendorAccountStatusList");

export const AdminDeliverySchema = WebhookDeliverySchema.extend({
  tenantId: z.string(),
  endpointId: z.string(),
  endpointUrl: z.string(),
  endpointDisabled: z.boolean(),
  lastHttpStatus: z.number().int().nullable(),
  createdAt: isoTime(),
}).openapi("AdminWebhookDelivery");
export const AdminDeliveryPageSchema = z.object({ data: z.array(AdminDeliverySchema), nextCursor: z.string().nullable() }).openapi("AdminWebhookDeliveryPage");

export const AdminWebhookEndpointSchema = z
  .object({ id: z.string(), tenantId: z.string(), url: z.string(), events: z.array(z.string()), disabled: z.boolean(), createdAt: isoTime() })
  .openapi("AdminWebhookEndpoint");

export const HookReceiptSchema = z
  .object({
    received: z.literal(true),
    id: z.string(),
    spooled: z.literal(true).optional().openapi({ description: "the database was away: kept in Redis and stored as soon as it is back" }),
  })
  .openapi("HookReceipt");

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    postgres: z.string().openapi({ example: "ok" }),
    redis: z.string().openapi({ example: "ok", description: "reported, not required: the outbox holds jobs while Redis is away" }),
  })
  .openapi("Readiness");

/** What a route sends for a response schema (checked with `satisfies`: a drift is a compile error). */
export type Answer<T extends z.ZodType> = z.input<T>;

// /openapi.json (OpenAPI 3.1), generated from the zod schemas of the public contract: every route
// the app serves (test/unit/api/openapi-coverage.test.ts walks the router and fails on a missing
// one), the outbound webhooks under `webhooks`, checked by `redocly lint` (recommended rules) in
// npm test. clients/typescript is generated from it (`npm run openapi`).
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { VendorIdSchema, VerificationResourceSchema, VERIFICATION_STATUSES, type VerificationResource } from "../domain/model.js";
import { PolicyUpdateSchema } from "../core/policy.js";
import { registerLifecyclePaths } from "./openapi-lifecycle.js";
import { VENDOR_IDS } from "../adapters/registry.js";
import { RoutingSchema } from "../core/routing.js";
import { z } from "../domain/zod.js";
import {
  AdminDeliveryPageSchema,
  AdminWebhookEndpointSchema,
  AdminVerificationPageSchema,
  AdminVerificationSchema,
  AuditLogSchema,
  CreatedApiKeySchema,
  CreatedTenantSchema,
  DELIVERY_STATUSES,
  ErasedVerificationSchema,
  HealthSchema,
  HookReceiptSchema,
  PolicyResourceSchema,
  ProblemSchema,
  QueuesReportSchema,
  ReadinessSchema,
  RedecideReportSchema,
  ReplayQueuedSchema,
  RotatedWebhookEndpointSchema,
  RoutingResourceSchema,
  TenantListSchema,
  VendorAccountHealthSchema,
  VendorAccountSchema,
  VendorAccountStatusListSchema,
  VendorDataSchema,
  VendorEventListSchema,
  VendorInfoListSchema,
  VerificationEventLogSchema,
  VerificationPageSchema,
  WebhookDeliveryListSchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  WebhookEventSchema,
  WEBHOOK_EVENT_TYPES,
} from "./resources.js";
import {
  CaptureSchema,
  CreateTenantSchema,
  CreateVendorAccountSchema,
  CreateVerificationSchema,
  CreateWebhookEndpointSchema,
  ListQuerySchema,
  RedecideSchema,
  RetakeSchema,
} from "./schemas.js";

/** The exported document (clients/typescript/openapi.json) names no host: "/" is wherever it was fetched from. */
export const DEFAULT_SERVER_URL = "/";

const TAGS = [
  { name: "Verifications", description: "Start, follow, cancel and erase identity verifications (tenant API key)." },
  { name: "Webhook endpoints", description: "The tenant's outbound webhook endpoints, their deliveries and replays." },
  { name: "Tenants", description: "Operations: tenants, API keys, routing, decision policy and browser origins (admin token)." },
  { name: "Operators", description: "Operations: named operators, their roles and tokens (admin token)." },
  { name: "Vendor accounts", description: "Operations: vendor accounts, their health and the events vendors send about them." },
  { name: "Operations", description: "Operations reports the web console reads: verifications of every tenant, queues, deliveries, the audit log." },
  { name: "Console", description: "The operations web console's static page and assets (public; the page asks for the admin token)." },
  { name: "Vendor webhooks", description: "Where vendors send their webhooks; each vendor authenticates as it signs (see the security schemes)." },
  {
    name: "IDENTY SDK proxy",
    description:
      "The IDENTY Face Web SDK in the end user's browser reaches the IDENTY server through these, for one verification, behind a short-lived token in the path.",
  },
  { name: "Service", description: "Liveness, readiness, metrics and this document." },
  { name: "Outbound webhooks", description: "What the gateway sends to the tenant's endpoints (Standard Webhooks)." },
];

const id = z.object({ id: z.string().openapi({ description: "the resource's id", example: "ver_01JD..." }) });
const json = <T extends z.ZodType>(schema: T, example?: unknown) => ({
  content: { "application/json": { schema, ...(example !== undefined ? { example } : {}) } },
});
const problem = { content: { "application/problem+json": { schema: ProblemSchema } } };
const plain = (description: string) => ({ description, content: { "text/plain": { schema: z.string() } } });
const retryAfter = z.object({ "Retry-After": z.string().openapi({ description: "seconds to wait before retrying", example: "5" }) });
/** the multipart form of the create and retake bodies: the JSON body in `request`, images as file parts */
const multipartImages = (requestDescription: string) =>
  z.object({
    request: z.string().openapi({ description: requestDescription }),
    document_front: z.string().openapi({ format: "binary", description: "front of the document" }).optional(),
    document_back: z.string().openapi({ format: "binary", description: "back of the document" }).optional(),
    document: z.string().openapi({ format: "binary", description: "a single-page document (passport)" }).optional(),
    selfie: z.string().openapi({ format: "binary", description: "the selfie" }).optional(),
  });

const EXAMPLE_VERIFICATION: VerificationResource = {
  id: "ver_01JDXK2Y7M3S9QF4T6V8W0A1BC",
  reference: "order-1234",
  vendor: "dms",
  status: "completed",
  decision: "approved",
  reasons: [],
  checks: {
    document: {
      outcome: "pass",
      type: "id_card",
      country: "ES",
      fields: { firstName: "Carlos", lastName: "García López", dateOfBirth: "1990-06-15", documentNumber: "B12345678" },
    },
    liveness: { outcome: "pass", score: 0.98, level: null },
  },
  nextAction: null,
  vendorReference: "5f2c9a",
  metadata: {},
  createdAt: "2026-12-03T10:15:00.000Z",
  updatedAt: "2026-12-03T10:15:04.000Z",
  completedAt: "2026-12-03T10:15:04.000Z",
  decidedBy: { mapping: "dms-2026.11", policy: 1 },
  erasure: null,
};
const EXAMPLE_CREATE = {
  reference: "order-1234",
  checks: ["document", "liveness", "face_match"],
  subject: { firstName: "Carlos", lastName: "García López", dateOfBirth: "1990-06-15" },
  document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: "/9j/4AAQSkZJRg..." }] },
  selfie: { contentType: "image/jpeg", data: "/9j/4AAQSkZJRg..." },
};

export function buildOpenApi(serverUrl: string = DEFAULT_SERVER_URL) {
  const reg = new OpenAPIRegistry();
  const tenantKey = reg.registerComponent("securitySchemes", "tenantApiKey", {
    type: "http",
    scheme: "bearer",
    description: "The tenant's API key (`Authorization: Bearer <key>`), shown once when the tenant or the key is created.",
  });
  const adminToken = reg.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer $ADMIN_TOKEN` (the bootstrap admin), or an operator's token within its role.",
  });
  const dmsSignature = reg.registerComponent("securitySchemes", "dmsWebhookSignature", {
    type: "apiKey",
    in: "header",
    name: "X-Hillogy-Signature",
    description:
      'DMS (Hillogy) webhooks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with one of the account\'s `webhookSecrets`; `X-Hillogy-Timestamp` must equal `t`, and old timestamps are refused.',
  });
  const viBasic = reg.registerComponent("securitySchemes", "verificaridentidadWebhookBasic", {
    type: "http",
    scheme: "basic",
    description: "VerificarIdentidad webhooks: HTTP Basic with the account's `webhookUser` and `webhookPassword` (compared in constant time).",
  });
  const webhookSignature = reg.registerComponent("securitySchemes", "standardWebhooksSignature", {
    type: "apiKey",
    in: "header",
    name: "webhook-signature",
    description:
      "How the tenant authenticates the gateway's webhooks (Standard Webhooks): `webhook-signature: v1,<base64 HMAC-SHA256 of \"<webhook-id>.<webhook-timestamp>.<body>\">` with the endpoint's secret (`whsec_<base64>`); several space-separated signatures during a secret rotation. Verify with a Standard Webhooks library (clients/typescript `verifyWebhook`).",
  });
  const asTenant = [{ [tenantKey.name]: [] }];
  const asAdmin = [{ [adminToken.name]: [] }];
  const open: RouteConfig["security"] = [];

  reg.register("Problem", ProblemSchema);
  const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
  const problemResponse = (name: string, description: string, headers?: Record<string, { description: string; schema: { type: "string" } }>) => {
    reg.registerComponent("responses", name, {
      description,
      ...(headers ? { headers } : {}),
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    });
    return ref(name);
  };
  const retryAfterHeader = { "Retry-After": { description: "seconds to wait before retrying", schema: { type: "string" as const } } };
  const BadRequest = problemResponse("BadRequest", "Invalid request: `errors[]` names each bad field by its JSON path");
  const Unauthorized = problemResponse("Unauthorized", "Missing or wrong credentials");
  const NotFound = problemResponse("NotFound", "No such resource (or not the caller's)");
  const TooMany = problemResponse(
    "TooManyRequests",
    "A request rate (per API key, or per client IP) or a daily quota is spent: see Retry-After and the RateLimit fields",
    retryAfterHeader,
  );
  const Unavailable = problemResponse(
    "ServiceUnavailable",
    "The database is not reachable; nothing was stored, repeat the request after Retry-After",
    retryAfterHeader,
  );
  const tenantErrors = { 400: BadRequest, 401: Unauthorized, 429: TooMany, 503: Unavailable };
  const adminErrors = { 400: BadRequest, 401: Unauthorized, 429: TooMany, 503: Unavailable };

  const path = (route: RouteConfig & { operationId: string; summary: string }) => reg.registerPath(route);

  // ---------- tenant: verifications ----------
  path({
    method: "post",
    path: "/v1/verifications",
    operationId: "createVerification",
    tags: ["Verifications"],
    summary: "Start a verification",
    description:
      "JSON, or multipart with the JSON body in a `request` part and the images as file parts. With `Idempotency-Key`, a repeat with the same body answers the first verification (`Idempotent-Replayed: true`).",
    security: asTenant,
    request: {
      headers: z.object({
        "Idempotency-Key": z
          .string()
          .min(1)
          .max(255)
          .optional()
          .openapi({ description: "1 to 255 characters; the same key with another body is a 409", example: "order-1234-attempt-1" }),
      }),
      body: {
        required: true,
        content: {
          "application/json": { schema: CreateVerificationSchema, example: EXAMPLE_CREATE },
          "multipart/form-data": { schema: multipartImages("the JSON body") },
        },
      },
    },
    responses: {
      202: {
        description: "Accepted: processing goes on asynchronously; follow it with GET or the webhooks",
        headers: z.object({
          Location: z.string().openapi({ description: "/v1/verifications/{id}" }),
          "Idempotent-Replayed": z.literal("true").optional().openapi({ description: "present when an earlier request with this Idempotency-Key answered" }),
        }),
        ...json(VerificationResourceSchema, {
          ...EXAMPLE_VERIFICATION,
          status: "pending",
          decision: null,
          checks: {},
          completedAt: null,
          decidedBy: null,
          vendorReference: null,
        }),
      },
      409: { description: "Idempotency-Key reused with another body", ...problem },
      413: { description: "Too large", ...problem },
      415: { description: "Not JSON or multipart, or an image type not accepted or contradicted by its bytes", ...problem },
      422: { description: "The routed vendor cannot take this request (each reason in errors[]), or no account for the requested vendor", ...problem },
      ...tenantErrors,
    },
  });
  path({
    method: "get",
    path: "/v1/verifications",
    operationId: "listVerifications",
    tags: ["Verifications"],
    summary: "List verifications, newest first",
    security: asTenant,
    request: { query: ListQuerySchema },
    responses: { 200: { description: "A page", ...json(VerificationPageSchema) }, ...tenantErrors },
  });
  path({
    method: "get",
    path: "/v1/verifications/{id}",
    operationId: "getVerification",
    tags: ["Verifications"],
    summary: "Read a verification",
    security: asTenant,
    request: { params: id },
    responses: { 200: { description: "The verification", ...json(VerificationResourceSchema, EXAMPLE_VERIFICATION) }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "post",
    path: "/v1/verifications/{id}/cancel",
    operationId: "cancelVerification",
    tags: ["Verifications"],
    summary: "Cancel a verification that is not final",
    security: asTenant,
    request: { params: id },
    responses: {
      200: { description: "Cancelled", ...json(VerificationResourceSchema) },
      404: NotFound,
      409: { description: "Already final", ...problem },
      ...tenantErrors,
    },
  });
  path({
    method: "delete",
    path: "/v1/verifications/{id}/personal-data",
    operationId: "erasePersonalData",
    tags: ["Verifications"],
    summary: "Erase the verification's personal data",
    description: "The decision and the audit trail are kept. `erasure` says how far each vendor got (a retried job asks the vendors that can erase).",
    security: asTenant,
    request: { params: id },
    responses: { 200: { description: "Erased", ...json(ErasedVerificationSchema) }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "get",
    path: "/v1/verifications/{id}/vendor-data",
    operationId: "getVendorData",
    tags: ["Verifications"],
    summary: "The stored vendor payloads",
    description: "Redacted when stored (images, secrets and base64 removed): what the resource does not carry. Empty after erasure.",
    security: asTenant,
    request: { params: id },
    responses: { 200: { description: "Stored vendor payloads, oldest first", ...json(VendorDataSchema) }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "get",
    path: "/v1/verifications/{id}/certificate",
    operationId: "getCertificate",
    tags: ["Verifications"],
    summary: "The vendor's certificate (PDF)",
    security: asTenant,
    request: { params: id },
    responses: {
      200: { description: "The vendor certificate", content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } } },
      404: { description: "No certificate (yet: then Retry-After says when to ask again)", headers: retryAfter, ...problem },
      ...tenantErrors,
    },
  });
  path({
    method: "post",
    path: "/v1/verifications/{id}/capture",
    operationId: "submitCapture",
    tags: ["Verifications"],
    summary: "Send the IDENTY SDK's capture",
    security: asTenant,
    request: { params: id, body: { required: true, ...json(CaptureSchema) } },
    responses: {
      202: { description: "Capture accepted", ...json(VerificationResourceSchema) },
      404: NotFound,
      409: { description: "No capture expected", ...problem },
      ...tenantErrors,
    },
  });
  path({
    method: "post",
    path: "/v1/verifications/{id}/retake",
    operationId: "retakeVerification",
    tags: ["Verifications"],
    summary: "New images or capture after a user-fixable outcome",
    description: "When `nextAction.type` is `retake`: the create body's `document`, `selfie` or `faceCapture`, JSON or multipart.",
    security: asTenant,
    request: {
      params: id,
      body: {
        required: true,
        content: {
          "application/json": { schema: RetakeSchema },
          "multipart/form-data": { schema: multipartImages("the JSON body ({} when only files are sent)") },
        },
      },
    },
    responses: {
      202: { description: "Retake accepted", ...json(VerificationResourceSchema) },
      404: NotFound,
      409: { description: "No retake expected", ...problem },
      415: { description: "Not JSON or multipart", ...problem },
      ...tenantErrors,
    },
  });

  // ---------- tenant: webhook endpoints ----------
  path({
    method: "post",
    path: "/v1/webhook-endpoints",
    operationId: "createWebhookEndpoint",
    tags: ["Webhook endpoints"],
    summary: "Add a webhook endpoint",
    security: asTenant,
    request: {
      body: {
        required: true,
        ...json(CreateWebhookEndpointSchema, { url: "https://shop.example/kyc-hook", events: ["verification.completed", "verification.failed"] }),
      },
    },
    responses: {
      201: { description: "Created; the secret is shown this once", ...json(WebhookEndpointWithSecretSchema) },
      422: { description: "URL refused (private address, not https in production...)", ...problem },
      ...tenantErrors,
    },
  });
  path({
    method: "get",
    path: "/v1/webhook-endpoints",
    operationId: "listWebhookEndpoints",
    tags: ["Webhook endpoints"],
    summary: "List webhook endpoints",
    security: asTenant,
    responses: { 200: { description: "Endpoints, oldest first", ...json(WebhookEndpointListSchema) }, ...tenantErrors },
  });
  path({
    method: "delete",
    path: "/v1/webhook-endpoints/{id}",
    operationId: "deleteWebhookEndpoint",
    tags: ["Webhook endpoints"],
    summary: "Delete a webhook endpoint",
    security: asTenant,
    request: { params: id },
    responses: { 204: { description: "Deleted" }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "post",
    path: "/v1/webhook-endpoints/{id}/rotate-secret",
    operationId: "rotateWebhookSecret",
    tags: ["Webhook endpoints"],
    summary: "Rotate the endpoint's signing secret",
    description: "Deliveries are signed with both the new and the previous secrets for 24 hours.",
    security: asTenant,
    request: { params: id },
    responses: { 200: { description: "The new secret, shown this once", ...json(RotatedWebhookEndpointSchema) }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "get",
    path: "/v1/webhook-endpoints/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    tags: ["Webhook endpoints"],
    summary: "The endpoint's latest deliveries with every attempt",
    security: asTenant,
    request: { params: id },
    responses: { 200: { description: "Up to 100 deliveries, newest first", ...json(WebhookDeliveryListSchema) }, 404: NotFound, ...tenantErrors },
  });
  path({
    method: "post",
    path: "/v1/webhook-deliveries/{id}/replay",
    operationId: "replayWebhookDelivery",
    tags: ["Webhook endpoints"],
    summary: "Deliver an event again",
    security: asTenant,
    request: { params: id },
    responses: { 202: { description: "Replay queued", ...json(ReplayQueuedSchema) }, 404: NotFound, ...tenantErrors },
  });

  // ---------- admin: tenants ----------
  path({
    method: "post",
    path: "/admin/tenants",
    operationId: "createTenant",
    tags: ["Tenants"],
    summary: "Create a tenant with its first API key",
    security: asAdmin,
    request: { body: { required: true, ...json(CreateTenantSchema, { name: "Shop Example" }) } },
    responses: { 201: { description: "Created; the API key is shown this once", ...json(CreatedTenantSchema) }, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/tenants",
    operationId: "listTenants",
    tags: ["Tenants"],
    summary: "List tenants with their vendor accounts and routing",
    security: asAdmin,
    responses: { 200: { description: "Every tenant, oldest first", ...json(TenantListSchema) }, ...adminErrors },
  });
  path({
    method: "post",
    path: "/admin/tenants/{id}/api-keys",
    operationId: "createApiKey",
    tags: ["Tenants"],
    summary: "Issue another API key for the tenant",
    security: asAdmin,
    request: { params: id },
    responses: { 201: { description: "Created; the key is shown this once", ...json(CreatedApiKeySchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "post",
    path: "/admin/tenants/{id}/vendor-accounts",
    operationId: "createVendorAccount",
    tags: ["Vendor accounts"],
    summary: "Add a vendor account to the tenant",
    description: "The credentials are validated against the vendor's shape, encrypted, and only ever shown masked.",
    security: asAdmin,
    request: {
      params: id,
      body: {
        required: true,
        ...json(CreateVendorAccountSchema, {
          vendor: "dms",
          name: "DMS production",
          credentials: { apiKey: "sk_live_...", webhookSecrets: ["whs_..."] },
          settings: { concurrency: 4 },
        }),
      },
    },
    responses: { 201: { description: "Created; credentials masked", ...json(VendorAccountSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "put",
    path: "/admin/tenants/{id}/routing",
    operationId: "setRouting",
    tags: ["Tenants"],
    summary: "Set the tenant's routing",
    description:
      "Ordered vendor-account lists, the default and per rule; the gateway falls over to the next account on a technical failure, never on a decision.",
    security: asAdmin,
    request: {
      params: id,
      body: { required: true, ...json(RoutingSchema, { default: ["va_01JD...", "va_01JE..."], rules: [{ country: "PT", accounts: ["va_01JE..."] }] }) },
    },
    responses: {
      200: { description: "Routing set", ...json(RoutingResourceSchema) },
      404: NotFound,
      422: { description: "An account that is not the tenant's", ...problem },
      ...adminErrors,
    },
  });
  const AllowedOrigins = z
    .object({
      allowedOrigins: z
        .array(z.string())
        .max(50)
        .openapi({
          description: 'origins (http(s)://host[:port]) whose pages may call the IDENTY SDK proxy (CORS); "*" refused when NODE_ENV=production',
          example: ["https://shop.example"],
        }),
    })
    .openapi("AllowedOrigins");
  const AllowedOriginsResource = AllowedOrigins.extend({ tenantId: z.string() }).openapi("AllowedOriginsResource");
  path({
    method: "get",
    path: "/admin/tenants/{id}/allowed-origins",
    operationId: "getAllowedOrigins",
    tags: ["Tenants"],
    summary: "The tenant's browser origins (CORS of the IDENTY SDK proxy)",
    security: asAdmin,
    request: { params: id },
    responses: { 200: { description: "The origins", ...json(AllowedOriginsResource) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "put",
    path: "/admin/tenants/{id}/allowed-origins",
    operationId: "setAllowedOrigins",
    tags: ["Tenants"],
    summary: "Set the tenant's browser origins",
    description: "Each bad entry is named in errors[] ($.allowedOrigins[i]).",
    security: asAdmin,
    request: { params: id, body: { required: true, ...json(AllowedOrigins) } },
    responses: { 200: { description: "The origins as stored (canonical form)", ...json(AllowedOriginsResource) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/tenants/{id}/policy",
    operationId: "getPolicy",
    tags: ["Tenants"],
    summary: "The tenant's decision policy",
    security: asAdmin,
    request: { params: id },
    responses: { 200: { description: "The whole policy with its version", ...json(PolicyResourceSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "put",
    path: "/admin/tenants/{id}/policy",
    operationId: "updatePolicy",
    tags: ["Tenants"],
    summary: "A new version of the tenant's decision policy",
    description: "Every field optional; `null` = not enforced. New decisions use it at once.",
    security: asAdmin,
    request: {
      params: id,
      body: {
        required: true,
        ...json(PolicyUpdateSchema, { minimumAge: 21, acceptedCountries: ["ES", "PT"], onMismatch: { first_name_mismatch: "decline" } }),
      },
    },
    responses: { 200: { description: "The whole policy with its new version", ...json(PolicyResourceSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "post",
    path: "/admin/verifications/re-decide",
    operationId: "redecideVerifications",
    tags: ["Operations"],
    summary: "Re-run normalization and the current policy over stored vendor payloads",
    description: "No vendor is called. `apply: false` (the default) reports what would change and changes nothing.",
    security: asAdmin,
    request: {
      body: { required: true, ...json(RedecideSchema, { tenantId: "ten_01JD...", from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z", apply: false }) },
    },
    responses: { 200: { description: "What changed (or would)", ...json(RedecideReportSchema) }, 404: NotFound, ...adminErrors },
  });

  // ---------- admin: vendor accounts ----------
  path({
    method: "get",
    path: "/admin/vendor-events",
    operationId: "listVendorEvents",
    tags: ["Vendor accounts"],
    summary: "Events vendors sent about accounts (credits, anomalies), newest first",
    security: asAdmin,
    request: { query: z.object({ accountId: z.string().optional(), type: z.string().optional() }) },
    responses: { 200: { description: "Up to 200 events", ...json(VendorEventListSchema) }, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/vendor-accounts/{id}/health",
    operationId: "getVendorAccountHealth",
    tags: ["Vendor accounts"],
    summary: "A vendor account's circuit, credits, last health check and last 15 minutes of calls",
    security: asAdmin,
    request: {
      params: id,
      query: z.object({ probe: z.enum(["true", "false"]).optional().openapi({ description: "true: call the vendor's health endpoint now" }) }),
    },
    responses: { 200: { description: "The account's health", ...json(VendorAccountHealthSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/vendors",
    operationId: "listVendors",
    tags: ["Vendor accounts"],
    summary: "The vendors the gateway speaks to: capabilities, default base URL, credential shape",
    security: asAdmin,
    responses: { 200: { description: "Every vendor", ...json(VendorInfoListSchema) }, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/vendor-accounts",
    operationId: "listVendorAccountStatus",
    tags: ["Vendor accounts"],
    summary: "Every vendor account with its circuit, concurrency and last 15 minutes of calls",
    security: asAdmin,
    request: { query: z.object({ tenantId: z.string().min(1).max(100).optional(), vendor: VendorIdSchema.optional() }) },
    responses: { 200: { description: "Up to 500 accounts, newest first", ...json(VendorAccountStatusListSchema) }, ...adminErrors },
  });

  // ---------- admin: operations reports (the console's screens) ----------
  const cursorQuery = { cursor: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) };
  path({
    method: "get",
    path: "/admin/verifications",
    operationId: "adminListVerifications",
    tags: ["Operations"],
    summary: "Verifications of every tenant, newest first",
    description: "The public resource plus tenantId; the personal input (subject, images) is never read.",
    security: asAdmin,
    request: {
      query: z.object({
        tenantId: z.string().min(1).max(100).optional(),
        status: z.enum(VERIFICATION_STATUSES).optional(),
        reference: z.string().min(1).max(200).optional(),
        ...cursorQuery,
      }),
    },
    responses: { 200: { description: "A page", ...json(AdminVerificationPageSchema) }, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/verifications/{id}",
    operationId: "adminGetVerification",
    tags: ["Operations"],
    summary: "Any tenant's verification",
    security: asAdmin,
    request: { params: id },
    responses: { 200: { description: "The verification", ...json(AdminVerificationSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/verifications/{id}/events",
    operationId: "adminGetVerificationEvents",
    tags: ["Operations"],
    summary: "A verification's event log and vendor calls",
    security: asAdmin,
    request: { params: id },
    responses: { 200: { description: "Events and vendor calls, oldest first", ...json(VerificationEventLogSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/queues",
    operationId: "getQueues",
    tags: ["Operations"],
    summary: "Queue depths and the outbox backlog",
    security: asAdmin,
    responses: { 200: { description: "Every queue (counts null when Redis is away) and the outbox", ...json(QueuesReportSchema) }, ...adminErrors },
  });
  path({
    method: "get",
    path: "/admin/webhook-deliveries",
    operationId: "adminListWebhookDeliveries",
    tags: ["Operations"],
    summary: "Outbound webhook deliveries of every tenant, newest first",
    security: asAdmin,
    request: {
      query: z.object({
        tenantId: z.string().min(1).max(100).optional(),
        status: z.enum(DELIVERY_STATUSES).optional(),
        verificationId: z.string().min(1).max(100).optional(),
        ...cursorQuery,
      }),
    },
    responses: { 200: { description: "A page", ...json(AdminDeliveryPageSchema) }, ...adminErrors },
  });
  path({
    method: "post",
    path: "/admin/webhook-deliveries/{id}/replay",
    operationId: "adminReplayWebhookDelivery",
    tags: ["Operations"],
    summary: "Deliver an event again (audited)",
    security: asAdmin,
    request: { params: id },
    responses: {
      202: { description: "Replay queued", ...json(ReplayQueuedSchema) },
      404: NotFound,
      409: { description: "The endpoint is deleted or disabled", ...problem },
      ...adminErrors,
    },
  });
  path({
    method: "get",
    path: "/admin/audit-log",
    operationId: "getAuditLog",
    tags: ["Operations"],
    summary: "The latest 200 operations changes (who, what, before, after)",
    security: asAdmin,
    responses: { 200: { description: "Newest first", ...json(AuditLogSchema) }, ...adminErrors },
  });

  // ---------- the console's page ----------
  const asset = (p: string, operationId: string, summary: string, type: string) =>
    path({
      method: "get",
      path: p,
      operationId,
      tags: ["Console"],
      summary,
      security: open,
      responses: { 200: { description: summary, content: { [type]: { schema: z.string() } } }, 404: plain("Not found") },
    });
  asset("/admin", "getConsole", "The operations console's page (also at /admin/)", "text/html");
  asset("/admin/console.js", "getConsoleScript", "The console's script", "application/javascript");
  asset("/admin/console.css", "getConsoleStyles", "The console's styles", "text/css");

  // ---------- vendor webhooks ----------
  path({
    method: "post",
    path: "/hooks/{vendor}/{accountId}",
    operationId: "receiveVendorWebhook",
    tags: ["Vendor webhooks"],
    summary: "A vendor's webhook for one of its accounts",
    description:
      "The raw request is authenticated as the vendor signs it (DMS: `X-Hillogy-Signature`; VerificarIdentidad: HTTP Basic), stored with its query and processed asynchronously. Vendors that send no webhooks have no account here (404). The body is the vendor's own format, taken as is.",
    security: [{ [dmsSignature.name]: [] }, { [viBasic.name]: [] }],
    request: {
      params: z.object({ vendor: VendorIdSchema, accountId: z.string().openapi({ example: "va_01JD..." }) }),
      body: {
        required: true,
        description: "the vendor's payload, byte for byte",
        content: { "application/json": { schema: z.unknown() }, "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
      },
    },
    responses: {
      200: { description: "Stored for processing (or spooled while the database is away)", ...json(HookReceiptSchema) },
      401: { description: "Authentication failed", ...problem },
      404: { description: "Unknown vendor or vendor account", ...problem },
      413: { description: "Larger than 5 MB", ...problem },
    },
  });

  // ---------- IDENTY SDK proxy ----------
  const sdkParams = z.object({
    // the authentication of these routes: an HMAC token for one verification and account, expiring with the capture
    token: z.string().openapi({
      description: "the capture link's HMAC token, from `nextAction.sdkBaseUrl`: one verification and account, expires with the capture (401 after)",
    }),
    resource: z.enum(["models", "pub_key", "time"]).openapi({ description: "the three IDENTY server resources the SDK needs; nothing else is reachable" }),
  });
  const sdkErrors = {
    401: plain("The capture link expired"),
    403: plain("The page's Origin is not one of the tenant's allowed origins"),
    404: plain("Bad token, unknown account or resource"),
  };
  const sdkUpstream = {
    200: {
      description: "The IDENTY server's answer, status and body passed on unchanged",
      content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
    },
    502: plain("IDENTY server unreachable"),
    504: plain("IDENTY server timeout"),
    ...sdkErrors,
  };
  path({
    method: "options",
    path: "/sdk/identy/{token}/api/v1/{resource}",
    operationId: "identySdkPreflight",
    tags: ["IDENTY SDK proxy"],
    summary: "CORS preflight for the tenant's page",
    security: open,
    request: { params: sdkParams },
    responses: { 204: { description: "Allowed: Access-Control-Allow-Origin/-Methods/-Headers/-Max-Age" }, ...sdkErrors },
  });
  path({
    method: "get",
    path: "/sdk/identy/{token}/api/v1/{resource}",
    operationId: "identySdkGet",
    tags: ["IDENTY SDK proxy"],
    summary: "An IDENTY server resource (GET)",
    security: open,
    request: { params: sdkParams },
    responses: sdkUpstream,
  });
  path({
    method: "post",
    path: "/sdk/identy/{token}/api/v1/{resource}",
    operationId: "identySdkPost",
    tags: ["IDENTY SDK proxy"],
    summary: "An IDENTY server resource (POST, as the SDK sends it)",
    security: open,
    request: {
      params: sdkParams,
      body: { description: "the SDK's form, passed on byte for byte", content: { "multipart/form-data": { schema: z.object({}).catchall(z.string()) } } },
    },
    responses: sdkUpstream,
  });

  // ---------- service ----------
  path({
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    tags: ["Service"],
    summary: "Liveness",
    security: open,
    responses: { 200: { description: "The process answers", ...json(HealthSchema) }, 503: Unavailable },
  });
  path({
    method: "get",
    path: "/readyz",
    operationId: "getReadiness",
    tags: ["Service"],
    summary: "Readiness: Postgres reachable (Redis reported)",
    security: open,
    responses: { 200: { description: "Ready", ...json(ReadinessSchema) }, 503: { description: "Not ready", ...json(ReadinessSchema) } },
  });
  path({
    method: "get",
    path: "/metrics",
    operationId: "getMetrics",
    tags: ["Service"],
    summary: "Prometheus metrics",
    security: open,
    responses: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } }, 503: Unavailable },
  });
  path({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApi",
    tags: ["Service"],
    summary: "This document",
    security: open,
    responses: { 200: { description: "OpenAPI 3.1", ...json(z.record(z.string(), z.unknown())) }, 503: Unavailable },
  });
  path({
    method: "get",
    path: "/docs",
    operationId: "getDocs",
    tags: ["Service"],
    summary: "A readable page of this document",
    security: open,
    responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } }, 503: Unavailable },
  });

  // ---------- outbound webhooks: what the tenant's endpoint receives ----------
  const webhookHeaders = z.object({
    "webhook-id": z
      .string()
      .openapi({ description: "the event's id (msg_...): the same on every retry, deduplicate on it", example: "msg_01JDXK2Y7M3S9QF4T6V8W0A1BC" }),
    "webhook-timestamp": z.string().openapi({ description: "unix seconds of this attempt; refuse old ones", example: "1796292904" }),
    "webhook-signature": z
      .string()
      .openapi({ description: "space-separated `v1,<base64>` signatures", example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=" }),
  });
  const WHEN: Record<(typeof WEBHOOK_EVENT_TYPES)[number], string> = {
    "verification.updated": "The verification changed without becoming final (awaiting the user, processing, a retake asked...)",
    "verification.completed": "The verification is completed: `data.decision` is approved, declined or review",
    "verification.failed": "The verification failed for a technical reason (`data.reasons`), expired or was cancelled",
  };
  for (const type of WEBHOOK_EVENT_TYPES) {
    reg.registerWebhook({
      method: "post",
      path: type,
      operationId: `on${type
        .split(".")
        .map((p) => p[0]!.toUpperCase() + p.slice(1))
        .join("")}`,
      tags: ["Outbound webhooks"],
      summary: WHEN[type],
      description: "At least once: retried with backoff for about a day, then marked failed and replayable. Verify the signature before trusting the body.",
      security: [{ [webhookSignature.name]: [] }],
      request: {
        headers: webhookHeaders,
        body: {
          required: true,
          content: { "application/json": { schema: WebhookEventSchema, example: { type, timestamp: "2026-12-03T10:15:04.000Z", data: EXAMPLE_VERIFICATION } } },
        },
      },
      responses: {
        200: { description: "Any 2xx acknowledges the delivery" },
        400: { description: "Any other answer (or none within the timeout) is retried; an endpoint failing for days is disabled" },
      },
    });
  }

  registerLifecyclePaths({
    path,
    json,
    asAdmin,
    asTenant,
    adminErrors,
    tenantErrors,
    NotFound,
    problemResponse,
    vendorAccountSchema: VendorAccountSchema,
    webhookEndpointSchema: WebhookEndpointSchema,
    adminWebhookEndpointSchema: AdminWebhookEndpointSchema,
  });

  const doc = new OpenApiGeneratorV31(reg.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "KYC gateway",
      version: "0.1.0",
      description:
        `One normalized REST API for identity verification across ${VENDOR_IDS.length} vendors. ` +
        "Every error is `application/problem+json` (RFC 9457); every answer carries `X-Request-Id` (the one sent, or a new one).",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: serverUrl, description: "this gateway" }],
    tags: TAGS,
  });
  // the domain names a vendor by id without listing them (it may not import the adapters): every schema it marked
  // gets the adapter registry's list, null included where the field allows no vendor
  const mark = "x-vendor-id";
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (o[mark] === true) {
      delete o[mark];
      delete o.minLength;
      const nullable = Array.isArray(o.type) && o.type.includes("null");
      o.enum = nullable ? [...VENDOR_IDS, null] : [...VENDOR_IDS];
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(doc);
  return doc;
}

export const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>KYC gateway API</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:72rem}h2{margin-top:2rem}code{background:#f2f2f2;padding:1px 4px}.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:.5rem 0}.m{font-weight:700;text-transform:uppercase;margin-right:.6rem}details pre{background:#f7f7f7;padding:.6rem;overflow:auto}</style></head>
<body><h1>KYC gateway API</h1><p>Generated from <a href="/openapi.json">/openapi.json</a>.</p><div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const ops=document.getElementById('ops'); ops.textContent='';
  for (const [path,item] of Object.entries(doc.paths)) for (const [method,op] of Object.entries(item)) {
    const d=document.createElement('div'); d.className='op';
    const h=document.createElement('div'); h.innerHTML='<span class="m"></span><code></code> <span class="s"></span>';
    h.querySelector('.m').textContent=method; h.querySelector('code').textContent=path; h.querySelector('.s').textContent=op.summary||'';
    d.appendChild(h);
    const det=document.createElement('details'); const sum=document.createElement('summary'); sum.textContent='request and responses';
    const pre=document.createElement('pre'); pre.textContent=JSON.stringify({request:op.requestBody,parameters:op.parameters,responses:op.responses},null,2);
    det.append(sum,pre); d.appendChild(det); ops.appendChild(d);
  }
  const s=document.createElement('h2'); s.textContent='Schemas'; ops.appendChild(s);
  const pre=document.createElement('pre'); pre.textContent=JSON.stringify(doc.components.schemas,null,2); ops.appendChild(pre);
});
</script></body></html>`;

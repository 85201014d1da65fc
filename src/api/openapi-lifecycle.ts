// /openapi.json entries of the credential lifecycle and the operations reports (issues 11 and 14): API keys,
// vendor account updates, webhook endpoint edits, operators, quotas, retention, shadow-run and analytics reports.
// Registered through openapi.ts's own helpers, so they share its security schemes and problem responses.
import type { RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "../domain/zod.js";
import { CreateOperatorSchema, OPERATOR_ROLES } from "../core/operators.js";
import { QuotasSchema, QuotaUpdateSchema } from "../core/quotas.js";
import { RetentionSchema } from "../core/retention.js";
import { UpdateVendorAccountSchema, UpdateWebhookEndpointSchema } from "./schemas.js";
import { AnalyticsQuerySchema, ShadowReportQuerySchema } from "./ops-report-routes.js";

type Responses = RouteConfig["responses"];
export interface DocHelpers {
  path: (route: RouteConfig & { operationId: string; summary: string }) => void;
  json: <T extends z.ZodType>(schema: T, example?: unknown) => { content: { "application/json": { schema: T; example?: unknown } } };
  asAdmin: RouteConfig["security"];
  asTenant: RouteConfig["security"];
  adminErrors: Responses;
  tenantErrors: Responses;
  NotFound: Responses[number];
  /** a problem+json response component of this name and description */
  problemResponse: (name: string, description: string) => Responses[number];
  vendorAccountSchema: z.ZodType;
  webhookEndpointSchema: z.ZodType;
  adminWebhookEndpointSchema: z.ZodType;
}

export function registerLifecyclePaths(h: DocHelpers): void {
  const { path, json, asAdmin, asTenant, adminErrors, tenantErrors, NotFound } = h;
  const Forbidden = h.problemResponse("Forbidden", "A viewer operator's write, or an operator action only the bootstrap ADMIN_TOKEN may take");
  const Unprocessable = h.problemResponse(
    "Unprocessable",
    "Refused for what the request names (an unusable URL, an unknown account): `errors[]` names the field",
  );
  const adminWrite = { ...adminErrors, 403: Forbidden, 404: NotFound };
  const tenantId = z.object({ id: z.string().openapi({ description: "the tenant's id", example: "ten_01JD..." }) });
  const someId = z.object({ id: z.string().openapi({ description: "the resource's id" }) });

  // ---------- tenant API keys ----------
  const ApiKey = z.object({ id: z.string(), lastFour: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }).openapi("ApiKey");
  path({
    method: "get",
    path: "/admin/tenants/{id}/api-keys",
    operationId: "listApiKeys",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "The tenant's API keys (never their secrets)",
    request: { params: tenantId },
    responses: {
      200: { description: "Every key, revoked ones with revokedAt", ...json(z.object({ data: z.array(ApiKey) }).openapi("ApiKeyList")) },
      404: NotFound,
      ...adminErrors,
    },
  });
  path({
    method: "delete",
    path: "/admin/tenants/{id}/api-keys/{keyId}",
    operationId: "revokeApiKey",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "Revoke a key: refused at once by every API process",
    request: { params: z.object({ id: z.string(), keyId: z.string() }) },
    responses: { 204: { description: "Revoked" }, ...adminWrite },
  });

  // ---------- vendor accounts and webhook endpoints ----------
  path({
    method: "patch",
    path: "/admin/vendor-accounts/{id}",
    operationId: "updateVendorAccount",
    tags: ["Vendor accounts"],
    security: asAdmin,
    summary: "Update credentials or settings, disable or re-enable",
    description:
      "Credentials and settings are merged key by key (`null` removes a key) and validated by the vendor's schemas. DMS webhook secret rotation: stage `webhookSecretNext` (both accepted), then promote it. Routing skips a disabled account.",
    request: { params: someId, body: { required: true, ...json(UpdateVendorAccountSchema, { disabled: true }) } },
    responses: { 200: { description: "The account, credentials masked", ...json(h.vendorAccountSchema) }, ...adminWrite },
  });
  path({
    method: "patch",
    path: "/v1/webhook-endpoints/{id}",
    operationId: "updateWebhookEndpoint",
    tags: ["Webhook endpoints"],
    security: asTenant,
    summary: "Edit an endpoint or re-enable it",
    description: "The url passes the same guard as on create; `enabled: true` also re-enables an endpoint the gateway disabled after failing deliveries.",
    request: { params: someId, body: { required: true, ...json(UpdateWebhookEndpointSchema, { enabled: true }) } },
    responses: { 200: { description: "The endpoint", ...json(h.webhookEndpointSchema) }, 404: NotFound, 422: Unprocessable, ...tenantErrors },
  });

  path({
    method: "patch",
    path: "/admin/webhook-endpoints/{id}",
    operationId: "adminUpdateWebhookEndpoint",
    tags: ["Operations"],
    security: asAdmin,
    summary: "Re-enable or edit a tenant's webhook endpoint (audited)",
    description:
      "The same edit as the tenant's PATCH /v1/webhook-endpoints/{id}, by an operator: e.g. re-enabling an endpoint the gateway disabled after failing deliveries.",
    request: { params: someId, body: { required: true, ...json(UpdateWebhookEndpointSchema, { enabled: true }) } },
    responses: { 200: { description: "The endpoint", ...json(h.adminWebhookEndpointSchema) }, 422: Unprocessable, ...adminWrite },
  });

  // ---------- operators ----------
  const Operator = z
    .object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), createdBy: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() })
    .openapi("Operator");
  path({
    method: "post",
    path: "/admin/operators",
    operationId: "createOperator",
    tags: ["Operators"],
    security: asAdmin,
    summary: "A named operator with its own token (bootstrap ADMIN_TOKEN only); viewer: GET only",
    request: { body: { required: true, ...json(CreateOperatorSchema, { name: "alice", role: "viewer" }) } },
    responses: {
      201: {
        description: "Created; the token is shown this once",
        ...json(
          z.object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), token: z.string(), createdAt: z.string() }).openapi("CreatedOperator"),
        ),
      },
      ...adminWrite,
    },
  });
  path({
    method: "get",
    path: "/admin/operators",
    operationId: "listOperators",
    tags: ["Operators"],
    security: asAdmin,
    summary: "Operators (never their tokens)",
    responses: {
      200: { description: "Every operator, revoked ones with revokedAt", ...json(z.object({ data: z.array(Operator) }).openapi("OperatorList")) },
      ...adminErrors,
    },
  });
  path({
    method: "delete",
    path: "/admin/operators/{id}",
    operationId: "revokeOperator",
    tags: ["Operators"],
    security: asAdmin,
    summary: "Revoke an operator's token: refused at once by every process (bootstrap ADMIN_TOKEN only)",
    request: { params: someId },
    responses: { 204: { description: "Revoked" }, ...adminWrite },
  });
  path({
    method: "get",
    path: "/admin/whoami",
    operationId: "whoAmI",
    tags: ["Operators"],
    security: asAdmin,
    summary: 'Who is signed in (the bootstrap token is id "bootstrap")',
    responses: {
      200: {
        description: "The operator",
        ...json(z.object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), bootstrap: z.boolean() }).openapi("WhoAmI")),
      },
      ...adminErrors,
    },
  });

  // ---------- quotas and retention ----------
  path({
    method: "get",
    path: "/admin/tenants/{id}/quotas",
    operationId: "getQuotas",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "The tenant's daily quotas and today's use (UTC)",
    request: { params: tenantId },
    responses: { 200: { description: "Quotas", ...json(QuotasSchema) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "put",
    path: "/admin/tenants/{id}/quotas",
    operationId: "setQuotas",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "Set daily quotas (null: unlimited; a field not sent is kept)",
    description:
      "Over the verifications quota: 429 of type …/problems/quota-exceeded/verificationsPerDay. Over the SMS quota the send is refused before the vendor is called (failed, vendor_rejected_request).",
    request: { params: tenantId, body: { required: true, ...json(QuotaUpdateSchema, { verificationsPerDay: 1000, smsPerDay: 200 }) } },
    responses: { 200: { description: "Quotas", ...json(QuotasSchema) }, ...adminWrite },
  });
  const RetentionResource = RetentionSchema.extend({ tenantId: z.string() }).openapi("RetentionResource");
  path({
    method: "get",
    path: "/admin/tenants/{id}/retention",
    operationId: "getRetention",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "The tenant's retention of personal data (null: kept until asked)",
    request: { params: tenantId },
    responses: { 200: { description: "Retention", ...json(RetentionResource) }, 404: NotFound, ...adminErrors },
  });
  path({
    method: "put",
    path: "/admin/tenants/{id}/retention",
    operationId: "setRetention",
    tags: ["Tenants"],
    security: asAdmin,
    summary: "Erase personal data this many days after a verification ended (null keeps it until asked)",
    description: "Applied by the durable sweeper; each erasure is audited.",
    request: { params: tenantId, body: { required: true, ...json(RetentionSchema, { eraseAfterDays: 30 }) } },
    responses: { 200: { description: "Retention", ...json(RetentionResource) }, ...adminWrite },
  });

  // ---------- operations reports ----------
  const Side = z.object({
    p50LatencyMs: z.number().nullable(),
    p95LatencyMs: z.number().nullable(),
    cost: z.object({ total: z.number(), currency: z.string().nullable() }).nullable(),
  });
  const ShadowReport = z
    .object({
      tenantId: z.string(),
      rules: z.array(
        z.object({
          ruleId: z.string(),
          shadowAccountIds: z.array(z.string()),
          runs: z.number().int(),
          byStatus: z
            .record(z.string(), z.number().int())
            .openapi({ description: "runs by status: done, dropped (the shadow account was saturated), failed, skipped, pending" }),
          compared: z.number().int(),
          agreementRate: z.number().nullable(),
          confusion: z.record(z.string(), z.record(z.string(), z.number().int())).openapi({ description: "primary decision → shadow decision → count" }),
          reasonsDiffer: z.record(z.string(), z.object({ primaryOnly: z.number().int(), shadowOnly: z.number().int() })),
          primary: Side,
          shadow: Side,
        }),
      ),
    })
    .openapi("ShadowReport");
  path({
    method: "get",
    path: "/admin/shadow-reports",
    operationId: "getShadowReport",
    tags: ["Operations"],
    security: asAdmin,
    summary: "How each rule's shadow account would have decided the same verifications",
    request: { query: ShadowReportQuerySchema },
    responses: { 200: { description: "One entry per rule", ...json(ShadowReport) }, 404: NotFound, ...adminErrors },
  });
  const Analytics = z
    .object({
      tenantId: z.string(),
      vendor: z.string().nullable(),
      from: z.string(),
      to: z.string(),
      bucket: z.enum(["hour", "day"]),
      by: z.enum(["vendor", "account"]),
      data: z.array(
        z.object({
          bucket: z.string(),
          vendor: z.string().nullable(),
          accountId: z.string().nullable().optional().openapi({ description: "with by=account" }),
          calls: z.number().int(),
          errors: z.number().int(),
          p50LatencyMs: z.number().nullable(),
          p95LatencyMs: z.number().nullable(),
          cost: z.object({ amount: z.number(), currency: z.string() }).nullable(),
          verifications: z.object({
            byStatus: z.record(z.string(), z.number().int()),
            byDecision: z.record(z.string(), z.number().int()),
            approvalRate: z.number().nullable(),
          }),
        }),
      ),
    })
    .openapi("Analytics");
  path({
    method: "get",
    path: "/admin/analytics",
    operationId: "getAnalytics",
    tags: ["Operations"],
    security: asAdmin,
    summary: "Calls, errors, latency, cost and the decision mix per bucket and vendor",
    request: { query: AnalyticsQuerySchema },
    responses: { 200: { description: "One entry per bucket and vendor", ...json(Analytics) }, 404: NotFound, ...adminErrors },
  });
}

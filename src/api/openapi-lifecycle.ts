// /openapi.json entries of the credential lifecycle (issue 11): API keys, vendor account updates,
// webhook endpoint edits, operators, quotas, retention, and the rate-limit answers.
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "../domain/zod.js";
import { CreateOperatorSchema, OPERATOR_ROLES } from "../core/operators.js";
import { QuotasSchema, QuotaUpdateSchema } from "../core/quotas.js";
import { RetentionSchema } from "../core/retention.js";
import { UpdateVendorAccountSchema, UpdateWebhookEndpointSchema } from "./schemas.js";

interface Shared {
  /** the admin and tenant bearer schemes' names */
  admin: string;
  tenant: string;
  problem: { content: { "application/problem+json": { schema: z.ZodType } } };
}

const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });

export function registerLifecyclePaths(reg: OpenAPIRegistry, { admin, tenant, problem }: Shared): void {
  const asAdmin = [{ [admin]: [] }];
  const rateLimited = {
    description: "Rate limit (per client IP or per API key) spent: see Retry-After and the RateLimit / RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers)",
    headers: { "Retry-After": { schema: { type: "integer" as const }, description: "seconds" } },
    ...problem,
  };
  const errors = { 400: { description: "Invalid request (errors[] names each field)", ...problem }, 401: { description: "Unauthorized", ...problem }, 403: { description: "A viewer operator's write", ...problem }, 404: { description: "Not found", ...problem }, 429: rateLimited };
  const tenantId = z.object({ id: z.string() });

  const ApiKey = z.object({ id: z.string(), lastFour: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }).openapi("ApiKey");
  reg.registerPath({ method: "get", path: "/admin/tenants/{id}/api-keys", security: asAdmin, summary: "The tenant's API keys (never their secrets)", request: { params: tenantId }, responses: { 200: { description: "Every key, revoked ones with revokedAt", ...json(z.object({ data: z.array(ApiKey) })) }, ...errors } });
  reg.registerPath({ method: "post", path: "/admin/tenants/{id}/api-keys", security: asAdmin, summary: "Another live API key (roll a key: create, move over, revoke the old one)", request: { params: tenantId }, responses: { 201: { description: "Created; the key is shown this once", ...json(z.object({ id: z.string(), apiKey: z.string() }).openapi("CreatedApiKey")) }, ...errors } });
  reg.registerPath({ method: "delete", path: "/admin/tenants/{id}/api-keys/{keyId}", security: asAdmin, summary: "Revoke a key: refused at once by every API process", request: { params: z.object({ id: z.string(), keyId: z.string() }) }, responses: { 204: { description: "Revoked" }, ...errors } });

  const VendorAccount = z
    .object({ id: z.string(), tenantId: z.string(), vendor: z.string(), name: z.string(), baseUrl: z.string(), webhookUrl: z.string(), credentials: z.record(z.string(), z.unknown()).openapi({ description: "masked: every value •••• (at most the last 4 characters of a non-secret one)" }), settings: z.record(z.string(), z.unknown()), credits: z.number().nullable(), creditsCheckedAt: z.string().nullable(), disabled: z.boolean(), createdAt: z.string() })
    .openapi("VendorAccount");
  reg.registerPath({
    method: "patch", path: "/admin/vendor-accounts/{id}", security: asAdmin, summary: "Update credentials or settings (merged key by key, validated by the vendor's schemas), disable or re-enable (routing skips a disabled account)",
    request: { params: tenantId, body: json(UpdateVendorAccountSchema) },
    responses: { 200: { description: "The account, credentials masked", ...json(VendorAccount) }, ...errors },
  });

  const WebhookEndpoint = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()), disabled: z.boolean(), createdAt: z.string() }).openapi("WebhookEndpoint");
  reg.registerPath({
    method: "patch", path: "/v1/webhook-endpoints/{id}", security: [{ [tenant]: [] }], summary: "Edit an endpoint (the url passes the create guard) or re-enable it (also one the gateway disabled after failing deliveries)",
    request: { params: tenantId, body: json(UpdateWebhookEndpointSchema) },
    responses: { 200: { description: "The endpoint", ...json(WebhookEndpoint) }, 422: { description: "URL refused", ...problem }, ...errors },
  });

  const Operator = z.object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), createdBy: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() }).openapi("Operator");
  reg.registerPath({ method: "post", path: "/admin/operators", security: asAdmin, summary: "A named operator with its own token (bootstrap ADMIN_TOKEN only); viewer: GET only", request: { body: json(CreateOperatorSchema) }, responses: { 201: { description: "Created; the token is shown this once", ...json(z.object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), token: z.string(), createdAt: z.string() }).openapi("CreatedOperator")) }, ...errors } });
  reg.registerPath({ method: "get", path: "/admin/operators", security: asAdmin, summary: "Operators (never their tokens)", responses: { 200: { description: "Every operator, revoked ones with revokedAt", ...json(z.object({ data: z.array(Operator) })) }, ...errors } });
  reg.registerPath({ method: "delete", path: "/admin/operators/{id}", security: asAdmin, summary: "Revoke an operator's token: refused at once by every process (bootstrap ADMIN_TOKEN only)", request: { params: tenantId }, responses: { 204: { description: "Revoked" }, ...errors } });
  reg.registerPath({ method: "get", path: "/admin/whoami", security: asAdmin, summary: "Who is signed in (the bootstrap token is id \"bootstrap\")", responses: { 200: { description: "The operator", ...json(z.object({ id: z.string(), name: z.string(), role: z.enum(OPERATOR_ROLES), bootstrap: z.boolean() }).openapi("WhoAmI")) }, ...errors } });

  reg.registerPath({ method: "get", path: "/admin/tenants/{id}/quotas", security: asAdmin, summary: "The tenant's daily quotas and today's use (UTC)", request: { params: tenantId }, responses: { 200: { description: "Quotas", ...json(QuotasSchema) }, ...errors } });
  reg.registerPath({
    method: "put", path: "/admin/tenants/{id}/quotas", security: asAdmin, summary: "Set daily quotas (null = unlimited; a field not sent is kept). Over the verifications quota: 429 type …/problems/quota-exceeded/verificationsPerDay; over the SMS quota: the send is refused before the vendor is called (failed, vendor_rejected_request)",
    request: { params: tenantId, body: json(QuotaUpdateSchema) },
    responses: { 200: { description: "Quotas", ...json(QuotasSchema) }, ...errors },
  });
  const RetentionResource = RetentionSchema.extend({ tenantId: z.string() }).openapi("RetentionResource");
  reg.registerPath({ method: "get", path: "/admin/tenants/{id}/retention", security: asAdmin, summary: "The tenant's retention of personal data (null: kept until asked)", request: { params: tenantId }, responses: { 200: { description: "Retention", ...json(RetentionResource) }, ...errors } });
  reg.registerPath({ method: "put", path: "/admin/tenants/{id}/retention", security: asAdmin, summary: "Erase personal data this many days after a verification ended (the sweeper, each erasure audited); null keeps it until asked", request: { params: tenantId, body: json(RetentionSchema) }, responses: { 200: { description: "Retention", ...json(RetentionResource) }, ...errors } });
}

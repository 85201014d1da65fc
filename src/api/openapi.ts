// /openapi.json, generated from the zod schemas of the public contract.
import { OpenAPIRegistry, OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";
import { z } from "../domain/zod.js";
import { VerificationResourceSchema } from "../domain/model.js";
import { RoutingSchema } from "../core/routing.js";
import { VENDOR_IDS } from "../adapters/registry.js";
import { DecisionPolicySchema, PolicyUpdateSchema } from "../core/policy.js";
import { CaptureSchema, CreateTenantSchema, CreateVendorAccountSchema, CreateVerificationSchema, CreateWebhookEndpointSchema, ListQuerySchema, RedecideSchema, RetakeSchema } from "./schemas.js";

const Problem = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional(), errors: z.array(z.object({ path: z.string(), message: z.string() })).optional() })
  .openapi("Problem");

export function buildOpenApi(serverUrl: string) {
  const reg = new OpenAPIRegistry();
  const bearer = reg.registerComponent("securitySchemes", "tenantKey", { type: "http", scheme: "bearer" });
  const admin = reg.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer" });
  const problem = { content: { "application/problem+json": { schema: Problem } } };
  const id = z.object({ id: z.string() });
  const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
  const errors = { 400: { description: "Invalid request", ...problem }, 401: { description: "Unauthorized", ...problem }, 404: { description: "Not found", ...problem } };

  reg.registerPath({
    method: "post", path: "/v1/verifications", security: [{ [bearer.name]: [] }], summary: "Start a verification",
    request: {
      headers: z.object({ "Idempotency-Key": z.string().optional() }),
      body: { content: { "application/json": { schema: CreateVerificationSchema }, "multipart/form-data": { schema: z.object({ request: z.string().openapi({ description: "the JSON body" }), document_front: z.any().optional(), document_back: z.any().optional(), document: z.any().optional(), selfie: z.any().optional() }) } } },
    },
    responses: { 202: { description: "Accepted", ...json(VerificationResourceSchema) }, 409: { description: "Idempotency-Key reused with another body", ...problem }, 413: { description: "Too large", ...problem }, 415: { description: "Image type not accepted or contradicted by its bytes", ...problem }, 422: { description: "The vendor cannot take this request", ...problem }, ...errors },
  });
  reg.registerPath({ method: "get", path: "/v1/verifications", security: [{ [bearer.name]: [] }], request: { query: ListQuerySchema }, responses: { 200: { description: "A page", ...json(z.object({ data: z.array(VerificationResourceSchema), nextCursor: z.string().nullable() })) }, ...errors } });
  reg.registerPath({ method: "get", path: "/v1/verifications/{id}", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "The verification", ...json(VerificationResourceSchema) }, ...errors } });
  reg.registerPath({ method: "post", path: "/v1/verifications/{id}/cancel", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "Cancelled", ...json(VerificationResourceSchema) }, 409: { description: "Already final", ...problem }, ...errors } });
  reg.registerPath({ method: "delete", path: "/v1/verifications/{id}/personal-data", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "Erased; decision and audit trail kept. `erasure` says how far each vendor got (a retried job asks vendors that can erase)", ...json(VerificationResourceSchema) }, ...errors } });
  reg.registerPath({
    method: "get", path: "/v1/verifications/{id}/vendor-data", security: [{ [bearer.name]: [] }], summary: "The stored vendor payloads (redacted, images removed): what the resource does not carry",
    request: { params: id },
    responses: { 200: { description: "Stored vendor payloads, oldest first; empty after erasure", ...json(z.object({ data: z.array(z.object({ vendor: z.string(), kind: z.string(), receivedAt: z.string(), body: z.unknown() })) })) }, ...errors },
  });
  reg.registerPath({ method: "get", path: "/v1/verifications/{id}/certificate", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "The vendor certificate", content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } } }, ...errors } });
  reg.registerPath({ method: "post", path: "/v1/verifications/{id}/capture", security: [{ [bearer.name]: [] }], request: { params: id, body: json(CaptureSchema) }, responses: { 202: { description: "Capture accepted", ...json(VerificationResourceSchema) }, 409: { description: "No capture expected", ...problem }, ...errors } });
  reg.registerPath({
    method: "post", path: "/v1/verifications/{id}/retake", security: [{ [bearer.name]: [] }], summary: "New images or capture after a user-fixable outcome (nextAction retake)",
    request: { params: id, body: { content: { "application/json": { schema: RetakeSchema }, "multipart/form-data": { schema: z.object({ request: z.string().openapi({ description: "the JSON body ({} when only files are sent)" }), document_front: z.any().optional(), document_back: z.any().optional(), document: z.any().optional(), selfie: z.any().optional() }) } } } },
    responses: { 202: { description: "Retake accepted", ...json(VerificationResourceSchema) }, 409: { description: "No retake expected", ...problem }, ...errors },
  });
  reg.registerPath({ method: "post", path: "/v1/webhook-endpoints", security: [{ [bearer.name]: [] }], request: { body: json(CreateWebhookEndpointSchema) }, responses: { 201: { description: "Created; the secret is shown this once", ...json(z.object({ id: z.string(), url: z.string(), events: z.array(z.string()), secret: z.string() })) }, 422: { description: "URL refused", ...problem }, ...errors } });
  reg.registerPath({ method: "get", path: "/v1/webhook-endpoints", security: [{ [bearer.name]: [] }], responses: { 200: { description: "Endpoints" }, ...errors } });
  reg.registerPath({ method: "delete", path: "/v1/webhook-endpoints/{id}", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 204: { description: "Deleted" }, ...errors } });
  reg.registerPath({ method: "post", path: "/v1/webhook-endpoints/{id}/rotate-secret", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "New secret; the old one signs too for 24 h" }, ...errors } });
  reg.registerPath({ method: "get", path: "/v1/webhook-endpoints/{id}/deliveries", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 200: { description: "Deliveries with every attempt" }, ...errors } });
  reg.registerPath({ method: "post", path: "/v1/webhook-deliveries/{id}/replay", security: [{ [bearer.name]: [] }], request: { params: id }, responses: { 202: { description: "Replay queued" }, ...errors } });
  reg.registerPath({ method: "post", path: "/admin/tenants", security: [{ [admin.name]: [] }], request: { body: json(CreateTenantSchema) }, responses: { 201: { description: "Created; the API key is shown this once", ...json(z.object({ id: z.string(), name: z.string(), apiKey: z.string() })) }, ...errors } });
  reg.registerPath({ method: "post", path: "/admin/tenants/{id}/vendor-accounts", security: [{ [admin.name]: [] }], request: { params: id, body: json(CreateVendorAccountSchema) }, responses: { 201: { description: "Created; credentials masked" }, ...errors } });
  reg.registerPath({ method: "put", path: "/admin/tenants/{id}/routing", security: [{ [admin.name]: [] }], request: { params: id, body: json(RoutingSchema) }, responses: { 200: { description: "Routing set" }, ...errors } });
  const AllowedOrigins = z
    .object({ allowedOrigins: z.array(z.string()).max(50).openapi({ description: 'origins (http(s)://host[:port]) whose pages may call the IDENTY SDK proxy (CORS); "*" refused when NODE_ENV=production', example: ["https://shop.example"] }) })
    .openapi("AllowedOrigins");
  const AllowedOriginsResource = AllowedOrigins.extend({ tenantId: z.string() }).openapi("AllowedOriginsResource");
  reg.registerPath({ method: "get", path: "/admin/tenants/{id}/allowed-origins", security: [{ [admin.name]: [] }], summary: "The tenant's browser origins (CORS of the IDENTY SDK proxy)", request: { params: id }, responses: { 200: { description: "The origins", ...json(AllowedOriginsResource) }, ...errors } });
  reg.registerPath({ method: "put", path: "/admin/tenants/{id}/allowed-origins", security: [{ [admin.name]: [] }], summary: "Set the tenant's browser origins; each bad entry is named in errors[] ($.allowedOrigins[i])", request: { params: id, body: json(AllowedOrigins) }, responses: { 200: { description: "The origins as stored (canonical form)", ...json(AllowedOriginsResource) }, ...errors } });
  const PolicyResource = DecisionPolicySchema.extend({ version: z.number().int(), updatedAt: z.string().nullable() }).openapi("DecisionPolicyResource");
  reg.registerPath({ method: "get", path: "/admin/tenants/{id}/policy", security: [{ [admin.name]: [] }], summary: "The tenant's decision policy", request: { params: id }, responses: { 200: { description: "The whole policy with its version", ...json(PolicyResource) }, ...errors } });
  reg.registerPath({ method: "put", path: "/admin/tenants/{id}/policy", security: [{ [admin.name]: [] }], summary: "A new version of the tenant's decision policy (every field optional)", request: { params: id, body: json(PolicyUpdateSchema) }, responses: { 200: { description: "The whole policy with its new version", ...json(PolicyResource) }, ...errors } });
  reg.registerPath({
    method: "post", path: "/admin/verifications/re-decide", security: [{ [admin.name]: [] }], summary: "Re-run normalization and the current policy over stored vendor payloads (no vendor call)",
    request: { body: json(RedecideSchema) },
    responses: { 200: { description: "What changed (or would)", ...json(z.object({ compared: z.number().int(), changed: z.array(z.object({ id: z.string(), from: z.string(), to: z.string() })), applied: z.boolean(), skipped: z.record(z.string(), z.number()), byChange: z.record(z.string(), z.number()), policyVersion: z.number().int() })) }, ...errors },
  });
  reg.registerPath({ method: "get", path: "/admin/vendor-events", security: [{ [admin.name]: [] }], request: { query: z.object({ accountId: z.string().optional(), type: z.string().optional() }) }, responses: { 200: { description: "Vendor account events, newest first" }, ...errors } });
  reg.registerPath({ method: "post", path: "/hooks/{vendor}/{accountId}", request: { params: z.object({ vendor: z.string(), accountId: z.string() }) }, responses: { 200: { description: "Stored for processing" }, 401: { description: "Authentication failed", ...problem } } });
  for (const p of ["/healthz", "/readyz", "/metrics"]) reg.registerPath({ method: "get", path: p, responses: { 200: { description: "OK" } } });

  const doc = new OpenApiGeneratorV3(reg.definitions).generateDocument({
    openapi: "3.0.3",
    info: { title: "KYC gateway", version: "0.1.0", description: `One normalized REST API for identity verification across ${VENDOR_IDS.length} vendors.` },
    servers: [{ url: serverUrl }],
  });
  // the domain names a vendor by id without listing them: the list is the adapter registry's
  const schemas = doc.components?.schemas;
  if (schemas?.VendorId) schemas.VendorId = { type: "string", enum: [...VENDOR_IDS], description: "a vendor of the gateway's adapter registry (GET /admin/vendors)" };
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

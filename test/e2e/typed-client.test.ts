// The typed client (clients/typescript) against a running gateway with the sandbox vendor: create a
// verification with an idempotency key, read it back, verify the delivered webhook with the
// client's helper. Every answer the client receives is also validated against the response schema
// the OpenAPI document gives for that operation and status, so the document cannot claim a shape
// the gateway does not send.
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Middleware } from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  newIdempotencyKey,
  verifyWebhook,
  withIdempotencyKey,
  WebhookVerificationError,
  type CreateVerification,
  type GatewayClient,
} from "../../clients/typescript/src/index.js";
import { buildOpenApi } from "../../src/api/openapi.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  startWebhookReceiver,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

const img = (tag: string) => fakeJpeg(tag).toString("base64");
const body: CreateVerification = {
  reference: "typed-client",
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("client doc") }] },
  selfie: { contentType: "image/jpeg", data: img("client selfie") },
};

let gw: TestGateway;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
let kyc: GatewayClient;
const checked: string[] = [];
const schemaFailures: string[] = [];

/** Validates each JSON answer against the document's schema for its operation and status. */
function conformsToDocument(): Middleware {
  type Responses = Record<string, { $ref?: string; content?: Record<string, unknown> }>;
  const doc = buildOpenApi(gw.url) as unknown as { paths: Record<string, Record<string, { responses: Responses }>>; components: { responses: Responses } };
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ ...doc, $id: "https://kyc-gateway.dev/openapi.json" });
  const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
  return {
    async onResponse({ response, schemaPath, request }) {
      const method = request.method.toLowerCase();
      const type = (response.headers.get("content-type") ?? "").split(";")[0]!;
      const status = String(response.status);
      const declared = doc.paths[schemaPath]?.[method]?.responses[status];
      if (!declared) return void schemaFailures.push(`${request.method} ${schemaPath} ${status}: not in the document`);
      // a shared response (components/responses/BadRequest...) or the operation's own
      const name = declared.$ref?.replace("#/components/responses/", "");
      const where = name ? ["components", "responses", name] : ["paths", schemaPath, method, "responses", status];
      if (!(name ? doc.components.responses[name]! : declared).content?.[type])
        return void schemaFailures.push(`${request.method} ${schemaPath} ${status}: ${type} not in the document`);
      const validate = ajv.getSchema(`https://kyc-gateway.dev/openapi.json#/${pointer(...where, "content", type, "schema")}`)!;
      if (!validate(await response.clone().json())) schemaFailures.push(`${request.method} ${schemaPath} ${status}: ${ajv.errorsText(validate.errors)}`);
      checked.push(`${request.method} ${schemaPath} ${status}`);
    },
  };
}

beforeAll(async () => {
  gw = await startTestGateway();
  const tenant = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } }]);
  rx = await startWebhookReceiver();
  kyc = createClient({ baseUrl: gw.url, apiKey: tenant.apiKey });
  kyc.use(conformsToDocument());
}, 60_000);

afterAll(async () => {
  await rx?.close();
  await gw?.close();
});

describe("@kyc-gateway/client against a running gateway", () => {
  let secret = "";
  let id = "";

  it("adds a webhook endpoint and gets its secret once", async () => {
    const { data, error, response } = await kyc.POST("/v1/webhook-endpoints", { body: { url: rx.url, events: ["verification.completed"] } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    secret = data!.secret;
    expect(secret).toMatch(/^whsec_/);
  });

  it("creates a verification with an idempotency key; the same key answers the same verification", async () => {
    const key = newIdempotencyKey();
    const first = await kyc.POST("/v1/verifications", { body, params: withIdempotencyKey(key) });
    expect(first.response.status).toBe(202);
    id = first.data!.id;
    expect(first.data).toMatchObject({ reference: "typed-client", status: "pending" });
    const again = await kyc.POST("/v1/verifications", { body, params: withIdempotencyKey(key) });
    expect(again.data!.id).toBe(id);
    expect(again.response.headers.get("idempotent-replayed")).toBe("true");
    // the same key with another body is refused, as problem+json
    const other = await kyc.POST("/v1/verifications", { body: { ...body, reference: "another" }, params: withIdempotencyKey(key) });
    expect(other.response.status).toBe(409);
    expect(other.error).toMatchObject({ status: 409, title: "Idempotency-Key reused" });
  });

  it("reads it back until the sandbox vendor has decided", async () => {
    const done = await waitUntil(
      async () => {
        const { data } = await kyc.GET("/v1/verifications/{id}", { params: { path: { id } } });
        return data?.status === "completed" ? data : null;
      },
      25_000,
      "the verification to complete",
    );
    expect(done).toMatchObject({ id, vendor: "dms", decision: "approved" });
    const list = await kyc.GET("/v1/verifications", { params: { query: { reference: "typed-client" } } });
    expect(list.data!.data.map((v) => v.id)).toEqual([id]);
  });

  it("verifies the delivered webhook with the helper, and refuses a tampered or foreign one", async () => {
    const delivered = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === id, 25_000);
    const raw = rx.received.find((r) => r.json === delivered.json)!;
    const event = verifyWebhook(secret, raw.body, raw.headers);
    expect(event).toMatchObject({ type: "verification.completed", data: { id, status: "completed", decision: "approved" } });
    // during a rotation the old and the new secret are both tried
    expect(verifyWebhook(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret], raw.body, new Headers(raw.headers)).data.id).toBe(id);
    expect(() => verifyWebhook(secret, raw.body.replace('"approved"', '"declined"'), raw.headers)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", raw.body, raw.headers)).toThrow(WebhookVerificationError);
  });

  it("answers a bad request with the problem naming the field", async () => {
    const { error, response } = await kyc.POST("/v1/verifications", { body: { ...body, checks: ["retina" as "document"] } });
    expect(response.status).toBe(400);
    expect(error!.errors!.map((e) => e.path)).toEqual(["$.checks[0]"]);
  });

  it("got only answers the OpenAPI document describes", async () => {
    await kyc.GET("/v1/webhook-endpoints");
    await kyc.GET("/v1/verifications/{id}/vendor-data", { params: { path: { id } } });
    await kyc.GET("/v1/verifications/{id}", { params: { path: { id: "ver_missing" } } });
    expect(schemaFailures).toEqual([]);
    expect(new Set(checked)).toEqual(
      new Set([
        "POST /v1/webhook-endpoints 201",
        "POST /v1/verifications 202",
        "POST /v1/verifications 409",
        "POST /v1/verifications 400",
        "GET /v1/verifications/{id} 200",
        "GET /v1/verifications/{id} 404",
        "GET /v1/verifications 200",
        "GET /v1/webhook-endpoints 200",
        "GET /v1/verifications/{id}/vendor-data 200",
      ]),
    );
  });
});

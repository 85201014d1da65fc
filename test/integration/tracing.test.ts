// One verification through the DMS sandbox, traced with an in-memory exporter: the spans of the API
// request, the outbox publishes, the worker jobs, the vendor calls and the webhook delivery form one
// trace through their W3C parent links (across the outbox and BullMQ), and no attribute carries the
// test's personal data.
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { SpanKind } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, tracesExporterOf, type Tracing } from "../../src/observability/tracing.js";
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

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let gw: TestGateway;

const PERSONAL = { ...DMS_SANDBOX_SUBJECT, phone: "+34600000077", email: "carlos.garcia@example.com" };
const documentImage = fakeJpeg("trace-doc").toString("base64");
const selfieImage = fakeJpeg("trace-selfie").toString("base64");

beforeAll(async () => {
  tracing = startTracing({ OTEL_SERVICE_NAME: "kyc-gateway-test" }, { exporter });
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await tracing?.shutdown();
});

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId ?? null;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

describe("tracing", () => {
  it("is off unless an exporter or an OTLP endpoint is configured", () => {
    expect(tracesExporterOf({})).toBeNull();
    expect(tracesExporterOf({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBeNull();
    expect(tracesExporterOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe("otlp");
    expect(tracesExporterOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe("otlp");
    expect(tracesExporterOf({ OTEL_TRACES_EXPORTER: "console" })).toBe("console");
    expect(startTracing({ OTEL_SERVICE_NAME: "x" }).enabled).toBe(false);
  });

  it("one verification is one trace: request → outbox → submit job → vendor calls → deliver job → webhook delivery", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    const rx = await startWebhookReceiver();
    await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    exporter.reset();
    const created = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      {
        reference: "trace-1",
        checks: ["document", "liveness", "face_match"],
        subject: PERSONAL,
        document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: documentImage }] },
        selfie: { contentType: "image/jpeg", data: selfieImage },
      },
      { "X-Request-Id": "trace-req-1" },
    );
    expect(created.status).toBe(202);
    await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
    // the delivery's span ends once its attempt is stored, a moment after the receiver has the webhook
    const spans = await waitUntil(
      async () => {
        const all = exporter.getFinishedSpans();
        return all.some((s) => s.name === "job deliver") ? all : null;
      },
      10_000,
      "the deliver job's span",
    );

    const request = spans.find((s) => s.name === "POST /v1/verifications");
    expect(request, spans.map((s) => s.name).join(", ")).toBeDefined();
    expect(request!.kind).toBe(SpanKind.SERVER);
    expect(parentOf(request!)).toBeNull();
    expect(request!.attributes).toMatchObject({
      "http.route": "/v1/verifications",
      "http.response.status_code": 202,
      "kyc.request_id": "trace-req-1",
      "kyc.tenant_id": t.tenantId,
    });
    const traceId = request!.spanContext().traceId;
    const trace = spans.filter((s) => s.spanContext().traceId === traceId);
    const one = (name: string, parent: ReadableSpan) => {
      const found = trace.filter((s) => s.name === name && parentOf(s) === idOf(parent));
      expect(
        found,
        `${name} under ${parent.name}; trace: ${trace.map((s) => `${s.name}<${trace.find((p) => idOf(p) === parentOf(s))?.name ?? "root"}`).join(", ")}`,
      ).toHaveLength(1);
      return found[0]!;
    };

    const publishSubmit = one("outbox publish submit", request!);
    expect(publishSubmit.kind).toBe(SpanKind.PRODUCER);
    const submit = one("job submit", publishSubmit);
    expect(submit.kind).toBe(SpanKind.CONSUMER);
    expect(submit.attributes).toMatchObject({ "kyc.queue": "submit", "kyc.subject_id": created.body.id, "kyc.request_id": "trace-req-1" });
    const vendorCalls = trace.filter((s) => s.name.startsWith("vendor dms ") && parentOf(s) === idOf(submit));
    const callRows = await gw.db.vendorCall.count({ where: { verificationId: created.body.id } });
    expect(vendorCalls).toHaveLength(callRows);
    expect(callRows).toBeGreaterThanOrEqual(3);
    for (const call of vendorCalls) {
      expect(call.kind).toBe(SpanKind.CLIENT);
      expect(call.attributes).toMatchObject({
        "kyc.vendor": "dms",
        "kyc.vendor_account_id": t.accounts[0].id,
        "kyc.verification_id": created.body.id,
        "kyc.outcome": "ok",
        "http.response.status_code": 200,
      });
    }
    // a decision's delivery is run by the worker that decided, right after its commit (src/core/publish.ts): its job's
    // span is the submit job's child, with no publish between them
    const deliverJobs = trace.filter((s) => s.name === "job deliver" && parentOf(s) === idOf(submit));
    expect(deliverJobs.length).toBeGreaterThanOrEqual(1);
    expect(deliverJobs.every((j) => j.kind === SpanKind.CONSUMER && j.attributes["kyc.inline"] === true)).toBe(true);
    const deliveries = trace.filter((s) => s.name === "webhook deliver" && deliverJobs.some((j) => parentOf(s) === idOf(j)));
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    expect(deliveries.map((d) => d.attributes["kyc.event_type"])).toContain("verification.completed");
    expect(deliveries.every((d) => d.attributes["kyc.outcome"] === "succeeded" && d.attributes["http.response.status_code"] === 204)).toBe(true);

    // nothing personal in any attribute of any span (names, birth date, document number, phone, email, images)
    const values = spans.flatMap((s) => [s.name, ...Object.values(s.attributes).map(String)]);
    const personal = [...Object.values(PERSONAL), "Carlos", "García", documentImage.slice(0, 24), selfieImage.slice(0, 24)];
    for (const p of personal)
      expect(
        values.filter((v) => v.includes(p)),
        p,
      ).toEqual([]);
    await rx.close();
  });
});

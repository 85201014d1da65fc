// VerificarIdentidad through the pipeline: SMS link, results only by webhook (JSON,
// form and multipart), Basic-auth webhooks stored raw first and processed by the
// ingest worker, duplicates, out-of-order events, unknown IDs, certificate, credits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { createTenantWithAccounts, startTestGateway, startWebhookReceiver, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
const WEBHOOK = { webhookUser: "vi-hook", webhookPassword: "vi-hook-password-1" };
const account = (apiUser = "sandbox", settings: Record<string, unknown> = {}) => ({
  vendor: "verificaridentidad",
  credentials: { apiUser, apiToken: apiUser === "sandbox" ? "sandbox-token" : `${apiUser}-token`, ...WEBHOOK },
  settings,
});
const request = (phone: string, over: Record<string, unknown> = {}) => ({
  reference: "vi",
  checks: ["document", "liveness", "face_match"],
  subject: { phone, documentNumber: "00000000T" },
  hosted: { smsMessage: "Verifique su identidad: [LINK]", smsSender: "MiEmpresa" },
  ...over,
});
const control = (path: string, body: unknown) =>
  fetch(`${gw.sandboxUrl}/verificaridentidad/_control/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
async function configure(apiUser: string, webhookUrl: string, format: "json" | "form" | "multipart" = "json", password = WEBHOOK.webhookPassword) {
  const r = await control("webhook-config", { apiUser, url: webhookUrl, user: WEBHOOK.webhookUser, password, format, stepDelayMs: 30 });
  expect(r.status).toBeLessThan(300);
}
async function until(apiKey: string, id: string, wanted: (v: any) => boolean) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return wanted(r.body) ? r.body : null;
    },
    15_000,
    `verification ${id}`,
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

describe("VerificarIdentidad end to end", () => {
  it("sends the SMS, follows the Estado webhooks to approved, tells the tenant, and keeps the certificate", async () => {
    const t = await createTenantWithAccounts(gw, [account()]);
    await configure("sandbox", t.accounts[0].webhookUrl, "json");
    const rx = await startWebhookReceiver();
    const ep = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    rx.setSecrets([ep.body.secret]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    expect(created.status).toBe(202);
    const sent = await until(t.apiKey, created.body.id, (v) => v.status !== "pending");
    expect(sent.nextAction ?? { type: "sms_sent", phone: "+346*****001" }).toEqual({ type: "sms_sent", phone: "+346*****001" });
    const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(hook.json.data).toMatchObject({ status: "completed", decision: "approved", vendor: "verificaridentidad" });
    expect(hook.json.data.checks.faceMatch.similarity).toBeCloseTo(0.9396, 3);
    // Acceso, Posicion, Dispositivo and FechaEnvio reach the resource (issue 10)
    expect(hook.json.data.checks.session).toMatchObject({
      access: { ip: "85.10.20.221", port: 11892, requestSentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/) },
      position: { latitude: 4.4577993, longitude: -1.6592592 },
      device: { browser: "Chrome 92.0.4515.131", operatingSystem: "Android 11", displayResolution: "360 x 800", summary: "Android.v11-Chrome.v92.0.4515.131" },
    });
    expect(hook.json.data.checks.document.model).toBe("ID-1");
    // every Estado the user went through is in the event log (webhooks are ingested in parallel: any order)
    const events = await waitUntil(
      async () => {
        const e = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id, source: "webhook" } });
        return e.length === 7 ? e : null;
      },
      15_000,
      "7 webhook events",
    );
    expect(events.map((e) => (e.detail as { vendorStatus?: string }).vendorStatus).sort()).toEqual(["3000", "3001", "3002", "3003", "5000", "5001", "5100"]);
    expect(events.find((e) => (e.detail as { vendorStatus?: string }).vendorStatus === "3001")?.detail).toMatchObject({ step: expect.any(String) });
    // the certificate is fetched after 5100 and served as a PDF
    const pdf = await waitUntil(
      async () => {
        const res = await fetch(`${gw.url}/v1/verifications/${created.body.id}/certificate`, { headers: { authorization: `Bearer ${t.apiKey}` } });
        return res.status === 200 ? res : null;
      },
      15_000,
      "the certificate",
    );
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    const acct = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: t.accounts[0].id } });
    expect(acct.credits).toBeGreaterThan(0);
    await rx.close();
  });

  it("retries a failed certificate download without holding back the decision", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxcert")]);
    await configure("sandboxcert", t.accounts[0].webhookUrl);
    await fetch(`${gw.sandboxUrl}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "verificaridentidad", endpoint: "GetCertificadoIdentidad", fault: "http_500", times: 3 }),
    });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    const done = await until(t.apiKey, created.body.id, (v) => v.status === "completed");
    expect(done.decision).toBe("approved");
    const stored = await waitUntil(
      async () => gw.db.verificationEvent.findFirst({ where: { verificationId: created.body.id, type: "certificate_stored" } }),
      20_000,
      "the certificate after a retry",
    );
    const failed = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: created.body.id, type: "certificate_failed" } });
    expect(failed.id < stored.id).toBe(true);
    const completedAt = new Date(done.completedAt).getTime();
    expect(stored.createdAt.getTime()).toBeGreaterThan(completedAt);
    const pdf = await fetch(`${gw.url}/v1/verifications/${created.body.id}/certificate`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(pdf.status).toBe(200);
  }, 30_000);

  it.each([
    ["form", "+34600000002", "document_expired"],
    ["multipart", "+34600000003", "liveness_failed"],
    ["json", "+34600000004", "different_person_in_session"],
  ] as const)("reads %s webhooks: %s is declined with %s", async (format, phone, code) => {
    const apiUser = `sandbox${format}${phone.slice(-2)}`;
    const t = await createTenantWithAccounts(gw, [account(apiUser)]);
    await configure(apiUser, t.accounts[0].webhookUrl, format);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request(phone));
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("declined");
    expect(v.reasons.map((r: { code: string }) => r.code)).toContain(code);
  });

  it("ignores duplicates and out-of-order events; they only reach the event log", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxdup")]);
    await configure("sandboxdup", t.accounts[0].webhookUrl);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    const done = await until(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect((await control("replay", { id: done.vendorReference, estado: 5100 })).status).toBeLessThan(300);
    expect((await control("replay", { id: done.vendorReference, estado: 3001 })).status).toBeLessThan(300);
    await waitUntil(
      async () => (await gw.db.inboundWebhook.count({ where: { vendorAccountId: t.accounts[0].id, status: "processed" } })) === 9,
      10_000,
      "both replays processed",
    );
    const after = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
    expect(after.body).toMatchObject({ status: "completed", decision: "approved", updatedAt: done.updatedAt });
    const dup = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id, type: "vendor_webhook_duplicate" } });
    expect(dup.map((e) => (e.detail as { vendorStatus: string }).vendorStatus).sort()).toEqual(["3001", "5100"]);
    expect(await gw.db.webhookEvent.count({ where: { verificationId: created.body.id, type: "verification.completed" } })).toBe(1);
  });

  it("a user who never finishes ends expired with user_abandoned once the link's life is over", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxttl", { linkTtlHours: 0.0005 })]);
    await configure("sandboxttl", t.accounts[0].webhookUrl);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000007"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "expired");
    expect(v.reasons[0]).toMatchObject({ code: "user_abandoned", category: "user" });
    const steps = await gw.db.verificationEvent.findMany({ where: { verificationId: created.body.id, source: "webhook" } });
    expect(steps.length).toBeGreaterThanOrEqual(1); // the user opened the link (3000/3001) and stopped there
  });

  it("never sends a second SMS when a start was interrupted: it waits for the link's life, never failed", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxonce")]);
    await gw.stopWorkers();
    try {
      const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
      // what a worker killed right after the vendor call leaves behind
      await gw.db.verificationEvent.create({
        data: {
          verificationId: created.body.id,
          source: "worker",
          type: "vendor_start_attempted",
          fromStatus: "pending",
          toStatus: "pending",
          detail: { vendor: "verificaridentidad", vendorAccountId: t.accounts[0].id },
        },
      });
      gw.startWorkers();
      // the user may already have the link: the verification waits for its webhooks until the link's life ends
      const v = await until(t.apiKey, created.body.id, (x) => x.status !== "pending");
      expect(v).toMatchObject({ status: "awaiting_user", vendor: "verificaridentidad" });
      const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
      expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(71 * 3_600_000);
      expect(await gw.db.vendorCall.count({ where: { verificationId: created.body.id } })).toBe(0);
    } finally {
      if (!gw.workers) gw.startWorkers();
    }
  });

  it("a send answered 503 (the SMS may have gone out) never falls over to the next account: it waits, never failed", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxfirst"), account("sandboxsecond")]);
    gw.faults.add({ vendor: "verificaridentidad", endpoint: "VerificarIdentidad", fault: "http_503", times: 1, latencyMs: 0 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status !== "pending");
    expect(v.status).toBe("awaiting_user");
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
    expect(calls.map((c) => c.vendorAccountId)).toEqual([t.accounts[0].id]);
    const event = await gw.db.vendorEvent.findFirst({ where: { vendorAccountId: t.accounts[0].id, type: "start_outcome_unknown" } });
    expect(event).not.toBeNull();
  });

  it("a send that timed out (the SMS may have been sent) is never repeated nor failed over: it waits for the link's life", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxslow", { timeoutMs: 300, maxRetries: 0 }), account("sandboxnext")]);
    gw.faults.add({ vendor: "verificaridentidad", endpoint: "VerificarIdentidad", fault: "latency", times: 1, latencyMs: 1500 });
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status !== "pending");
    expect(v.status).toBe("awaiting_user");
    const calls = await gw.db.vendorCall.findMany({ where: { verificationId: created.body.id } });
    expect(calls.map((c) => [c.vendorAccountId, c.errorKind])).toEqual([[t.accounts[0].id, "timeout"]]);
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(71 * 3_600_000);
  });

  it("refuses a webhook with the wrong Basic credentials (401) and stores nothing", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxbad")]);
    const res = await fetch(t.accounts[0].webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from("vi-hook:wrong").toString("base64")}` },
      body: JSON.stringify({ ID: "1", Estado: "5100" }),
    });
    expect(res.status).toBe(401);
    const none = await fetch(t.accounts[0].webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ID: "1", Estado: "5100" }),
    });
    expect(none.status).toBe(401);
    expect(await gw.db.inboundWebhook.count({ where: { vendorAccountId: t.accounts[0].id } })).toBe(0);
  });

  it("stores a webhook for an unknown ID and reports it to operations, without a 500", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxunk")]);
    const auth = `Basic ${Buffer.from(`${WEBHOOK.webhookUser}:${WEBHOOK.webhookPassword}`).toString("base64")}`;
    const res = await fetch(t.accounts[0].webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth },
      body: "id=777000111&estado=5100",
    });
    expect(res.status).toBe(200);
    const events = await waitUntil(async () => {
      const r = await gw.admin("GET", `/admin/vendor-events?accountId=${t.accounts[0].id}&type=unknown_reference`);
      return r.body.data.length ? r.body.data : null;
    });
    expect(events[0].payload).toMatchObject({ vendorReference: "777000111", vendorStatus: "5100" });
  });

  it("out of credits falls over to the tenant's next account, and low credits are reported", async () => {
    await control("credits", { apiUser: "sandboxempty", credits: 0 });
    await control("credits", { apiUser: "sandboxlow", credits: 10 });
    const t = await createTenantWithAccounts(gw, [account("sandboxempty"), account("sandboxlow")]);
    await configure("sandboxlow", t.accounts[1].webhookUrl);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request("+34600000001"));
    const v = await until(t.apiKey, created.body.id, (x) => x.status === "completed");
    expect(v.decision).toBe("approved");
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.vendorAccountId).toBe(t.accounts[1].id);
    const failed = await gw.db.verificationEvent.findFirstOrThrow({ where: { verificationId: created.body.id, type: "vendor_failed" } });
    expect(failed.detail).toMatchObject({ reason: "vendor_out_of_credits", fallover: true });
    const low = await gw.admin("GET", `/admin/vendor-events?accountId=${t.accounts[1].id}&type=low_credits`);
    expect(low.body.data).toHaveLength(1);
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: t.accounts[1].id } })).credits).toBe(9);
  });

  it("refuses, before any vendor call, an SMS text without [LINK] or a sender over 11 characters", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxval")]);
    const noLink = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      request("+34600000001", { hosted: { smsMessage: "Verify please", smsSender: "MiEmpresa" } }),
    );
    expect(noLink.status).toBe(400);
    expect(noLink.body.errors.map((e: { path: string }) => e.path)).toContain("$.hosted.smsMessage");
    const longSender = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      request("+34600000001", { hosted: { smsMessage: "Go [LINK]", smsSender: "ABCDEFGHIJKL" } }),
    );
    expect(longSender.status).toBe(400);
    expect(longSender.body.errors.map((e: { path: string }) => e.path)).toContain("$.hosted.smsSender");
    expect(await gw.db.vendorCall.count({ where: { vendorAccountId: t.accounts[0].id } })).toBe(0);
  });

  it("refuses a hosted.sendAt in the past with 400 naming the field, before any vendor call (issue 10)", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxpast")]);
    const past = await gw.tenant(
      t.apiKey,
      "POST",
      "/v1/verifications",
      request("+34600000001", { hosted: { smsMessage: "Go [LINK]", sendAt: "2022-05-01T15:10:00+02:00" } }),
    );
    expect(past.status).toBe(400);
    expect(past.headers.get("content-type")).toContain("application/problem+json");
    expect(past.body.errors).toEqual([{ path: "$.hosted.sendAt", message: "is in the past: omit it to send the SMS now" }]);
    expect(await gw.db.verification.count({ where: { tenantId: t.tenantId } })).toBe(0);
    expect(await gw.db.vendorCall.count({ where: { vendorAccountId: t.accounts[0].id } })).toBe(0);
  });

  it("a report of another Servicio is an account event for operations, once however often delivered (issue 10)", async () => {
    const t = await createTenantWithAccounts(gw, [account("sandboxsvc")]);
    const auth = `Basic ${Buffer.from(`${WEBHOOK.webhookUser}:${WEBHOOK.webhookPassword}`).toString("base64")}`;
    const body = new URLSearchParams({ Servicio: "FIRMA_CONTRATO", ID: "299846400", Estado: "3000", Telefono: "34600000000" }).toString();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(t.accounts[0].webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth },
        body,
      });
      expect(res.status).toBe(200);
    }
    await waitUntil(
      async () => (await gw.db.inboundWebhook.count({ where: { vendorAccountId: t.accounts[0].id, status: "processed" } })) === 2,
      10_000,
      "both deliveries processed",
    );
    const r = await gw.admin("GET", `/admin/vendor-events?accountId=${t.accounts[0].id}&type=other_service_report`);
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0].payload).toEqual({ servicio: "FIRMA_CONTRATO", id: "299846400", estado: 3000 });
    expect(JSON.stringify(r.body.data[0])).not.toContain("34600000000");
  });
});

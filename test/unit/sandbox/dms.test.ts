// The DMS simulator over raw HTTP: paths with and without product prefixes, Bearer auth, 400s,
// the doc's payload shapes, magic inputs, faults, and the signed account-webhook control route.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { authenticateWebhook, parseWebhook } from "../../../src/adapters/dms/webhooks.js";
import type { RawWebhookRequest } from "../../../src/adapters/types.js";
import { FaultInjector } from "../../../src/sandbox/faults.js";
import { MAGIC_INPUTS, createDmsSimulator } from "../../../src/sandbox/dms/simulator.js";
import { fakeJpeg, makeAccount } from "../../support/adapter-harness.js";
import { readFileSync } from "node:fs";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../src/adapters/dms/fixtures/${name}`, import.meta.url), "utf8"));
const DOC_SAMPLE = fixture("idcard-recognition-response.json");
const FACE_SAMPLE = fixture("face-detection-response.corrected.json");
const VERIFY_SAMPLE = fixture("face-verify-response.json");

const faults = new FaultInjector(200);
let server: Server;
let base: string;

// a webhook receiver, like the gateway's /hooks/dms/<account>
const received: RawWebhookRequest[] = [];
let receiver: Server;
let receiverUrl: string;
let receiverStatus = 204;
/** statuses for the next deliveries, in order (then receiverStatus); a number of ms in hangMs holds that delivery */
let receiverScript: { status?: number; hangMs?: number }[] = [];

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` }));
  });
}

beforeAll(async () => {
  const sim = await listen(express().use("/dms", createDmsSimulator({ faults, log: pino({ level: "silent" }) })));
  server = sim.server;
  base = `${sim.url}/dms`;
  const hook = express();
  hook.post("/hooks/dms/acc", express.raw({ type: "*/*" }), (req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k.toLowerCase()] = v;
    received.push({ method: "POST", headers, query: {}, rawBody: req.body as Buffer, receivedAt: new Date() });
    const step = receiverScript.shift() ?? {};
    setTimeout(() => res.status(step.status ?? receiverStatus).end(), step.hangMs ?? 0);
  });
  const r = await listen(hook);
  receiver = r.server;
  receiverUrl = `${r.url}/hooks/dms/acc`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(async () => {
  faults.clear();
  received.length = 0;
  receiverStatus = 204;
  receiverScript = [];
  // no retry of an earlier test's delivery reaches this one
  await fetch(`${base}/_control/webhook-deliveries`, { method: "DELETE" });
});

const AUTH = { Authorization: "Bearer sandbox-dms-key" };
const b64 = (tag: string) => fakeJpeg(tag).toString("base64");

async function postJson(path: string, body: unknown, headers: Record<string, string> = AUTH) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function postImage(path: string, field: string, image: Buffer, headers: Record<string, string> = AUTH) {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "selfie.jpg");
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const keysOf = (o: unknown) => Object.keys(o as object).sort();

describe("dms simulator: paths with and without the product prefixes", () => {
  it.each(["/idcard_recognition_v2/idcard_recognition_base64", "/idcard_recognition_base64"])("POST %s answers the doc's sample shape", async (path) => {
    const { status, body } = await postJson(path, { image_base64: b64("front") });
    expect(status).toBe(200);
    expect(keysOf(body)).toEqual(keysOf(DOC_SAMPLE));
    expect({ ...body, Portrait: DOC_SAMPLE.Portrait }).toEqual(DOC_SAMPLE);
    expect(Buffer.from(body.Portrait as string, "base64").subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it.each(["/idcard_recognition_v2/idcard_recognition_base64_multi_page", "/idcard_recognition_base64_multi_page"])(
    "POST %s takes {images_base64: [front, back]}",
    async (path) => {
      const { status, body } = await postJson(path, { images_base64: [b64("front"), b64("back")] });
      expect(status).toBe(200);
      expect(keysOf(body)).toEqual(keysOf(DOC_SAMPLE));
    },
  );

  it.each(["/idcard_recognition_v2/idcard_recognition", "/idcard_recognition"])("POST %s takes multipart `file` (the doc's curl)", async (path) => {
    const { status, body } = await postImage(path, "file", fakeJpeg("front"));
    expect(status).toBe(200);
    expect(body.DocumentType).toBe("DRIVING_LICENSE");
  });

  it.each(["/v1/livecheck/face_detection", "/face_detection"])("POST %s (multipart image) answers the doc's face_detection shape", async (path) => {
    const { status, body } = await postImage(path, "image", fakeJpeg("selfie"));
    expect(status).toBe(200);
    expect(keysOf(body)).toEqual(keysOf(FACE_SAMPLE));
    const face = (body.faces as Record<string, unknown>[])[0]!;
    const sampleFace = FACE_SAMPLE.faces[0];
    expect(keysOf(face)).toEqual(keysOf(sampleFace));
    expect({ ...face, landmarks_68: null, template: null }).toEqual({ ...sampleFace, landmarks_68: null, template: null });
    expect(face.landmarks_68).toHaveLength(68);
    for (const p of face.landmarks_68 as unknown[]) expect(p).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Buffer.from(face.template as string, "base64")).toHaveLength(2048);
  });

  it("face_detection also takes a JSON image_base64", async () => {
    const { status, body } = await postJson("/v1/livecheck/face_detection", { image_base64: b64("selfie") });
    expect(status).toBe(200);
    expect(body.face_count).toBe(1);
  });

  it.each(["/v1/livecheck/template_extraction", "/template_extraction"])("POST %s answers face_count + faces[].template", async (path) => {
    const { status, body } = await postImage(path, "image", fakeJpeg("portrait"));
    expect(status).toBe(200);
    expect(body.face_count).toBe(1);
    expect(Buffer.from((body.faces as { template: string }[])[0]!.template, "base64")).toHaveLength(2048);
  });

  it.each(["/v1/livecheck/face_verify", "/face_verify"])("POST %s answers the doc's face_verify sample for two templates", async (path) => {
    const a = ((await postImage("/template_extraction", "image", fakeJpeg("a"))).body.faces as { template: string }[])[0]!.template;
    const b = ((await postImage("/template_extraction", "image", fakeJpeg("b"))).body.faces as { template: string }[])[0]!.template;
    const { status, body } = await postJson(path, { template_a: a, template_b: b });
    expect(status).toBe(200);
    expect(body).toEqual(VERIFY_SAMPLE);
  });

  it.each(["/idcard_recognition_v2/health", "/v1/livecheck/health", "/health"])("GET %s", async (path) => {
    const res = await fetch(`${base}${path}`, { headers: AUTH });
    expect(res.status).toBe(200);
  });
});

describe("dms simulator: auth and bad requests", () => {
  it.each([
    ["no Authorization", {}, 401],
    ["a live-looking key", { Authorization: "Bearer live_abc" }, 401],
    ["the bare prefix sk_test_", { Authorization: "Bearer sk_test_" }, 401],
    ["Basic instead of Bearer", { Authorization: "Basic c2FuZGJveC1kbXMta2V5Og==" }, 401],
    ["sandbox-dms-key", { Authorization: "Bearer sandbox-dms-key" }, 200],
    ["an sk_test_ key", { Authorization: "Bearer sk_test_42" }, 200],
  ] as const)("%s -> %s", async (_label, headers, status) => {
    const res = await postJson("/idcard_recognition_base64", { image_base64: b64("front") }, headers);
    expect(res.status).toBe(status);
    if (status === 401) expect(res.body).toEqual({ error: "Unauthorized", detail: "missing or invalid API key" });
  });

  it.each([
    ["/idcard_recognition_base64", {}],
    ["/idcard_recognition_base64", { image_base64: "" }],
    ["/idcard_recognition_base64", { image_base64: "not base64 !!" }],
    ["/idcard_recognition_base64", { image: b64("front") }],
    ["/idcard_recognition_base64_multi_page", { images_base64: [] }],
    ["/idcard_recognition_base64_multi_page", { image_base64: b64("front") }],
    ["/face_detection", {}],
    ["/template_extraction", {}],
    ["/face_verify", { template_a: "x" }],
    ["/face_verify", { template_a: b64("short"), template_b: b64("short") }],
  ])("POST %s %j -> 400", async (path, body) => {
    const res = await postJson(path, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Bad Request");
  });

  it("a body that is not JSON -> 400", async () => {
    const res = await fetch(`${base}/idcard_recognition_base64`, { method: "POST", headers: { ...AUTH, "Content-Type": "application/json" }, body: "{oops" });
    expect(res.status).toBe(400);
  });
});

describe("dms simulator: magic inputs at the HTTP level", () => {
  it("lists every marker with its outcome", () => {
    expect(MAGIC_INPUTS).toHaveLength(14);
    for (const m of MAGIC_INPUTS) {
      expect(m.input).toMatch(/^MAGIC:[a-z0-9]+$/);
      expect(m.outcome.length).toBeGreaterThan(10);
    }
  });

  it("MAGIC:noexpiry -> the sample answer without DateOfExpiry; MAGIC:bare -> FraudCheck alone", async () => {
    const noExpiry = (await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:noexpiry") })).body;
    expect(noExpiry).not.toHaveProperty("DateOfExpiry");
    expect(noExpiry).toMatchObject({ GivenNames: "CARLOS", FraudCheck: { Result: "GENUINE" } });
    expect((await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:bare") })).body).toEqual({ FraudCheck: { Result: "GENUINE" } });
  });

  it("no marker -> the doc's sample holder (CARLOS GARCIA LOPEZ); MAGIC:juan -> the README example subject", async () => {
    const sample = (await postJson("/idcard_recognition_base64", { image_base64: b64("front") })).body;
    expect(sample).toMatchObject({
      DocumentType: "DRIVING_LICENSE",
      GivenNames: "CARLOS",
      Surname: "GARCIA LOPEZ",
      DateOfBirth: "1990-06-15",
      DocumentNumber: "B12345678",
    });
    const juan = (await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:juan") })).body;
    expect(juan).toMatchObject({
      DocumentType: "NATIONAL_ID",
      IssuingCountry: "ESP",
      GivenNames: "JUAN",
      Surname: "APARICIO LOPEZ",
      DateOfBirth: "1955-12-18",
      DateOfExpiry: "2031-10-19",
      DocumentNumber: "00000000T",
      Sex: "M",
      Nationality: "ESP",
      FraudCheck: { Result: "GENUINE", Checks: ["NO_SPECIMEN_WATERMARK", "NO_SCREEN_CAPTURE"] },
    });
    // document markers combine with it
    const juanExpired = (await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:juan MAGIC:expired") })).body;
    expect(juanExpired).toMatchObject({ GivenNames: "JUAN", DateOfExpiry: "2019-06-15" });
    const juanNoExpiry = (await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:juan MAGIC:noexpiry") })).body;
    expect(juanNoExpiry).toMatchObject({ GivenNames: "JUAN" });
    expect(juanNoExpiry).not.toHaveProperty("DateOfExpiry");
  });

  it("MAGIC:expired -> DateOfExpiry in the past", async () => {
    expect((await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:expired") })).body.DateOfExpiry).toBe("2019-06-15");
  });

  it.each([
    // only the doc's item names: the check not passed is the one missing from the list
    ["MAGIC:suspicious", ["NO_SCREEN_CAPTURE"]],
    ["MAGIC:screen", ["NO_SPECIMEN_WATERMARK"]],
  ])("%s -> FraudCheck SUSPICIOUS %j", async (marker, checks) => {
    const { body } = await postJson("/idcard_recognition_base64", { image_base64: b64(marker) });
    expect(body.FraudCheck).toEqual({ Result: "SUSPICIOUS", Checks: checks });
  });

  it.each([
    ["/idcard_recognition_base64", { image_base64: b64("MAGIC:nodoc") }, 422],
    ["/idcard_recognition_base64_multi_page", { images_base64: [b64("front"), b64("MAGIC:nodoc")] }, 422],
    ["/idcard_recognition_base64", { image_base64: b64("MAGIC:quota402") }, 402],
    ["/face_detection", { image_base64: b64("MAGIC:quota402") }, 402],
    ["/face_detection", { image_base64: b64("MAGIC:noface") }, 422],
    ["/template_extraction", { image_base64: b64("MAGIC:noface") }, 422],
  ])("POST %s with %j -> %s", async (path, body, status) => {
    expect((await postJson(path, body)).status).toBe(status);
  });

  it('MAGIC:quota: past the allowance "Requests continue to succeed" with the usual answer; the scan is counted as overage', async () => {
    const before = (await (await fetch(`${base}/_control/usage`)).json()) as { scans: number; overage: number };
    const plain = await postJson("/idcard_recognition_base64", { image_base64: b64("front") });
    const over = await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:quota") });
    expect(over.status).toBe(200);
    expect({ ...over.body, Portrait: null }).toEqual({ ...plain.body, Portrait: null });
    const face = await postJson("/face_detection", { image_base64: b64("MAGIC:quota") });
    expect(face.status).toBe(200);
    expect(face.body).toMatchObject({ face_count: 1, faces: [{ liveness: "GENUINE", quality: 0.94 }] });
    const after = (await (await fetch(`${base}/_control/usage`)).json()) as { scans: number; overage: number };
    expect(after).toEqual({ scans: before.scans + 3, overage: before.overage + 2 });
  });

  it("MAGIC:nodoc only concerns documents, MAGIC:noface only faces", async () => {
    expect((await postJson("/face_detection", { image_base64: b64("MAGIC:nodoc") })).status).toBe(200);
    expect((await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:noface") })).status).toBe(200);
  });

  it.each([
    ["MAGIC:spoof", { liveness: "SPOOF", quality: 0.94 }],
    ["MAGIC:lowquality", { liveness: "GENUINE", quality: 0.31 }],
  ])("%s on face_detection -> %j", async (marker, expected) => {
    const { body } = await postImage("/face_detection", "image", fakeJpeg(marker));
    expect((body.faces as Record<string, unknown>[])[0]).toMatchObject(expected);
  });

  it("MAGIC:multiface -> face_count 2 with two faces", async () => {
    const { body } = await postImage("/face_detection", "image", fakeJpeg("MAGIC:multiface"));
    expect(body.face_count).toBe(2);
    expect(body.faces).toHaveLength(2);
  });

  it("MAGIC:mismatch -> the template carries it -> face_verify match false", async () => {
    const t = async (tag: string) => ((await postImage("/face_detection", "image", fakeJpeg(tag))).body.faces as { template: string }[])[0]!.template;
    const { body } = await postJson("/face_verify", { template_a: await t("portrait"), template_b: await t("MAGIC:mismatch") });
    expect(body).toEqual({ similarity: 0.3127, match: false, threshold: 0.82 });
  });

  it("a document image's face markers are carried into its Portrait", async () => {
    const { body } = await postJson("/idcard_recognition_base64", { image_base64: b64("MAGIC:noface MAGIC:expired") });
    const portrait = Buffer.from(body.Portrait as string, "base64");
    expect(portrait.toString("latin1")).toContain("MAGIC:noface");
    expect(portrait.toString("latin1")).not.toContain("MAGIC:expired");
    expect((await postImage("/template_extraction", "image", portrait)).status).toBe(422);
  });
});

describe("dms simulator: faults", () => {
  it("applies injected faults to its routes before auth", async () => {
    faults.add({ vendor: "dms", endpoint: "/face_verify", fault: "http_503", times: 1, latencyMs: 0 });
    expect((await postJson("/face_verify", {}, {})).status).toBe(503);
    expect((await postJson("/face_verify", {}, {})).status).toBe(401);
  });

  it("does not fault its control route", async () => {
    faults.add({ vendor: "dms", fault: "http_500", times: 0, latencyMs: 0 });
    const res = await postJson("/_control/send-webhook", { url: receiverUrl, secret: "s", event: "test" }, {});
    expect(res.status).toBe(200);
  });
});

describe("dms simulator: POST /_control/send-webhook", () => {
  const account = makeAccount("dms", { credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["whsec_one"] } });

  it("delivers a signed anomaly.detected like DMS does, answering the target's status", async () => {
    receiverStatus = 202;
    const res = await postJson("/_control/send-webhook", { url: receiverUrl, secret: "whsec_one", event: "anomaly.detected", deliveryId: "dlv-1" }, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 202, deliveryId: "dlv-1" });
    expect(received).toHaveLength(1);
    const req = received[0]!;
    expect(req.headers["x-hillogy-delivery-id"]).toBe("dlv-1");
    expect(req.headers["x-hillogy-signature"]).toMatch(new RegExp(`^t=${req.headers["x-hillogy-timestamp"]},v1=[0-9a-f]{64}$`));
    expect(authenticateWebhook(req, account)).toBe(true);
    const [parsed] = parseWebhook(req, account);
    expect(parsed).toMatchObject({ type: "account_event", event: { type: "anomaly.detected", externalId: "dlv-1" } });
    const payload = (parsed as { event: { payload: Record<string, unknown> } }).event.payload;
    const sample = fixture("webhook-anomaly-detected.json");
    expect(keysOf(payload)).toEqual(keysOf(sample));
    expect({ ...payload, deliveryId: null, timestamp: null }).toEqual({ ...sample, deliveryId: null, timestamp: null });
  });

  it("signs with both secrets during a rotation; either alone verifies", async () => {
    await postJson("/_control/send-webhook", { url: receiverUrl, secret: ["whsec_old", "whsec_new"], event: "invoice.paid" }, {});
    const req = received[0]!;
    expect(req.headers["x-hillogy-signature"]?.match(/v1=/g)).toHaveLength(2);
    const onlyNew = makeAccount("dms", { credentials: { apiKey: "k", webhookSecrets: ["whsec_new"] } });
    expect(authenticateWebhook(req, onlyNew)).toBe(true);
    expect(authenticateWebhook(req, account)).toBe(false);
  });

  it("a retry carries originalExecutionId", async () => {
    await postJson("/_control/send-webhook", { url: receiverUrl, secret: "whsec_one", event: "retry", payload: { originalExecutionId: "dlv-1" } }, {});
    const [parsed] = parseWebhook(received[0]!, account);
    expect(parsed).toMatchObject({ event: { type: "retry", payload: { event: "retry", originalExecutionId: "dlv-1" } } });
  });

  it("an old timestamp is sent as given and refused by the verifier", async () => {
    const stale = Math.floor(Date.now() / 1000) - 600;
    await postJson("/_control/send-webhook", { url: receiverUrl, secret: "whsec_one", event: "test", timestamp: stale }, {});
    expect(received[0]!.headers["x-hillogy-timestamp"]).toBe(String(stale));
    expect(authenticateWebhook(received[0]!, account)).toBe(false);
  });

  it.each([
    [{ secret: "s", event: "test" }],
    [{ url: "http://127.0.0.1:1/x", event: "test" }],
    [{ url: "http://127.0.0.1:1/x", secret: "s", event: "invoice.refunded" }],
  ])("refuses an incomplete or unknown request %j with 400", async (body) => {
    expect((await postJson("/_control/send-webhook", body, {})).status).toBe(400);
  });

  const attemptsOf = async (deliveryId: string) =>
    (
      (await (await fetch(`${base}/_control/webhook-deliveries?deliveryId=${deliveryId}`)).json()) as {
        data: { attempt: number; at: string; status: number | null; error: string | null }[];
      }
    ).data;

  it('"Non-2xx responses ... are retried with exponential backoff": same body and delivery id, signed again, until a 2xx', async () => {
    receiverScript = [{ status: 500 }, { status: 503 }];
    const res = await postJson(
      "/_control/send-webhook",
      { url: receiverUrl, secret: "whsec_one", event: "anomaly.detected", deliveryId: "dlv-retry", retry: { baseDelayMs: 40, maxAttempts: 5 } },
      {},
    );
    expect(res.body).toMatchObject({ status: 500, deliveryId: "dlv-retry", attempt: 1, retrying: true });
    await waitFor(async () => (await attemptsOf("dlv-retry")).length === 3);
    const attempts = await attemptsOf("dlv-retry");
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 204],
    ]);
    // backoff: 40 ms, then 80 ms
    const at = attempts.map((a) => Date.parse(a.at));
    expect(at[2]! - at[1]!).toBeGreaterThan(at[1]! - at[0]!);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(80 - 5);
    await new Promise((r) => setTimeout(r, 400));
    expect(received).toHaveLength(3); // nothing after the 2xx
    expect(new Set(received.map((r) => r.headers["x-hillogy-delivery-id"]))).toEqual(new Set(["dlv-retry"]));
    expect(new Set(received.map((r) => r.rawBody.toString("utf8"))).size).toBe(1);
    for (const r of received) expect(authenticateWebhook(r, account)).toBe(true);
  });

  it("a delivery still failing after maxAttempts is given up", async () => {
    receiverStatus = 500;
    await postJson(
      "/_control/send-webhook",
      { url: receiverUrl, secret: "whsec_one", event: "test", deliveryId: "dlv-giveup", retry: { baseDelayMs: 10, maxAttempts: 3 } },
      {},
    );
    await waitFor(async () => (await attemptsOf("dlv-giveup")).length === 3);
    await new Promise((r) => setTimeout(r, 200));
    expect((await attemptsOf("dlv-giveup")).map((a) => a.status)).toEqual([500, 500, 500]);
    expect(received).toHaveLength(3);
    const list = (await (await fetch(`${base}/_control/webhook-deliveries`)).json()) as { pendingRetries: number };
    expect(list.pendingRetries).toBe(0);
  });

  it('"(and timeouts after 10 s)": a target that does not answer in time is retried', async () => {
    receiverScript = [{ hangMs: 300 }];
    const res = await postJson(
      "/_control/send-webhook",
      { url: receiverUrl, secret: "whsec_one", event: "test", deliveryId: "dlv-slow", retry: { baseDelayMs: 10, timeoutMs: 100 } },
      {},
    );
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ detail: "timeout", retrying: true });
    await waitFor(async () => (await attemptsOf("dlv-slow")).some((a) => a.status === 204));
    expect((await attemptsOf("dlv-slow")).map((a) => [a.status, a.error])).toEqual([
      [null, "timeout"],
      [204, null],
    ]);
  });

  it("a 2xx is delivered once; by default a failure is retried later (30 s base), and DELETE cancels what is due", async () => {
    const ok = await postJson("/_control/send-webhook", { url: receiverUrl, secret: "whsec_one", event: "test", deliveryId: "dlv-once" }, {});
    expect(ok.body).toMatchObject({ status: 204, retrying: false });
    receiverStatus = 500;
    const failed = await postJson("/_control/send-webhook", { url: receiverUrl, secret: "whsec_one", event: "test", deliveryId: "dlv-later" }, {});
    expect(failed.body).toMatchObject({ status: 500, retrying: true });
    expect(((await (await fetch(`${base}/_control/webhook-deliveries`)).json()) as { pendingRetries: number }).pendingRetries).toBe(1);
    await fetch(`${base}/_control/webhook-deliveries`, { method: "DELETE" });
    expect(((await (await fetch(`${base}/_control/webhook-deliveries`)).json()) as { pendingRetries: number }).pendingRetries).toBe(0);
    expect(received).toHaveLength(2);
  });

  it("an unreachable target -> 502", async () => {
    const res = await postJson("/_control/send-webhook", { url: "http://127.0.0.1:1/hooks", secret: "s", event: "test" }, {});
    expect(res.status).toBe(502);
  });
});

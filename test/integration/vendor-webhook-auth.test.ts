// Forged, replayed and wrongly authenticated vendor webhooks, for each of the five vendors, over
// HTTP against a running gateway: every one refused, and not one inbound_webhooks row written.
//   DMS (Hillogy): X-Hillogy-Signature t=<ts>,v1=HMAC-SHA256(secret, ts + "." + raw body), and the
//     vendor file: "Reject requests older than ~5 minutes to defeat replays" (REPLAY_WINDOW_SECONDS).
//   VerificarIdentidad: HTTP Basic with the account's webhook user and password; the scheme has no
//     timestamp or nonce, so a replay of a captured delivery cannot be told from the original.
//   ShareID, Identomat, IDENTY: their files describe no webhook at all; the gateway takes none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPLAY_WINDOW_SECONDS, signHillogy } from "../../src/adapters/dms/webhooks.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let t: Awaited<ReturnType<typeof createTenantWithAccounts>>;
let other: Awaited<ReturnType<typeof createTenantWithAccounts>>;
const DMS_SECRET = "whs-dms-right";
const VI = { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "vi-hook", webhookPassword: "vi-hook-password" };
const VI_OTHER = { ...VI, webhookUser: "vi-other", webhookPassword: "vi-other-password" };

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  t = await createTenantWithAccounts(gw, [
    { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: [DMS_SECRET] } },
    { vendor: "verificaridentidad", credentials: VI },
    { vendor: "shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } },
    { vendor: "identomat", credentials: { companyKey: "sandbox-identomat-key", secretKey: "identomat-secret" } },
    { vendor: "identy", credentials: {} },
  ]);
  other = await createTenantWithAccounts(gw, [
    { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["whs-dms-other-tenant"] } },
    { vendor: "verificaridentidad", credentials: VI_OTHER },
  ]);
});
afterAll(async () => gw?.close());

const accountOf = (tenant: typeof t, vendor: string) =>
  tenant.accounts.find((a: { vendor: string }) => a.vendor === vendor) as { id: string; webhookUrl: string };
const stored = () => gw.db.inboundWebhook.count();
const now = () => Math.floor(Date.now() / 1000);

interface Attempt {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends every attempt; each must be refused (401 or 404), and the table must not grow. */
async function expectAllRefused(attempts: Attempt[]) {
  const before = await stored();
  const answers = [];
  for (const a of attempts) {
    const res = await fetch(a.url, { method: "POST", headers: a.headers, body: a.body });
    answers.push({ name: a.name, status: res.status, problem: (res.headers.get("content-type") ?? "").startsWith("application/problem+json") });
  }
  expect(answers.filter((a) => !(a.status === 401 || a.status === 404) || !a.problem)).toEqual([]);
  expect(await stored()).toBe(before);
  return answers;
}

describe("DMS: HMAC-SHA256 over timestamp and raw body, 5-minute replay window", () => {
  const body = JSON.stringify({ event: "test", deliveryId: "c9f4b8d2-2a1a-4a7b-bbd2-f0b7d8e4a311", timestamp: new Date().toISOString() });
  const signed = (secret: string, ts: number, raw = body) => ({
    "content-type": "application/json",
    "x-hillogy-delivery-id": "d-1",
    "x-hillogy-timestamp": String(ts),
    "x-hillogy-signature": `t=${ts},v1=${signHillogy(secret, ts, raw)}`,
  });

  it("a rightly signed fresh delivery is taken (the control for the refusals below)", async () => {
    const before = await stored();
    const res = await fetch(accountOf(t, "dms").webhookUrl, { method: "POST", headers: signed(DMS_SECRET, now()), body });
    expect(res.status).toBe(200);
    expect(await stored()).toBe(before + 1);
  });

  it("forged, wrongly signed and tampered deliveries are all refused, and nothing is stored", async () => {
    const url = accountOf(t, "dms").webhookUrl;
    const ts = now();
    const answers = await expectAllRefused([
      { name: "no signature headers", url, headers: { "content-type": "application/json" }, body },
      {
        name: "signature without timestamp header",
        url,
        headers: { "content-type": "application/json", "x-hillogy-signature": `t=${ts},v1=${signHillogy(DMS_SECRET, ts, body)}` },
        body,
      },
      { name: "another secret", url, headers: signed("not-the-secret", ts), body },
      { name: "another tenant's account secret", url, headers: signed("whs-dms-other-tenant", ts), body },
      { name: "body changed after signing", url, headers: signed(DMS_SECRET, ts), body: body.replace("test", "invoice.paid") },
      { name: "timestamp header differs from t=", url, headers: { ...signed(DMS_SECRET, ts), "x-hillogy-timestamp": String(ts - 1) }, body },
      { name: "v1 not hex", url, headers: { ...signed(DMS_SECRET, ts), "x-hillogy-signature": `t=${ts},v1=zz` }, body },
      {
        name: "v1 truncated",
        url,
        headers: { ...signed(DMS_SECRET, ts), "x-hillogy-signature": `t=${ts},v1=${signHillogy(DMS_SECRET, ts, body).slice(0, 32)}` },
        body,
      },
      { name: "empty signature", url, headers: { ...signed(DMS_SECRET, ts), "x-hillogy-signature": "" }, body },
      { name: "v0 scheme only", url, headers: { ...signed(DMS_SECRET, ts), "x-hillogy-signature": `t=${ts},v0=${signHillogy(DMS_SECRET, ts, body)}` }, body },
      { name: "right signature on another account's URL", url: accountOf(other, "dms").webhookUrl, headers: signed(DMS_SECRET, ts), body },
      { name: "right signature to the VerificarIdentidad account", url: accountOf(t, "verificaridentidad").webhookUrl, headers: signed(DMS_SECRET, ts), body },
    ]);
    expect(answers).toHaveLength(12);
  });

  it("a replay outside the window is refused: a captured delivery re-sent later, and one dated ahead", async () => {
    const url = accountOf(t, "dms").webhookUrl;
    const old = now() - REPLAY_WINDOW_SECONDS - 5;
    await expectAllRefused([
      { name: "captured 5 minutes ago, re-sent now", url, headers: signed(DMS_SECRET, old), body },
      { name: "an hour old", url, headers: signed(DMS_SECRET, now() - 3600), body },
      { name: "dated ahead beyond clock skew", url, headers: signed(DMS_SECRET, now() + REPLAY_WINDOW_SECONDS + 5), body },
      { name: "timestamp 0", url, headers: signed(DMS_SECRET, 0), body },
    ]);
  });
});

describe("VerificarIdentidad: HTTP Basic with the account's webhook credentials", () => {
  const body = JSON.stringify({ ID: "299846400", Estado: "5100" });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  it("the right credentials are taken (the control)", async () => {
    const before = await stored();
    const res = await fetch(accountOf(t, "verificaridentidad").webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic(VI.webhookUser, VI.webhookPassword) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await stored()).toBe(before + 1);
  });

  it("missing, wrong and misplaced credentials are all refused, and nothing is stored", async () => {
    const url = accountOf(t, "verificaridentidad").webhookUrl;
    const json = { "content-type": "application/json" };
    await expectAllRefused([
      { name: "no Authorization", url, headers: json, body },
      { name: "wrong password", url, headers: { ...json, authorization: basic(VI.webhookUser, "wrong") }, body },
      { name: "wrong user", url, headers: { ...json, authorization: basic("someone", VI.webhookPassword) }, body },
      { name: "password with a suffix", url, headers: { ...json, authorization: basic(VI.webhookUser, `${VI.webhookPassword}x`) }, body },
      { name: "empty user and password", url, headers: { ...json, authorization: basic("", "") }, body },
      { name: "no colon", url, headers: { ...json, authorization: `Basic ${Buffer.from(`${VI.webhookUser}${VI.webhookPassword}`).toString("base64")}` }, body },
      { name: "the API credentials instead of the webhook ones", url, headers: { ...json, authorization: basic(VI.apiUser, VI.apiToken) }, body },
      { name: "Bearer with the password", url, headers: { ...json, authorization: `Bearer ${VI.webhookPassword}` }, body },
      { name: "credentials in the query", url: `${url}?user=${VI.webhookUser}&password=${VI.webhookPassword}`, headers: json, body },
      { name: "not base64", url, headers: { ...json, authorization: "Basic ###" }, body },
      { name: "another tenant's account credentials", url, headers: { ...json, authorization: basic(VI_OTHER.webhookUser, VI_OTHER.webhookPassword) }, body },
      {
        name: "right credentials on another tenant's account",
        url: accountOf(other, "verificaridentidad").webhookUrl,
        headers: { ...json, authorization: basic(VI.webhookUser, VI.webhookPassword) },
        body,
      },
      {
        name: "right credentials to the DMS account",
        url: accountOf(t, "dms").webhookUrl,
        headers: { ...json, authorization: basic(VI.webhookUser, VI.webhookPassword) },
        body,
      },
    ]);
  });
});

describe("ShareID, Identomat and IDENTY describe no webhooks: the gateway takes none", () => {
  it.each(["shareid", "identomat", "identy"])("%s: every delivery is refused, however it is dressed, and nothing is stored", async (vendor) => {
    const url = accountOf(t, vendor).webhookUrl ?? `${gw.url}/hooks/${vendor}/${accountOf(t, vendor).id}`;
    const body = JSON.stringify({ status: "APPROVED", id: "x-1", result: { verdict: "ok" } });
    const ts = now();
    await expectAllRefused([
      { name: "plain", url, headers: { "content-type": "application/json" }, body },
      {
        name: "with the account's API key",
        url,
        headers: { "content-type": "application/json", authorization: "Bearer sandbox-shareid-key", "x-api-key": "sandbox-shareid-key" },
        body,
      },
      {
        name: "Basic with the company key and secret",
        url,
        headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from("sandbox-identomat-key:identomat-secret").toString("base64")}` },
        body,
      },
      {
        name: "a DMS-style signature",
        url,
        headers: {
          "content-type": "application/json",
          "x-hillogy-timestamp": String(ts),
          "x-hillogy-signature": `t=${ts},v1=${signHillogy(DMS_SECRET, ts, body)}`,
        },
        body,
      },
      { name: "form encoded", url, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "status=APPROVED&id=x-1" },
    ]);
  });
});

// Safe defaults on a running API (issue 11, point 7): /metrics behind METRICS_TOKEN, no token or
// secret in any logged request path (the log stream captured), nosniff on every answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKey } from "../../src/domain/crypto.js";
import { signSdkProxyToken } from "../../src/adapters/identy/routes.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

const METRICS_TOKEN = "metrics-token-for-tests-0123";
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false, envOverrides: { METRICS_TOKEN } });
});
afterAll(async () => gw?.close());

describe("safe defaults", () => {
  it("/metrics answers 401 problem+json without Authorization: Bearer METRICS_TOKEN, 200 with it", async () => {
    const none = await fetch(`${gw.url}/metrics`);
    expect([none.status, none.headers.get("content-type"), none.headers.get("www-authenticate")]).toEqual([
      401,
      "application/problem+json; charset=utf-8",
      'Bearer realm="metrics"',
    ]);
    expect(await none.json()).toMatchObject({ status: 401, title: "Unauthorized", detail: expect.stringContaining("METRICS_TOKEN") });
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.env.ADMIN_TOKEN}` } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP kyc_/m);
  });

  it("no SDK proxy token, ?token= or other query value reaches the log stream; the request is still logged", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const token = signSdkProxyToken(
      { verificationId: "ver_x", accountId: "va_nobody", expiresAt: Date.now() + 60_000 },
      deriveKey(gw.env.masterKey, "identy-sdk-proxy"),
    );
    const before = gw.logLines.length;
    await fetch(`${gw.url}/sdk/identy/${token}/api/v1/license?token=query-secret-1`);
    await fetch(`${gw.url}/v1/verifications?token=query-secret-2&cursor=x`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    await fetch(`${gw.url}/v1/verifications?apiKey=query-secret-3`, { headers: { authorization: "Bearer kyc_0000000000000000_wrongwrongwrongwrongwrong" } });
    await new Promise((r) => setTimeout(r, 100));
    const lines = gw.logLines.slice(before).join("");
    expect(lines).toContain('"path":"/sdk/identy/[redacted]/api/v1/license"');
    expect(lines).toContain('"path":"/v1/verifications"');
    for (const secret of [token, token.split(".")[0]!, token.split(".")[1]!, "query-secret-1", "query-secret-2", "query-secret-3", t.apiKey])
      expect(lines).not.toContain(secret);
  });

  it("every answer carries X-Content-Type-Options: nosniff", async () => {
    for (const path of ["/healthz", "/openapi.json", "/v1/verifications", "/no-such-route"])
      expect((await fetch(`${gw.url}${path}`)).headers.get("x-content-type-options"), path).toBe("nosniff");
  });
});

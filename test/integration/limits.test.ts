// Work before authentication and unlimited requests (the security issue's "no limits" points):
// a body is parsed only after the key is checked, and each API key has a rate shared by every
// API process, answered 429 problem+json with Retry-After past it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false, envOverrides: { RATE_LIMIT_PER_KEY_PER_SECOND: "5" } });
});
afterAll(async () => gw?.close());

describe("limits", () => {
  it("a request without a valid key is refused before its body is read: malformed JSON without a key is a 401, not a 400", async () => {
    const noKey = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(noKey.status).toBe(401);
    const badAdmin = await fetch(`${gw.url}/admin/tenants`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer wrong" },
      body: "{not json",
    });
    expect(badAdmin.status).toBe(401);
  });

  it("a burst over the key's rate is answered 429 problem+json with Retry-After; another tenant's key is not affected", async () => {
    const a = await createTenantWithAccounts(gw, []);
    const b = await createTenantWithAccounts(gw, []);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${gw.url}/v1/verifications`, { headers: { authorization: `Bearer ${a.apiKey}` } })),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(15);
    const limited = burst.find((r) => r.status === 429)!;
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${gw.url}/v1/verifications`, { headers: { authorization: `Bearer ${b.apiKey}` } })).status).toBe(200);
    // the budget comes back
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(`${gw.url}/v1/verifications`, { headers: { authorization: `Bearer ${a.apiKey}` } })).status).toBe(200);
  });
});

// Rate limits per client IP and the IETF draft's RateLimit fields (issue 11, point 2): the per-IP
// limit counts before authentication (a flood of bad keys is bounded too), is shared by every API
// process through Redis, and trusts X-Forwarded-For only from the proxies TRUST_PROXY names.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startGatewayWithSecondApi, startSecondApi, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let other: Awaited<ReturnType<typeof startSecondApi>>;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ gw, other, close } = await startGatewayWithSecondApi({
    workers: false,
    envOverrides: { RATE_LIMIT_PER_IP_PER_SECOND: "6", RATE_LIMIT_PER_KEY_PER_SECOND: "4" },
  }));
});
afterAll(async () => close?.());

let ipCounter = 0;
/** a fresh client address per test (documentation range), as a trusted proxy reports it */
const freshIp = () => `203.0.113.${++ipCounter}`;
const hit = (base: string, ip: string, key = "not-a-key", path = "/v1/verifications") =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip } });

describe("per-IP rate limit", () => {
  it("counts before authentication: a burst of bad keys from one address is 401 up to the limit, then 429 problem+json with Retry-After", async () => {
    const ip = freshIp();
    const burst = await Promise.all(Array.from({ length: 15 }, () => hit(gw.url, ip)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    const limited = burst.find((r) => r.status === 429)!;
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(((await limited.json()) as { detail: string }).detail).toContain("client address");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("ratelimit")).toMatch(/^"ip";r=0;t=\d+$/);
    // another address is not affected; the admin API shares the address's budget
    expect((await hit(gw.url, freshIp())).status).toBe(401);
    expect((await hit(gw.url, ip, gw.env.ADMIN_TOKEN, "/admin/tenants")).status).toBe(429);
  });

  it("is shared by every API process: 4 + 4 requests from one address through two processes get 6 answers", async () => {
    const ip = freshIp();
    const burst = await Promise.all([...Array.from({ length: 4 }, () => hit(gw.url, ip)), ...Array.from({ length: 4 }, () => hit(other.url, ip))]);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it("X-Forwarded-For is not trusted from an untrusted peer: with TRUST_PROXY=false every forged address counts as the peer's", async () => {
    // counters of its own, so the peer's (127.0.0.1) window starts empty
    const strict = await startSecondApi(gw, { TRUST_PROXY: false }, { queuePrefix: `${gw.queues.prefix}-strict` });
    try {
      const burst = await Promise.all(Array.from({ length: 10 }, () => hit(strict.url, freshIp())));
      expect(burst.filter((r) => r.status === 429)).toHaveLength(4);
    } finally {
      await strict.close();
    }
  });
});

describe("RateLimit fields", () => {
  it("every answer names both policies and what is left of each (draft-ietf-httpapi-ratelimit-headers)", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const ip = freshIp();
    const first = await hit(gw.url, ip, t.apiKey);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"ip";q=6;w=1, "key";q=4;w=1');
    expect(first.headers.get("ratelimit")).toMatch(/^"ip";r=5;t=1, "key";r=3;t=1$/);
    const second = await hit(gw.url, ip, t.apiKey);
    expect(second.headers.get("ratelimit")).toMatch(/^"ip";r=4;t=1, "key";r=2;t=1$/);
    // past the key's budget: 429 from the key policy, its remaining 0
    await Promise.all([hit(gw.url, freshIp(), t.apiKey), hit(gw.url, freshIp(), t.apiKey)]);
    const limited = await hit(gw.url, freshIp(), t.apiKey);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit")).toMatch(/"key";r=0;t=\d+$/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { detail: string }).detail).toContain("API key");
  });
});

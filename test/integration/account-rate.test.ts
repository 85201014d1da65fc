// The per-account call rate on the real Redis, shared by two clients as two gateway processes would be:
// calls to one account start no faster than their cost apart, whichever process makes them.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAccountRate } from "../../src/core/account-rate.js";
import { redisAccountSlots } from "../../src/core/account-slots.js";
import { createVendorHttp } from "../../src/core/vendor-http.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `t${randomBytes(4).toString("hex")}`;
let a: Redis;
let b: Redis;
let server: Server;
let url: string;
const arrivals: number[] = [];

beforeAll(async () => {
  a = new Redis(REDIS_URL);
  b = new Redis(REDIS_URL);
  // each answer takes 300 ms: with 4 slots and 10 calls per second, calls wait for a free slot as well as for the rate
  const app = express().post("/api/v1/process", (_req, res) => {
    arrivals.push(Date.now());
    setTimeout(() => res.json({ code: 200 }), 300);
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/process`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await a.quit();
  await b.quit();
});

describe("account rate across processes (Redis)", () => {
  it("12 calls from two processes at 10 req/s: at most 11 starts in any second, 12 spread over at least 1.1 s", async () => {
    const account = `va_rate_${randomBytes(3).toString("hex")}`;
    // two processes: their own Redis connections, in-process bulkheads and breakers (distinct keys), one shared account
    const clients = [a, b].map((redis, i) =>
      createVendorHttp({
        vendor: "identy",
        vendorAccountId: `${account}#p${i}`,
        sharedKey: account,
        verificationId: null,
        sharedSlots: redisAccountSlots(redis, prefix),
        sharedRate: redisAccountRate(redis, prefix),
        settings: { concurrency: 4 },
      }),
    );
    // a cost that is not a whole number of ms (1000 / 7.49 req/s) must not break the shared slot's lease
    await Promise.all(Array.from({ length: 12 }, (_, i) => clients[i % 2]!.call({ endpoint: "process", url, costMs: 100.1234 })));
    arrivals.sort((x, y) => x - y);
    expect(arrivals).toHaveLength(12);
    // Redis's clock schedules them: a call that wakes late does not move the next one, so two starts may come a few
    // tens of ms closer than 100 ms, but never more than 10 + 1 in any second
    const inAnySecond = Math.max(...arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + 1000).length));
    expect(inAnySecond).toBeLessThanOrEqual(11);
    expect(arrivals[11]! - arrivals[0]!).toBeGreaterThanOrEqual(11 * 100 - 30);
    // and no slot was lost: everything was done in about 12 x 100 ms + 300 ms, not after a lease expiry (35 s)
    expect(Date.now() - arrivals[0]!).toBeLessThan(5_000);
  });
});

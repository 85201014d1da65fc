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
  const app = express().post("/api/v1/process", (_req, res) => {
    arrivals.push(Date.now());
    res.json({ code: 200 });
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
  it("12 calls from two processes at 10 req/s: consecutive starts at least ~100 ms apart", async () => {
    const account = `va_rate_${randomBytes(3).toString("hex")}`;
    // two processes: their own Redis connections, in-process bulkheads and breakers (distinct keys), one shared account
    const clients = [a, b].map((redis, i) =>
      createVendorHttp({ vendor: "identy", vendorAccountId: `${account}#p${i}`, sharedKey: account, verificationId: null, sharedSlots: redisAccountSlots(redis, prefix), sharedRate: redisAccountRate(redis, prefix), settings: { concurrency: 4 } }),
    );
    await Promise.all(Array.from({ length: 12 }, (_, i) => clients[i % 2]!.call({ endpoint: "process", url, costMs: 100 })));
    arrivals.sort((x, y) => x - y);
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(arrivals).toHaveLength(12);
    // Redis's clock schedules them; a few ms of network and timer jitter either way
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
    expect(arrivals[11]! - arrivals[0]!).toBeGreaterThanOrEqual(11 * 100 - 30);
  });
});

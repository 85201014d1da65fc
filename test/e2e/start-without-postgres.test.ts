// A gateway process started while Postgres is down waits (logged, bounded backoff) instead of
// exiting, then migrates and serves once Postgres answers. Postgres is reached through a TCP
// port that has nobody listening at first; the test then opens a proxy on it to the real one.
import { spawn } from "node:child_process";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { afterAll, describe, expect, it } from "vitest";
import { databaseUrlNamed, dropDatabase, freePort, waitUntil } from "../support/gateway.js";

const realUrl = databaseUrlNamed(`kyc_e2e_nopg_${Date.now()}`);
let proxy: ReturnType<typeof startTcpProxy> | null = null;

afterAll(async () => {
  await proxy?.close();
  await dropDatabase(realUrl).catch(() => undefined);
});

describe("a process started while Postgres is down", () => {
  it("waits and retries, then migrates and answers /readyz once Postgres is reachable", async () => {
    const real = new URL(realUrl);
    const proxyPort = await freePort();
    const viaProxy = new URL(realUrl);
    viaProxy.port = String(proxyPort);
    const apiPort = await freePort();
    let out = "";
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--api"], {
      env: {
        ...process.env,
        DATABASE_URL: viaProxy.toString(),
        PORT: String(apiPort),
        PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
        LOG_LEVEL: "info",
        QUEUE_PREFIX: `nopg${Date.now()}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    try {
      await waitUntil(async () => (out.match(/Postgres not reachable yet/g) ?? []).length >= 2 || null, 30_000, "two logged waits");
      expect(child.exitCode).toBeNull();
      proxy = startTcpProxy({ host: real.hostname, port: Number(real.port || 5432) }, proxyPort);
      await proxy.listen();
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => null))?.ok || null, 45_000, "the API ready");
      expect(out).toContain("migrations applied");
      // nothing personal or secret in what it logged while waiting
      expect(out).not.toContain(process.env.ADMIN_TOKEN ?? "never");
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 90_000);
});

describe("a worker process started while Redis is down", () => {
  it("waits and reconnects (logged), then registers the sweeper and works once Redis is reachable", async () => {
    const { Redis } = await import("ioredis");
    const dbUrl = databaseUrlNamed(`kyc_e2e_noredis_${Date.now()}`);
    const redisPort = await freePort();
    const prefix = `noredis${Date.now()}`;
    let out = "";
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--worker"], {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        LOG_LEVEL: "info",
        QUEUE_PREFIX: prefix,
        SWEEP_INTERVAL_MS: "500",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
    const redisProxy = startTcpProxy({ host: "127.0.0.1", port: 6379 }, redisPort);
    try {
      await waitUntil(async () => /Redis not reachable/.test(out) || null, 30_000, "a logged wait for Redis");
      await new Promise((r) => setTimeout(r, 1500));
      expect(child.exitCode).toBeNull();
      await redisProxy.listen();
      await redis.connect();
      // the sweep's job scheduler is in Redis, and sweeps run (their jobs complete)
      await waitUntil(
        async () => ((await redis.keys(`${prefix}:maintenance:*`)).length > 0 && /Redis reachable again/.test(out)) || null,
        30_000,
        "the worker working",
      );
      await waitUntil(async () => (await redis.zcard(`${prefix}:maintenance:completed`)) > 0 || null, 30_000, "a sweep completed");
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const keys = await redis.keys(`${prefix}:*`).catch(() => []);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await redisProxy.close();
      await dropDatabase(dbUrl).catch(() => undefined);
    }
  }, 90_000);
});

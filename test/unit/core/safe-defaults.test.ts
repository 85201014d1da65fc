// Safe defaults (issue 11, point 7): production refuses what only local runs may have, the local
// .env is never read in production, /metrics can require a token, logged paths carry no credential.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadDotEnv, loadEnv } from "../../../src/config/env.js";
import { pathForLog } from "../../../src/observability/logger.js";
import { startWorkerHttp, type WorkerHttp } from "../../../src/workers/http.js";

const root = join(import.meta.dirname, "../../..");
const PRODUCTION = {
  NODE_ENV: "production",
  PUBLIC_BASE_URL: "https://kyc.example.com",
  ADMIN_TOKEN: "a".repeat(32),
  MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
};

describe("production refuses unsafe settings", () => {
  it("WEBHOOK_ALLOW_PRIVATE_URLS=true, an ADMIN_TOKEN under 32 characters and the sandbox, each named", () => {
    expect(loadEnv(PRODUCTION).NODE_ENV).toBe("production");
    expect(() => loadEnv({ ...PRODUCTION, WEBHOOK_ALLOW_PRIVATE_URLS: "true" })).toThrow(
      /WEBHOOK_ALLOW_PRIVATE_URLS: must not be true when NODE_ENV=production/,
    );
    expect(() => loadEnv({ ...PRODUCTION, ADMIN_TOKEN: "a".repeat(31) })).toThrow(/ADMIN_TOKEN: at least 32 characters when NODE_ENV=production/);
    expect(() => loadEnv({ ...PRODUCTION, SANDBOX_ENABLED: "true" })).toThrow(
      /SANDBOX_ENABLED: the vendor simulators and demo tenant cannot run when NODE_ENV=production/,
    );
    // outside production the local defaults stay possible
    const local = { ...PRODUCTION, NODE_ENV: "development", WEBHOOK_ALLOW_PRIVATE_URLS: "true", ADMIN_TOKEN: "a".repeat(16), SANDBOX_ENABLED: "true" };
    expect(loadEnv(local)).toMatchObject({ WEBHOOK_ALLOW_PRIVATE_URLS: true, SANDBOX_ENABLED: true });
  });

  it("METRICS_TOKEN: optional, empty is unset, a short one is refused", () => {
    expect(loadEnv(PRODUCTION).METRICS_TOKEN).toBeUndefined();
    expect(loadEnv({ ...PRODUCTION, METRICS_TOKEN: "" }).METRICS_TOKEN).toBeUndefined();
    expect(() => loadEnv({ ...PRODUCTION, METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
  });

  it("the local .env is read outside production only", () => {
    const dir = mkdtempSync(join(tmpdir(), "kyc-dotenv-"));
    try {
      writeFileSync(join(dir, ".env"), "WEBHOOK_ALLOW_PRIVATE_URLS=true\nADMIN_TOKEN='from-dotenv'\n");
      const dev: NodeJS.ProcessEnv = { NODE_ENV: "development", ADMIN_TOKEN: "already-set" };
      loadDotEnv(join(dir, ".env"), dev);
      expect(dev).toMatchObject({ WEBHOOK_ALLOW_PRIVATE_URLS: "true", ADMIN_TOKEN: "already-set" });
      const prod: NodeJS.ProcessEnv = { NODE_ENV: "production" };
      loadDotEnv(join(dir, ".env"), prod);
      expect(prod).toEqual({ NODE_ENV: "production" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const start = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      // the test's own variables (a 26-character ADMIN_TOKEN, private URLs allowed) are not passed on
      const child = execFile(
        process.execPath,
        ["--import", "tsx", "src/main.ts", ...args],
        { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 },
        (err, _stdout, stderr) => resolve({ code: child.exitCode ?? (err as { code?: number } | null)?.code ?? null, stderr }),
      );
    });

  it("the gateway process exits 2 with every reason listed, before touching the database", async () => {
    const r = await start(["--api"], {
      ...PRODUCTION,
      ADMIN_TOKEN: "short-but-16-chars",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
      DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Invalid environment[\s\S]*WEBHOOK_ALLOW_PRIVATE_URLS: must not be true[\s\S]*ADMIN_TOKEN: at least 32 characters/);
    const local = await start(["--local"], { ...PRODUCTION, DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none" });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/SANDBOX_ENABLED: the vendor simulators and demo tenant cannot run when NODE_ENV=production/);
  }, 40_000);
});

describe("no credential in a logged path", () => {
  it("drops the query string and the IDENTY SDK proxy's token segment", () => {
    expect(pathForLog("/sdk/identy/eyJ2ZXIiOiJ2ZXJfMSJ9.c2lnbmF0dXJl/api/v1/license?x=1")).toBe("/sdk/identy/[redacted]/api/v1/license");
    expect(pathForLog("/v1/verifications?token=sekrit&cursor=ver_1")).toBe("/v1/verifications");
    expect(pathForLog("/hooks/dms/va_123#frag")).toBe("/hooks/dms/va_123");
    expect(pathForLog("/v1/verifications/ver_0123/certificate")).toBe("/v1/verifications/ver_0123/certificate");
  });
});

describe("worker /metrics behind METRICS_TOKEN", () => {
  let http: WorkerHttp | null = null;
  afterEach(async () => {
    await http?.close();
    http = null;
  });

  it("401 problem+json without the bearer token or with another; 200 with it; /healthz stays open", async () => {
    http = await startWorkerHttp({ port: 0, host: "127.0.0.1", log: pino({ level: "silent" }), workers: () => [], metricsToken: "metrics-token-0123456789" });
    const url = `http://127.0.0.1:${http.port}`;
    const none = await fetch(`${url}/metrics`);
    expect([none.status, none.headers.get("content-type"), none.headers.get("www-authenticate")]).toEqual([
      401,
      "application/problem+json",
      'Bearer realm="metrics"',
    ]);
    expect(await none.json()).toMatchObject({ status: 401, title: "Unauthorized" });
    expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer metrics-token-wrong-0000" } })).status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# HELP /m);
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
  });
});

// An in-process gateway for integration tests: the real Postgres (test database),
// the real Redis (a queue prefix of its own), the real workers and the sandbox.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import express from "express";
import pg from "pg";
import pino from "pino";
import { Webhook } from "standardwebhooks";
import { createApp } from "../../src/api/app.js";
import { createJobPublisher } from "../../src/core/publish.js";
import { createApiServer } from "../../src/api/server.js";
import { loadEnv, type Env } from "../../src/config/env.js";
import { createDb, type Db } from "../../src/db/client.js";
import { ensureDatabase, migrate } from "../../src/db/migrate.js";
import { createSandboxApp } from "../../src/sandbox/server.js";
import { createQueues, type Queues } from "../../src/core/queues.js";
import { startWorkers, type WorkerRuntime } from "../../src/workers/runner.js";
import { resetResilience } from "../../src/core/vendor-http.js";
import type { FaultInjector } from "../../src/sandbox/faults.js";

export interface TestGateway {
  url: string;
  sandboxUrl: string;
  env: Env;
  db: Db;
  queues: Queues;
  workers: WorkerRuntime | null;
  faults: FaultInjector;
  logLines: string[];
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  tenant(
    apiKey: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  startWorkers(): void;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

const listen = (app: express.Express, server: Server = createServer(app)) =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });

export async function startTestGateway(
  opts: {
    workers?: boolean;
    envOverrides?: Record<string, string> /** the runtime's database URL (e.g. through a TCP proxy); migrations use the real one */;
    runtimeDatabaseUrl?: (url: string) => string;
  } = {},
): Promise<TestGateway> {
  resetResilience();
  const logLines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const sandbox = createSandboxApp(log);
  const sb = await listen(sandbox.app);
  // a database of its own: no other gateway's outbox rows or tenants leak into this one
  const databaseUrl = databaseUrlNamed(`kyc_test_${randomBytes(5).toString("hex")}`);
  const env = loadEnv({ ...process.env, DATABASE_URL: databaseUrl, PUBLIC_BASE_URL: "http://127.0.0.1:0", ...opts.envOverrides });
  await ensureDatabase(env.DATABASE_URL);
  await migrate(env.DATABASE_URL);
  const db = opts.runtimeDatabaseUrl
    ? createDb(opts.runtimeDatabaseUrl(env.DATABASE_URL), { max: 10, connectTimeoutMs: 2000, statementTimeoutMs: 5000 })
    : createDb(env.DATABASE_URL);
  const queues = createQueues(env.REDIS_URL, `t${randomBytes(4).toString("hex")}`);
  let workers: WorkerRuntime | null = null;
  const ctx = { env, db, log, queues, publisher: createJobPublisher(db, queues, log), onEnqueued: () => workers?.relay.nudge() };
  const apiApp = createApp(ctx);
  const api = await listen(apiApp, createApiServer(apiApp));
  // the public base URL is only known once the port is
  (env as { PUBLIC_BASE_URL: string }).PUBLIC_BASE_URL = api.url;
  const call = async (auth: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  const gw: TestGateway = {
    url: api.url,
    sandboxUrl: sb.url,
    env,
    db,
    queues,
    get workers() {
      return workers;
    },
    faults: sandbox.faults,
    logLines,
    admin: (m, p, b) => call(env.ADMIN_TOKEN, m, p, b),
    tenant: (k, m, p, b, h) => call(k, m, p, b, h),
    startWorkers() {
      workers = startWorkers({ db, env, log, queues }, { sweepIntervalMs: 1000 });
    },
    async stopWorkers() {
      await workers?.stop();
      workers = null;
    },
    async close() {
      await workers?.stop();
      await new Promise((r) => api.server.close(r));
      await new Promise((r) => sb.server.close(r));
      if (queues.connection.status === "ready") for (const q of Object.values(queues.byName)) await q.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
      await db.$disconnect();
      await dropDatabase(env.DATABASE_URL);
    },
  } as TestGateway;
  if (opts.workers !== false) gw.startWorkers();
  return gw;
}

/** Resolves once the queues' Redis connection is up (it fails fast, without an offline queue, before). */
export async function redisReady(queues: Queues): Promise<void> {
  if (queues.connection.status !== "ready") await once(queues.connection, "ready");
}

/**
 * Another API process of the same gateway: its own app, Postgres pool and Redis connection on the
 * same database and queue prefix (what a second replica behind a load balancer is).
 */
export async function startSecondApi(
  gw: TestGateway,
  envOverrides: Partial<Env> = {},
  opts: { queuePrefix?: string } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const db = createDb(gw.env.DATABASE_URL);
  const queues = createQueues(gw.env.REDIS_URL, opts.queuePrefix ?? gw.queues.prefix);
  // connected before it takes requests (until then Redis-backed limits count in process memory)
  await redisReady(queues);
  const api = await listen(createApp({ env: { ...gw.env, ...envOverrides }, db, log: pino({ level: "silent" }), queues }));
  return {
    url: api.url,
    async close() {
      await new Promise((r) => api.server.close(r));
      await queues.close();
      await db.$disconnect();
    },
  };
}

/** A test gateway plus a second API process on it (for what must hold across processes). */
export async function startGatewayWithSecondApi(
  opts: Parameters<typeof startTestGateway>[0] = {},
): Promise<{ gw: TestGateway; other: Awaited<ReturnType<typeof startSecondApi>>; close(): Promise<void> }> {
  const gw = await startTestGateway(opts);
  const other = await startSecondApi(gw);
  await redisReady(gw.queues);
  return {
    gw,
    other,
    async close() {
      await other.close();
      await gw.close();
    },
  };
}

/** A tenant with one vendor account per given vendor, pointed at the sandbox. */
/** The test DATABASE_URL pointing at another database (names kyc_test_* and kyc_e2e_* are dropped after use). */
export function databaseUrlNamed(name: string): string {
  return (process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/kyc_gateway_test").replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
}

/** A TCP port free on 127.0.0.1 right now, for a child process to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!name.startsWith("kyc_test_") && !name.startsWith("kyc_e2e_")) return;
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function createTenantWithAccounts(
  gw: TestGateway,
  accounts: { vendor: string; credentials: Record<string, unknown>; settings?: Record<string, unknown> }[],
) {
  const t = await gw.admin("POST", "/admin/tenants", { name: `tenant-${randomBytes(3).toString("hex")}` });
  if (t.status !== 201) throw new Error(`tenant: ${t.status} ${JSON.stringify(t.body)}`);
  const created = [];
  for (const a of accounts) {
    const r = await gw.admin("POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: a.vendor,
      name: `${a.vendor} test`,
      baseUrl: `${gw.sandboxUrl}/${a.vendor}`,
      credentials: a.credentials,
      settings: a.settings ?? {},
    });
    if (r.status !== 201) throw new Error(`account: ${r.status} ${JSON.stringify(r.body)}`);
    created.push(r.body);
  }
  const routing = await gw.admin("PUT", `/admin/tenants/${t.body.id}/routing`, { default: created.map((c) => c.id), rules: [] });
  if (routing.status !== 200) throw new Error(`routing: ${routing.status} ${JSON.stringify(routing.body)}`);
  return { tenantId: t.body.id as string, apiKey: t.body.apiKey as string, accounts: created };
}

/** A tenant webhook receiver that verifies every delivery with the standardwebhooks package. */
export async function startWebhookReceiver(opts: { failFirst?: number } = {}) {
  const received: { headers: Record<string, string>; body: string; json: any }[] = [];
  let secrets: string[] = [];
  let failures = opts.failFirst ?? 0;
  const app = express();
  app.post("/hook", express.text({ type: "*/*", limit: "5mb" }), (req, res) => {
    if (failures > 0) {
      failures -= 1;
      return res.status(503).end();
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    received.push({ headers, body: req.body, json: JSON.parse(req.body) });
    res.status(204).end();
  });
  const { server, url } = await listen(app);
  return {
    url: `${url}/hook`,
    received,
    setSecrets(s: string[]) {
      secrets = s;
    },
    /** verifies with each known secret; true when one of them verifies */
    verify(i: number): boolean {
      const r = received[i]!;
      return secrets.some((s) => {
        try {
          new Webhook(s).verify(r.body, r.headers);
          return true;
        } catch {
          return false;
        }
      });
    },
    async waitFor(pred: (r: { json: any }) => boolean, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const hit = received.find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no matching webhook within ${timeoutMs} ms; got ${received.map((r) => `${r.json.type}:${r.json.data?.status}`).join(", ")}`);
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The person the DMS sandbox's document proves by default (the vendor file's sample
 * idcard_recognition answer: a Spanish driving licence). A request claiming this subject
 * passes the gateway's identity checks; any other subject does not.
 */
export const DMS_SANDBOX_SUBJECT = { firstName: "Carlos", lastName: "García López", dateOfBirth: "1990-06-15", documentNumber: "B12345678" } as const;
export const DMS_SANDBOX_DOCUMENT = { type: "driving_license", country: "ES" } as const;

const FINAL_STATUSES = ["completed", "failed", "expired", "cancelled"];

/** The verification's resource once it has reached a final status. */
export async function waitForFinal(gw: TestGateway, apiKey: string, id: string, timeoutMs = 20_000) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return FINAL_STATUSES.includes(r.body.status) ? r.body : null;
    },
    timeoutMs,
    `verification ${id} to finish`,
  );
}

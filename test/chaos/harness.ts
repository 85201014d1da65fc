// The chaos run (the durability issue's point 8): the sandbox, one API process and two worker
// processes; N verifications mixing DMS, ShareID, Identomat and VerificarIdentidad; a worker
// SIGKILLed every 2 s and replaced; the API process killed once; Redis restarted once; Postgres
// "restarted" once (every connection reset and refused for a few seconds, through a TCP proxy: the
// shared Postgres is never stopped); the sandbox answering 10 % 5xx plus one vendor outage; a
// webhook receiver answering 500 to 10 % of deliveries. It prints the figures and checks them.
//
// `npm run chaos` (N = 1000) runs it from test/chaos/run.ts; test/e2e/chaos.test.ts runs a small one.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import express from "express";
import pino from "pino";
import pg from "pg";
import { Redis } from "ioredis";
import { Queue } from "bullmq";
import { Webhook } from "standardwebhooks";
import { createSandboxApp } from "../../src/sandbox/server.js";
import { ensureDatabase, migrate } from "../../src/db/migrate.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { databaseUrlNamed, dropDatabase, freePort, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT } from "../support/gateway.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { png } from "../unit/adapters/shareid/images.js";

export interface ChaosOptions {
  n: number;
  /** how long submissions are spread over; the faults happen at fixed fractions of it */
  loadMs: number;
  workerKillEveryMs: number;
  vendorOutageMs: number;
  postgresDownMs: number;
  /** Redis restarted with its append-only file (what the README asks for) or with no persistence at all */
  redisPersistence: boolean;
  /** how long the run may take after the last submission to bring everything to an end */
  settleMs: number;
  /** VerificarIdentidad's link life (and processing deadline): how long a verification whose webhooks were lost waits */
  viLinkTtlHours: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  accepted: number;
  terminal: number;
  byStatus: Record<string, number>;
  stuck: string[];
  lost: string[];
  regressions: string[];
  withoutFinalWebhook: string[];
  viStarts: { verifications: number; maxSendsPerVerification: number; over1: string[] };
  repeatedStarts: { total: number; byVendor: Record<string, number> };
  sweeps: number;
  stuckDetail: string[];
  responsesWhilePostgresDown: Record<string, number>;
  faults: { workerKills: number; apiKills: number; redisRestarts: number; postgresRestarts: number; vendorOutages: number; receiverRefusals: number };
  fiveXxWhilePostgresDown: { total: number; not503: number; withoutRetryAfter: number };
  deliveries: { received: number; duplicates: number };
  durationMs: number;
}

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);
const RANK: Record<string, number> = { pending: 0, awaiting_user: 1, processing: 2, completed: 3, failed: 3, expired: 3, cancelled: 3 };
const VENDORS = ["dms", "shareid", "identomat", "verificaridentidad"] as const;
const ADMIN_TOKEN = "chaos-admin-token-0123456789abcdef";
const MASTER_KEY = "00000000000000000000000000000000000000000000000000000000000000c4";
const VI_HOOK = { webhookUser: "vi-hook", webhookPassword: "vi-hook-password-chaos" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(app: express.Express, port = 0): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = app.listen(port, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A redis-server of the run's own, restartable; its data in a temporary directory. */
function ownRedis(port: number, persistence: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "kyc-chaos-redis-"));
  let proc: ChildProcess | null = null;
  const start = async () => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--maxmemory-policy",
      "noeviction",
      ...(persistence ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]),
    ];
    proc = spawn("redis-server", args, { stdio: "ignore" });
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    probe.on("error", () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error("redis-server did not start");
  };
  return {
    start,
    async restart(downMs: number) {
      proc?.kill("SIGKILL");
      await new Promise((r) => proc?.once("exit", r));
      await sleep(downMs);
      await start();
    },
    /** at exit, synchronously */
    kill() {
      proc?.kill("SIGKILL");
    },
    async stop() {
      proc?.kill("SIGKILL");
      await new Promise((r) => (proc && proc.exitCode === null ? proc.once("exit", r) : r(null)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const say = opts.log;
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "ignore" });
  const realDbUrl = databaseUrlNamed(`kyc_e2e_chaos_${randomBytes(4).toString("hex")}`);
  await ensureDatabase(realDbUrl);
  await migrate(realDbUrl);
  const pgProxy = startTcpProxy({ host: new URL(realDbUrl).hostname, port: Number(new URL(realDbUrl).port || 5432) });
  await pgProxy.listen();
  const viaProxy = new URL(realDbUrl);
  viaProxy.port = String(pgProxy.port);
  const redisPort = await freePort();
  const redis = ownRedis(redisPort, opts.redisPersistence);
  await redis.start();

  // the sandbox and the tenant's webhook receiver live in this process
  const sandbox = createSandboxApp(pino({ level: "silent" }));
  const sb = await listen(sandbox.app);
  const sandboxUrl = `http://127.0.0.1:${sb.port}`;
  const noise = () => {
    for (const vendor of VENDORS) sandbox.faults.add({ vendor, fault: "http_503", times: 0, latencyMs: 0, rate: 0.1 });
  };
  noise();

  const received = new Map<string, { id: string; type: string; status: string; decision: string | null; timestamp: string }[]>();
  const seenWebhookIds = new Set<string>();
  let duplicates = 0;
  let receiverRefusals = 0;
  let secret = "";
  const rxApp = express();
  rxApp.post("/hook", express.text({ type: "*/*", limit: "5mb" }), (req, res) => {
    if (Math.random() < 0.1) {
      receiverRefusals++;
      return res.status(500).end();
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    try {
      new Webhook(secret).verify(req.body, headers);
    } catch {
      return res.status(400).end();
    }
    const msg = JSON.parse(req.body) as { type: string; timestamp: string; data: { id: string; status: string; decision: string | null } };
    const wid = headers["webhook-id"]!;
    if (seenWebhookIds.has(wid)) duplicates++;
    else {
      seenWebhookIds.add(wid);
      const list = received.get(msg.data.id) ?? [];
      list.push({ id: wid, type: msg.type, status: msg.data.status, decision: msg.data.decision, timestamp: msg.timestamp });
      received.set(msg.data.id, list);
    }
    res.status(204).end();
  });
  const rx = await listen(rxApp);

  // the gateway's processes
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const prefix = `chaos${randomBytes(3).toString("hex")}`;
  const env = {
    ...process.env,
    NODE_ENV: "test",
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: String(apiPort),
    PUBLIC_BASE_URL: apiUrl,
    ADMIN_TOKEN,
    MASTER_KEY,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: "warn",
    WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    WEBHOOK_RETRY_SCHEDULE: "1s,2s,4s,8s,15s,30s,60s",
    SWEEP_INTERVAL_MS: "2000",
    SWEEP_GRACE_MS: "5000",
    // within the grace twice over: a decision's deliveries are POSTed by the worker that decided (src/core/publish.ts), killed or not
    WEBHOOK_TIMEOUT_MS: "2000",
    START_CLAIM_LEASE_MS: "15000",
    DB_CONNECT_TIMEOUT_MS: "2000",
    DB_STATEMENT_TIMEOUT_MS: "10000",
    OUTBOX_INTERVAL_MS: "200",
    HEALTH_PROBE_INTERVAL_MS: "0",
    VENDOR_RETRY_BASE_MS: "100",
    SHUTDOWN_GRACE_MS: "5000",
    // two workers on one machine: each its own metrics port
    WORKER_METRICS_PORT: "0",
  };
  const children = new Set<ChildProcess>();
  // the gateway's processes never outlive the run, however it ends (a timeout, a failed assertion)
  const killAll = () => {
    for (const c of children) c.kill("SIGKILL");
    redis.kill();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.once(signal, () => {
      killAll();
      process.exit(1);
    });
  const spawnRole = (role: "api" | "worker") => {
    const logTo = process.env.CHAOS_LOG_DIR
      ? openSync(join(process.env.CHAOS_LOG_DIR, `${role}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.log`), "a")
      : "ignore";
    // the built gateway (dist/, as the image runs it): a process started every 2 s must not spend it compiling
    const child = spawn(process.execPath, ["dist/main.js", `--${role}`], {
      env: { ...env, ...(process.env.CHAOS_LOG_DIR ? { LOG_LEVEL: "info" } : {}) },
      stdio: ["ignore", logTo, logTo],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  };
  let api = spawnRole("api");
  const workers = [spawnRole("worker"), spawnRole("worker")];
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => null)) as any }));
  for (let i = 0; ; i++) {
    if ((await fetch(`${apiUrl}/readyz`).catch(() => null))?.ok) break;
    if (i > 600) throw new Error("the API did not become ready");
    await sleep(100);
  }

  // one tenant, one account per vendor, the vendor chosen per request
  const tenant = await admin("POST", "/admin/tenants", { name: "chaos" });
  const accounts: Record<string, { id: string; webhookUrl: string }> = {};
  const accountBodies = {
    dms: { credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["chaos-dms-secret"] }, settings: {} },
    shareid: { credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" }, settings: {} },
    identomat: {
      credentials: { companyKey: "sandbox-identomat-key" },
      settings: { pollScheduleSeconds: [1, 2, 3], maxPollsPerMinute: 100_000, pollBackoffMaxSeconds: 5 },
    },
    // a lost webhook (the API was down when the vendor called) ends the verification by its deadlines, kept short here
    verificaridentidad: {
      credentials: { apiUser: "sandboxchaos", apiToken: "sandboxchaos-token", ...VI_HOOK },
      settings: { linkTtlHours: opts.viLinkTtlHours, processingDeadlineHours: opts.viLinkTtlHours },
    },
  };
  for (const vendor of VENDORS) {
    const r = await admin("POST", `/admin/tenants/${tenant.body.id}/vendor-accounts`, {
      vendor,
      name: `${vendor} chaos`,
      baseUrl: `${sandboxUrl}/${vendor}`,
      ...accountBodies[vendor],
    });
    if (r.status !== 201) throw new Error(`account ${vendor}: ${r.status} ${JSON.stringify(r.body)}`);
    accounts[vendor] = r.body;
  }
  await admin("PUT", `/admin/tenants/${tenant.body.id}/routing`, { default: VENDORS.map((v) => accounts[v]!.id), rules: [] });
  // a credit per SMS: enough for the run (a run out of credits would end them vendor_out_of_credits)
  await fetch(`${sandboxUrl}/verificaridentidad/_control/credits`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiUser: "sandboxchaos", credits: 1_000_000 }),
  });
  await fetch(`${sandboxUrl}/verificaridentidad/_control/webhook-config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      apiUser: "sandboxchaos",
      url: accounts.verificaridentidad!.webhookUrl,
      user: VI_HOOK.webhookUser,
      password: VI_HOOK.webhookPassword,
      format: "json",
      stepDelayMs: 100,
    }),
  });
  const apiKey = tenant.body.apiKey as string;
  const ep = await fetch(`${apiUrl}/v1/webhook-endpoints`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ url: `http://127.0.0.1:${rx.port}/hook` }),
  }).then((r) => r.json() as Promise<{ secret: string }>);
  secret = ep.secret;

  const bodyFor = (vendor: (typeof VENDORS)[number], i: number) => {
    switch (vendor) {
      case "dms":
        return {
          vendor,
          reference: `c${i}`,
          checks: ["document"],
          subject: DMS_SANDBOX_SUBJECT,
          document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg(`doc${i}`).toString("base64") }] },
        };
      case "shareid":
        return {
          vendor,
          reference: `c${i}`,
          checks: ["document"],
          subject: { firstName: "Robert", lastName: "Martin" },
          document: { type: "id_card", country: "FR", images: [{ side: "front", contentType: "image/png", data: png(400, 260, 0x80).toString("base64") }] },
        };
      case "identomat":
        return {
          vendor,
          reference: `c${i}`,
          checks: ["document", "liveness", "face_match"],
          document: { country: "GE" },
          hosted: { returnUrl: `https://tenant.example/done?polls=${i % 3}` },
        };
      case "verificaridentidad":
        return {
          vendor,
          reference: `c${i}`,
          checks: ["document", "liveness", "face_match"],
          subject: { phone: "+34600000001", documentNumber: "00000000T" },
          hosted: { smsMessage: "Verifique su identidad: [LINK]", smsSender: "Chaos" },
        };
    }
  };

  // the faults, at fixed points of the load
  let postgresDown = false;
  const faults = { workerKills: 0, apiKills: 0, redisRestarts: 0, postgresRestarts: 0, vendorOutages: 0, receiverRefusals: 0 };
  let killing = true;
  const killer = (async () => {
    while (killing) {
      await sleep(opts.workerKillEveryMs);
      if (!killing) break;
      // the oldest of the two: each worker lives two kill intervals, whatever it is doing then
      const oldest = workers.shift()!;
      oldest.kill("SIGKILL");
      faults.workerKills++;
      workers.push(spawnRole("worker"));
    }
  })();
  const at = (fraction: number, what: () => Promise<void>) => sleep(opts.loadMs * fraction).then(what);
  const scheduled = Promise.all([
    at(0.2, async () => {
      say("fault: the API process SIGKILLed");
      api.kill("SIGKILL");
      faults.apiKills++;
      await sleep(500);
      api = spawnRole("api");
    }),
    at(0.35, async () => {
      say("fault: Redis restarted");
      await redis.restart(1000);
      faults.redisRestarts++;
    }),
    at(0.5, async () => {
      say(`fault: Postgres down for ${opts.postgresDownMs} ms`);
      postgresDown = true;
      await pgProxy.cut();
      await sleep(opts.postgresDownMs);
      await pgProxy.restore();
      postgresDown = false;
      faults.postgresRestarts++;
    }),
    at(0.65, async () => {
      say(`fault: Identomat out for ${opts.vendorOutageMs} ms`);
      sandbox.faults.add({ vendor: "identomat", fault: "http_503", times: 0, latencyMs: 0 });
      await sleep(opts.vendorOutageMs);
      sandbox.faults.clear();
      noise();
      faults.vendorOutages++;
    }),
  ]);

  // the load: N submissions spread over loadMs, each retried with its Idempotency-Key until accepted
  const accepted: string[] = [];
  const fiveXx = { total: 0, not503: 0, withoutRetryAfter: 0 };
  const responsesWhilePostgresDown: Record<string, number> = {};
  const submit = async (i: number) => {
    const vendor = VENDORS[i % VENDORS.length]!;
    const key = `chaos-${prefix}-${i}`;
    const body = JSON.stringify(bodyFor(vendor, i));
    for (let attempt = 0; ; attempt++) {
      const duringPgDown = postgresDown;
      const r = await fetch(`${apiUrl}/v1/verifications`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key },
        body,
        signal: AbortSignal.timeout(20_000),
      }).catch(() => null);
      if (r && r.status === 202) {
        accepted.push(((await r.json()) as { id: string }).id);
        return;
      }
      if (duringPgDown || postgresDown)
        responsesWhilePostgresDown[r ? String(r.status) : "no answer"] = (responsesWhilePostgresDown[r ? String(r.status) : "no answer"] ?? 0) + 1;
      if (r && r.status >= 500 && (duringPgDown || postgresDown)) {
        fiveXx.total++;
        if (r.status !== 503) fiveXx.not503++;
        if (!r.headers.get("retry-after")) fiveXx.withoutRetryAfter++;
      }
      if (r && r.status >= 400 && r.status < 500) throw new Error(`submission ${i} refused: ${r.status} ${await r.text()}`);
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  };
  const spacing = opts.loadMs / opts.n;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < opts.n; i++) {
    inFlight.push(submit(i));
    await sleep(spacing);
  }
  await Promise.all(inFlight);
  await scheduled;
  say(`load done: ${accepted.length} accepted; waiting for every verification to end`);

  // settle: every accepted verification terminal and told
  const db = new pg.Client({ connectionString: realDbUrl });
  await db.connect();
  const deadline = Date.now() + opts.settleMs;
  let rows: { id: string; status: string; decision: string | null; vendor: string | null; start_claims: number; reason: string | null }[] = [];
  for (;;) {
    rows = (
      await db.query("SELECT id, status, decision, vendor, start_claims, reasons->0->>'code' AS reason FROM verifications WHERE id = ANY($1)", [accepted])
    ).rows;
    const open = rows.filter((r) => !TERMINAL.has(r.status)).length;
    const untold = rows.filter(
      (r) => TERMINAL.has(r.status) && !(received.get(r.id) ?? []).some((e) => e.status === r.status && e.decision === r.decision),
    ).length;
    if ((open === 0 && untold === 0) || Date.now() > deadline) break;
    await sleep(1000);
  }
  killing = false;
  await killer;

  const byStatus: Record<string, number> = {};
  for (const r of rows) {
    const key = `${r.vendor ?? "none"} ${r.status}${r.decision ? `/${r.decision}` : ""}${r.status === "failed" || r.status === "expired" ? ` (${r.reason})` : ""}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const found = new Set(rows.map((r) => r.id));
  const regressions: string[] = [];
  for (const [id, events] of received) {
    const ordered = [...events].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    for (let k = 1; k < ordered.length; k++) {
      const a = ordered[k - 1]!;
      const b = ordered[k]!;
      const backwards = RANK[b.status]! < RANK[a.status]!;
      // once ended, only a review may still be settled by the vendor's operator
      const endChanged = TERMINAL.has(a.status) && (a.status !== b.status || (a.decision !== b.decision && a.decision !== "review"));
      if (backwards || endChanged) regressions.push(`${id}: ${a.status}/${a.decision} -> ${b.status}/${b.decision}`);
    }
  }
  const viSends = (
    await db.query(
      `SELECT verification_id, count(*)::int AS n FROM vendor_calls WHERE vendor = 'verificaridentidad' AND endpoint = 'VerificarIdentidad' AND verification_id = ANY($1) GROUP BY verification_id`,
      [accepted],
    )
  ).rows as { verification_id: string; n: number }[];
  const repeated = (
    await db.query(
      `SELECT v.vendor, count(*)::int AS n FROM verification_events e JOIN verifications v ON v.id = e.verification_id WHERE e.type = 'vendor_start_repeated' AND v.id = ANY($1) GROUP BY v.vendor`,
      [accepted],
    )
  ).rows as { vendor: string; n: number }[];
  const stuckIds = rows.filter((r) => !TERMINAL.has(r.status)).map((r) => r.id);
  const stuckDetail: string[] = [];
  const redisProbe = new Redis({ port: redisPort });
  for (const id of stuckIds.slice(0, 5)) {
    const v = (await db.query("SELECT status, expires_at, next_due_at, vendor_reference, start_claims FROM verifications WHERE id = $1", [id])).rows[0];
    const ev = (await db.query("SELECT type, to_status, created_at, detail FROM verification_events WHERE verification_id = $1 ORDER BY id", [id])).rows;
    const ob = (await db.query("SELECT queue, job_id, available_at, published_at, done_at FROM outbox WHERE subject_id = $1 ORDER BY id", [id])).rows;
    const states: string[] = [];
    for (const o of ob.filter((o) => !o.done_at)) {
      const q = new Queue(o.queue, { connection: { port: redisPort }, prefix });
      const job = await q.getJob(o.job_id);
      const lock = await redisProbe.exists(`${prefix}:${o.queue}:${o.job_id}:lock`);
      states.push(`${o.job_id}=${job ? await job.getState() : "missing"} lock=${lock} attemptsMade=${job?.attemptsMade} stalled=${job?.stalledCounter}`);
      await q.close();
    }
    stuckDetail.push(
      `${id} ${JSON.stringify(v)} jobs: ${states.join(", ")}\n  events: ${ev.map((e) => `${e.type}>${e.to_status}@${new Date(e.created_at).toISOString().slice(11, 23)}`).join(" ")}\n  outbox: ${ob.map((o) => `${o.queue}:${o.job_id} avail ${new Date(o.available_at).toISOString().slice(11, 23)} pub ${o.published_at ? "y" : "n"} done ${o.done_at ? "y" : "n"}`).join(" | ")}`,
    );
  }
  redisProbe.disconnect();
  const sweeps = (await db.query(`SELECT count(*)::int AS n FROM verification_events WHERE type = 'swept' AND verification_id = ANY($1)`, [accepted])).rows[0]
    .n as number;
  await db.end();

  const report: ChaosReport = {
    accepted: accepted.length,
    terminal: rows.filter((r) => TERMINAL.has(r.status)).length,
    byStatus,
    stuck: rows.filter((r) => !TERMINAL.has(r.status)).map((r) => `${r.id} ${r.vendor} ${r.status}`),
    lost: accepted.filter((id) => !found.has(id)),
    regressions,
    withoutFinalWebhook: rows
      .filter((r) => TERMINAL.has(r.status) && !(received.get(r.id) ?? []).some((e) => e.status === r.status && e.decision === r.decision))
      .map((r) => `${r.id} ${r.vendor} ${r.status}`),
    viStarts: {
      verifications: viSends.length,
      maxSendsPerVerification: Math.max(0, ...viSends.map((s) => s.n)),
      over1: viSends.filter((s) => s.n > 1).map((s) => s.verification_id),
    },
    repeatedStarts: { total: repeated.reduce((a, r) => a + r.n, 0), byVendor: Object.fromEntries(repeated.map((r) => [r.vendor, r.n])) },
    sweeps,
    stuckDetail,
    responsesWhilePostgresDown,
    faults: { ...faults, receiverRefusals },
    fiveXxWhilePostgresDown: fiveXx,
    deliveries: { received: seenWebhookIds.size, duplicates },
    durationMs: Date.now() - started,
  };

  for (const c of [...children]) c.kill("SIGTERM");
  await sleep(500);
  for (const c of [...children]) c.kill("SIGKILL");
  await new Promise((r) => sb.server.close(r));
  await new Promise((r) => rx.server.close(r));
  await pgProxy.close();
  await redis.stop();
  await dropDatabase(realDbUrl).catch(() => undefined);
  return report;
}

/** The run's checks: each a name and whether it held. */
export function chaosChecks(r: ChaosReport): { name: string; ok: boolean; detail: string }[] {
  return [
    { name: "stuck", ok: r.stuck.length === 0, detail: `${r.stuck.length}${r.stuck.length ? `: ${r.stuck.slice(0, 5).join(", ")}` : ""}` },
    { name: "lost", ok: r.lost.length === 0, detail: String(r.lost.length) },
    {
      name: "status regressions seen by the receiver",
      ok: r.regressions.length === 0,
      detail: `${r.regressions.length}${r.regressions.length ? `: ${r.regressions.slice(0, 5).join("; ")}` : ""}`,
    },
    {
      name: "verifications without a final webhook",
      ok: r.withoutFinalWebhook.length === 0,
      detail: `${r.withoutFinalWebhook.length}${r.withoutFinalWebhook.length ? `: ${r.withoutFinalWebhook.slice(0, 5).join(", ")}` : ""}`,
    },
    {
      name: "VerificarIdentidad sends per verification",
      ok: r.viStarts.maxSendsPerVerification <= 1,
      detail: `max ${r.viStarts.maxSendsPerVerification} over ${r.viStarts.verifications} verifications`,
    },
    {
      name: "5xx while Postgres was down are 503 with Retry-After",
      ok: r.fiveXxWhilePostgresDown.not503 === 0 && r.fiveXxWhilePostgresDown.withoutRetryAfter === 0,
      detail: JSON.stringify(r.fiveXxWhilePostgresDown),
    },
  ];
}

export function printChaos(r: ChaosReport, say: (s: string) => void): void {
  say(
    `accepted ${r.accepted}, terminal ${r.terminal} (${Object.entries(r.byStatus)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}), in ${(r.durationMs / 1000).toFixed(0)} s`,
  );
  say(`faults: ${JSON.stringify(r.faults)}`);
  say(
    `vendor starts repeated after a kill during the call: ${r.repeatedStarts.total} ${JSON.stringify(r.repeatedStarts.byVendor)}; verifications the sweeper re-enqueued: ${r.sweeps}`,
  );
  say(`deliveries received ${r.deliveries.received} (duplicates of a webhook-id ${r.deliveries.duplicates})`);
  say(`answers to POST /v1/verifications while Postgres was down: ${JSON.stringify(r.responsesWhilePostgresDown)}`);
  for (const d of r.stuckDetail) say(`stuck: ${d}`);
  for (const c of chaosChecks(r)) say(`${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
}

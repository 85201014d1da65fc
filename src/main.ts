// Entry point. `--local` (npm start): API + workers + sandbox in one process, with a
// demo tenant. `--api` / `--worker`: one role each, for scaling out.
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { loadEnv, EnvError } from "./config/env.js";
import { createDb } from "./db/client.js";
import { migrateWhenReachable, waitForMigrations } from "./db/wait.js";
import { createLogger } from "./observability/logger.js";
import { createQueues } from "./workers/queues.js";
import { startWorkers } from "./workers/runner.js";
import { startWorkerHttp, type WorkerHttp } from "./workers/http.js";
import { createApp } from "./api/app.js";
import { createApiServer } from "./api/server.js";

const mode = process.argv.includes("--api") ? "api" : process.argv.includes("--worker") ? "worker" : process.argv.includes("--local") ? "local" : "all";

function loadDotEnv(path: string) {
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2]!.replace(/^["']|["']$/g, "");
  }
}
loadDotEnv(".env");

let env;
try {
  env = loadEnv();
} catch (e) {
  if (e instanceof EnvError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
const log = createLogger(env.LOG_LEVEL);
if (env.MIGRATE_ON_START) {
  const m = await migrateWhenReachable(env.DATABASE_URL, log);
  if (m.applied.length) log.info({ applied: m.applied }, "migrations applied");
} else {
  await waitForMigrations(env.DATABASE_URL, log);
}
const db = createDb(env.DATABASE_URL, { max: env.DB_POOL_MAX, connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS, statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS });
const queues = createQueues(env.REDIS_URL, env.QUEUE_PREFIX);
const runWorkers = mode !== "api";
const runApi = mode !== "worker";
const workers = runWorkers ? startWorkers({ db, env, log, queues }) : null;
// a worker-only process has no API: it serves its own /metrics and /healthz
let workerHttp: WorkerHttp | null = null;
if (mode === "worker" && workers) {
  try {
    workerHttp = await startWorkerHttp({ port: env.WORKER_METRICS_PORT, log, workers: () => workers.workers });
  } catch (e) {
    log.fatal({ port: env.WORKER_METRICS_PORT, err: (e as Error).message }, "cannot serve worker metrics and health (WORKER_METRICS_PORT)");
    process.exit(1);
  }
}
let server: Server | null = null;
let sandbox: Server | null = null;
if (mode === "local") {
  const { startSandbox } = await import("./sandbox/server.js");
  sandbox = await startSandbox({ port: env.SANDBOX_PORT, log });
}
if (runApi) {
  const app = createApp({ env, db, log, queues, onEnqueued: () => workers?.relay.nudge() });
  server = createApiServer(app).listen(env.PORT, () => log.info({ port: env.PORT, mode }, "gateway listening"));
}
if (mode === "local") {
  const { seedDemo } = await import("./sandbox/seed.js");
  const demo = await seedDemo({ db, env, sandboxBaseUrl: `http://127.0.0.1:${env.SANDBOX_PORT}` });
  console.log(`\nKYC gateway on ${env.PUBLIC_BASE_URL} (docs: ${env.PUBLIC_BASE_URL}/docs, console: ${env.PUBLIC_BASE_URL}/admin)\nDemo tenant ${demo.tenantId}: API key ${demo.apiKey}\n${demo.accounts.map((a) => `  ${a.vendor} account ${a.id} -> ${a.baseUrl}`).join("\n")}\nTry:\n  curl -s -X POST ${env.PUBLIC_BASE_URL}/v1/verifications -H "Authorization: Bearer ${demo.apiKey}" -H "Content-Type: application/json" -d @examples/dms-verification.json\n`);
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "draining");
  const force = setTimeout(() => process.exit(1), env!.SHUTDOWN_GRACE_MS).unref();
  await new Promise<void>((r) => (server ? (server.close(() => r()), server.closeIdleConnections()) : r()));
  await workers?.stop();
  await workerHttp?.close();
  sandbox?.close();
  await queues.close();
  await db.$disconnect();
  clearTimeout(force);
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

// Entry point. `--local` (npm start): API + workers + sandbox in one process, with a
// demo tenant. `--api` / `--worker`: one role each, for scaling out.
import type { Server } from "node:http";
import { loadProcessEnv } from "./config/env.js";
import { createDb } from "./db/client.js";
import { migrateWhenReachable, waitForMigrations } from "./db/wait.js";
import { createLogger } from "./observability/logger.js";
import { createQueues } from "./core/queues.js";
import { createJobPublisher } from "./core/publish.js";
import { startWorkers } from "./workers/runner.js";
import { startWorkerHttp, type WorkerHttp } from "./workers/http.js";
import { createApp } from "./api/app.js";
import { startTracing } from "./observability/tracing.js";
import { createApiServer } from "./api/server.js";

const mode = process.argv.includes("--api") ? "api" : process.argv.includes("--worker") ? "worker" : process.argv.includes("--local") ? "local" : "all";

// the simulators and demo tenant run in this process: the environment check refuses it in production
if (mode === "local") process.env.SANDBOX_ENABLED = "true";
const env = loadProcessEnv();
const log = createLogger(env.LOG_LEVEL);
// off unless OTEL_TRACES_EXPORTER or an OTLP endpoint is set
const tracing = startTracing(env);
if (tracing.enabled) log.info({ exporter: env.OTEL_TRACES_EXPORTER ?? "otlp", service: env.OTEL_SERVICE_NAME }, "tracing on");
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
    workerHttp = await startWorkerHttp({ port: env.WORKER_METRICS_PORT, log, workers: () => workers.workers, metricsToken: env.METRICS_TOKEN });
  } catch (e) {
    log.fatal({ port: env.WORKER_METRICS_PORT, err: (e as Error).message }, "cannot serve worker metrics and health (WORKER_METRICS_PORT)");
    process.exit(1);
  }
}
let server: Server | null = null;
let sandbox: Server | null = null;
if (env.SANDBOX_ENABLED) {
  const { startSandbox } = await import("./sandbox/server.js");
  sandbox = await startSandbox({ port: env.SANDBOX_PORT, log });
}
if (runApi) {
  const app = createApp({ env, db, log, queues, publisher: createJobPublisher(db, queues, log), onEnqueued: () => workers?.relay.nudge() });
  server = createApiServer(app).listen(env.PORT, () => log.info({ port: env.PORT, mode }, "gateway listening"));
}
if (env.SANDBOX_ENABLED) {
  const { seedDemo } = await import("./app/demo-seed.js");
  const demo = await seedDemo({ db, env, sandboxBaseUrl: `http://127.0.0.1:${env.SANDBOX_PORT}` });
  console.log(
    `\nKYC gateway on ${env.PUBLIC_BASE_URL} (docs: ${env.PUBLIC_BASE_URL}/docs, console: ${env.PUBLIC_BASE_URL}/admin)\nDemo tenant ${demo.tenantId}: API key ${demo.apiKey}\n${demo.accounts.map((a) => `  ${a.vendor} account ${a.id} -> ${a.baseUrl}`).join("\n")}\nTry:\n  curl -s -X POST ${env.PUBLIC_BASE_URL}/v1/verifications -H "Authorization: Bearer ${demo.apiKey}" -H "Content-Type: application/json" -d @examples/dms-verification.json\n`,
  );
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "draining");
  const force = setTimeout(() => process.exit(1), env.SHUTDOWN_GRACE_MS).unref();
  await new Promise<void>((r) => (server ? (server.close(() => r()), server.closeIdleConnections()) : r()));
  await workers?.stop();
  await workerHttp?.close();
  sandbox?.close();
  await queues.close();
  await db.$disconnect();
  await tracing.shutdown().catch(() => undefined);
  clearTimeout(force);
  log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

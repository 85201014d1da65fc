// The worker process: one BullMQ Worker per queue, the outbox relay, the durable sweeper (run by a
// BullMQ job scheduler) and the drain of vendor webhooks spooled in Redis while Postgres was down.
import { errorForLog } from "../observability/logger.js";
import { Worker, type ConnectionOptions } from "bullmq";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { deliverOnce } from "../webhooks/outbound/deliver.js";
import { createDoneMarker, createOutboxRelay, type OutboxRelay } from "./outbox.js";
import { rollUpVendorCalls } from "../core/analytics.js";
import { evaluateAlerts } from "../core/alerts.js";
import { sendOperationsNotification } from "../webhooks/outbound/operations.js";
import { processErase, processFollowUp, processIngest, processPoll, processShadow, processSubmit } from "./processors.js";
import { QUEUE_NAMES, redisConnection, type JobPayloads, type QueueName, type Queues } from "../core/queues.js";
import { probeVendorHealth } from "./health.js";
import { redisAccountSlots } from "../core/account-slots.js";
import { refreshGauges, sweep, withSweepLock } from "./sweeper.js";
import { drainWebhookSpool } from "../webhooks/inbound/spool.js";
import { redisAccountRate } from "../core/account-rate.js";
import { redisAccountHealth } from "../core/account-health.js";
import { splitJobData, subjectOf, type JobContext } from "../core/jobs.js";
import { createJobPublisher } from "../core/publish.js";
import { contextOf, inSpan, SpanKind } from "../observability/tracing.js";
import { currentRequestId, runWithRequestId } from "../observability/work-context.js";

/** The id a job is about (a verification, webhook, delivery or erasure id), as a span attribute. */
function subjectAttribute(payload: object): Record<string, string> {
  const id = subjectOf(payload);
  return id ? { "kyc.subject_id": id } : {};
}

export interface WorkerRuntime {
  relay: OutboxRelay;
  workers: Worker[];
  stop(): Promise<void>;
}

const SCHEDULER_ID = "durable-sweep";

export function startWorkers(
  deps: { db: Db; env: Env; log: Logger; queues: Queues },
  opts: { sweepIntervalMs?: number; healthIntervalMs?: number } = {},
): WorkerRuntime {
  const { db, env, log, queues } = deps;
  const connection = redisConnection(env.REDIS_URL, { failFast: false });
  // a process started (or running) while Redis is down waits and reconnects (ioredis' bounded backoff); said once in a while
  let redisDownLogged = 0;
  connection.on("error", (e: Error) => {
    if (Date.now() - redisDownLogged < 10_000) return;
    redisDownLogged = Date.now();
    log.warn({ err: errorForLog(e) }, "Redis not reachable; workers wait and reconnect (work waits in the Postgres outbox)");
  });
  connection.on("ready", () => {
    if (redisDownLogged) log.info("Redis reachable again; workers resume");
    redisDownLogged = 0;
  });
  // waits for its connection rather than failing a vendor call that races the connect
  const budgetRedis = redisConnection(env.REDIS_URL, { failFast: false });
  budgetRedis.on("error", () => undefined);
  const done = createDoneMarker(db, log);
  // a decision's deliveries are POSTed by the process that decided, right after its commit (src/core/publish.ts), when
  // a POST ends well within the sweeper's grace for a claimed row without a job; else they go through the deliver queue
  const deliverInline = env.SWEEP_GRACE_MS >= 2 * env.WEBHOOK_TIMEOUT_MS;
  const publisher = createJobPublisher(
    db,
    queues,
    log,
    deliverInline
      ? {
          queues: ["deliver"],
          max: env.WORKER_CONCURRENCY,
          run: (job) => runJob(job.queue as QueueName, job.jobId, job.payload as object, job, { "kyc.inline": true }),
        }
      : undefined,
  );
  const pdeps = {
    db,
    env,
    log,
    publisher,
    redis: budgetRedis,
    slots: redisAccountSlots(budgetRedis, queues.prefix),
    rate: redisAccountRate(budgetRedis, queues.prefix),
    health: redisAccountHealth(budgetRedis, queues.prefix),
  };
  const sweepIntervalMs = opts.sweepIntervalMs ?? env.SWEEP_INTERVAL_MS;
  const sweepDeps = { db, env, queues, log, graceMs: env.SWEEP_GRACE_MS };
  const runSweep = async () => {
    // a short lock: a process killed mid-sweep holds back the next sweep by at most this long
    const report = await withSweepLock(budgetRedis, queues.prefix, Math.max(10_000, sweepIntervalMs * 2), () => sweep(sweepDeps));
    await refreshGauges(db, queues).catch(() => undefined);
    await evaluateAlerts(db).catch((e: unknown) => log.warn({ err: errorForLog(e) }, "alert evaluation failed"));
    // the analytics rollup runs with the sweep (one at a time: its state row is locked), never failing it
    await rollUpVendorCalls(db).catch((e: unknown) => log.warn({ err: errorForLog(e) }, "vendor-call rollup failed"));
    return report;
  };
  const handlers: { [Q in QueueName]: (data: JobPayloads[Q]) => Promise<unknown> } = {
    submit: (d) => processSubmit(pdeps, d),
    poll: (d) => processPoll(pdeps, d),
    ingest: (d) => processIngest(pdeps, d),
    deliver: (d) => deliverOnce(pdeps, d.deliveryId),
    followup: (d) => processFollowUp(pdeps, d),
    erase: (d) => processErase(pdeps, d),
    shadow: (d) => processShadow(pdeps, d),
    notify: (d) => sendOperationsNotification(pdeps, d),
    maintenance: async () => {
      await runSweep();
    },
  };
  /**
   * One job run, by a worker that took it from Redis or by the process that committed it (inline): it continues the
   * work that asked for it (its request id and its trace; a scheduled sweep starts both afresh), and its outbox row is
   * marked done after it.
   */
  const runJob = async (
    name: QueueName,
    jobId: string | undefined,
    payload: object,
    context: JobContext,
    attributes: Record<string, string | number | boolean>,
  ) => {
    await runWithRequestId(context.requestId, () =>
      inSpan(
        `job ${name}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextOf(context.traceparent),
          attributes: { "kyc.queue": name, "kyc.job_id": jobId ?? "", ...subjectAttribute(payload), ...attributes, "kyc.request_id": currentRequestId()! },
        },
        () => handlers[name](payload as never),
      ),
    );
    if (jobId && name !== "maintenance") done.mark(jobId);
  };
  const workers = QUEUE_NAMES.map((name) => {
    const w = new Worker(
      name,
      async (job) => {
        const { payload, context } = splitJobData(job.data);
        await runJob(name, job.id, payload, context, { "kyc.attempt": job.attemptsMade + 1 });
      },
      {
        connection: connection as ConnectionOptions,
        prefix: queues.prefix,
        concurrency:
          name === "maintenance" ? 1 : name === "submit" || name === "deliver" ? env.WORKER_CONCURRENCY : Math.max(2, Math.floor(env.WORKER_CONCURRENCY / 2)),
        // Processes die (deploys, OOM, SIGKILL): a job whose process was killed is "stalled" and run
        // again. BullMQ's default fails it for good at the second stall; every handler is idempotent
        // (a start is guarded by its claim), so a killed job is retried instead of lost.
        // The sweeper also takes back an active job whose lock lapsed, for processes killed faster than this check runs.
        maxStalledCount: 20,
        stalledInterval: 5_000,
        lockDuration: 15_000,
      },
    );
    w.on("failed", (job, err) => log.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: errorForLog(err) }, "job failed"));
    w.on("error", (err) => log.debug({ queue: name, err: errorForLog(err) }, "worker connection error"));
    return w;
  });
  const relay = createOutboxRelay(db, queues, log, env.OUTBOX_INTERVAL_MS, { listenUrl: env.DATABASE_URL });
  relay.start();

  // The sweep is a BullMQ job scheduler: one sweep job per interval whichever process takes it.
  // A Redis that lost its data (restart without persistence) lost the scheduler too, so every
  // process upserts it again on connect and now and then (an upsert of the same id is a no-op).
  const maintenance = queues.byName.maintenance;
  const ensureScheduler = async () => {
    try {
      if (await maintenance.getJobScheduler(SCHEDULER_ID)) return;
      await maintenance.upsertJobScheduler(
        SCHEDULER_ID,
        { every: sweepIntervalMs },
        { name: "sweep", data: { task: "sweep" }, opts: { removeOnComplete: 50, removeOnFail: 50 } },
      );
    } catch (e) {
      log.debug({ err: errorForLog(e) }, "sweep scheduler not registered yet");
    }
  };
  void ensureScheduler();
  connection.on("ready", () => void ensureScheduler());
  const schedulerTimer = setInterval(() => void ensureScheduler(), sweepIntervalMs);
  // vendor webhooks spooled while Postgres was down go in as soon as it answers again
  // work a process starts by itself has a request id of its own
  const drain = () => runWithRequestId(null, () => drainWebhookSpool({ db, redis: budgetRedis, prefix: queues.prefix, keys: env.keys, log })).catch(() => 0);
  const drainTimer = setInterval(drain, 2000);
  const healthIntervalMs = opts.healthIntervalMs ?? env.HEALTH_PROBE_INTERVAL_MS;
  const probe = () => probeVendorHealth(pdeps, healthIntervalMs).catch((e: Error) => log.debug({ err: errorForLog(e) }, "health probe skipped"));
  const healthTimer = healthIntervalMs > 0 ? setInterval(probe, healthIntervalMs) : null;

  return {
    relay,
    workers,
    async stop() {
      clearInterval(schedulerTimer);
      clearInterval(drainTimer);
      if (healthTimer) clearInterval(healthTimer);
      await relay.stop();
      // close() waits for in-flight jobs to finish: SIGTERM drains
      await Promise.all(workers.map((w) => w.close()));
      // deliveries this process was POSTing itself after a decision
      await publisher.drain();
      await done.stop();
      connection.disconnect();
      budgetRedis.disconnect();
    },
  };
}

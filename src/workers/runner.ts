// The worker process: one BullMQ Worker per queue, the outbox relay, and a sweeper
// that re-enqueues work whose job was lost (Redis flushed, crash between steps).
import { errorForLog } from "../observability/logger.js";
import { Worker, type ConnectionOptions } from "bullmq";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { deliverOnce } from "../webhooks/outbound/deliver.js";
import { createOutboxRelay, enqueue, type OutboxRelay } from "./outbox.js";
import { processFollowUp, processIngest, processPoll, processSubmit } from "./processors.js";
import { QUEUE_NAMES, redisConnection, type JobPayloads, type QueueName, type Queues } from "./queues.js";
import { outboxBacklog, queueDepth } from "../observability/metrics.js";
import { probeVendorHealth } from "./health.js";
import { redisAccountSlots } from "../core/account-slots.js";
import { redisAccountRate } from "../core/account-rate.js";

export interface WorkerRuntime {
  relay: OutboxRelay;
  workers: Worker[];
  stop(): Promise<void>;
}

export function startWorkers(deps: { db: Db; env: Env; log: Logger; queues: Queues }, opts: { sweepIntervalMs?: number; healthIntervalMs?: number } = {}): WorkerRuntime {
  const { db, env, log, queues } = deps;
  const connection = redisConnection(env.REDIS_URL, { failFast: false });
  connection.on("error", () => undefined);
  // waits for its connection rather than failing a vendor call that races the connect
  const budgetRedis = redisConnection(env.REDIS_URL, { failFast: false });
  budgetRedis.on("error", () => undefined);
  const pdeps = { db, env, log, redis: budgetRedis, slots: redisAccountSlots(budgetRedis, queues.prefix), rate: redisAccountRate(budgetRedis, queues.prefix) };
  const handlers: { [Q in QueueName]: (data: JobPayloads[Q]) => Promise<void> } = {
    submit: (d) => processSubmit(pdeps, d),
    poll: (d) => processPoll(pdeps, d),
    ingest: (d) => processIngest(pdeps, d),
    deliver: (d) => deliverOnce(pdeps, d.deliveryId),
    followup: (d) => processFollowUp(pdeps, d),
  };
  const workers = QUEUE_NAMES.map((name) => {
    const w = new Worker(name, async (job) => handlers[name](job.data as never), {
      connection: connection as ConnectionOptions,
      prefix: queues.prefix,
      concurrency: name === "submit" || name === "deliver" ? env.WORKER_CONCURRENCY : Math.max(2, Math.floor(env.WORKER_CONCURRENCY / 2)),
      // Processes die (deploys, OOM, SIGKILL): a job whose process was killed is "stalled" and run
      // again. BullMQ's default fails it for good at the second stall; every handler is idempotent
      // (a start is guarded by its claim), so a killed job is retried instead of lost.
      maxStalledCount: 20,
      stalledInterval: 15_000,
      lockDuration: 30_000,
    });
    w.on("failed", (job, err) => log.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: errorForLog(err) }, "job failed"));
    w.on("error", (err) => log.debug({ queue: name, err: errorForLog(err) }, "worker connection error"));
    return w;
  });
  const relay = createOutboxRelay(db, queues, log, env.OUTBOX_INTERVAL_MS);
  relay.start();

  const sweep = async () => {
    try {
      // pending for over a minute with no unpublished submit row: its job was lost
      const stuck = await db.$queryRaw<{ id: string }[]>`
        SELECT v.id FROM verifications v
        WHERE v.status = 'pending' AND v.updated_at < now() - interval '1 minute'
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = 'submit-' || v.id AND o.published_at IS NULL)
        LIMIT 100`;
      for (const { id } of stuck) {
        const job = await queues.byName.submit.getJob(`submit-${id}`).catch(() => null);
        if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
        await job?.remove().catch(() => undefined);
        await enqueue(db, "submit", `submit-${id}`, { verificationId: id });
      }
      // gauges for /metrics, refreshed here rather than on the relay's every tick
      outboxBacklog.set(await db.outboxMessage.count({ where: { publishedAt: null } }));
      for (const name of QUEUE_NAMES) {
        const counts = await queues.byName[name].getJobCounts("waiting", "delayed", "active", "failed");
        for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue: name, state }, n);
      }
    } catch (e) {
      log.debug({ err: errorForLog(e) }, "sweep skipped");
    }
  };
  const sweepTimer = setInterval(sweep, opts.sweepIntervalMs ?? 30_000);
  const healthIntervalMs = opts.healthIntervalMs ?? env.HEALTH_PROBE_INTERVAL_MS;
  const probe = () => probeVendorHealth(pdeps, healthIntervalMs).catch((e: Error) => log.debug({ err: errorForLog(e) }, "health probe skipped"));
  const healthTimer = healthIntervalMs > 0 ? setInterval(probe, healthIntervalMs) : null;

  return {
    relay,
    workers,
    async stop() {
      clearInterval(sweepTimer);
      if (healthTimer) clearInterval(healthTimer);
      await relay.stop();
      // close() waits for in-flight jobs to finish: SIGTERM drains
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
      budgetRedis.disconnect();
    },
  };
}

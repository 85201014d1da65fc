// The durable sweeper. BullMQ runs jobs on time; Postgres knows what is due (src/core/schedule.ts).
// Run by a BullMQ job scheduler (one sweep per interval across every worker process, under a
// Redis lock), it:
//   1. checks published outbox rows whose time has come: a job that vanished (Redis flushed or
//      failed over without persistence) is published again, a finished one marks its row done;
//   2. re-enqueues every verification, inbound webhook, outbound delivery, follow-up and vendor
//      erasure that is overdue and has no open job;
//   3. erases the personal data past each tenant's retention (src/core/retention.ts);
//   4. deletes outbox rows done for a day.
import type { Logger } from "pino";
import type { Redis } from "ioredis";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { adapterFor } from "../adapters/registry.js";
import { enqueue, type JobPayloads, type QueueName } from "../core/jobs.js";
import { noteEvent } from "../core/verifications.js";
import { eraseExpiredPersonalData } from "../core/retention.js";
import { QUEUE_NAMES, type Queues } from "../core/queues.js";
import { outboxBacklog, queueDepth, sweptWork } from "../observability/metrics.js";

export interface SweepDeps {
  db: Db;
  /** the key ring: retention erases sealed check results */
  env: Env;
  queues: Queues;
  log: Logger;
  /** how late work must be before the sweeper steps in (its job may just be running late) */
  graceMs: number;
}

export interface SweepReport {
  republished: number;
  /** of those, jobs left active by a dead process (no lock), removed and published again */
  stalled: number;
  confirmed: number;
  verifications: number;
  inboundWebhooks: number;
  deliveries: number;
  followUps: number;
  erasures: number;
  /** verifications whose personal data was erased by their tenant's retention */
  retained: number;
}

const BATCH = 500;

/** An open verification whose job chain died: the job that moves it on from where it is. */
function jobFor(v: {
  id: string;
  status: string;
  vendor: string | null;
  retake_count: number;
}): { queue: "submit"; payload: JobPayloads["submit"] } | { queue: "poll"; payload: JobPayloads["poll"] } {
  if (v.status === "pending") return { queue: "submit", payload: { verificationId: v.id, mode: "start" } };
  const adapter = v.vendor ? adapterFor(v.vendor) : null;
  // processing at a synchronous vendor is a capture or retake whose submit was lost; its start claim
  // keeps a still-running one from being repeated. Elsewhere processing waits for the vendor: a poll
  // (or, for a vendor that is never polled, the check of its processing deadline).
  if (v.status === "processing" && adapter && !adapter.capabilities.hosted)
    return { queue: "submit", payload: { verificationId: v.id, mode: v.retake_count > 0 ? "retake" : "capture" } };
  return { queue: "poll", payload: { verificationId: v.id } };
}

export async function sweep(deps: SweepDeps, now = new Date()): Promise<SweepReport> {
  const { db, queues, graceMs } = deps;
  const overdue = new Date(now.getTime() - graceMs);
  const report: SweepReport = {
    republished: 0,
    stalled: 0,
    confirmed: 0,
    verifications: 0,
    inboundWebhooks: 0,
    deliveries: 0,
    followUps: 0,
    erasures: 0,
    retained: 0,
  };

  // 1. published rows whose job should have run by now
  const published = await db.$queryRaw<{ id: bigint; queue: string; job_id: string }[]>`
    SELECT id, queue, job_id FROM outbox
    WHERE done_at IS NULL AND published_at IS NOT NULL AND available_at < ${overdue}
    ORDER BY available_at LIMIT ${BATCH}`;
  const lost: bigint[] = [];
  const finished: bigint[] = [];
  let stalled = 0;
  for (const row of published) {
    const queue = queues.byName[row.queue as QueueName];
    const job = queue ? await queue.getJob(row.job_id) : undefined;
    if (!job) {
      lost.push(row.id);
      continue;
    }
    const state = await job.getState();
    if (state === "completed" || state === "failed") finished.push(row.id);
    else if (state === "unknown") lost.push(row.id);
    else if (state === "active" && !(await hasLock(queues, row.queue, row.job_id))) {
      // active with no lock: its process died mid-job. BullMQ's own stall check needs a worker that
      // lives through two of its intervals; processes killed faster than that would leave it active for good
      const removed = await job.remove().then(
        () => true,
        () => false,
      );
      if (removed) {
        lost.push(row.id);
        stalled++;
      }
    }
  }
  if (lost.length) await db.$executeRaw`UPDATE outbox SET published_at = NULL WHERE id = ANY(${lost}::bigint[]) AND done_at IS NULL`;
  // a failed job's work is picked up again by step 2 (its subject is overdue and has no open job)
  if (finished.length) await db.$executeRaw`UPDATE outbox SET done_at = now() WHERE id = ANY(${finished}::bigint[])`;
  report.republished = lost.length;
  report.confirmed = finished.length;
  report.stalled = stalled;

  const noOpenJob = (queue: string) => `NOT EXISTS (SELECT 1 FROM outbox o WHERE o.subject_id = t.id AND o.queue = '${queue}' AND o.done_at IS NULL)`;
  const stamp = now.getTime();

  // 2a. verifications
  const verifications = await db.$queryRawUnsafe<{ id: string; status: string; vendor: string | null; retake_count: number }[]>(
    `SELECT t.id, t.status, t.vendor, t.retake_count FROM verifications t
     WHERE t.next_due_at < $1
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.subject_id = t.id AND o.queue IN ('submit', 'poll') AND o.done_at IS NULL)
     ORDER BY t.next_due_at LIMIT ${BATCH}`,
    overdue,
  );
  for (const v of verifications) {
    const next = jobFor(v);
    await db.$transaction(async (tx) => {
      const cur = await tx.verification.findUnique({ where: { id: v.id }, select: { status: true, nextDueAt: true } });
      if (!cur || cur.status !== v.status || !cur.nextDueAt || cur.nextDueAt >= overdue) return; // moved meanwhile
      await enqueue(tx, next.queue, `${next.queue}-${v.id}-swept-${stamp}`, next.payload);
      // looked at again later if this job too is lost; its processor sets the real next due time
      await tx.verification.update({ where: { id: v.id }, data: { nextDueAt: new Date(now.getTime() + Math.max(graceMs, 60_000)) } });
    });
    await noteEvent(db, { id: v.id, status: v.status }, "worker", "swept", { job: next.queue });
    report.verifications++;
  }

  // 2b. inbound vendor webhooks not yet ingested
  const hooks = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT t.id FROM inbound_webhooks t WHERE t.status = 'received' AND t.next_due_at < $1 AND ${noOpenJob("ingest")} LIMIT ${BATCH}`,
    overdue,
  );
  for (const h of hooks) {
    await db.$transaction(async (tx) => {
      await enqueue(tx, "ingest", `ingest-${h.id}-swept-${stamp}`, { inboundWebhookId: h.id });
      await tx.inboundWebhook.update({ where: { id: h.id }, data: { nextDueAt: new Date(now.getTime() + Math.max(graceMs, 60_000)) } });
    });
  }
  report.inboundWebhooks = hooks.length;

  // 2c. outbound deliveries still to attempt
  const deliveries = await db.$queryRawUnsafe<{ id: string; attempt_count: number }[]>(
    `SELECT t.id, t.attempt_count FROM webhook_deliveries t WHERE t.status IN ('pending', 'retrying') AND t.next_attempt_at < $1 AND ${noOpenJob("deliver")} LIMIT ${BATCH}`,
    overdue,
  );
  for (const d of deliveries) await enqueue(db, "deliver", `${d.id}-${d.attempt_count + 1}-swept-${stamp}`, { deliveryId: d.id });
  report.deliveries = deliveries.length;

  // 2d. follow-ups (subject: their verification) and 2e. vendor erasures
  const followUps = await db.$queryRawUnsafe<{ verification_id: string; name: string }[]>(
    `SELECT t.verification_id, t.name FROM follow_ups t WHERE t.status = 'pending' AND t.next_due_at < $1
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.subject_id = t.verification_id AND o.queue = 'followup' AND o.done_at IS NULL) LIMIT ${BATCH}`,
    overdue,
  );
  for (const f of followUps)
    await enqueue(db, "followup", `followup-${f.verification_id}-${f.name}-swept-${stamp}`, {
      verificationId: f.verification_id,
      name: f.name as "certificate",
    });
  report.followUps = followUps.length;
  const erasures = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT t.id FROM vendor_erasures t WHERE t.status = 'requested' AND t.next_due_at < $1 AND ${noOpenJob("erase")} LIMIT ${BATCH}`,
    overdue,
  );
  for (const e of erasures) await enqueue(db, "erase", `erase-${e.id}-swept-${stamp}`, { erasureId: e.id });
  report.erasures = erasures.length;

  // 2f. tenants' retention of personal data (each erasure audited)
  report.retained = await eraseExpiredPersonalData(deps, now);

  // 4. retention of finished outbox rows
  await db.$executeRaw`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE done_at < ${new Date(now.getTime() - 86_400_000)} LIMIT 5000)`;

  for (const [kind, n] of Object.entries(report)) if (n > 0) sweptWork.inc({ kind }, n);
  const total = report.republished + report.verifications + report.inboundWebhooks + report.deliveries + report.followUps + report.erasures;
  if (total > 0) deps.log.info({ ...report }, "sweeper re-enqueued lost work");
  if (report.retained > 0) deps.log.info({ retained: report.retained }, "retention erased personal data");
  return report;
}

/** A live worker holds a lock on its active job (renewed every half lockDuration); a dead one's expires. */
async function hasLock(queues: Queues, queue: string, jobId: string): Promise<boolean> {
  return (await queues.connection.exists(`${queues.prefix}:${queue}:${jobId}:lock`)) === 1;
}

/** Gauges for /metrics, refreshed with the sweep rather than on every relay tick. */
export async function refreshGauges(db: Db, queues: Queues): Promise<void> {
  outboxBacklog.set(await db.outboxMessage.count({ where: { publishedAt: null } }));
  for (const name of QUEUE_NAMES) {
    const counts = await queues.byName[name].getJobCounts("waiting", "delayed", "active", "failed");
    for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue: name, state }, n);
  }
}

/** One sweep at a time across processes: a short Redis lock, released when the sweep ends. */
export async function withSweepLock<T>(redis: Redis, prefix: string, ttlMs: number, fn: () => Promise<T>): Promise<T | null> {
  const key = `${prefix}:sweep-lock`;
  const token = `${process.pid}-${Math.random()}`;
  const ok = await redis.set(key, token, "PX", ttlMs, "NX");
  if (ok !== "OK") return null;
  try {
    return await fn();
  } finally {
    // released only by its holder
    await redis.eval(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`, 1, key, token).catch(() => undefined);
  }
}

// Publishing outbox rows to BullMQ, for the relay (src/workers/outbox.ts) and for the process that wrote them.
//
// A row is claimed (published_at set) before its job is added: by the relay's claim statement, or by the writer's own
// statement when the writer publishes its jobs itself after the commit (issue 13: the relay's hop was a NOTIFY, a
// wake-up and a statement of its own between a commit and its job, twice on every verification's path). A process
// that dies between a claim and its add leaves a published row without a job: the sweeper publishes it again, as
// after a Redis flush. An add that fails gives its row back at once, and wakes the relays.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import { sql } from "../db/sql.js";
import { errorForLog } from "../observability/logger.js";
import { contextOf, inSpan, SpanKind, traceparentOf } from "../observability/tracing.js";
import { jobData, OUTBOX_CHANNEL, type QueueName } from "./jobs.js";
import type { Queues } from "./queues.js";

/** An outbox row claimed for publishing: what its job is made of. */
export interface ClaimedJob {
  queue: string;
  jobId: string;
  payload: unknown;
  availableAt: Date;
  requestId: string | null;
  traceparent: string | null;
}

/** How long the adds of one batch may take before their rows are given back. */
const ADD_TIMEOUT_MS = 5_000;

/**
 * Adds the claimed rows' jobs; the rows whose add failed or did not answer in time are given back (published_at
 * cleared; the relays notified when the writer gave them back, never by a relay itself, which would wake itself into a
 * loop on a row that cannot be added) and the first failure is thrown. An add that landed after all is harmless to repeat:
 * the job id dedupes it in BullMQ.
 */
export async function publishClaimed(db: Db, queues: Queues, rows: ClaimedJob[], opts: { wakeRelays: boolean }): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  const unconfirmed = new Set(rows.map((r) => r.jobId));
  let failure: unknown = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(
        rows.map((r) =>
          addJob(queues, r, now).then(
            () => unconfirmed.delete(r.jobId),
            (e: unknown) => (failure ??= e),
          ),
        ),
      ),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`redis did not answer within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS))),
    ]);
  } catch (e) {
    failure ??= e;
  } finally {
    clearTimeout(timer);
  }
  if (unconfirmed.size === 0) return;
  await sql(db, {
    name: "kyc_outbox_unclaim",
    text: `WITH back AS (UPDATE outbox SET published_at = NULL WHERE job_id = ANY($1::text[]) AND done_at IS NULL RETURNING 1)
           SELECT pg_notify($2, '') FROM (SELECT 1 FROM back LIMIT 1) AS any_row WHERE $3::boolean`,
    values: [[...unconfirmed], OUTBOX_CHANNEL, opts.wakeRelays],
  }).catch(() => undefined); // Postgres away too: the sweeper finds the published rows without a job
  throw failure ?? new Error("outbox rows not published");
}

function addJob(queues: Queues, r: ClaimedJob, now: number) {
  // the publish is a span of the trace that asked for the job; the job continues from it
  return inSpan(
    `outbox publish ${r.queue}`,
    {
      kind: SpanKind.PRODUCER,
      parent: contextOf(r.traceparent),
      attributes: { "kyc.queue": r.queue, "kyc.job_id": r.jobId, ...(r.requestId ? { "kyc.request_id": r.requestId } : {}) },
    },
    () =>
      queues.byName[r.queue as QueueName].add(r.queue, jobData(r.payload, { requestId: r.requestId, traceparent: traceparentOf() ?? r.traceparent }), {
        jobId: r.jobId,
        delay: Math.max(0, r.availableAt.getTime() - now),
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86400 },
        // processors schedule their own retries (poll backoff, follow-up and erasure rows); these attempts cover crashes
        attempts: 5,
        backoff: { type: "exponential", delay: 2000 },
      }),
  );
}

/** A process that publishes the jobs it writes, after their commit. */
export interface JobPublisher {
  /** whether jobs written now may be claimed by this process (its Redis producer is connected); else the relays publish them */
  ready(): boolean;
  /** publishes claimed jobs after their commit; never throws (a job not added goes back to the relays) */
  publish(jobs: ClaimedJob[]): Promise<void>;
  /** waits for the jobs it is running itself (a worker's shutdown) */
  drain(): Promise<void>;
}

/**
 * Jobs a worker process runs itself as soon as their commit is done, instead of adding them to Redis for one of its
 * workers to take (issue 13: a decision's delivery waited a BullMQ add, a worker's pickup and their tail, up to
 * 40 ms at p99, before its POST). Bounded: past `max` at once, or for a job due later, the job goes through Redis.
 */
export interface InlineJobs {
  queues: readonly QueueName[];
  max: number;
  /** runs the job as a worker runs one (its request id, its span, its outbox row marked done after it) */
  run(job: ClaimedJob): Promise<void>;
}

export function createJobPublisher(db: Db, queues: Queues, log: Logger, inline?: InlineJobs): JobPublisher {
  let lastLogged = 0;
  const running = new Set<Promise<void>>();
  const publishOrGiveBack = (jobs: ClaimedJob[]) =>
    publishClaimed(db, queues, jobs, { wakeRelays: true }).catch((e: unknown) => {
      if (Date.now() - lastLogged > 30_000) {
        lastLogged = Date.now();
        log.warn({ err: errorForLog(e) }, "jobs not published by their writer; the outbox relay publishes them");
      }
    });
  // The row stays claimed (published, no job in Redis) while its job runs here: a process killed meanwhile leaves it to
  // the sweeper, which publishes such a row once it is SWEEP_GRACE_MS overdue; the runner only runs inline the jobs
  // that end well within that grace (a delivery's POST is bounded by WEBHOOK_TIMEOUT_MS). A job that throws here goes
  // to Redis, to be retried as a worker's failed job is.
  const runHere = (job: ClaimedJob, runner: InlineJobs) => {
    const run = runner.run(job).catch((e: unknown) => {
      log.warn({ queue: job.queue, jobId: job.jobId, err: errorForLog(e) }, "job run after its commit failed; it goes through the queue");
      return publishOrGiveBack([job]);
    });
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  return {
    ready: () => queues.connection.status === "ready",
    publish: async (jobs) => {
      const now = Date.now();
      const queued: ClaimedJob[] = [];
      for (const job of jobs) {
        if (inline?.queues.includes(job.queue as QueueName) && running.size < inline.max && job.availableAt.getTime() <= now) runHere(job, inline);
        else queued.push(job);
      }
      if (queued.length > 0) await publishOrGiveBack(queued);
    },
    drain: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

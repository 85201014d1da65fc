// Transactional outbox. `enqueue` writes a job row in the caller's transaction;
// the relay publishes due rows to BullMQ (jobId from the row, so a re-publish after a
// crash is deduplicated) and marks them. While Redis is down rows simply wait.
import { errorForLog } from "../observability/logger.js";
import type { Logger } from "pino";

import type { Db } from "../db/client.js";
import { sql, utc } from "../db/sql.js";
import pg from "pg";
import { OUTBOX_CHANNEL } from "../core/jobs.js";
import { publishClaimed, type ClaimedJob } from "../core/publish.js";
import type { Queues } from "../core/queues.js";

/** Jobs due further ahead than this stay in Postgres until they come closer. */
const PUBLISH_HORIZON_MS = 10 * 60_000;
/** Rows claimed per statement; a full batch is followed by another at once. */
const BATCH = 200;

export { enqueue } from "../core/jobs.js";

export interface OutboxRelay {
  /** publish what is due now; returns the number of rows published */
  flush(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  /** ask for a flush soon (after a commit) without waiting for the interval */
  nudge(): void;
}

export interface RelayOptions {
  /** LISTEN on this database for the commits that wrote outbox rows (OUTBOX_CHANNEL): publish at once */
  listenUrl?: string;
}

export function createOutboxRelay(db: Db, queues: Queues, log: Logger, intervalMs: number, options: RelayOptions = {}): OutboxRelay {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  // a wake-up that came while a flush was running: its rows may have committed after that flush read
  let again = false;
  let stopped = false;
  let lastErrorLogged = 0;
  let listener: pg.Client | null = null;
  let listenRetry: NodeJS.Timeout | null = null;

  async function flushOnce(): Promise<number> {
    // BullMQ waits for a connection forever; while Redis is away the rows just wait here
    if (queues.connection.status !== "ready") throw new Error(`redis ${queues.connection.status}`);
    // Claim, then publish (src/core/publish.ts): one autocommit statement marks the due rows published and returns
    // them (issue 13: the relay's transaction around the Redis adds was four round trips per hop and held the rows'
    // locks across Redis; a row that failed its add rolled back the marks of its whole batch, published again and again)
    const rows = await sql<ClaimedJob>(db, {
      name: "kyc_outbox_claim",
      text: `UPDATE outbox SET published_at = now()
             WHERE id IN (SELECT id FROM outbox
                          WHERE published_at IS NULL AND available_at <= $1
                          ORDER BY available_at, id
                          LIMIT ${BATCH}
                          FOR UPDATE SKIP LOCKED)
             RETURNING queue, job_id, payload, available_at, request_id, traceparent`,
      values: [utc(new Date(Date.now() + PUBLISH_HORIZON_MS))],
    });
    await publishClaimed(db, queues, rows, { wakeRelays: false });
    return rows.length;
  }

  async function flush(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        for (;;) {
          again = false;
          const n = await flushOnce();
          total += n;
          if (n < BATCH && !again) break;
        }
      } catch (e) {
        if (Date.now() - lastErrorLogged > 30_000) {
          lastErrorLogged = Date.now();
          log.warn({ err: errorForLog(e) }, "outbox relay could not publish; work waits in Postgres");
        }
      } finally {
        running = null;
      }
      return total;
    })();
    return running;
  }

  async function tick() {
    if (stopped) return;
    await flush();
    if (!stopped) timer = setTimeout(tick, intervalMs);
  }

  // The poll stays (rows that came due, a lost notification); the notifications take the wait out of the hot path.
  async function listen(): Promise<void> {
    if (!options.listenUrl || stopped) return;
    const client = new pg.Client({ connectionString: options.listenUrl, connectionTimeoutMillis: 5_000 });
    const retry = () => {
      if (listener === client) listener = null;
      client.end().catch(() => undefined);
      if (!stopped && !listenRetry) listenRetry = setTimeout(() => ((listenRetry = null), void listen()), 2_000);
    };
    client.on("error", retry);
    client.on("end", retry);
    client.on("notification", () => void flush());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
      // what was committed while this process was not listening
      void flush();
    } catch {
      retry();
    }
  }

  return {
    flush,
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
      void listen();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (listenRetry) clearTimeout(listenRetry);
      const l = listener;
      listener = null;
      await l?.end().catch(() => undefined);
      if (running) await running;
    },
    nudge() {
      if (!stopped) void flush();
    },
  };
}

/**
 * Marks outbox rows done once their job finished, batched (one UPDATE per interval, not per job).
 * A mark lost with its process is made by the sweeper, which finds the job completed in Redis.
 */
export function createDoneMarker(db: Db, log: Logger, intervalMs = 250): { mark(jobId: string): void; flush(): Promise<void>; stop(): Promise<void> } {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const ids = pending;
    pending = [];
    try {
      await db.$executeRaw`UPDATE outbox SET done_at = now() WHERE job_id = ANY(${ids}::text[]) AND done_at IS NULL`;
    } catch (e) {
      log.debug({ err: errorForLog(e), jobs: ids.length }, "outbox done marks deferred to the sweeper");
    }
  };
  return {
    mark(jobId) {
      pending.push(jobId);
      if (!timer) timer = setTimeout(() => void flush(), intervalMs);
    },
    flush,
    stop: flush,
  };
}

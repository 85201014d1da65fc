// BullMQ queues. Jobs carry ids only, never personal data; every job is first
// written to the Postgres outbox (src/core/jobs.ts) and published by the relay (src/workers/outbox.ts).
import { Queue, type ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";

import { QUEUE_NAMES, type QueueName } from "./jobs.js";

export { QUEUE_NAMES, type JobPayloads, type QueueName } from "./jobs.js";

export interface Queues {
  byName: Record<QueueName, Queue>;
  /** producer connection: fails fast when Redis is down (the outbox keeps the work) */
  connection: Redis;
  /**
   * the rate limits' connection, auto-pipelined: the counters of the requests in flight in one tick go to Redis in
   * one write (they were one socket write each, 3.8% of a small accept's CPU). Fails fast like the producer's.
   */
  counters: Redis;
  prefix: string;
  close(): Promise<void>;
}

export function redisConnection(url: string, opts: { failFast: boolean; autoPipelining?: boolean }): Redis {
  return new Redis(url, {
    enableAutoPipelining: opts.autoPipelining ?? false,
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    enableOfflineQueue: !opts.failFast,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}

export function createQueues(redisUrl: string, prefix = "kyc"): Queues {
  const connection = redisConnection(redisUrl, { failFast: true });
  connection.on("error", () => undefined); // reported by /readyz and the relay, not as crashes
  const byName = Object.fromEntries(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: connection as ConnectionOptions, prefix })])) as Record<
    QueueName,
    Queue
  >;
  for (const q of Object.values(byName)) q.on("error", () => undefined);
  const counters = redisConnection(redisUrl, { failFast: true, autoPipelining: true });
  counters.on("error", () => undefined); // the rate limits count in memory while Redis is away
  return {
    byName,
    connection,
    counters,
    prefix,
    async close() {
      await Promise.all(Object.values(byName).map((q) => q.close().catch(() => undefined)));
      connection.disconnect();
      counters.disconnect();
    },
  };
}

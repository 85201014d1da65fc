// BullMQ queues. Jobs carry ids only, never personal data; every job is first
// written to the Postgres outbox and published by the relay (src/workers/outbox.ts).
import { Queue, type ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";

export const QUEUE_NAMES = ["submit", "poll", "ingest", "deliver", "followup"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  submit: { verificationId: string; mode?: "start" | "capture" | "retake" };
  /** failures: consecutive failed polls before this one (the backoff of the next retry) */
  poll: { verificationId: string; failures?: number };
  ingest: { inboundWebhookId: string };
  deliver: { deliveryId: string };
  followup: { verificationId: string; name: "certificate" };
}

export interface Queues {
  byName: Record<QueueName, Queue>;
  /** producer connection: fails fast when Redis is down (the outbox keeps the work) */
  connection: Redis;
  prefix: string;
  close(): Promise<void>;
}

export function redisConnection(url: string, opts: { failFast: boolean }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    enableOfflineQueue: !opts.failFast,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}

export function createQueues(redisUrl: string, prefix = "kyc"): Queues {
  const connection = redisConnection(redisUrl, { failFast: true });
  connection.on("error", () => undefined); // reported by /readyz and the relay, not as crashes
  const byName = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, new Queue(name, { connection: connection as ConnectionOptions, prefix })]),
  ) as Record<QueueName, Queue>;
  for (const q of Object.values(byName)) q.on("error", () => undefined);
  return {
    byName,
    connection,
    prefix,
    async close() {
      await Promise.all(Object.values(byName).map((q) => q.close().catch(() => undefined)));
      connection.disconnect();
    },
  };
}

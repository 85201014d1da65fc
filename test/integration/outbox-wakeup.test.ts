// Issue 13: no interval-driven hop on the hot path. A commit that writes outbox rows, in any process, wakes every
// relay (Postgres NOTIFY on commit, the relay LISTENs): the job is in Redis at once, not at the relay's next poll.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/core/jobs.js";
import { createDb } from "../../src/db/client.js";
import { createOutboxRelay } from "../../src/workers/outbox.js";
import { startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

describe("the outbox relay", () => {
  it("publishes a row another process committed at once, with its poll a minute away", async () => {
    const relay = createOutboxRelay(gw.db, gw.queues, pino({ level: "silent" }), 60_000, { listenUrl: gw.env.DATABASE_URL });
    relay.start();
    // another process: its own connection pool, no relay, no nudge
    const other = createDb(gw.env.DATABASE_URL);
    try {
      await waitUntil(
        async () => (await gw.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN kyc_outbox'`)[0]!.n > 0,
        5_000,
        "the relay listening",
      );
      await other.$transaction((tx) => enqueue(tx, "deliver", "deliver-wakeup-test", { deliveryId: "whd_wakeup" }));
      // within 5 s, where the poll is 60 s away: only the notification can have published it
      const job = await waitUntil(() => gw.queues.byName.deliver.getJob("deliver-wakeup-test"), 5_000, "the job in Redis");
      expect(job.data).toMatchObject({ deliveryId: "whd_wakeup" });
      expect((await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: "deliver-wakeup-test" } })).publishedAt).not.toBeNull();
    } finally {
      await relay.stop();
      await other.$disconnect();
    }
  });

  it("claims due rows and publishes them; a row whose add fails is given back, the others stay published", async () => {
    const relay = createOutboxRelay(gw.db, gw.queues, pino({ level: "silent" }), 60_000);
    // BullMQ refuses a custom id with a colon: a real failed add, on real Redis
    await gw.db.$transaction(async (tx) => {
      await enqueue(tx, "deliver", "deliver-claim-good", { deliveryId: "whd_claim_good" });
      await enqueue(tx, "deliver", "deliver:claim-bad", { deliveryId: "whd_claim_bad" });
    });
    try {
      await relay.flush();
      const rows = await gw.db.outboxMessage.findMany({ where: { jobId: { in: ["deliver-claim-good", "deliver:claim-bad"] } } });
      const byJob = Object.fromEntries(rows.map((r) => [r.jobId, r.publishedAt]));
      expect(byJob["deliver-claim-good"]).not.toBeNull();
      expect(byJob["deliver:claim-bad"]).toBeNull();
      expect((await gw.queues.byName.deliver.getJob("deliver-claim-good"))?.data).toMatchObject({ deliveryId: "whd_claim_good" });
    } finally {
      await gw.db.outboxMessage.deleteMany({ where: { jobId: "deliver:claim-bad" } });
    }
  });
});

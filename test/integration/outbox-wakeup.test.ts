// Issue 13: no interval-driven hop on the hot path. A commit that writes outbox rows, in any process, wakes every
// relay (Postgres NOTIFY on commit, the relay LISTENs): the job is in Redis at once, not at the relay's next poll.
// On the hot path the writer publishes its own jobs after the commit (src/core/publish.ts): no relay hop at all.
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/core/jobs.js";
import { createDb } from "../../src/db/client.js";
import { createOutboxRelay } from "../../src/workers/outbox.js";
import { emitVerificationEvent } from "../../src/core/emit.js";
import { createJobPublisher, publishClaimed, type ClaimedJob } from "../../src/core/publish.js";
import type { VerificationResource } from "../../src/domain/model.js";
import { createTenantWithAccounts, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";

/** The notifications a listener on the outbox channel hears while `work` runs (and a moment after). */
async function heardDuring(work: () => Promise<void>): Promise<number> {
  const listener = new pg.Client({ connectionString: gw.env.DATABASE_URL });
  await listener.connect();
  let heard = 0;
  listener.on("notification", () => void heard++);
  await listener.query("LISTEN kyc_outbox");
  try {
    await work();
    // a notification is sent at commit: a round trip on the listener's own connection comes after it
    await listener.query("SELECT 1");
    return heard;
  } finally {
    await listener.end();
  }
}

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

  it("a decision's deliver jobs claimed by its writer: published, no relay woken, in Redis from the writer's own add", async () => {
    const t = await createTenantWithAccounts(gw, []);
    await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook", events: [] });
    await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/other", events: [] });
    const resource = { id: "ver_claimed_emit", object: "verification", status: "completed" } as unknown as VerificationResource;
    const claimed: ClaimedJob[] = [];
    const heard = await heardDuring(async () => {
      await gw.db.$transaction((tx) => emitVerificationEvent(tx, gw.env.keys, t.tenantId, "verification.completed", resource, new Date(), claimed));
    });
    expect(heard).toBe(0);
    expect(claimed).toHaveLength(2);
    const rows = await gw.db.outboxMessage.findMany({ where: { jobId: { in: claimed.map((j) => j.jobId) } } });
    expect(rows.map((r) => [r.jobId, r.payload])).toEqual(expect.arrayContaining(claimed.map((j) => [j.jobId, j.payload])));
    for (const r of rows) expect(r.publishedAt).not.toBeNull();
    await createJobPublisher(gw.db, gw.queues, pino({ level: "silent" })).publish(claimed);
    for (const j of claimed) expect((await gw.queues.byName.deliver.getJob(j.jobId))?.data).toMatchObject(j.payload as object);

    // the same emit unclaimed: its rows wait for a relay, which the commit wakes
    const unclaimedHeard = await heardDuring(async () => {
      await gw.db.$transaction((tx) => emitVerificationEvent(tx, gw.env.keys, t.tenantId, "verification.updated", resource, new Date()));
    });
    expect(unclaimedHeard).toBe(1);
  });

  it("a job its writer cannot add goes back to the relays, which are woken", async () => {
    const job: ClaimedJob = {
      queue: "deliver",
      jobId: "deliver:writer-bad",
      payload: { deliveryId: "whd_writer_bad" },
      availableAt: new Date(),
      requestId: null,
      traceparent: null,
    };
    await gw.db.outboxMessage.create({ data: { queue: job.queue, jobId: job.jobId, payload: job.payload as object, publishedAt: new Date() } });
    try {
      const heard = await heardDuring(async () => {
        await expect(publishClaimed(gw.db, gw.queues, [job], { wakeRelays: true })).rejects.toThrow(/cannot contain/);
      });
      expect(heard).toBe(1);
      expect((await gw.db.outboxMessage.findFirstOrThrow({ where: { jobId: job.jobId } })).publishedAt).toBeNull();
    } finally {
      await gw.db.outboxMessage.deleteMany({ where: { jobId: job.jobId } });
    }
  });
});

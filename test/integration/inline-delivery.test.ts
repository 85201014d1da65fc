// Issue 13: a decision's delivery is POSTed by the worker that decided, right after the commit, not through a BullMQ
// add and a worker's pickup (that hop's tail was ~40 ms at p99 of the end-to-end run). The row is done without its
// job ever being in Redis; a run that fails, a job past the bound, or a grace too short for a POST go through the queue.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobPublisher, type ClaimedJob } from "../../src/core/publish.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  startWebhookReceiver,
  waitForFinal,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = {
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
  selfie: { contentType: "image/jpeg", data: img("selfie") },
};
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } };
const silent = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A verification accepted through a tenant with a receiving endpoint, its one completed delivery once it succeeded. */
async function deliveredVerification(gw: TestGateway, rxUrl: string) {
  const t = await createTenantWithAccounts(gw, [DMS]);
  await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: rxUrl, events: [] });
  const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
  expect(created.status).toBe(202);
  await waitForFinal(gw, t.apiKey, created.body.id);
  const [delivery] = await waitUntil(async () => {
    const d = await gw.db.webhookDelivery.findMany({ where: { event: { verificationId: created.body.id, type: "verification.completed" } } });
    return d.length === 1 && d[0]!.status === "succeeded" ? d : null;
  });
  return { verificationId: created.body.id as string, delivery: delivery! };
}

describe("a decision's delivery, POSTed by the worker that decided", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.close());

  it("is received, its row done, and its job never in Redis", async () => {
    const rx = await startWebhookReceiver();
    try {
      const { verificationId, delivery } = await deliveredVerification(gw, rx.url);
      const jobId = `${delivery.id}-1`;
      const row = await waitUntil(async () => {
        const r = await gw.db.outboxMessage.findFirst({ where: { jobId } });
        return r?.doneAt ? r : null;
      });
      expect(row.publishedAt).not.toBeNull();
      expect(await gw.queues.byName.deliver.getJob(jobId)).toBeUndefined();
      expect(rx.received.some((r) => r.json?.type === "verification.completed" && r.json?.data?.id === verificationId)).toBe(true);
    } finally {
      await rx.close();
    }
  });
});

describe("the inline runner's bounds", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ workers: false });
  });
  afterAll(async () => gw?.close());

  const claimed = async (tag: string, availableAt = new Date()): Promise<ClaimedJob> => {
    const job: ClaimedJob = {
      queue: "deliver",
      jobId: `inline-${tag}-${Date.now()}`,
      payload: { deliveryId: `dlv_${tag}` },
      availableAt,
      requestId: null,
      traceparent: null,
    };
    await gw.db.outboxMessage.create({ data: { queue: job.queue, jobId: job.jobId, payload: job.payload as object, publishedAt: new Date(), availableAt } });
    return job;
  };

  it("runs up to its bound at once, queues the rest and a job due later, and a run that throws goes to the queue", async () => {
    const ran: string[] = [];
    const done: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // the runner's part: run the job, then mark its row done
    const publisher = createJobPublisher(gw.db, gw.queues, silent, {
      queues: ["deliver"],
      max: 1,
      run: async (job) => {
        const { deliveryId } = job.payload as { deliveryId: string };
        ran.push(deliveryId);
        if (deliveryId === "dlv_throws") throw new Error("Postgres went away");
        await held;
        done.push(job.jobId);
      },
    });
    const first = await claimed("first");
    const second = await claimed("second");
    const later = await claimed("later", new Date(Date.now() + 60_000));
    await publisher.publish([first, second, later]);
    expect(ran).toEqual(["dlv_first"]);
    // past the bound and due later: in Redis, for a worker
    expect(await gw.queues.byName.deliver.getJob(second.jobId)).toBeDefined();
    expect(await (await gw.queues.byName.deliver.getJob(later.jobId))?.getState()).toBe("delayed");
    expect(await gw.queues.byName.deliver.getJob(first.jobId)).toBeUndefined();
    let drained = false;
    const draining = publisher.drain().then(() => (drained = true));
    await sleep(50);
    expect(drained).toBe(false); // a shutdown waits for the run
    release();
    await draining;
    expect(done).toEqual([first.jobId]);

    const throws = await claimed("throws");
    await publisher.publish([throws]);
    await publisher.drain();
    expect(ran).toContain("dlv_throws");
    expect(done).not.toContain(throws.jobId);
    expect((await gw.queues.byName.deliver.getJob(throws.jobId))?.data).toMatchObject({ deliveryId: "dlv_throws" });
    for (const j of [first, second, later, throws]) await gw.queues.byName.deliver.remove(j.jobId).catch(() => undefined);
  });
});

describe("a sweeper grace too short for a POST", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // a POST may take 15 s; a claimed row without its job is published again 5 s overdue: the deliveries are queued
    gw = await startTestGateway({ envOverrides: { SWEEP_GRACE_MS: "5000", WEBHOOK_TIMEOUT_MS: "15000" } });
  });
  afterAll(async () => gw?.close());

  it("sends the delivery through the deliver queue", async () => {
    const rx = await startWebhookReceiver();
    try {
      const { delivery } = await deliveredVerification(gw, rx.url);
      expect(await gw.queues.byName.deliver.getJob(`${delivery.id}-1`)).toBeDefined();
    } finally {
      await rx.close();
    }
  });
});

// A tenant orders a verification's events by their `timestamp`: that order must be the order the changes were
// made. The chaos run's receiver saw completed/approved, then processing: the completion's time had been taken
// before its transaction waited for the row lock, behind the processing change that committed first.
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOutcome, cancelVerification } from "../../src/core/verifications.js";
import { reason } from "../../src/domain/model.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, startTestGateway, type TestGateway } from "../support/gateway.js";
import { fakeJpeg } from "../support/adapter-harness.js";

let gw: TestGateway;
let holder: pg.Client;
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = {
  checks: ["document"],
  subject: { ...DMS_SANDBOX_SUBJECT },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  holder = new pg.Client({ connectionString: gw.env.DATABASE_URL });
  await holder.connect();
});
afterAll(async () => {
  await holder?.end();
  await gw?.close();
});

/** Holds the verification's row lock for `ms`, then commits; resolves with the moment the lock was let go. */
async function holdRowLock(id: string, ms: number): Promise<() => Promise<number>> {
  await holder.query("BEGIN");
  await holder.query("SELECT id FROM verifications WHERE id = $1 FOR UPDATE", [id]);
  return async () => {
    await sleep(ms);
    const released = Date.now();
    await holder.query("COMMIT");
    return released;
  };
}

async function eventsOf(id: string) {
  const rows = await gw.db.webhookEvent.findMany({ where: { verificationId: id }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => ({
    at: r.createdAt.getTime(),
    timestamp: Date.parse((r.payload as { timestamp: string }).timestamp),
    status: (r.payload as any).data.status,
  }));
}

describe("a change is stamped under the row lock", () => {
  it("a change that waited for the lock is stamped after the one that held it, and its event after the lock was let go", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const deps = { db: gw.db, log: pino({ level: "silent" }), env: gw.env };

    const release = await holdRowLock(id, 300);
    const processing = applyOutcome(deps, id, { status: "processing" }, { source: "webhook", eventType: "vendor_webhook" });
    const released = await release();
    await processing;
    const failed = await applyOutcome(
      deps,
      id,
      { status: "failed", reasons: [reason("vendor_error", "dms")] },
      { source: "worker", eventType: "vendor_result" },
    );
    expect(failed.applied).toBe(true);

    const events = (await eventsOf(id)).filter((e) => e.status !== "pending");
    expect(events.map((e) => e.status)).toEqual(["processing", "failed"]);
    // stamped after the wait, not when the change was asked for
    expect(events[0]!.timestamp).toBeGreaterThanOrEqual(released);
    expect(events[1]!.timestamp).toBeGreaterThan(events[0]!.timestamp);
    const v = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${id}`);
    expect(Date.parse(v.body.updatedAt)).toBe(events[1]!.timestamp);
  });

  it("a cancel that waited for the lock is stamped after it was let go", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
    const id = created.body.id as string;
    const release = await holdRowLock(id, 300);
    const cancelled = cancelVerification({ db: gw.db, log: pino({ level: "silent" }), env: gw.env }, id);
    const released = await release();
    const resource = await cancelled;
    expect(resource.status).toBe("cancelled");
    const [event] = (await eventsOf(id)).filter((e) => e.status === "cancelled");
    expect(event!.timestamp).toBeGreaterThanOrEqual(released);
  });

  it("a change is stamped after the row's last change even when this process's clock is behind", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
    const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", request);
    const id = created.body.id as string;
    // another process, its clock 5 s ahead, changed the row last
    const ahead = new Date(Date.now() + 5_000);
    await gw.db.verification.update({ where: { id }, data: { updatedAt: ahead } });
    await applyOutcome(
      { db: gw.db, log: pino({ level: "silent" }), env: gw.env },
      id,
      { status: "processing" },
      { source: "webhook", eventType: "vendor_webhook" },
    );
    const [event] = (await eventsOf(id)).filter((e) => e.status === "processing");
    expect(event!.timestamp).toBeGreaterThan(ahead.getTime());
  });
});

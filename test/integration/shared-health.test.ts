// Circuit state and health probes shared through Redis: in a split deployment the API process that
// never called a vendor shows the circuit a worker opened, and a probe run by one API process.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import { redisAccountHealth } from "../../src/core/account-health.js";
import { circuitStateOf, resetResilience } from "../../src/core/vendor-http.js";
import { toAdapterAccount } from "../../src/core/accounts.js";
import { buildAdapterContext } from "../../src/core/adapter-runtime.js";
import { createQueues, redisConnection, type Queues } from "../../src/core/queues.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

const log = pino({ level: "silent" });
let gw: TestGateway;
// a second API process of the same deployment: its own Redis connection, the same database and queue prefix
let other: { queues: Queues; server: Server; url: string };

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  const queues = createQueues(gw.env.REDIS_URL, gw.queues.prefix);
  const app = createApp({ env: gw.env, db: gw.db, log, queues });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  other = { queues, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(async () => {
  await new Promise((r) => other?.server.close(r));
  await other?.queues.close();
  await gw?.close();
});

const adminOf = (base: string) => async (path: string) => {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${gw.env.ADMIN_TOKEN}` } });
  return { status: res.status, body: (await res.json()) as any };
};

describe("circuit state across processes", () => {
  it("a circuit opened in one process shows as open on another process's health endpoint and console list", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "identy", credentials: {} }]);
    const row = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: t.accounts[0].id } });
    // the "worker": its own Redis connection, its breaker opened by five vendor faults in a row
    const workerRedis = redisConnection(gw.env.REDIS_URL, { failFast: false });
    try {
      const account = toAdapterAccount(gw.env.masterKey, gw.env.PUBLIC_BASE_URL, row);
      const { ctx, effects } = buildAdapterContext({ db: gw.db, env: gw.env, log, health: redisAccountHealth(workerRedis, gw.queues.prefix) }, account, null);
      for (let i = 0; i < 6; i++)
        await ctx.http.call({ endpoint: "face_health", method: "GET", url: "http://127.0.0.1:1/api/v1/face_health", retry: false }).catch(() => undefined);
      await effects.flush();
      expect(circuitStateOf(row.id)).toBe("open");
      // the sixth call was refused by the open circuit: only five reached the network
      expect(await gw.db.vendorCall.count({ where: { vendorAccountId: row.id } })).toBe(5);
    } finally {
      workerRedis.disconnect();
    }
    // the reading process never called this account: its own breaker knows nothing
    resetResilience();
    expect(circuitStateOf(row.id)).toBe("unknown");

    const health = await adminOf(other.url)(`/admin/vendor-accounts/${row.id}/health`);
    expect(health.status).toBe(200);
    expect(health.body.circuit).toBe("open");
    expect(Date.parse(health.body.circuitSince)).toBeGreaterThan(Date.now() - 60_000);
    const list = await adminOf(other.url)(`/admin/vendor-accounts?tenantId=${t.tenantId}`);
    expect(list.body.data.find((a: { id: string }) => a.id === row.id)).toMatchObject({ circuit: "open" });
  });

  it("an account no process has called is 'unknown' everywhere", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "identy", credentials: {} }]);
    const health = await adminOf(other.url)(`/admin/vendor-accounts/${t.accounts[0].id}/health`);
    expect(health.body).toMatchObject({ circuit: "unknown", circuitSince: null });
  });

  it("a probe run by one API process is the last health another one shows", async () => {
    const t = await createTenantWithAccounts(gw, [{ vendor: "identy", credentials: {} }]);
    const id = t.accounts[0].id;
    await fetch(`${gw.sandboxUrl}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "identy", endpoint: "face_health", fault: "http_503", times: 0 }),
    });
    try {
      const probed = await adminOf(gw.url)(`/admin/vendor-accounts/${id}/health?probe=true`);
      expect(probed.body.probe.ok).toBe(false);
    } finally {
      await fetch(`${gw.sandboxUrl}/_control/faults`, { method: "DELETE" });
    }
    // the database holds only the periodic probe's result: this one came through Redis
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id } })).healthCheckedAt).toBeNull();
    const seen = await adminOf(other.url)(`/admin/vendor-accounts/${id}/health`);
    expect(seen.body.health).toMatchObject({ ok: false });
    expect(seen.body.health.detail).toMatch(/503|unavailable|face_health/i);
    expect(Date.parse(seen.body.health.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("the shared record", () => {
  const board = () => redisAccountHealth(gw.queues.connection, `${gw.queues.prefix}-${randomBytes(3).toString("hex")}`);

  it("keeps the newest transition: an older one arriving late, or a new breaker's closed state, changes nothing", async () => {
    const b = board();
    const t0 = Date.now();
    await b.circuitChanged("va_1", "open", new Date(t0));
    await b.circuitChanged("va_1", "closed", new Date(t0 - 1000));
    await b.circuitChanged("va_1", "closed", new Date(t0 + 1000), { initial: true });
    expect((await b.read(["va_1"])).get("va_1")?.circuit).toEqual({ state: "open", since: new Date(t0).toISOString() });
    await b.circuitChanged("va_1", "half_open", new Date(t0 + 2000));
    expect((await b.read(["va_1"])).get("va_1")?.circuit?.state).toBe("half_open");
  });

  it("records a new breaker's closed state where nothing is known, and reads only accounts it knows", async () => {
    const b = board();
    await b.circuitChanged("va_2", "closed", new Date(), { initial: true });
    await b.probed("va_3", { ok: true, detail: "face_health OK" }, new Date());
    const read = await b.read(["va_2", "va_3", "va_4"]);
    expect(read.get("va_2")).toMatchObject({ circuit: { state: "closed" }, probe: null });
    expect(read.get("va_3")).toMatchObject({ circuit: null, probe: { ok: true, detail: "face_health OK" } });
    expect(read.has("va_4")).toBe(false);
  });
});

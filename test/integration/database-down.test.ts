// Postgres stopped or partitioned under the API: every request answers 503 problem+json with
// Retry-After and writes nothing; the pool's connection and statement timeouts bound the wait;
// /readyz depends on Postgres. The API's database connection goes through a TCP proxy in front
// of the real Postgres, which the test cuts (connections reset, new ones refused), turns into a
// black hole (connections accepted, never answered), and restores.
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import { createDb, type Db } from "../../src/db/client.js";
import { isDatabaseUnavailable } from "../../src/db/errors.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";
import { startTcpProxy as startPgProxy } from "../support/tcp-proxy.js";

let gw: TestGateway;
let proxy: ReturnType<typeof startPgProxy>;
let proxiedDb: Db;
let api: { url: string; close(): Promise<void> };

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  const real = new URL(gw.env.DATABASE_URL);
  proxy = startPgProxy({ host: real.hostname, port: Number(real.port || 5432) });
  await proxy.listen();
  const viaProxy = new URL(gw.env.DATABASE_URL);
  viaProxy.port = String(proxy.port);
  proxiedDb = createDb(viaProxy.toString(), { max: 4, connectTimeoutMs: 500, statementTimeoutMs: 1_000 });
  const app = createApp({ env: gw.env, db: proxiedDb, log: pino({ level: "silent" }), queues: gw.queues });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  api = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
});
afterAll(async () => {
  await api?.close();
  await proxiedDb?.$disconnect().catch(() => undefined);
  await proxy?.close();
  await gw?.close();
});

const body = () => ({
  checks: ["document"],
  document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("doc").toString("base64") }] },
});
const post = (apiKey: string) =>
  fetch(`${api.url}/v1/verifications`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body()),
  });

describe("the database stopped or partitioned under the API", () => {
  it("answers 503 with Retry-After and writes nothing while Postgres is stopped; works again when it is back", async () => {
    const t = await createTenantWithAccounts(gw, []);
    const ok = await post(t.apiKey);
    expect(ok.status).toBe(202);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);

    await proxy.cut();
    for (let i = 0; i < 3; i++) {
      const res = await post(t.apiKey);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 503, title: "Service unavailable" });
    }
    const get = await fetch(`${api.url}/v1/verifications?limit=5`, { headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(get.status).toBe(503);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", redis: "ok", postgres: expect.stringMatching(/^down/) });

    await proxy.restore();
    const again = await post(t.apiKey);
    expect(again.status).toBe(202);
    // nothing half-written: the two accepted, nothing else (rows, events, outbox)
    expect(await gw.db.verification.count({ where: { tenantId: t.tenantId } })).toBe(2);
    const ids = (await gw.db.verification.findMany({ where: { tenantId: t.tenantId }, select: { id: true } })).map((v) => v.id);
    expect(await gw.db.verificationEvent.count({ where: { verificationId: { in: ids } } })).toBe(2);
    expect(await gw.db.outboxMessage.count({ where: { jobId: { in: ids.map((id) => `submit-${id}`) } } })).toBe(2);
  });

  it("a partitioned database (connections never answered) is a 503 within the pool's timeouts, not a hung request", async () => {
    const t = await createTenantWithAccounts(gw, []);
    await proxy.blackhole();
    try {
      const res = await post(t.apiKey);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
    } finally {
      await proxy.restore();
    }
    expect((await post(t.apiKey)).status).toBe(202);
  });
});

describe("isDatabaseUnavailable", () => {
  it.each([
    [{ code: "P1001" }, true],
    [{ code: "P2024" }, true],
    [{ code: "57P01" }, true],
    [{ code: "57014" }, true],
    [{ code: "ECONNREFUSED" }, true],
    [{ name: "PrismaClientInitializationError" }, true],
    [{ code: "P2010", meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } } }, true],
    [{ cause: { code: "ECONNRESET" } }, true],
    [{ code: "P2002" }, false],
    [{ code: "23505" }, false],
    [new Error("boom"), false],
  ])("%j → %s", (err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected);
  });
});

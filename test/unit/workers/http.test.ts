// A worker-only process's own endpoint: /healthz follows its BullMQ workers, /metrics is the
// process's Prometheus registry.
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { startWorkerHttp, type WorkerHttp } from "../../../src/workers/http.js";
import { queueDepth } from "../../../src/observability/metrics.js";

let http: WorkerHttp | null = null;
afterEach(async () => {
  await http?.close();
  http = null;
});

describe("worker metrics and health endpoint", () => {
  it("answers 200 while every worker runs, 503 naming the stopped one otherwise", async () => {
    const running = { submit: true, poll: true };
    const workers = Object.keys(running).map((name) => ({ name, isRunning: () => running[name as keyof typeof running] }));
    http = await startWorkerHttp({ port: 0, host: "127.0.0.1", log: pino({ level: "silent" }), workers: () => workers });
    const base = `http://127.0.0.1:${http.port}`;
    const ok = await fetch(`${base}/healthz`);
    expect([ok.status, await ok.json()]).toEqual([200, { status: "ok", workers: { submit: "running", poll: "running" } }]);
    running.poll = false;
    const down = await fetch(`${base}/healthz`);
    expect([down.status, await down.json()]).toEqual([503, { status: "unhealthy", workers: { submit: "running", poll: "stopped" } }]);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("serves the process's metrics and is unhealthy with no worker", async () => {
    queueDepth.set({ queue: "submit", state: "waiting" }, 3);
    http = await startWorkerHttp({ port: 0, host: "127.0.0.1", log: pino({ level: "silent" }), workers: () => [] });
    const res = await fetch(`http://127.0.0.1:${http.port}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^kyc_queue_depth\{queue="submit",state="waiting"\} 3$/m);
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(503);
  });

  it("rejects when its port is taken", async () => {
    http = await startWorkerHttp({ port: 0, host: "127.0.0.1", log: pino({ level: "silent" }), workers: () => [] });
    await expect(startWorkerHttp({ port: http.port, host: "127.0.0.1", log: pino({ level: "silent" }), workers: () => [] })).rejects.toThrow(/EADDRINUSE/);
  });
});

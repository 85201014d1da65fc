// The IWS does 1-10 requests/s per instance: calls to one account queue behind settings.concurrency (default 4).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { createIdentySimulator } from "../../../../src/sandbox/identy/simulator.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const faults = new FaultInjector();
let inFlight = 0;
let maxInFlight = 0;
let served = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express()
    .use((_req, res, next) => {
      inFlight += 1;
      served += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.once("close", () => {
        inFlight -= 1;
      });
      next();
    })
    .use("/identy", createIdentySimulator({ faults, log: pino({ level: "silent" }) }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("per-account concurrency", () => {
  it("12 verifications started together on one account never have more than 4 IWS calls in flight", async () => {
    // the simulator answers after 120 ms each (fault "latency", until cleared)
    faults.add({ vendor: "identy", fault: "latency", latencyMs: 120, times: 0 });
    const acc = makeAccount("identy", { baseUrl: `${base}/identy` });
    const { concurrency } = identyAdapter.settings.parse(acc.settings) as { concurrency: number };
    expect(concurrency).toBe(4);
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const v = makeVerification({ faceCapture: { identyBlob: Buffer.from(`blob-${i}`).toString("base64") } }, ["liveness"]);
        // one harness per verification, all on the same account id, as the pipeline builds them
        return identyAdapter.start(v, acc, makeHarness(acc, v.id, { concurrency }).ctx);
      }),
    );
    const elapsed = Date.now() - started;
    faults.clear();
    expect(outcomes.every((o) => o.status === "completed" && o.decision === "approved")).toBe(true);
    expect(served).toBe(12);
    expect(maxInFlight).toBe(4);
    // 12 calls, 4 at a time, 120 ms each: at least three waves
    expect(elapsed).toBeGreaterThanOrEqual(3 * 120 - 20);
  });
});

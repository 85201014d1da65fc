// The IWS simulator against ../shared/vendors/identy-web-solution-v6.txt itself (no adapter code): methods,
// the 2-minute request expiry, the /face/as family's error shape, and the benchmarked capacity.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { makeIdentySimulator } from "../../../../src/sandbox/identy/simulator.js";

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express().use("/identy", makeIdentySimulator({ faults: new FaultInjector(), log: pino({ level: "silent" }) }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/identy`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const headers = { Referer: "https://gateway.test/" };
function processForm(blob: string) {
  const form = new FormData();
  form.append("file", new Blob([blob]), "bdata");
  return fetch(`${base}/api/v1/process`, { method: "POST", headers, body: form });
}
const capacity = (body: unknown) =>
  fetch(`${base}/_sim/capacity`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());

describe("methods as the file gives them", () => {
  it.each(["models", "pub_key", "time", "process", "face/as", "matchWithPictureId"])('GET /api/v1/%s is refused ("Method: POST")', async (path) => {
    const r = await fetch(`${base}/api/v1/${path}`, { headers });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
  });

  it("POST models, pub_key and time answer application/octet-stream; face_health answers OK to GET", async () => {
    for (const path of ["models", "pub_key", "time"]) {
      const r = await fetch(`${base}/api/v1/${path}`, { method: "POST", body: new FormData() });
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toBe("application/octet-stream");
    }
    expect(await (await fetch(`${base}/api/v1/face_health`)).text()).toBe("OK");
  });
});

describe('ERROR_REQUEST_EXPIRED: "took more than 2 min to reach the server"', () => {
  it("a BLOB packaged 2 min 1 s ago is 604 with HTTP 500; one packaged 1 s ago is processed", async () => {
    const old = await processForm(`IDENTY-SDK-BLOB packaged_at=${Date.now() - 121_000}`);
    expect(old.status).toBe(500);
    expect(await old.json()).toMatchObject({ code: 604, message: "ERROR_REQUEST_EXPIRED" });
    const fresh = await processForm(`IDENTY-SDK-BLOB packaged_at=${Date.now() - 1_000}`);
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toMatchObject({ code: 200, message: "FEEDBACK_CAPTURED" });
  });
});

describe("the /face/as family's own shape", () => {
  it("an error is the sample's shape with the code in `error` (no invented `message`)", async () => {
    const form = new FormData();
    form.append("image", Buffer.from("selfie").toString("base64"));
    form.append("threshold", "SUPER_HIGH");
    const r = await fetch(`${base}/api/v1/face/as`, { method: "POST", headers, body: form });
    expect(r.status).toBe(400);
    const body = (await r.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["as_highest_security_level_reached", "error", "refid"]);
    expect(body).toMatchObject({ error: 506, as_highest_security_level_reached: null });
  });
});

describe("capacity from the benchmark tables", () => {
  it("cpu-4, desktop, HIGH (/process 1.24 req/s): a second request waits for the first's work, a third is refused with 503", async () => {
    await capacity({ hardware: "cpu-4", device: "desktop", level: "HIGH" });
    try {
      const started = Date.now();
      const answers = await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const r = await processForm(`IDENTY-SDK-BLOB ${i}`);
          return { status: r.status, ms: Date.now() - started, type: r.headers.get("content-type") };
        }),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503, 503]);
      // the slowed one waited for 1000 / 1.24 = 806 ms of queued work
      expect(Math.max(...answers.filter((a) => a.status === 200).map((a) => a.ms))).toBeGreaterThanOrEqual(750);
      // a plain server page, not an IWS body (its `code` 503 would mean "No face detected")
      expect(answers.find((a) => a.status === 503)!.type).toMatch(/^text\/html/);
      const stats = (await (await fetch(`${base}/_sim/capacity`)).json()) as Record<string, number>;
      expect(stats).toMatchObject({ requests: 4, rejected: 2, processCapacity: 1.24 });
    } finally {
      await capacity(null);
    }
  });

  it('a GPU counts as 16 cores ("a single GPU delivers performance equivalent 16 CPU cores")', async () => {
    expect(await capacity({ hardware: "gpu", device: "mobile", level: "HIGHEST" })).toMatchObject({ processCapacity: 3.05 });
    await capacity(null);
  });
});

// The per-account concurrency limit holds across gateway processes: two worker
// processes share one IWS account (concurrency 4) under a burst of 50 verifications,
// and the simulated IWS never serves more than 4 requests at once.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrlNamed, dropDatabase, freePort, waitUntil } from "../support/gateway.js";

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: databaseUrlNamed(`kyc_e2e_slots_${Date.now()}`),
  QUEUE_PREFIX: `slots${Date.now()}`,
  LOG_LEVEL: "warn",
  WORKER_CONCURRENCY: "16",
};
const children: ChildProcess[] = [];
const spawnNode = (args: string[], extra: NodeJS.ProcessEnv) => {
  const c = spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...env, ...extra }, stdio: "ignore" });
  children.push(c);
  return c;
};
let api = "";
let sandbox = "";

beforeAll(async () => {
  const [sandboxPort, apiPort] = [await freePort(), await freePort()];
  sandbox = `http://127.0.0.1:${sandboxPort}`;
  api = `http://127.0.0.1:${apiPort}`;
  spawnNode(["src/sandbox/main.ts"], { SANDBOX_PORT: String(sandboxPort), SANDBOX_HOST: "127.0.0.1" });
  spawnNode(["src/main.ts", "--api"], { PORT: String(apiPort), PUBLIC_BASE_URL: api });
  await waitUntil(
    async () => (await fetch(`${api}/readyz`).catch(() => null))?.ok && (await fetch(sandbox).catch(() => null))?.ok,
    45_000,
    "the API and the sandbox",
  );
  // two worker processes, each with its own in-process limit of 4
  spawnNode(["src/main.ts", "--worker"], { PUBLIC_BASE_URL: api, WORKER_METRICS_PORT: "0" });
  spawnNode(["src/main.ts", "--worker"], { PUBLIC_BASE_URL: api, WORKER_METRICS_PORT: "0" });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 300));
  await dropDatabase(env.DATABASE_URL!);
});

const call = async (key: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as any;
};

/** n liveness verifications on one tenant's IWS account, all completed */
async function burst(apiKey: string, n: number) {
  const blob = () => Buffer.from(`IDENTY-SDK-BLOB ${Math.random()}`).toString("base64");
  const ids: string[] = await Promise.all(
    Array.from({ length: n }, async () => (await call(apiKey, "POST", "/v1/verifications", { checks: ["liveness"], faceCapture: { identyBlob: blob() } })).id),
  );
  await waitUntil(
    async () => {
      const page = await call(apiKey, "GET", "/v1/verifications?status=completed&limit=100");
      return page.data.length === ids.length;
    },
    60_000,
    `${n} verifications to complete`,
  );
}

describe("vendor concurrency across processes", () => {
  it("keeps one IWS account at 4 calls in flight with two worker processes", async () => {
    // a measured server far faster than the file's tables: only the in-flight limit holds the burst back
    const t = await call(env.ADMIN_TOKEN!, "POST", "/admin/tenants", { name: "slots" });
    await call(env.ADMIN_TOKEN!, "POST", `/admin/tenants/${t.id}/vendor-accounts`, {
      vendor: "identy",
      name: "iws",
      baseUrl: `${sandbox}/identy`,
      credentials: {},
      settings: { concurrency: 4, throughput: { process: 1000 } },
    });
    await fetch(`${sandbox}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "identy", endpoint: "/api/v1/process", fault: "latency", latencyMs: 80, times: 0 }),
    });
    await burst(t.apiKey, 50);
    const load = (await (await fetch(`${sandbox}/_control/load`)).json()) as Record<string, { peak: number; total: number }>;
    expect(load.identy!.total).toBeGreaterThanOrEqual(50);
    expect(load.identy!.peak).toBeLessThanOrEqual(4);
    expect(load.identy!.peak).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it("keeps one IWS account under its benchmarked rate with two worker processes (cpu-16, desktop, HIGH: 5.11 req/s)", async () => {
    await fetch(`${sandbox}/_control/faults`, { method: "DELETE" });
    const sim = (method: string, body?: unknown) =>
      fetch(`${sandbox}/identy/_sim/capacity`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, any>>);
    await sim("PUT", { hardware: "cpu-16", device: "desktop", level: "HIGH" });
    try {
      const t = await call(env.ADMIN_TOKEN!, "POST", "/admin/tenants", { name: "rate" });
      await call(env.ADMIN_TOKEN!, "POST", `/admin/tenants/${t.id}/vendor-accounts`, {
        vendor: "identy",
        name: "iws",
        baseUrl: `${sandbox}/identy`,
        credentials: {},
        settings: { hardware: "cpu-16", captureDevice: "desktop", livenessLevel: "HIGH" },
      });
      await burst(t.apiKey, 40);
      const stats = await sim("GET");
      // never refused, never a second of work queued (timer lag on a loaded machine may queue a few ms)
      expect(stats).toMatchObject({ requests: 40, rejected: 0 });
      expect(stats.peakQueueMs).toBeLessThan(1000);
      expect(stats.peakRequestsPerSecond).toBeLessThanOrEqual(Math.ceil(5.11) + 1);
    } finally {
      await sim("PUT", null);
    }
  }, 120_000);
});

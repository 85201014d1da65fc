// A worker process killed (SIGKILL) while it is polling Identomat: the poll schedule
// lives in Redis and Postgres, so a new process picks it up and finishes the job.
// Three processes as in a deployment: the vendor sandbox, and the gateway twice.
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrlNamed, dropDatabase, freePort, waitUntil } from "../support/gateway.js";

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: databaseUrlNamed(`kyc_e2e_kill_${Date.now()}`),
  QUEUE_PREFIX: `kill${Date.now()}`,
  LOG_LEVEL: "warn",
};
const children: ChildProcess[] = [];
let base = "";
let sandbox = "";

function start(args: string[], extra: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  children.push(child);
  return { child, exited: new Promise((r) => child.once("exit", r)), output: () => out };
}

async function call(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

let gatewayPort = 0;
beforeAll(async () => {
  const sandboxPort = await freePort();
  gatewayPort = await freePort();
  base = `http://127.0.0.1:${gatewayPort}`;
  sandbox = `http://127.0.0.1:${sandboxPort}`;
  start(["src/sandbox/main.ts"], { SANDBOX_PORT: String(sandboxPort), SANDBOX_HOST: "127.0.0.1" });
  await waitUntil(async () => (await fetch(sandbox).catch(() => null))?.ok, 30_000, "the sandbox");
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await new Promise((r) => setTimeout(r, 300));
  await dropDatabase(env.DATABASE_URL!);
});

describe("a worker killed while polling", () => {
  it("resumes in a new process and finishes the verification", async () => {
    const first = start(["src/main.ts"], { PORT: String(gatewayPort), PUBLIC_BASE_URL: base });
    await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 45_000, "the gateway");
    const admin = env.ADMIN_TOKEN!;
    const t = await call(admin, "POST", "/admin/tenants", { name: "kill test" });
    const acct = await call(admin, "POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: "identomat",
      name: "idm",
      baseUrl: `${sandbox}/identomat`,
      credentials: { companyKey: "sandbox-identomat-key" },
      settings: { pollScheduleSeconds: [0.7] },
    });
    expect(acct.status).toBe(201);
    const created = await call(t.body.apiKey, "POST", "/v1/verifications", {
      checks: ["document", "liveness"],
      hosted: { returnUrl: "https://tenant.example/done?polls=6" },
    });
    expect(created.status).toBe(202);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      await waitUntil(
        async () => (await db.query(`SELECT poll_count FROM verifications WHERE id = $1`, [created.body.id])).rows[0]?.poll_count >= 2,
        20_000,
        "polling to be under way",
      );
      first.child.kill("SIGKILL");
      await first.exited;
      const atKill = (await db.query(`SELECT status, poll_count FROM verifications WHERE id = $1`, [created.body.id])).rows[0];
      expect(atKill.status).toBe("awaiting_user");
      const second = start(["src/main.ts"], { PORT: String(gatewayPort), PUBLIC_BASE_URL: base });
      const done = await waitUntil(
        async () => {
          const r = (await db.query(`SELECT status, decision, poll_count FROM verifications WHERE id = $1`, [created.body.id])).rows[0];
          return r.status === "completed" ? r : null;
        },
        45_000,
        "the new process to finish the verification",
      );
      expect(done.decision).toBe("approved");
      expect(done.poll_count).toBeGreaterThan(atKill.poll_count);
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    } finally {
      await db.end();
    }
  }, 120_000);
});

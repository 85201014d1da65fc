// End to end as a user runs it: `src/main.ts --local` (what `npm start` runs after
// bootstrap) in a child process with the sandbox beside it, driven over HTTP only.
// Its logs are captured and searched for every personal value and secret sent.
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { fakeJpeg } from "../support/adapter-harness.js";
import { databaseUrlNamed, DMS_SANDBOX_DOCUMENT, DMS_SANDBOX_SUBJECT, dropDatabase, freePort, startWebhookReceiver, waitUntil } from "../support/gateway.js";

// the identity the sandbox's document proves, so the gateway's identity checks pass; phone and email are the test's own
const PERSONAL = { ...DMS_SANDBOX_SUBJECT, phone: "+34611223344", email: "evaristo.q@example.com" };
const DOC_IMAGE = fakeJpeg("front of an id card 7f3a9c").toString("base64");
const SELFIE = fakeJpeg("a selfie 55c1e0d2").toString("base64");

let child: ChildProcess;
let output = "";
let base = "";
let sandbox = "";
let apiKey = "";
let exit: Promise<number | null>;
// a database of its own, created by the gateway at start as a user's first run does
const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrlNamed(`kyc_e2e_${Date.now()}`) };

async function call(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const request = (over: Record<string, unknown> = {}) => ({
  reference: "e2e-customer",
  checks: ["document", "liveness", "face_match"],
  subject: PERSONAL,
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: DOC_IMAGE }] },
  selfie: { contentType: "image/jpeg", data: SELFIE },
  ...over,
});

async function finished(key: string, id: string, timeoutMs = 20_000) {
  return waitUntil(
    async () => {
      const r = await call(key, "GET", `/v1/verifications/${id}`);
      return ["completed", "failed", "expired", "cancelled"].includes(r.body.status) ? r.body : null;
    },
    timeoutMs,
    `verification ${id}`,
  );
}

beforeAll(async () => {
  const [port, sandboxPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  sandbox = `http://127.0.0.1:${sandboxPort}`;
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--local"], {
    env: {
      ...env,
      PORT: String(port),
      SANDBOX_PORT: String(sandboxPort),
      PUBLIC_BASE_URL: base,
      LOG_LEVEL: "debug",
      NODE_ENV: "development",
      QUEUE_PREFIX: `e2e${Date.now()}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d.toString()));
  child.stderr!.on("data", (d) => (output += d.toString()));
  exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  apiKey = await waitUntil(async () => /API key (kyc_\S+)/.exec(output)?.[1] ?? null, 45_000, "the gateway to print the demo API key");
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await exit;
  }
  await dropDatabase(env.DATABASE_URL!);
});

describe("the local gateway as a user starts it", () => {
  it("answers health, readiness and docs", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: "ready" });
    expect((await fetch(`${base}/docs`)).status).toBe(200);
  });

  it("follows a verification from POST to a verified tenant webhook, through a sandbox fault that is retried", async () => {
    const rx = await startWebhookReceiver();
    const ep = await call(apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
    expect(ep.status).toBe(201);
    rx.setSecrets([ep.body.secret]);
    await fetch(`${sandbox}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "dms", endpoint: "face_detection", fault: "http_503", times: 1 }),
    });
    const created = await call(apiKey, "POST", "/v1/verifications", request());
    expect(created.status).toBe(202);
    const hook = await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === created.body.id, 20_000);
    expect(new Webhook(ep.body.secret).verify(hook.body, hook.headers)).toBeTruthy();
    expect(hook.json.data).toMatchObject({ status: "completed", decision: "approved", vendor: "dms" });
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT endpoint, http_status, attempt FROM vendor_calls WHERE verification_id = $1 AND endpoint LIKE '%face_detection%' ORDER BY id`,
        [created.body.id],
      );
      expect(rows.map((r) => [r.http_status, r.attempt])).toEqual([
        [503, 1],
        [200, 2],
      ]);
    } finally {
      await db.end();
    }
    await rx.close();
  });

  it("a vendor auth failure ends failed with vendor_auth_failed", async () => {
    const admin = env.ADMIN_TOKEN!;
    const t = await call(admin, "POST", "/admin/tenants", { name: "e2e wrong key" });
    const acct = await call(admin, "POST", `/admin/tenants/${t.body.id}/vendor-accounts`, {
      vendor: "dms",
      name: "bad",
      baseUrl: `${sandbox}/dms`,
      credentials: { apiKey: "revoked-key-123", webhookSecrets: ["s"] },
    });
    expect(acct.status).toBe(201);
    const created = await call(t.body.apiKey, "POST", "/v1/verifications", request({ checks: ["document"], selfie: undefined }));
    const v = await finished(t.body.apiKey, created.body.id);
    expect(v.status).toBe("failed");
    expect(v.decision).toBeNull();
    expect(v.reasons[0]).toMatchObject({ code: "vendor_auth_failed", category: "technical", vendor: "dms" });
  });

  it("bad input gets a clear 4xx, never a 500", async () => {
    const r = await call(apiKey, "POST", "/v1/verifications", { checks: ["document"], document: { images: [{ contentType: "image/png", data: DOC_IMAGE }] } });
    expect(r.status).toBe(415);
    expect(r.body.errors[0].path).toBe("$.document.images[0].data");
  });

  it("drains in-flight work on SIGTERM", async () => {
    await fetch(`${sandbox}/_control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ vendor: "dms", endpoint: "idcard_recognition_base64", fault: "latency", latencyMs: 1500, times: 1 }),
    });
    const created = await call(apiKey, "POST", "/v1/verifications", request({ checks: ["document"], selfie: undefined, reference: "drain" }));
    expect(created.status).toBe(202);
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      // wait until the vendor call is under way, then ask the process to stop
      await waitUntil(
        async () => (await db.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND published_at IS NOT NULL`, [`submit-${created.body.id}`])).rowCount,
        10_000,
        "the job to be published",
      );
      await new Promise((r) => setTimeout(r, 400));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
      const { rows } = await db.query(`SELECT status, decision FROM verifications WHERE id = $1`, [created.body.id]);
      expect(rows[0]).toEqual({ status: "completed", decision: "approved" });
    } finally {
      await db.end();
    }
  });

  it("wrote no personal data, image or secret into its logs", () => {
    expect(output.length).toBeGreaterThan(1000);
    for (const value of [
      ...Object.values(PERSONAL),
      PERSONAL.phone.slice(1),
      DOC_IMAGE.slice(0, 24),
      SELFIE.slice(0, 24),
      "revoked-key-123",
      "sandbox-dms-key",
      env.ADMIN_TOKEN!,
      "whsec_",
    ]) {
      expect(output.includes(value), `logs contain ${value}`).toBe(false);
    }
    // and the logs are JSON lines with request ids
    const lines = output.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.some((l) => JSON.parse(l).req?.id)).toBe(true);
  });
});

// `npm run bench` (issue 13): the gateway against a raw baseline (bench/raw-baseline.ts) in the same
// run, on the same Postgres and Redis, each its own node process, rounds alternating (gateway,
// baseline, gateway, baseline, ...), medians of each side's rounds. Then the gateway's own figures
// where there is no baseline: 10 MB multipart uploads (peak RSS), end-to-end added latency, and the
// throughput of one against two worker processes. The defaults are the real measurement (about
// 10 minutes on a quiet 2-core machine); the BENCH_* variables shorten it:
//   BENCH_SECONDS=8 BENCH_ROUNDS=3 BENCH_CONNECTIONS=16 BENCH_WARMUP_SECONDS=2
//   BENCH_PATHS=accept-small,accept-2mb,ingest,read,list,uploads,e2e,workers
//   BENCH_UPLOADS=20 BENCH_UPLOAD_BYTES=10000000 BENCH_UPLOAD_ROUNDS=3
//   BENCH_E2E_SECONDS=30 BENCH_E2E_RATE=20 BENCH_VENDOR_MS=200
//   BENCH_SCALE_COUNT=400 BENCH_SCALE_ROUNDS=2
//   BENCH_PROFILE=1   also writes bench/results/profiles/<path>.cpuprofile (an extra, unmeasured run)
//   BENCH_GATEWAY=dist  run dist/main.js (npm run build first) instead of src/main.ts under tsx
//   BENCH_KEEP_DB=1   keep the kyc_e2e_bench_* databases (DATABASE_URL names the server; each section gets its own database)
// Results: a markdown table on stdout, and bench/results/latest.json.
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import pg from "pg";
import { Webhook } from "standardwebhooks";
import { formatSummary, summarize, type CpuProfile } from "./top-frames.js";
import {
  ROOT,
  call,
  cpuSeconds,
  cpuSecondsOfCommand,
  createTenant,
  databaseUrlNamed,
  dropDatabase,
  freePort,
  freshDatabase,
  jpegOf,
  machineCpu,
  median,
  peakRssMb,
  percentile,
  resetPeakRss,
  rssMb,
  spawnNode,
  waitForHttp,
  type NodeProcess,
} from "./support.js";

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const cfg = {
  seconds: num("BENCH_SECONDS", 8),
  rounds: num("BENCH_ROUNDS", 3),
  connections: num("BENCH_CONNECTIONS", 16),
  warmupSeconds: num("BENCH_WARMUP_SECONDS", 2),
  paths: (process.env.BENCH_PATHS ?? "accept-small,accept-2mb,ingest,read,list,uploads,e2e,workers").split(",").map((p) => p.trim()),
  uploads: num("BENCH_UPLOADS", 20),
  uploadBytes: num("BENCH_UPLOAD_BYTES", 10_000_000),
  uploadRounds: num("BENCH_UPLOAD_ROUNDS", 3),
  e2eSeconds: num("BENCH_E2E_SECONDS", 30),
  e2eRate: num("BENCH_E2E_RATE", 20),
  vendorMs: num("BENCH_VENDOR_MS", 200),
  scaleCount: num("BENCH_SCALE_COUNT", 400),
  scaleRounds: num("BENCH_SCALE_ROUNDS", 2),
  profile: process.env.BENCH_PROFILE === "1",
  gateway: process.env.BENCH_GATEWAY === "dist" ? "dist" : "tsx",
  keepDb: process.env.BENCH_KEEP_DB === "1",
};
const want = (p: string) => cfg.paths.includes(p);

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString("hex")}`;
const MASTER_KEY = randomBytes(32).toString("base64");
const RUN = randomBytes(3).toString("hex");
const RESULTS = `${ROOT}bench/results`;
const PROFILES = `${RESULTS}/profiles`;
const LOGS = `${RESULTS}/logs`;
mkdirSync(PROFILES, { recursive: true });
rmSync(LOGS, { recursive: true, force: true });
mkdirSync(LOGS, { recursive: true });
const logFileOf = (name: string) => `${LOGS}/${name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "")}.log`;

const processes: NodeProcess[] = [];
const databases: string[] = [];
const prefixes: string[] = [];
const log = (...a: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const gatewayArgs = (mode: string[]) => (cfg.gateway === "dist" ? [`${ROOT}dist/main.js`, ...mode] : ["--import", "tsx", "src/main.ts", ...mode]);

function commonEnv(databaseUrl: string, prefix: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN,
    MASTER_KEY,
    // production's level; stdout goes to /dev/null, so the cost is the serialization
    LOG_LEVEL: "info",
    // the rate limit still counts in Redis on every request; only its threshold is out of the way
    RATE_LIMIT_PER_KEY_PER_SECOND: "1000000",
    RATE_LIMIT_PER_IP_PER_SECOND: "1000000",
    HEALTH_PROBE_INTERVAL_MS: "0",
  };
}

async function startGateway(name: string, mode: string[], env: Record<string, string>, port: number): Promise<NodeProcess> {
  const p = spawnNode(
    name,
    gatewayArgs(mode),
    { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ...env },
    { profileHook: cfg.profile, logFile: logFileOf(name) },
  );
  processes.push(p);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, p);
  return p;
}

// ---------------------------------------------------------------------------------------------
// throughput paths: gateway and baseline, rounds alternating

interface Target {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
  /** resident memory when the round started: a reset peak cannot go below it */
  startRssMb: number;
  cpuSeconds: number;
}

async function load(base: string, t: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${base}${t.path}`, method: t.method, headers: t.headers, body: t.body, connections: cfg.connections, duration: seconds });
}

async function measure(proc: NodeProcess, base: string, t: Target): Promise<Run> {
  const reset = resetPeakRss(proc.pid);
  if (!reset) rssResetRefused = true;
  const startRssMb = rssMb(proc.pid);
  const cpu0 = cpuSeconds(proc.pid);
  const r = await load(base, t, cfg.seconds);
  return {
    rps: Math.round(r.requests.average * 10) / 10,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    peakRssMb: peakRssMb(proc.pid),
    startRssMb,
    cpuSeconds: Math.round((cpuSeconds(proc.pid) - cpu0) * 10) / 10,
  };
}
let rssResetRefused = false;

interface PathResult {
  path: string;
  title: string;
  gateway: Run[];
  baseline: Run[];
  profile?: string;
}

async function compare(
  path: string,
  title: string,
  sides: { gateway: [NodeProcess, string]; baseline: [NodeProcess, string] },
  t: Target,
  profile: boolean,
): Promise<PathResult> {
  log(`${title}: warm-up, then ${cfg.rounds} rounds of ${cfg.seconds} s each side`);
  if (cfg.warmupSeconds > 0) for (const [, base] of [sides.gateway, sides.baseline]) await load(base, t, cfg.warmupSeconds);
  const result: PathResult = { path, title, gateway: [], baseline: [] };
  for (let round = 0; round < cfg.rounds; round += 1) {
    result.gateway.push(await measure(...sides.gateway, t));
    result.baseline.push(await measure(...sides.baseline, t));
    log(`  round ${round + 1}: gateway ${fmtRun(result.gateway.at(-1)!)} | baseline ${fmtRun(result.baseline.at(-1)!)}`);
  }
  if (profile && cfg.profile) result.profile = await profileRun(path, sides.gateway[0], () => load(sides.gateway[1], t, cfg.seconds));
  return result;
}

const fmtRun = (r: Run) =>
  `${r.rps} req/s p50 ${r.p50} p99 ${r.p99} ms rss ${r.peakRssMb} MB (from ${r.startRssMb})${r.non2xx || r.errors ? ` NON-2XX ${r.non2xx} errors ${r.errors}` : ""}`;

async function profileRun(path: string, proc: NodeProcess, work: () => Promise<unknown>): Promise<string> {
  const file = `${PROFILES}/${path}.cpuprofile`;
  await proc.startProfile();
  await work();
  await proc.stopProfile(file);
  log(`  profile written: ${file}`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// bodies

function verificationBody(reference: string, front: Buffer, selfie: Buffer) {
  return JSON.stringify({
    reference,
    checks: ["document", "liveness", "face_match"],
    subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" },
    document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: front.toString("base64") }] },
    selfie: { contentType: "image/jpeg", data: selfie.toString("base64") },
  });
}

function multipartBody(request: unknown, files: { field: string; name: string; type: string; data: Buffer }[]): { boundary: string; body: Buffer } {
  const boundary = `bench${randomBytes(8).toString("hex")}`;
  const parts: Buffer[] = [
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="request"\r\ncontent-type: application/json\r\n\r\n${JSON.stringify(request)}\r\n`),
  ];
  for (const f of files)
    parts.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${f.field}"; filename="${f.name}"\r\ncontent-type: ${f.type}\r\n\r\n`),
      f.data,
      Buffer.from("\r\n"),
    );
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { boundary, body: Buffer.concat(parts) };
}

function post(url: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { ...headers, "content-length": String(body.length) } }, (res: IncomingMessage) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// the tenant's webhook receiver (end to end): every delivery verified with standardwebhooks

async function startReceiver() {
  const finals = new Map<string, { type: string; at: number }>();
  let secret = "";
  let unverified = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const event = new Webhook(secret).verify(body, headers) as { type: string; data: { id: string } };
        if (event.type !== "verification.updated" && !finals.has(event.data.id)) finals.set(event.data.id, { type: event.type, at });
      } catch {
        unverified += 1;
      }
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    finals,
    get unverified() {
      return unverified;
    },
    setSecret(s: string) {
      secret = s;
    },
    async waitFor(ids: Iterable<string>, timeoutMs: number) {
      const until = Date.now() + timeoutMs;
      const list = [...ids];
      while (Date.now() < until && !list.every((id) => finals.has(id))) await new Promise((r) => setTimeout(r, 100));
      return list.filter((id) => !finals.has(id)).length;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

const SHAREID_CREDENTIALS = { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" };
const shareidBody = (front: Buffer) =>
  JSON.stringify({
    reference: "e2e",
    checks: ["document"],
    subject: { firstName: "Robert", lastName: "Martin" },
    document: { type: "id_card", country: "FR", images: [{ side: "front", contentType: "image/jpeg", data: front.toString("base64") }] },
  });

async function acceptMany(base: string, apiKey: string, body: string, count: number, concurrency = 16): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        ids.push((await call(base, apiKey, "POST", "/v1/verifications", JSON.parse(body))).id);
      }
    }),
  );
  return ids;
}

// ---------------------------------------------------------------------------------------------

const results: Record<string, unknown> = {};
const startedAt = new Date().toISOString();
const loadAtStart = loadavg();
let sandbox: NodeProcess;
let sandboxUrl = "";

async function main() {
  log(`config ${JSON.stringify(cfg)}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}`);
  const sandboxPort = await freePort();
  sandbox = spawnNode("sandbox", ["--import", "tsx", "src/sandbox/main.ts"], {
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
  });
  processes.push(sandbox);
  sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  await waitForHttp(`${sandboxUrl}/`, sandbox);

  const apiPaths = ["accept-small", "accept-2mb", "ingest", "read", "list", "uploads"].filter(want);
  if (apiPaths.length) await apiSection(apiPaths);
  if (want("e2e")) await e2eSection();
  if (want("workers")) await workersSection();
}

/** A database and a Redis prefix of its own for one section, removed at the end of the run. */
async function section(name: string): Promise<{ db: string; prefix: string }> {
  const db = databaseUrlNamed(`kyc_e2e_bench_${name}_${RUN}`);
  const prefix = `bench${RUN}${name}`;
  databases.push(db);
  prefixes.push(prefix);
  await freshDatabase(db);
  return { db, prefix };
}

async function apiSection(paths: string[]) {
  const { db, prefix } = await section("api");
  const gwPort = await freePort();
  const gw = await startGateway("gateway --api", ["--api"], { ...commonEnv(db, prefix), NODE_ENV: "production" }, gwPort);
  const gwUrl = `http://127.0.0.1:${gwPort}`;
  const blPort = await freePort();
  const bl = spawnNode(
    "raw baseline",
    ["--import", "tsx", "bench/raw-baseline.ts"],
    { DATABASE_URL: db, REDIS_URL, MASTER_KEY, QUEUE_PREFIX: prefix, PORT: String(blPort) },
    { logFile: logFileOf("raw baseline") },
  );
  processes.push(bl);
  const blUrl = `http://127.0.0.1:${blPort}`;
  await waitForHttp(`${blUrl}/healthz`, bl);

  const t = await createTenant(gwUrl, ADMIN_TOKEN, [
    { vendor: "dms", baseUrl: `${sandboxUrl}/dms`, credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["bench"] } },
    {
      vendor: "verificaridentidad",
      baseUrl: `${sandboxUrl}/verificaridentidad`,
      credentials: { apiUser: "bench", apiToken: "bench", webhookUser: "bench-hook", webhookPassword: "bench-hook-password" },
    },
  ]);
  const vi = t.accounts.find((a) => a.vendor === "verificaridentidad")!;
  const auth = { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" };
  const sides = { gateway: [gw, gwUrl] as [NodeProcess, string], baseline: [bl, blUrl] as [NodeProcess, string] };
  const out: PathResult[] = [];

  const small = verificationBody("bench", await jpegOf(8 * 1024, 1), await jpegOf(8 * 1024, 2));
  const big = verificationBody("bench", await jpegOf(1024 * 1024, 3), await jpegOf(1024 * 1024, 4));
  if (paths.includes("accept-small"))
    out.push(
      await compare(
        "accept-small",
        "accept, document + selfie of 8 KB",
        sides,
        { method: "POST", path: "/v1/verifications", headers: auth, body: small },
        true,
      ),
    );
  if (paths.includes("accept-2mb"))
    out.push(
      await compare(
        "accept-2mb",
        `accept, two 1 MB images (${(big.length / 1e6).toFixed(1)} MB body)`,
        sides,
        { method: "POST", path: "/v1/verifications", headers: auth, body: big },
        true,
      ),
    );
  if (paths.includes("ingest")) {
    const hook = readFileSync(`${ROOT}src/adapters/verificaridentidad/fixtures/webhook-5001.json`, "utf8");
    const basic = `Basic ${Buffer.from("bench-hook:bench-hook-password").toString("base64")}`;
    out.push(
      await compare(
        "ingest",
        "vendor webhook ingest (VerificarIdentidad Estado, Basic auth)",
        sides,
        { method: "POST", path: `/hooks/verificaridentidad/${vi.id}`, headers: { authorization: basic, "content-type": "application/json" }, body: hook },
        true,
      ),
    );
  }
  if (paths.includes("read") || paths.includes("list")) {
    const ids = await acceptMany(gwUrl, t.apiKey, verificationBody("bench-list", await jpegOf(2048, 5), await jpegOf(2048, 6)), 25, 4);
    const get = { authorization: `Bearer ${t.apiKey}` };
    if (paths.includes("read"))
      out.push(await compare("read", "read, GET /v1/verifications/:id", sides, { method: "GET", path: `/v1/verifications/${ids[0]}`, headers: get }, false));
    if (paths.includes("list"))
      out.push(
        await compare(
          "list",
          "list, GET /v1/verifications?reference=&limit=20",
          sides,
          { method: "GET", path: "/v1/verifications?reference=bench-list&limit=20", headers: get },
          false,
        ),
      );
  }
  results.throughput = out;

  await bl.stop();
  if (paths.includes("uploads")) {
    // a fresh API process: its peak is the uploads', not what the paths before left resident
    await gw.stop();
    const upPort = await freePort();
    const up = await startGateway("gateway --api (uploads)", ["--api"], { ...commonEnv(db, prefix), NODE_ENV: "production" }, upPort);
    const upUrl = `http://127.0.0.1:${upPort}`;
    await uploads(up, upUrl, t.apiKey);
    await up.stop();
  }
  await gw.stop();
}

async function uploads(gw: NodeProcess, gwUrl: string, apiKey: string) {
  const front = await jpegOf(cfg.uploadBytes, 7);
  const { boundary, body } = multipartBody(
    {
      reference: "upload",
      checks: ["document", "liveness", "face_match"],
      subject: { firstName: "Juan", lastName: "Aparicio Lopez" },
      document: { type: "id_card", country: "ES" },
    },
    [
      { field: "document_front", name: "front.jpg", type: "image/jpeg", data: front },
      { field: "selfie", name: "selfie.jpg", type: "image/jpeg", data: await jpegOf(8 * 1024, 8) },
    ],
  );
  const rounds = [];
  log(`uploads: ${cfg.uploadRounds} rounds of ${cfg.uploads} concurrent ${(body.length / 1e6).toFixed(1)} MB multipart requests`);
  for (let round = 0; round < cfg.uploadRounds; round += 1) {
    resetPeakRss(gw.pid);
    const before = rssMb(gw.pid);
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: cfg.uploads }, () =>
        post(`${gwUrl}/v1/verifications`, { authorization: `Bearer ${apiKey}`, "content-type": `multipart/form-data; boundary=${boundary}` }, body),
      ),
    );
    rounds.push({
      rssBeforeMb: before,
      peakRssMb: peakRssMb(gw.pid),
      seconds: Math.round(performance.now() - t0) / 1000,
      accepted: statuses.filter((s) => s === 202).length,
      statuses: [...new Set(statuses)],
    });
    log(`  round ${round + 1}: ${JSON.stringify(rounds.at(-1))}`);
  }
  results.uploads = {
    bodyBytes: body.length,
    concurrent: cfg.uploads,
    rounds,
    note: "gateway only (a fresh --api process): the raw baseline takes JSON, not multipart",
  };
}

/** A tenant routed to a ShareID account on the sandbox, and its webhook receiver. */
async function shareidTenant(gatewayUrl: string) {
  const rx = await startReceiver();
  // the account's vendor concurrency out of the way: what is measured is the gateway
  const t = await createTenant(gatewayUrl, ADMIN_TOKEN, [
    { vendor: "shareid", baseUrl: `${sandboxUrl}/shareid`, credentials: SHAREID_CREDENTIALS, settings: { concurrency: 256 } },
  ]);
  const ep = await call(gatewayUrl, t.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
  rx.setSecret(ep.secret);
  return { rx, t };
}

async function e2eSection() {
  const { db, prefix } = await section("e2e");
  const port = await freePort();
  // API and workers in one process (no role flag); development: deliveries to an http:// receiver are allowed
  const gw = await startGateway("gateway (API + workers)", [], { ...commonEnv(db, prefix), NODE_ENV: "development", WEBHOOK_ALLOW_PRIVATE_URLS: "true" }, port);
  const gwUrl = `http://127.0.0.1:${port}`;
  const { rx, t } = await shareidTenant(gwUrl);
  await call(sandboxUrl, "", "DELETE", "/_control/load");
  await call(sandboxUrl, "", "POST", "/_control/faults", { vendor: "shareid", fault: "latency", latencyMs: cfg.vendorMs, times: 0 });
  const body = shareidBody(await jpegOf(20 * 1024, 9));
  const headers = { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" };

  let failedPosts = 0;
  const send = async (sent: Map<string, number>) => {
    const t0 = performance.now();
    const res = await fetch(`${gwUrl}/v1/verifications`, { method: "POST", headers, body });
    const json = (await res.json()) as { id?: string };
    if (res.status === 202 && json.id) sent.set(json.id, t0);
    else failedPosts += 1;
  };
  // what a verification costs Postgres: its database's counters over the warm-up and the measured loop
  // (a backend reports its counters within 10 s of going idle: hence the waits)
  const statsOf = async () => {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    try {
      return (
        await c.query(
          "SELECT xact_commit::float8 AS transactions, tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted, tup_returned::float8 AS returned FROM pg_stat_database WHERE datname = current_database()",
        )
      ).rows[0] as Record<string, number>;
    } finally {
      await c.end();
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 11_000));
  await settle();
  const stats0 = await statsOf();
  log(`e2e: warm-up (20 sequential), then ${cfg.e2eRate}/s open loop for ${cfg.e2eSeconds} s, ShareID answering in ${cfg.vendorMs} ms`);
  const warm = new Map<string, number>();
  for (let i = 0; i < 20; i += 1) await send(warm);
  await rx.waitFor(warm.keys(), 60_000);

  // open loop: sent on schedule whether or not earlier ones have finished
  const openLoop = async () => {
    const sent = new Map<string, number>();
    const start = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < cfg.e2eSeconds * cfg.e2eRate; i += 1) {
      const wait = start + (i * 1000) / cfg.e2eRate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(send(sent));
    }
    await Promise.all(inFlight);
    return { sent, missing: await rx.waitFor(sent.keys(), 60_000) };
  };
  const cpu0 = cpuSeconds(gw.pid);
  resetPeakRss(gw.pid);
  const { sent, missing } = await openLoop();
  const gatewayUse = { peakRssMb: peakRssMb(gw.pid), cpuSeconds: Math.round((cpuSeconds(gw.pid) - cpu0) * 10) / 10 };
  const vendorCalls = (await call(sandboxUrl, "", "GET", "/_control/load")).shareid?.total ?? 0;
  await settle();
  const stats1 = await statsOf();
  const postgresPerVerification = Object.fromEntries(
    Object.keys(stats0).map((k) => [k, Math.round(((stats1[k]! - stats0[k]!) / (sent.size + warm.size)) * 10) / 10]),
  );
  const profile = cfg.profile ? await profileRun("e2e", gw, openLoop) : undefined;
  const added: number[] = [];
  const types: Record<string, number> = {};
  for (const [id, t0] of sent) {
    const f = rx.finals.get(id);
    if (!f) continue;
    types[f.type] = (types[f.type] ?? 0) + 1;
    if (f.type === "verification.completed") added.push(f.at - t0 - cfg.vendorMs);
  }
  await call(sandboxUrl, "", "DELETE", "/_control/faults");
  const r = (v: number) => Math.round(v * 10) / 10;
  results.e2e = {
    rate: cfg.e2eRate,
    seconds: cfg.e2eSeconds,
    vendorMs: cfg.vendorMs,
    sent: sent.size,
    failedPosts,
    finals: types,
    missing,
    unverifiedDeliveries: rx.unverified,
    // the vendor's answer is subtracted once per verification: the stand-in counts its calls, so a second call would show here
    vendorCallsPerVerification: r(vendorCalls / (sent.size + warm.size)),
    addedMs: { p50: r(percentile(added, 50)), p90: r(percentile(added, 90)), p99: r(percentile(added, 99)), max: r(Math.max(...added)) },
    gateway: gatewayUse,
    // includes the relay's and the sweeper's own polling during the window
    postgresPerVerification,
    profile,
  };
  log(`  ${JSON.stringify(results.e2e)}`);
  await rx.close();
  await gw.stop();
}

async function workersSection() {
  const { db, prefix } = await section("scale");
  const env = { ...commonEnv(db, prefix), NODE_ENV: "development", WEBHOOK_ALLOW_PRIVATE_URLS: "true" };
  const port = await freePort();
  const api = await startGateway("gateway --api (workers bench)", ["--api"], env, port);
  const apiUrl = `http://127.0.0.1:${port}`;
  const { rx, t } = await shareidTenant(apiUrl);
  await call(sandboxUrl, "", "DELETE", "/_control/faults");
  const body = shareidBody(await jpegOf(20 * 1024, 10));
  const runs: Record<string, unknown>[] = [];
  log(`workers: ${cfg.scaleRounds} rounds of 1 then 2 worker processes, each draining ${cfg.scaleCount} accepted verifications (0 ms vendor)`);
  for (let round = 0; round < cfg.scaleRounds; round += 1) {
    for (const n of [1, 2]) {
      // accepted while no worker runs: the backlog the workers then drain
      const ids = await acceptMany(apiUrl, t.apiKey, body, cfg.scaleCount);
      const workers: NodeProcess[] = [];
      const m0 = machineCpu();
      const cpu0 = {
        pg: cpuSecondsOfCommand("postgres"),
        redis: cpuSecondsOfCommand("redis-server"),
        api: cpuSeconds(api.pid),
        sandbox: cpuSeconds(sandbox.pid),
      };
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const metricsPort = await freePort();
          const w = spawnNode(
            `worker ${i + 1}/${n}`,
            gatewayArgs(["--worker"]),
            { ...env, WORKER_METRICS_PORT: String(metricsPort) },
            { logFile: logFileOf(`worker ${i + 1} of ${n} round ${round + 1}`) },
          );
          processes.push(w);
          workers.push(w);
          await waitForHttp(`http://127.0.0.1:${metricsPort}/healthz`, w, 120_000);
        }),
      );
      // from the moment every worker answers its health check: the rate of n workers, not their start-up
      const ready = performance.now();
      const missing = await rx.waitFor(ids, 300_000);
      const done = ids.map((id) => rx.finals.get(id)?.at).filter((a): a is number => a !== undefined);
      const last = Math.max(...done);
      const afterReady = done.filter((a) => a >= ready).length;
      const m1 = machineCpu();
      const elapsed = (performance.now() - t0) / 1000;
      const workerCpu = workers.map((w) => cpuSeconds(w.pid));
      const perSecond = (cpu: number) => Math.round((cpu / elapsed) * 100) / 100;
      runs.push({
        workers: n,
        round: round + 1,
        count: ids.length,
        missing,
        completedBeforeAllReady: ids.length - missing - afterReady,
        perSecond: last > ready ? Math.round((afterReady / ((last - ready) / 1000)) * 10) / 10 : NaN,
        // CPU cores each part used on average over the drain (2 = both cores of the machine)
        cores: {
          machine: perSecond(m1.busy - m0.busy),
          machineCores: m1.cores,
          workers: workerCpu.map(perSecond),
          api: perSecond(cpuSeconds(api.pid) - cpu0.api),
          sandbox: perSecond(cpuSeconds(sandbox.pid) - cpu0.sandbox),
          postgres: perSecond(cpuSecondsOfCommand("postgres") - cpu0.pg),
          redis: perSecond(cpuSecondsOfCommand("redis-server") - cpu0.redis),
        },
      });
      log(`  ${JSON.stringify(runs.at(-1))}`);
      for (const w of workers) await w.stop();
    }
  }
  results.workers = runs;
  await rx.close();
  await api.stop();
}

// ---------------------------------------------------------------------------------------------
// the table

interface Row {
  path: string;
  gateway: string;
  baseline: string;
  ratio: string;
  target: string;
  result: "met" | "short" | "—";
}

function summarizeRuns(runs: Run[]) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    startRssMb: Math.min(...runs.map((r) => r.startRssMb)),
    non2xx: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
  };
}

const TARGETS: Record<string, { ratio?: number; p99Factor?: number }> = {
  "accept-small": { ratio: 0.6, p99Factor: 1.5 },
  "accept-2mb": { ratio: 0.9, p99Factor: 1.5 },
  ingest: { ratio: 0.6 },
};

function table(): { rows: Row[]; markdown: string } {
  const rows: Row[] = [];
  const mark = (ok: boolean) => (ok ? "met" : "short");
  for (const p of (results.throughput as PathResult[] | undefined) ?? []) {
    const g = summarizeRuns(p.gateway);
    const b = summarizeRuns(p.baseline);
    const ratio = g.rps / b.rps;
    const target = TARGETS[p.path];
    const bad = g.non2xx || b.non2xx ? ` (non-2xx/errors: gateway ${g.non2xx}, baseline ${b.non2xx})` : "";
    rows.push({
      path: `${p.title}: req/s${bad}`,
      gateway: `${g.rps}`,
      baseline: `${b.rps}`,
      ratio: ratio.toFixed(2),
      target: target?.ratio ? `≥ ${target.ratio}` : "",
      result: target?.ratio ? mark(ratio >= target.ratio) : "—",
    });
    rows.push({
      path: `${p.title}: p50 / p99 ms`,
      gateway: `${g.p50} / ${g.p99}`,
      baseline: `${b.p50} / ${b.p99}`,
      ratio: `p99 ${(g.p99 / b.p99).toFixed(2)}×`,
      target: target?.p99Factor ? `p99 ≤ ${target.p99Factor}×` : "",
      result: target?.p99Factor ? mark(g.p99 <= target.p99Factor * b.p99) : "—",
    });
    rows.push({
      path: `${p.title}: peak RSS MB (resident when its rounds began)`,
      gateway: `${g.peakRssMb} (${g.startRssMb})`,
      baseline: `${b.peakRssMb} (${b.startRssMb})`,
      ratio: (g.peakRssMb / b.peakRssMb).toFixed(2),
      target: "",
      result: "—",
    });
  }
  const up = results.uploads as { concurrent: number; bodyBytes: number; rounds: { peakRssMb: number; accepted: number }[] } | undefined;
  if (up) {
    const peak = Math.max(...up.rounds.map((r) => r.peakRssMb));
    const accepted = up.rounds.reduce((n, r) => n + r.accepted, 0);
    rows.push({
      path: `${up.concurrent} concurrent ${(up.bodyBytes / 1e6).toFixed(0)} MB multipart uploads: API peak RSS MB (${accepted}/${up.rounds.length * up.concurrent} accepted)`,
      gateway: `${peak}`,
      baseline: "n/a (JSON only)",
      ratio: "",
      target: "≤ 600",
      result: mark(peak <= 600 && accepted === up.rounds.length * up.concurrent),
    });
  }
  const e2e = results.e2e as { rate: number; vendorMs: number; missing: number; sent: number; addedMs: { p50: number; p90: number; p99: number } } | undefined;
  if (e2e) {
    const lost = e2e.missing ? ` (${e2e.missing}/${e2e.sent} without a final webhook)` : "";
    rows.push({
      path: `end-to-end added latency at ${e2e.rate}/s, vendor ${e2e.vendorMs} ms: p50 / p90 / p99 ms${lost}`,
      gateway: `${e2e.addedMs.p50} / ${e2e.addedMs.p90} / ${e2e.addedMs.p99}`,
      baseline: "",
      ratio: "",
      target: "p50 ≤ 15, p99 ≤ 50",
      result: mark(e2e.addedMs.p50 <= 15 && e2e.addedMs.p99 <= 50 && !e2e.missing),
    });
  }
  const w = results.workers as
    | { workers: number; perSecond: number; cores: { machine: number; machineCores: number; workers: number[]; postgres: number } }[]
    | undefined;
  if (w) {
    const one = median(w.filter((r) => r.workers === 1).map((r) => r.perSecond));
    const two = median(w.filter((r) => r.workers === 2).map((r) => r.perSecond));
    // what saturates first: the machine's CPU (and how much of it the workers had), or not
    const twos = w.filter((r) => r.workers === 2);
    const busy = median(twos.map((r) => r.cores.machine));
    const cores = twos[0]?.cores.machineCores ?? 0;
    const workersUsed = median(twos.map((r) => r.cores.workers.reduce((a, b) => a + b, 0)));
    const saturated =
      busy >= 0.9 * cores
        ? `; machine CPU saturated: ${busy.toFixed(2)} of ${cores} cores busy, the two workers had ${workersUsed.toFixed(2)}, Postgres ${median(twos.map((r) => r.cores.postgres))}`
        : `; ${busy.toFixed(2)} of ${cores} cores busy`;
    rows.push({
      path: `end-to-end throughput, 0 ms vendor: 2 worker processes vs 1 (verifications/s${saturated})`,
      gateway: `${two.toFixed(1)} vs ${one.toFixed(1)}`,
      baseline: "",
      ratio: (two / one).toFixed(2),
      target: "≥ 1.7",
      result: mark(two / one >= 1.7),
    });
  }
  const markdown = [
    "| path | gateway | raw baseline | ratio | target | result |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.path} | ${r.gateway} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.result} |`),
  ].join("\n");
  return { rows, markdown };
}

async function cleanup() {
  for (const p of processes.reverse()) await p.stop().catch(() => undefined);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  for (const prefix of prefixes) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  }
  redis.disconnect();
  if (!cfg.keepDb) for (const db of databases) await dropDatabase(db).catch((e: Error) => log(`could not drop ${db}: ${e.message}`));
}

let failed: Error | null = null;
try {
  await main();
} catch (e) {
  failed = e as Error;
  log(`FAILED: ${failed.stack ?? failed.message}`);
} finally {
  await cleanup();
}

// errors the processes logged (messages only: the logs carry no personal data), so a non-2xx has its cause at hand
const logErrors: Record<string, { count: number; messages: string[] }> = {};
for (const f of readdirSync(LOGS)) {
  const lines = readFileSync(`${LOGS}/${f}`, "utf8")
    .split("\n")
    .filter((l) => /"level":(50|60)/.test(l));
  if (lines.length)
    logErrors[f] = {
      count: lines.length,
      messages: [
        ...new Set(
          lines.map((l) => {
            try {
              const j = JSON.parse(l);
              return `${j.msg ?? ""} ${j.err?.message ?? ""}`.trim();
            } catch {
              return l.slice(0, 200);
            }
          }),
        ),
      ].slice(0, 5),
    };
}
results.logErrors = logErrors;

const { rows, markdown } = table();
const profiles = Object.fromEntries(
  [
    ...((results.throughput as PathResult[] | undefined) ?? []).filter((p) => p.profile).map((p) => [p.path, p.profile!] as const),
    ...((results.e2e as { profile?: string } | undefined)?.profile ? [["e2e", (results.e2e as { profile: string }).profile] as const] : []),
  ].map(([path, file]) => [path, { file, ...summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile) }]),
);
const notes = [
  `Machine: ${machineCpu().cores} cores, load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")} at the start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at the end (a busy machine makes every figure noisy; ratios from one run hold better than absolute figures).`,
  `Each side is its own node process (the gateway ${cfg.gateway === "dist" ? "dist/main.js" : "src/main.ts under tsx"}; the baseline bench/raw-baseline.ts under tsx); ${cfg.rounds} rounds of ${cfg.seconds} s per side alternating, ${cfg.connections} connections, medians of the rounds; peak RSS is VmHWM reset before each side's round (the max over its rounds)${rssResetRefused ? " — the kernel REFUSED the reset here, so RSS figures are since the process started" : ""}.`,
  "The gateway's accept paths run with workers off (--api); the rate limit counts in Redis on every request with its threshold out of the way; LOG_LEVEL=info to /dev/null.",
];
writeFileSync(
  `${RESULTS}/latest.json`,
  `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), config: cfg, loadAverage: { start: loadAtStart, end: loadavg() }, error: failed?.message ?? null, table: rows, results, profiles, notes }, null, 2)}\n`,
);
console.log(`\n${markdown}\n\n${notes.join("\n")}\n`);
for (const [path, p] of Object.entries(profiles)) console.log(`${formatSummary(`profile ${path} (${p.file})`, p)}\n`);
if (Object.keys(logErrors).length) console.log(`errors logged (bench/results/logs/): ${JSON.stringify(logErrors)}`);
console.log(`written: bench/results/latest.json${failed ? " (the run FAILED part-way; see error)" : ""}`);
process.exit(failed ? 1 : 0);

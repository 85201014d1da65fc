// Counts the SQL statements and Redis commands of one request of each hot path (issue 13), from
// Postgres's statement log (log_statement=all on a database of its own) and Redis MONITOR.
//   node --import tsx bench/count-statements.ts
//   COUNT_E2E=1 ...: the gateway with its workers, and what one DMS verification costs from its accept to its end
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, openSync, readSync, closeSync } from "node:fs";
import pg from "pg";
import { Redis } from "ioredis";
import { ROOT, call, createTenant, databaseUrlNamed, dropDatabase, freePort, freshDatabase, jpegOf, spawnNode, waitForHttp } from "./support.js";

const LOG = process.env.PG_LOG ?? "/var/log/postgresql/postgresql-15-main.log";
const RUN = randomBytes(3).toString("hex");
const dbName = `kyc_count_${RUN}`;
const db = databaseUrlNamed(dbName);
const ADMIN_TOKEN = `count-admin-${randomBytes(12).toString("hex")}`;
const prefix = `count${RUN}`;
const E2E = process.env.COUNT_E2E === "1";

function tail(from: number): string {
  const size = statSync(LOG).size;
  const fd = openSync(LOG, "r");
  const buf = Buffer.alloc(size - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  return buf.toString("utf8");
}

await freshDatabase(db);
const admin = new pg.Client({ connectionString: db });
await admin.connect();
await admin.query(`ALTER DATABASE ${dbName} SET log_statement = 'all'`);
await admin.end();
const sbPort = await freePort();
const sandbox = spawnNode("sandbox", ["--import", "tsx", "src/sandbox/main.ts"], {
  SANDBOX_PORT: String(sbPort),
  SANDBOX_HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
});
const port = await freePort();
const gw = spawnNode(
  "gateway",
  [...(process.env.COUNT_GATEWAY === "dist" ? [`${ROOT}dist/main.js`] : ["--import", "tsx", "src/main.ts"]), ...(E2E ? [] : ["--api"])],
  {
    DATABASE_URL: db,
    REDIS_URL: "redis://127.0.0.1:6379",
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN,
    MASTER_KEY: randomBytes(32).toString("base64"),
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    HEALTH_PROBE_INTERVAL_MS: "0",
  },
  {},
);
const url = `http://127.0.0.1:${port}`;
try {
  await waitForHttp(`${url}/healthz`, gw);
  await waitForHttp(`http://127.0.0.1:${sbPort}/`, sandbox);
  const sb = `http://127.0.0.1:${sbPort}`;
  const t = await createTenant(url, ADMIN_TOKEN, [
    { vendor: "dms", baseUrl: `${sb}/dms`, credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["bench"] } },
    {
      vendor: "verificaridentidad",
      baseUrl: `${sb}/verificaridentidad`,
      credentials: { apiUser: "bench", apiToken: "bench", webhookUser: "bench-hook", webhookPassword: "bench-hook-password" },
    },
  ]);
  const vi = t.accounts.find((a) => a.vendor === "verificaridentidad")!;
  const img = (await jpegOf(8 * 1024, 1)).toString("base64");
  const body = {
    reference: "count",
    checks: ["document", "liveness", "face_match"],
    subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" },
    document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: img }] },
    selfie: { contentType: "image/jpeg", data: img },
  };
  // warm: one of each before counting
  const first = await call(url, t.apiKey, "POST", "/v1/verifications", body);
  await call(url, t.apiKey, "GET", `/v1/verifications/${first.id}`);
  const hook = readFileSync(`${ROOT}src/adapters/verificaridentidad/fixtures/webhook-5001.json`, "utf8");
  const basic = `Basic ${Buffer.from("bench-hook:bench-hook-password").toString("base64")}`;
  const monitor = new Redis("redis://127.0.0.1:6379");
  const redisCmds: string[] = [];
  const m = await monitor.monitor();
  m.on("monitor", (_t: string, args: string[]) => {
    if (args.some((a) => String(a).includes(prefix))) redisCmds.push(args.slice(0, 2).join(" "));
  });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const e2e: [string, () => Promise<unknown>][] = [["accept to end", () => call(url, t.apiKey, "POST", "/v1/verifications", body).then(() => settle(2500))]];
  const paths: [string, () => Promise<unknown>][] = E2E
    ? e2e
    : [
        ["accept", () => call(url, t.apiKey, "POST", "/v1/verifications", body)],
        ["read", () => call(url, t.apiKey, "GET", `/v1/verifications/${first.id}`)],
        ["list", () => call(url, t.apiKey, "GET", `/v1/verifications?reference=count&limit=20`)],
        [
          "ingest",
          () =>
            fetch(`${url}/hooks/verificaridentidad/${vi.id}`, {
              method: "POST",
              headers: { authorization: basic, "content-type": "application/json" },
              body: hook,
            }).then((r) => r.status),
        ],
      ];
  for (const [name, run] of paths) {
    await new Promise((r) => setTimeout(r, 300));
    const from = statSync(LOG).size;
    redisCmds.length = 0;
    const out = await run();
    await new Promise((r) => setTimeout(r, 500));
    const lines = tail(from)
      .split("\n")
      .filter((l) => l.includes("statement:") || l.includes("execute"));
    console.log(`\n## ${name}: ${lines.length} SQL statements, ${redisCmds.length} Redis commands (${typeof out === "number" ? out : "ok"})`);
    for (const l of lines) console.log(`  ${l.replace(/^.*?(statement|execute[^:]*): /, "").slice(0, 160)}`);
    for (const c of redisCmds) console.log(`  redis: ${c}`);
  }
  m.disconnect();
  monitor.disconnect();
} finally {
  await gw.stop();
  await sandbox.stop();
  await new Promise((r) => setTimeout(r, 500));
  await dropDatabase(db).catch(() => {});
}

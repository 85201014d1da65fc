// GET /admin/analytics over 1 million vendor-call rows (issue 14 point 3: "answering in under 200 ms for 1 million
// vendor-call rows"). Seeds one tenant with two accounts and 1,000,000 calls over 30 days (plus another tenant's
// 1,000,000 that must not slow it down), then times the report by day over the month and by hour over a day.
// Run: node --import tsx bench/analytics.bench.ts   (ROWS=... to change the count)
import pg from "pg";
import { rollUpVendorCalls } from "../src/core/analytics.js";
import { createTenantWithAccounts, startTestGateway } from "../test/support/gateway.js";

process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/kyc_gateway_test";
process.env.ADMIN_TOKEN ??= "bench-admin-token-0123456789";
process.env.MASTER_KEY ??= Buffer.alloc(32, 7).toString("base64");
process.env.LOG_LEVEL = "silent";
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const gw = await startTestGateway({ workers: false });
// seeding runs long statements: a client without the runtime's statement timeout
const sql = new pg.Client({ connectionString: gw.env.DATABASE_URL });
await sql.connect();
try {
  const seed = async () => {
    const t = await createTenantWithAccounts(gw, [
      { vendor: "dms", credentials: { apiKey: "k", webhookSecrets: ["s"] } },
      { vendor: "shareid", credentials: { apiKey: "k", businessHash: "b" } },
    ]);
    const [a, b] = t.accounts.map((x: { id: string }) => x.id);
    const started = Date.now();
    await sql.query(`
      INSERT INTO vendor_calls (vendor_account_id, vendor, endpoint, http_status, latency_ms, attempt, outcome, cost, currency, created_at)
      SELECT CASE WHEN i % 3 = 0 THEN '${b}' ELSE '${a}' END, CASE WHEN i % 3 = 0 THEN 'shareid' ELSE 'dms' END, 'face_verify', 200,
             (50 + (i::bigint * 7919) % 900)::int, 1, CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END, 0.05, 'EUR',
             timestamp '2026-10-01' + (i::double precision / ${ROWS}) * interval '30 days'
        FROM generate_series(1, ${ROWS}) AS i`);
    await sql.query(`
      INSERT INTO verifications (id, tenant_id, requested_checks, vendor, status, decision, created_at, updated_at)
      SELECT '${t.tenantId}_' || i, '${t.tenantId}', ARRAY['document'], CASE WHEN i % 3 = 0 THEN 'shareid' ELSE 'dms' END, 'completed',
             CASE WHEN i % 10 = 0 THEN 'declined' ELSE 'approved' END, timestamp '2026-10-01' + (i::double precision / ${ROWS / 4}) * interval '30 days', now()
        FROM generate_series(1, ${ROWS / 4}) AS i`);
    return { tenantId: t.tenantId, seededMs: Date.now() - started };
  };
  const mine = await seed();
  await seed();
  await sql.query("ANALYZE vendor_calls; ANALYZE verifications");
  // what the sweeper does every interval, here all at once
  const rollStarted = Date.now();
  let rolled = 0;
  for (;;) {
    const n = await rollUpVendorCalls(gw.db);
    if (n === 0) break;
    rolled += n;
  }
  console.log(`rolled up ${rolled} calls in ${Date.now() - rollStarted} ms`);
  console.log(`seeded 2 × ${ROWS} vendor calls and 2 × ${ROWS / 4} verifications (${mine.seededMs} ms for one tenant)`);

  const time = async (path: string, n = 9) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await gw.admin("GET", path);
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
    }
    times.sort((x, y) => x - y);
    return { median: Math.round(times[Math.floor(n / 2)]!), max: Math.round(times[n - 1]!) };
  };
  const month = await time(`/admin/analytics?tenantId=${mine.tenantId}&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&bucket=day`);
  const day = await time(`/admin/analytics?tenantId=${mine.tenantId}&from=2026-10-10T00:00:00Z&to=2026-10-11T00:00:00Z&bucket=hour`);
  const vendor = await time(`/admin/analytics?tenantId=${mine.tenantId}&vendor=shareid&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&bucket=day`);
  console.log(`| report | rows scanned | median ms | max ms | target |\n|---|---|---|---|---|`);
  console.log(`| 30 days by day, all vendors | ${ROWS} | ${month.median} | ${month.max} | < 200 ${month.median < 200 ? "met" : "short"} |`);
  console.log(`| 1 day by hour | ${Math.round(ROWS / 30)} | ${day.median} | ${day.max} | < 200 ${day.median < 200 ? "met" : "short"} |`);
  console.log(`| 30 days by day, one vendor | ${Math.round(ROWS / 3)} | ${vendor.median} | ${vendor.max} | < 200 ${vendor.median < 200 ? "met" : "short"} |`);
} finally {
  await sql.end();
  await gw.close();
}
process.exit(0);

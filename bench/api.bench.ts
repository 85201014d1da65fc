// API benchmark (autocannon). Figures are ratios against a baseline measured in the same
// run: GET /healthz (express + logging, no database). Run: npm run bench
// Uses the test database and a queue prefix of its own; workers are off so the
// numbers are the API's own (accepting writes the verification, its input and an outbox row).
import autocannon from "autocannon";
import { fakeJpeg } from "../test/support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway } from "../test/support/gateway.js";

process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/kyc_gateway_test";
process.env.ADMIN_TOKEN ??= "bench-admin-token-0123456789";
process.env.MASTER_KEY ??= Buffer.alloc(32, 7).toString("base64");
process.env.LOG_LEVEL = "silent";

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const gw = await startTestGateway({ workers: false });
const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
const auth = { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" };
const body = JSON.stringify({
  reference: "bench",
  checks: ["document", "liveness", "face_match"],
  subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" },
  document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: Buffer.concat([fakeJpeg("front"), Buffer.alloc(200_000, 1)]).toString("base64") }] },
  selfie: { contentType: "image/jpeg", data: Buffer.concat([fakeJpeg("selfie"), Buffer.alloc(100_000, 2)]).toString("base64") },
});
const smallBody = JSON.stringify({ ...JSON.parse(body), checks: ["document"], document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg("front").toString("base64") }] }, selfie: undefined });
const one = await gw.tenant(t.apiKey, "POST", "/v1/verifications", JSON.parse(body));

async function run(title: string, opts: Partial<autocannon.Options> & { path: string }) {
  const { path, ...rest } = opts;
  const r = await autocannon({ url: `${gw.url}${path}`, connections: 16, duration: DURATION, ...rest });
  const row = { title, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
  console.log(JSON.stringify(row));
  return row;
}

const baseline = await run("GET /healthz (baseline)", { path: "/healthz" });
const read = await run("GET /v1/verifications/:id", { path: `/v1/verifications/${one.body.id}`, headers: auth });
const list = await run("GET /v1/verifications?reference=", { path: `/v1/verifications?reference=bench&limit=20`, headers: auth });
const createSmall = await run("POST /v1/verifications (75-byte image)", { path: "/v1/verifications", method: "POST", headers: auth, body: smallBody, connections: 8 });
const create = await run("POST /v1/verifications (300 KB of images)", { path: "/v1/verifications", method: "POST", headers: auth, body, connections: 8 });

console.log("\nthroughput as a ratio of the baseline (same process, same run):");
for (const r of [read, list, createSmall, create]) console.log(`  ${r.title}: ${(r.rps / baseline.rps).toFixed(3)} x baseline (${r.rps} req/s vs ${baseline.rps}); p99 ${r.p99} ms vs ${baseline.p99} ms; non-2xx ${r.non2xx}`);
await gw.close();
process.exit(0);

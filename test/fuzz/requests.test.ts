// Property-based fuzzing of a running gateway over real HTTP (issue 11, point 8): fast-check
// generates requests from the zod schemas for every tenant, admin, hooks and SDK-proxy route,
// mixing valid and broken bodies, headers, paths, content types, multipart and HTTP framing.
//   0 answers 5xx, no request left unanswered, the gateway still healthy afterwards,
//   every 4xx the gateway answers is problem+json, and a validation error names the field.
// `npm test` sends 1,000 requests; FUZZ_RUNS=10000 (and FUZZ_SEED to replay a run) for the full one.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSdkProxyToken } from "../../src/adapters/identy/routes.js";
import { deriveKey } from "../../src/domain/crypto.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";
import { rawRequest, type RawAnswer } from "../support/raw-http.js";
import { fuzzRequest, type FuzzRequest, type FuzzWorld } from "./requests.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = 6;
const DMS_SECRET = "fuzz-dms-webhook-secret";
const VI = { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "fuzz-user", webhookPassword: "fuzz-password" };

let gw: TestGateway;
let world: FuzzWorld;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  const t = await createTenantWithAccounts(gw, [
    { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: [DMS_SECRET] } },
    { vendor: "verificaridentidad", credentials: VI },
    { vendor: "shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } },
    { vendor: "identomat", credentials: { companyKey: "sandbox-identomat-key" } },
    { vendor: "identy", credentials: {} },
  ]);
  await gw.admin("PUT", `/admin/tenants/${t.tenantId}/allowed-origins`, { allowedOrigins: ["https://shop.example"] });
  const verificationIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const v = await gw.tenant(t.apiKey, "POST", "/v1/verifications", {
      checks: ["document"],
      document: { type: "passport", country: "FR", images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg(`v${i}`).toString("base64") }] },
    });
    if (v.status !== 202) throw new Error(`setup verification: ${v.status} ${JSON.stringify(v.body)}`);
    verificationIds.push(v.body.id);
  }
  const we = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/hook" });
  if (we.status !== 201) throw new Error(`setup endpoint: ${we.status} ${JSON.stringify(we.body)}`);
  const identy = t.accounts.find((a) => a.vendor === "identy")!;
  const key = deriveKey(gw.env.masterKey, "identy-sdk-proxy");
  world = {
    host: new URL(gw.url).host,
    apiKey: t.apiKey,
    adminToken: gw.env.ADMIN_TOKEN,
    tenantId: t.tenantId,
    verificationIds,
    webhookEndpointId: we.body.id,
    accounts: t.accounts.map((a: { vendor: string; id: string }) => ({ vendor: a.vendor, id: a.id })),
    dmsWebhookSecret: DMS_SECRET,
    viBasic: `Basic ${Buffer.from(`${VI.webhookUser}:${VI.webhookPassword}`).toString("base64")}`,
    sdkTokens: [
      signSdkProxyToken({ verificationId: verificationIds[0]!, accountId: identy.id, expiresAt: Date.now() + 3600_000 }, key),
      signSdkProxyToken({ verificationId: verificationIds[0]!, accountId: identy.id, expiresAt: Date.now() - 1000 }, key),
    ],
  };
}, 120_000);
afterAll(async () => gw?.close());

interface Finding {
  route: string;
  status: number;
  why: string;
  request: string;
  answer: string;
}

/** What is wrong with an answer, or null. */
function judge(req: FuzzRequest, a: RawAnswer): string | null {
  if (a.status === 0) return "no answer (connection closed or timed out)";
  if (a.status >= 500) return `answered ${a.status}`;
  if (a.status < 400 || a.status === 429) return null;
  const fromUpstream = req.proxied && a.headers["cache-control"] === "no-store";
  if (fromUpstream) return null;
  if (!(a.headers["content-type"] ?? "").startsWith("application/problem+json"))
    return `${a.status} is not problem+json (${a.headers["content-type"] ?? "no content type"})`;
  let doc: { status?: unknown; title?: unknown; errors?: { path?: unknown }[] };
  try {
    doc = JSON.parse(a.body);
  } catch {
    return `${a.status} problem body is not JSON`;
  }
  if (doc.status !== a.status || typeof doc.title !== "string")
    return `${a.status} problem document has status ${String(doc.status)} / title ${String(doc.title)}`;
  // a validation error: the request was read and refused for what it says, so it must say where
  if (
    [400, 413, 422].includes(a.status) &&
    !(Array.isArray(doc.errors) && doc.errors.length > 0 && doc.errors.every((e) => typeof e.path === "string" && e.path.length > 0))
  )
    return `${a.status} validation error names no field`;
  return null;
}

describe(`fuzzing the running gateway (${RUNS} requests, seed ${SEED})`, () => {
  it(
    "never answers 5xx, always answers, stays healthy; every 4xx is problem+json naming the field",
    async () => {
      const requests = fc.sample(fuzzRequest(world), { numRuns: RUNS, seed: SEED });
      const byStatus = new Map<number, number>();
      const byRoute = new Map<string, number>();
      const byRouteStatus = new Map<string, number>();
      const findings: Finding[] = [];
      let rateLimited = 0;
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < requests.length; i = next++) {
          const req = requests[i]!;
          const answer = await rawRequest(gw.url, req.bytes, 15_000);
          byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
          byRoute.set(req.route, (byRoute.get(req.route) ?? 0) + 1);
          byRouteStatus.set(`${req.route} ${answer.status}`, (byRouteStatus.get(`${req.route} ${answer.status}`) ?? 0) + 1);
          if (answer.status === 429) rateLimited++;
          const why = judge(req, answer);
          if (why)
            findings.push({
              route: req.route,
              status: answer.status,
              why,
              request: req.bytes.subarray(0, 600).toString("latin1"),
              answer: `${answer.status} ${answer.headers["content-type"] ?? ""} ${answer.body.slice(0, 300)}`,
            });
        }
      };
      const started = Date.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const health = await fetch(`${gw.url}/healthz`);
      const unhandled = gw.logLines.filter((l) => l.includes('"unhandled error"'));

      const counts = Object.fromEntries([...byStatus.entries()].sort(([a], [b]) => a - b));
      const fivexx = [...byStatus.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
      const fourxx = [...byStatus.entries()].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
      console.log(
        JSON.stringify({
          runs: RUNS,
          seed: SEED,
          seconds: Math.round((Date.now() - started) / 1000),
          counts,
          answered5xx: fivexx,
          answered4xx: fourxx,
          rateLimited429: rateLimited,
          findings: findings.length,
          routes: byRoute.size,
          unhandledErrorsLogged: unhandled.length,
        }),
      );
      // FUZZ_VERBOSE=1: the answers per route, to see how deep the generated requests get
      if (process.env.FUZZ_VERBOSE)
        console.log(
          [...byRouteStatus.entries()]
            .sort()
            .map(([k, n]) => `${n}\t${k}`)
            .join("\n"),
        );
      const byWhy = new Map<string, Finding[]>();
      for (const f of findings) byWhy.set(`${f.route}: ${f.why}`, [...(byWhy.get(`${f.route}: ${f.why}`) ?? []), f]);
      const report = [...byWhy.entries()]
        .map(([k, fs]) => `${fs.length} × ${k}\n  request: ${JSON.stringify(fs[0]!.request.slice(0, 400))}\n  answer: ${fs[0]!.answer}`)
        .join("\n");

      expect(health.status).toBe(200);
      expect(unhandled.slice(0, 3)).toEqual([]);
      expect(report).toBe("");
      // the run reached every part of the gateway
      expect(byRoute.size).toBeGreaterThan(30);
      expect(fivexx).toBe(0);
    },
    60 * 60_000,
  );
});

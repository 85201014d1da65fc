// The gateway measured by bench/upload-rss.ts, in a process of its own: the test gateway (real
// Postgres and Redis, no workers) with one DMS tenant. Prints {url, apiKey} once it listens.
import { createTenantWithAccounts, startTestGateway } from "../test/support/gateway.js";

process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/kyc_gateway_test";
process.env.ADMIN_TOKEN ??= "bench-admin-token-0123456789";
process.env.MASTER_KEY ??= Buffer.alloc(32, 7).toString("base64");
process.env.LOG_LEVEL = "silent";
process.env.RATE_LIMIT_PER_KEY_PER_SECOND ??= "100000";

const gw = await startTestGateway({ workers: false });
const t = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } }]);
process.stdout.write(`${JSON.stringify({ url: gw.url, apiKey: t.apiKey })}\n`);
process.on("SIGTERM", () => {
  // what went wrong, if anything did (the test gateway logs into memory)
  for (const line of gw.logLines) if (line.includes('"level":50')) process.stderr.write(`${line.slice(0, 2000)}\n`);
  void gw.close().finally(() => process.exit(0));
});

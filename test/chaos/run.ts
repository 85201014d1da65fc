// `npm run chaos [-- --n 1000 --no-redis-persistence]`: the full chaos run; exits 1 when a check fails.
import { chaosChecks, printChaos, runChaos } from "./harness.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const n = Number(arg("n") ?? 1000);
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/kyc_gateway";
const report = await runChaos({
  n,
  // 2 verifications a second by default: what two workers killed every 2 s keep up with on a 2-core machine
  loadMs: Number(arg("load-seconds") ?? Math.max(30, n / 2)) * 1000,
  workerKillEveryMs: Number(arg("kill-every-ms") ?? 2000),
  vendorOutageMs: Number(arg("outage-seconds") ?? 60) * 1000,
  postgresDownMs: 8000,
  redisPersistence: !process.argv.includes("--no-redis-persistence"),
  settleMs: Number(arg("settle-seconds") ?? 400) * 1000,
  viLinkTtlHours: 0.05,
  log: (s) => console.log(`[chaos] ${s}`),
});
printChaos(report, (s) => console.log(s));
process.exit(chaosChecks(report).every((c) => c.ok) ? 0 : 1);

// The small chaos run of `npm test` (the full one is `npm run chaos`, README "Chaos run"): about
// 100 verifications over DMS, ShareID, Identomat and VerificarIdentidad, with one of each fault:
// workers SIGKILLed and replaced, the API killed, Redis restarted, Postgres restarted, a vendor
// outage, 10 % vendor 5xx and 10 % of deliveries refused by the receiver.
import { describe, expect, it } from "vitest";
import { chaosChecks, printChaos, runChaos } from "../chaos/harness.js";

describe("chaos, small", () => {
  it("every verification reaches an end and is told, none lost, none regressed, one SMS each", async () => {
    const lines: string[] = [];
    const report = await runChaos({
      n: 100,
      loadMs: 30_000,
      workerKillEveryMs: 5_000,
      vendorOutageMs: 10_000,
      postgresDownMs: 5_000,
      redisPersistence: true,
      settleMs: 150_000,
      viLinkTtlHours: 0.01,
      log: (s) => lines.push(s),
    });
    printChaos(report, (s) => lines.push(s));
    console.log(lines.join("\n"));
    expect(report.accepted).toBe(100);
    for (const c of chaosChecks(report)) expect({ check: c.name, ok: c.ok, detail: c.detail }).toMatchObject({ ok: true });
    expect(report.faults).toMatchObject({ apiKills: 1, redisRestarts: 1, postgresRestarts: 1, vendorOutages: 1 });
    expect(report.faults.workerKills).toBeGreaterThanOrEqual(5);
    // the answers while Postgres was down were all 503 with Retry-After (some were seen)
    expect(report.fiveXxWhilePostgresDown.total).toBeGreaterThan(0);
  }, 300_000);
});

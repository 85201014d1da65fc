// Vendor health probes: each account whose adapter has a health() is probed on an
// interval by one worker process at a time (a Redis lock), and the result is kept on
// the account. A change from healthy to unhealthy (or back) is a vendor event for
// operations. Adapters keep their own minimum interval where the vendor asks for
// one (VerificarIdentidad blocks accounts that call GetCreditos too often).
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { adapterFor } from "../adapters/registry.js";
import { probeAccount, recordAccountEvent } from "../core/adapter-runtime.js";
import type { AccountHealthBoard } from "../core/account-health.js";
import { runWithRequestId } from "../observability/work-context.js";

export async function probeVendorHealth(
  deps: { db: Db; env: Env; log: Logger; redis?: Redis; health?: AccountHealthBoard },
  intervalMs: number,
  now = new Date(),
): Promise<number> {
  const rows = await deps.db.vendorAccount.findMany({ where: { disabledAt: null } });
  let probed = 0;
  for (const row of rows) {
    const adapter = adapterFor(row.vendor);
    if (!adapter?.health) continue;
    const every = Math.max(intervalMs, adapter.minHealthIntervalMs ?? 0);
    if (row.healthCheckedAt && now.getTime() - row.healthCheckedAt.getTime() < every * 0.9) continue;
    if (deps.redis) {
      const slot = Math.floor(now.getTime() / intervalMs);
      const got = await deps.redis.set(`kyc:health:${row.id}:${slot}`, "1", "PX", intervalMs, "NX").catch(() => "OK");
      if (got !== "OK") continue;
    }
    // each probe is work of its own: its vendor calls carry its own request id
    const result = await runWithRequestId(null, () => probeAccount(deps, adapter, row, now));
    await deps.db.vendorAccount.update({
      where: { id: row.id },
      data: {
        healthOk: result.ok,
        healthDetail: result.detail.slice(0, 500),
        healthCheckedAt: now,
        ...(typeof result.credits === "number" ? { credits: result.credits, creditsCheckedAt: now } : {}),
      },
    });
    if (row.healthOk !== null && row.healthOk !== result.ok) {
      await recordAccountEvent(deps.db, row.id, row.vendor, result.ok ? "health_recovered" : "health_down", `health:${now.toISOString()}`, {
        detail: result.detail,
      });
    }
    probed += 1;
  }
  return probed;
}

// A per-vendor-account concurrency limit shared by every gateway process: leases in a
// Redis sorted set (member = lease id, score = expiry). A process that finds the account
// full waits and tries again (queues) rather than calling the vendor. Leases expire by
// themselves, so a process killed mid-call frees its slot after the call's timeout.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0`;

export interface AccountSlots {
  /** waits for a slot; resolves to its release function */
  acquire(accountId: string, limit: number, leaseMs: number, maxWaitMs: number): Promise<() => Promise<void>>;
}

export class SlotWaitTimeout extends Error {}

export function redisAccountSlots(redis: Redis, prefix = "kyc"): AccountSlots {
  return {
    async acquire(accountId, limit, leaseMs, maxWaitMs) {
      const key = `${prefix}:slots:${accountId}`;
      // PEXPIRE takes whole milliseconds: a fractional lease would fail the script after its ZADD (a lease never released)
      leaseMs = Math.ceil(leaseMs);
      const lease = randomUUID();
      const giveUpAt = Date.now() + maxWaitMs;
      for (let wait = 10; ; wait = Math.min(200, wait * 1.5)) {
        const now = Date.now();
        const got = await redis.eval(ACQUIRE, 1, key, String(now), String(limit), String(now + leaseMs), lease, String(leaseMs * 2));
        if (got === 1) return async () => void (await redis.zrem(key, lease).catch(() => 0));
        if (now > giveUpAt) throw new SlotWaitTimeout(`no free slot for vendor account within ${maxWaitMs} ms`);
        await new Promise((r) => setTimeout(r, wait / 2 + Math.random() * wait));
      }
    },
  };
}

// A per-vendor-account call rate shared by every gateway process, beside the in-flight limit
// (account-slots.ts): a virtual schedule in Redis. Each call reserves the next free moment of the
// account (the key holds when the account is free again, in ms on Redis's clock) and takes `costMs`
// of it; the caller waits until its moment. So calls to one account start no faster than one
// `costMs` apart, whatever process makes them, with no burst beyond one call. A reservation whose
// caller dies is simply a gap in the schedule.
import type { Redis } from "ioredis";

const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(free, now)
local nextFree = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(nextFree), 'PX', math.ceil(nextFree - now) + 1000)
return start - now`;

export interface AccountRate {
  /** reserves `costMs` of the account's capacity; resolves to how long to wait before calling (ms) */
  reserve(accountId: string, costMs: number): Promise<number>;
}

export function redisAccountRate(redis: Redis, prefix = "kyc"): AccountRate {
  return {
    async reserve(accountId, costMs) {
      const wait = await redis.eval(RESERVE, 1, `${prefix}:rate:${accountId}`, String(Math.max(0, Math.ceil(costMs))));
      return Math.max(0, Number(wait));
    },
  };
}

/** The same schedule in this process only: when no Redis is given, or while it is unreachable. */
export function localAccountRate(now: () => number = Date.now): AccountRate {
  const freeAt = new Map<string, number>();
  return {
    async reserve(accountId, costMs) {
      const t = now();
      const start = Math.max(freeAt.get(accountId) ?? 0, t);
      freeAt.set(accountId, start + costMs);
      return start - t;
    },
  };
}

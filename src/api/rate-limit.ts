// Per-API-key rate limit (OWASP API4, unrestricted resource consumption): a leaked key cannot send
// unlimited verifications (or VerificarIdentidad SMS). Counted in Redis so every API process shares
// the budget; while Redis is away each process counts on its own (rate-limiter-flexible's insurance
// limiter) rather than refusing or letting everything through.
import type { NextFunction, Request, Response } from "express";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { Problem } from "./problem.js";

export function tenantRateLimit(redis: Redis, prefix: string, perSecond: number) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:ratelimit:key`,
    points: perSecond,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: perSecond, duration: 1 }),
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    // the tenant's key id, set by tenantAuth; never the key itself
    const who = req.apiKeyId ?? req.tenantId ?? req.ip ?? "unknown";
    try {
      await limiter.consume(who);
      next();
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) return next(e);
      const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      res.setHeader("Retry-After", String(retryAfter));
      next(new Problem(429, "Too many requests", `this API key is limited to ${perSecond} requests per second; retry after ${retryAfter} s`));
    }
  };
}

// Rate limits (OWASP API4, unrestricted resource consumption): per client IP, checked before any
// authentication or body parsing, and per tenant API key after it, so a leaked key cannot send
// unlimited verifications (or VerificarIdentidad SMS) and nobody can flood the auth path. Counted
// in Redis so every API process shares the budget; while Redis is away each process counts on its
// own (rate-limiter-flexible's insurance limiter) rather than refusing or letting everything through.
//
// Every answer carries the IETF draft's fields (draft-ietf-httpapi-ratelimit-headers):
//   RateLimit-Policy: "ip";q=300;w=1, "key";q=100;w=1     the quota of each policy per window (s)
//   RateLimit: "ip";r=299;t=1, "key";r=99;t=1             what is left and when the window resets
// and a 429 problem+json with Retry-After once a policy is spent.
import type { NextFunction, Request, Response } from "express";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { Problem } from "./problem.js";

export interface RateLimitPolicy {
  /** the policy's name in the RateLimit fields */
  name: string;
  /** requests per second */
  perSecond: number;
  /** what is counted; null: this request is not counted by this policy */
  keyOf(req: Request): string | null;
  /** the 429's detail */
  describe: string;
}

function setFields(res: Response, policy: RateLimitPolicy, r: RateLimiterRes): number {
  const reset = Math.max(1, Math.ceil(r.msBeforeNext / 1000));
  res.append("RateLimit-Policy", `"${policy.name}";q=${policy.perSecond};w=1`);
  res.append("RateLimit", `"${policy.name}";r=${Math.max(0, r.remainingPoints)};t=${reset}`);
  return reset;
}

export function rateLimit(redis: Redis, prefix: string, policy: RateLimitPolicy) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:ratelimit:${policy.name}`,
    points: policy.perSecond,
    duration: 1,
    insuranceLimiter: new RateLimiterMemory({ points: policy.perSecond, duration: 1 }),
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    const who = policy.keyOf(req);
    if (who === null) return next();
    try {
      setFields(res, policy, await limiter.consume(who));
      next();
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) return next(e);
      const retryAfter = setFields(res, policy, e);
      res.setHeader("Retry-After", String(retryAfter));
      next(new Problem(429, "Too many requests", `${policy.describe} is limited to ${policy.perSecond} requests per second; retry after ${retryAfter} s`));
    }
  };
}

/** Per tenant API key: the key id set by tenantAuth, never the key itself. */
export function tenantRateLimit(redis: Redis, prefix: string, perSecond: number) {
  return rateLimit(redis, prefix, { name: "key", perSecond, keyOf: (req) => req.apiKeyId ?? req.tenantId ?? null, describe: "this API key" });
}

/** Per client IP (as Express reads it under TRUST_PROXY), before authentication. */
export function ipRateLimit(redis: Redis, prefix: string, perSecond: number) {
  return rateLimit(redis, prefix, { name: "ip", perSecond, keyOf: (req) => req.ip ?? req.socket.remoteAddress ?? "unknown", describe: "this client address" });
}

import type { NextFunction, Request, Response } from "express";
import type { Db } from "../db/client.js";
import { apiKeyIdOf, constantTimeEqual, sha256Hex } from "../domain/crypto.js";
import { Problem } from "./problem.js";

declare module "express-serve-static-core" {
  interface Request {
    tenantId?: string;
    /** the id part of the tenant's API key (never the key): what rate limits count by */
    apiKeyId?: string;
  }
}

const CACHE_TTL_MS = 30_000;

/** Bearer tenant API key: the key id finds the row, the sha256 is compared in constant time. */
export function tenantAuth(db: Db) {
  // a short cache keeps the hot path off Postgres; a revoked key stops working within the TTL
  const cache = new Map<string, { tenantId: string; keyHash: string; until: number }>();
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const key = m?.[1];
    const keyId = key ? apiKeyIdOf(key) : null;
    if (!key || !keyId) return next(new Problem(401, "Unauthorized", "send Authorization: Bearer <tenant API key>"));
    const hash = sha256Hex(key);
    let entry = cache.get(keyId);
    if (!entry || entry.until < Date.now()) {
      const row = await db.apiKey.findUnique({ where: { id: keyId } });
      if (!row || row.revokedAt) return next(new Problem(401, "Unauthorized", "unknown or revoked API key"));
      entry = { tenantId: row.tenantId, keyHash: row.keyHash, until: Date.now() + CACHE_TTL_MS };
      cache.set(keyId, entry);
    }
    if (!constantTimeEqual(hash, entry.keyHash)) return next(new Problem(401, "Unauthorized", "unknown or revoked API key"));
    req.tenantId = entry.tenantId;
    req.apiKeyId = keyId;
    next();
  };
}

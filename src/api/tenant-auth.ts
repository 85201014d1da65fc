import type { NextFunction, Request, Response } from "express";
import type { Db } from "../db/client.js";
import { apiKeyIdOf, constantTimeEqual, sha256Hex } from "../domain/crypto.js";
import { sql } from "../db/sql.js";
import { apiKeyWithRouting, type ApiKeyRow, type TenantRouting } from "../core/accounts.js";
import { Problem } from "./problem.js";

declare module "express-serve-static-core" {
  interface Request {
    tenantId?: string;
    /** the id part of the tenant's API key (never the key): what rate limits count by */
    apiKeyId?: string;
    /** the tenant's routing, read with the key when the route asked for it (the accept) */
    routingTenant?: TenantRouting;
  }
}

/**
 * Bearer tenant API key: the key id finds the row, the sha256 is compared in constant time.
 * Read on every request (one primary-key lookup, a prepared statement), never cached: a key revoked by
 * DELETE /admin/tenants/:id/api-keys/:keyId stops working at once in every API process.
 */
export function tenantAuth(db: Db, opts: { withRouting?: (req: Request) => boolean } = {}) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const key = m?.[1];
    const keyId = key ? apiKeyIdOf(key) : null;
    if (!key || !keyId) return next(new Problem(401, "Unauthorized", "send Authorization: Bearer <tenant API key>"));
    let row: ApiKeyRow | undefined;
    let routing: TenantRouting | undefined;
    if (opts.withRouting?.(req)) {
      // the accept reads its tenant's routing with the key, in the same statement
      const found = await apiKeyWithRouting(db, keyId);
      row = found?.key;
      routing = found?.tenant;
    } else {
      [row] = await sql<ApiKeyRow>(db, {
        name: "kyc_api_key",
        text: "SELECT tenant_id, key_hash, revoked_at FROM api_keys WHERE id = $1",
        values: [keyId],
      });
    }
    if (!row || row.revokedAt || !constantTimeEqual(sha256Hex(key), row.keyHash)) return next(new Problem(401, "Unauthorized", "unknown or revoked API key"));
    req.tenantId = row.tenantId;
    req.apiKeyId = keyId;
    req.routingTenant = routing;
    next();
  };
}

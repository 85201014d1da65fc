import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { registerPool } from "./sql.js";

export type Db = PrismaClient;

export interface PoolLimits {
  max?: number;
  /** how long to wait for a connection (a new one or a free one from the pool) */
  connectTimeoutMs?: number;
  /** Postgres' statement_timeout and the client-side query timeout */
  statementTimeoutMs?: number;
}

export function createDb(databaseUrl: string, limits: PoolLimits = {}): Db {
  const statementTimeout = limits.statementTimeoutMs ?? 15_000;
  // one pool for Prisma and for the hot paths' plain SQL (db/sql.ts)
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: limits.max ?? 10,
    connectionTimeoutMillis: limits.connectTimeoutMs ?? 5_000,
    statement_timeout: statementTimeout,
    // the server-side timeout cannot fire when the server is unreachable: the client gives up a little later
    query_timeout: statementTimeout + 1_000,
  });
  // an idle connection the server dropped (a restart) is an event, not a crash; the next query reconnects
  pool.on("error", () => undefined);
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  registerPool(db, pool);
  return db;
}

// Plain SQL on the hot paths (issue 13): the accept, the vendor-webhook receive, the tenant's reads and the API key
// lookup run one statement each straight on the pg pool Prisma itself uses. Prisma's query engine was a third of
// those paths' CPU, and its interactive transaction one round trip per statement; a data-modifying CTE writes the
// verification, its sealed input, its event and its outbox row in one round trip, atomically. Everything else keeps
// Prisma. Rows come back in Prisma's shape (camelCase fields, Date timestamps), so the resources are built by the
// same code either way; test/integration/sql-rows.test.ts compares the two.
import pg from "pg";

const pools = new WeakMap<object, pg.Pool>();

/** The pool behind a Db made by createDb (db/client.ts). */
export function registerPool(db: object, pool: pg.Pool): void {
  pools.set(db, pool);
}

export function poolOf(db: object): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("this database client was not made by createDb: it has no pool for plain SQL");
  return pool;
}

// Prisma stores DateTime as `timestamp(3)` without a zone, in UTC; pg would read those as local time
const TIMESTAMP = 1114;
const parseUtcTimestamp = (s: string) => new Date(`${s.replace(" ", "T")}Z`);
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP && format !== "binary" ? parseUtcTimestamp : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** A snake_case column name as Prisma's camelCase field (the schema maps every field that way); a few dozen names, kept. */
const fieldNames = new Map<string, string>();
function fieldOf(column: string): string {
  let field = fieldNames.get(column);
  if (field === undefined) fieldNames.set(column, (field = column.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())));
  return field;
}

/** A Prisma field's snake_case column (fieldOf's inverse). */
export const columnOf = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A row with Prisma's field names. */
export function prismaShaped<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[fieldOf(k)] = v;
  return out as T;
}

/** A `timestamp(3)` column as to_jsonb writes it ("2026-12-03T15:01:24.123", UTC without a zone). */
export function jsonTimestamp(v: unknown): Date | null {
  return typeof v === "string" ? new Date(`${v}Z`) : null;
}

export interface Statement {
  /** a prepared statement's name: parsed and planned once per connection (a fixed text only) */
  name?: string;
  text: string;
  values: unknown[];
}

/** Runs one statement on a pool or a checked-out client; the rows with Prisma's field names. */
async function run<T>(on: pg.Pool | pg.PoolClient, s: Statement): Promise<T[]> {
  const r = await on.query({ name: s.name, text: s.text, values: s.values, types: TYPES });
  return r.rows.map((row) => prismaShaped<T>(row as Record<string, unknown>));
}

/** Runs one statement; the rows with Prisma's field names. */
export async function sql<T>(db: object, s: Statement): Promise<T[]> {
  return run<T>(poolOf(db), s);
}

/** A Date as a `timestamp(3)` value in UTC, whatever the process's time zone (pg would write local time). */
export const utc = (d: Date) => d.toISOString();

/** A JSON column's value. */
export const jsonb = (v: unknown) => JSON.stringify(v);

/** One client of the pool in a transaction: what `work` does commits together, or rolls back if it throws. */
export async function inTransaction<T>(db: object, work: (query: <R>(s: Statement) => Promise<R[]>) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  // a checked-out client's connection errors are its holder's to handle (pg-pool listens on idle clients only): the
  // statement in flight fails with it, and the client is dropped below
  let lost: Error | null = null;
  const onError = (e: Error) => {
    lost = e;
  };
  client.on("error", onError);
  const query = <R>(s: Statement) => run<R>(client, s);
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await work(query);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.off("error", onError);
    // a client whose connection failed or whose rollback failed is not given back to the pool in an unknown state
    client.release(broken || lost !== null);
  }
}

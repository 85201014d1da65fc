// Proves prisma/schema.prisma and the database migrated from prisma/migrations agree:
// tables, columns (type, nullability, default), primary keys, unique and plain
// indexes, and foreign keys with their delete rule. The migrations are hand-written
// SQL (the Prisma CLI's native engine cannot be fetched here), so this is their check.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDatabase, listMigrations, migrate } from "../../src/db/migrate.js";

const require = createRequire(import.meta.url);
const wasm = require("@prisma/prisma-schema-wasm") as { get_dmmf(params: string): string };

interface DmmfField {
  name: string;
  dbName: string | null;
  kind: string;
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  relationFromFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", readFileSync("prisma/schema.prisma", "utf8")]] })));
const models: DmmfModel[] = dmmf.datamodel.models;
const indexes: { model: string; type: "id" | "unique" | "normal" | "fulltext"; fields: { name: string }[] }[] = dmmf.datamodel.indexes;

const PG_TYPE: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  DateTime: "timestamp without time zone",
  Json: "jsonb",
  Bytes: "bytea",
  Boolean: "boolean",
  Float: "double precision",
  Decimal: "numeric",
};
const table = (m: DmmfModel) => m.dbName ?? m.name;
const col = (m: DmmfModel, fieldName: string) => {
  const f = m.fields.find((x) => x.name === fieldName)!;
  return f.dbName ?? f.name;
};

const url = process.env.DATABASE_URL!.replace(/\/[^/]+$/, "/kyc_gateway_schema_check");
let client: pg.Client;

beforeAll(async () => {
  // a database of its own, migrated from empty: the check sees only what the SQL files create
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]+$/, "/postgres") });
  await admin.connect();
  await admin.query("DROP DATABASE IF EXISTS kyc_gateway_schema_check WITH (FORCE)");
  await admin.end();
  await ensureDatabase(url);
  await migrate(url);
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

describe("schema.prisma and the migrated database", () => {
  it("records every migration in _prisma_migrations the way Prisma does", async () => {
    const { rows } = await client.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
    const files = listMigrations();
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, r] of rows.entries()) {
      expect(r.checksum).toBe(files[i]!.checksum);
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
    // applying again is a no-op
    expect((await migrate(url)).applied).toEqual([]);
  });

  it("has exactly the tables of the models", async () => {
    const { rows } = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(models.map(table).sort());
  });

  it.each(models.map((m) => [m.name, m] as const))("%s: columns, types, nullability and defaults agree", async (_name, m) => {
    const { rows } = await client.query(
      `SELECT column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [table(m)],
    );
    const scalars = m.fields.filter((f) => f.kind === "scalar");
    expect(rows.map((r) => r.column_name).sort()).toEqual(scalars.map((f) => f.dbName ?? f.name).sort());
    for (const f of scalars) {
      const c = rows.find((r) => r.column_name === (f.dbName ?? f.name))!;
      if (f.isList) {
        expect(c.data_type, `${m.name}.${f.name}`).toBe("ARRAY");
        // an array column names its element type by its internal name (int4[] is `_int4`)
        expect(c.udt_name).toBe(
          `_${({ text: "text", integer: "int4", bigint: "int8", boolean: "bool" } as Record<string, string>)[PG_TYPE[f.type]!] ?? PG_TYPE[f.type]}`,
        );
      } else {
        expect(c.data_type, `${m.name}.${f.name}`).toBe(PG_TYPE[f.type]);
        expect(c.is_nullable, `${m.name}.${f.name} nullability`).toBe(f.isRequired ? "NO" : "YES");
      }
      const hasDbDefault = c.column_default !== null;
      expect(hasDbDefault, `${m.name}.${f.name} default`).toBe(f.hasDefaultValue && !f.isUpdatedAt);
    }
  });

  it("has the primary keys, unique and plain indexes of the schema", async () => {
    const { rows } = await client.query(`
      SELECT t.relname AS table, i.indisunique AS unique, i.indisprimary AS primary,
             array_agg(a.attname::text ORDER BY k.ord) AS columns
      FROM pg_index i
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE t.relname <> '_prisma_migrations'
      GROUP BY t.relname, i.indexrelid, i.indisunique, i.indisprimary`);
    const actual = rows.map((r) => `${r.table}|${r.primary ? "id" : r.unique ? "unique" : "normal"}|${r.columns.join(",")}`).sort();
    const expected = indexes
      .map((ix) => {
        const m = models.find((x) => x.name === ix.model)!;
        return `${table(m)}|${ix.type}|${ix.fields.map((f) => col(m, f.name)).join(",")}`;
      })
      .sort();
    expect(actual).toEqual(expected);
  });

  it("has the foreign keys of the relations, with their delete rules", async () => {
    const { rows } = await client.query(`
      SELECT tc.table_name AS table, kcu.column_name AS column, ccu.table_name AS target, rc.delete_rule
      FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
      JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
      JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`);
    const actual = rows.map((r) => `${r.table}.${r.column}->${r.target} ${r.delete_rule}`).sort();
    const RULE: Record<string, string> = { Cascade: "CASCADE", SetNull: "SET NULL", Restrict: "RESTRICT", NoAction: "NO ACTION" };
    const expected = models
      .flatMap((m) =>
        m.fields
          .filter((f) => f.kind === "object" && f.relationFromFields && f.relationFromFields.length > 0)
          .map((f) => {
            const target = models.find((x) => x.name === f.type)!;
            const optional = !f.isRequired;
            const rule = f.relationOnDelete ? RULE[f.relationOnDelete] : optional ? "SET NULL" : "RESTRICT";
            return `${table(m)}.${col(m, f.relationFromFields![0]!)}->${table(target)} ${rule}`;
          }),
      )
      .sort();
    expect(actual).toEqual(expected);
  });
});

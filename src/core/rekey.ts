// `npm run rekey`: every ciphertext in the database sealed again under the current MASTER_KEY,
// and plaintext written before encryption at rest (src/core/at-rest.ts) sealed for the first time.
// Each table is walked in primary-key order, a batch per transaction with its rows locked, so a
// writer never interleaves with a batch and a batch is all or nothing. Idempotent: a row already
// under the current key id is left alone, so a second run changes nothing and a run killed
// half-way is simply run again (it passes over what the first run did without writing it).
import type { Db } from "../db/client.js";
import { AAD, checksColumns, eventPayloadColumns, holdsPersonalData, sealArtifact, isSealedBinary, sealInboundBody, sealVendorPayload } from "./at-rest.js";
import { isSealedText, resealed, UnknownKeyError, type Keys } from "../domain/crypto.js";
import type { Checks } from "../domain/model.js";

type Row = Record<string, unknown>;
/** the new values of a row's columns, or null when the row is already as it should be */
type Convert = (keys: Keys, row: Row) => Row | null;

interface SealedTable {
  table: string;
  pk: string;
  pkType: "text" | "bigint";
  columns: string[];
  /** SQL casts of written columns that are not text or bytea */
  casts?: Record<string, string>;
  convert: Convert;
}

const text = (v: unknown) => v as string;

const TABLES: SealedTable[] = [
  {
    table: "vendor_accounts",
    pk: "id",
    pkType: "text",
    columns: ["credentials_enc"],
    convert: (keys, r) => only("credentials_enc", resealed(keys, text(r.credentials_enc), AAD.vendorCredentials(text(r.id)))),
  },
  {
    table: "webhook_endpoints",
    pk: "id",
    pkType: "text",
    columns: ["secrets_enc"],
    convert: (keys, r) => only("secrets_enc", resealed(keys, text(r.secrets_enc), AAD.endpointSecrets(text(r.id)))),
  },
  {
    table: "verification_inputs",
    pk: "verification_id",
    pkType: "text",
    columns: ["payload_enc"],
    convert: (keys, r) => only("payload_enc", resealed(keys, r.payload_enc as Uint8Array, AAD.input(text(r.verification_id)))),
  },
  {
    table: "verifications",
    pk: "id",
    pkType: "text",
    columns: ["checks", "checks_enc"],
    casts: { checks: "jsonb" },
    convert: (keys, r) => {
      if (r.checks_enc) return only("checks_enc", resealed(keys, text(r.checks_enc), AAD.checks(text(r.id))));
      const checks = (r.checks ?? {}) as Checks;
      if (!holdsPersonalData(checks)) return null;
      const cols = checksColumns(keys, text(r.id), checks);
      return { checks: cols.checks, checks_enc: cols.checksEnc };
    },
  },
  {
    table: "webhook_events",
    pk: "id",
    pkType: "text",
    columns: ["payload", "payload_enc"],
    casts: { payload: "jsonb" },
    convert: (keys, r) => {
      if (r.payload_enc) return only("payload_enc", resealed(keys, text(r.payload_enc), AAD.event(text(r.id))));
      const payload = r.payload as Parameters<typeof eventPayloadColumns>[2];
      if (!holdsPersonalData(payload?.data?.checks)) return null;
      const cols = eventPayloadColumns(keys, text(r.id), payload);
      return { payload: cols.payload, payload_enc: cols.payloadEnc };
    },
  },
  {
    table: "vendor_payloads",
    pk: "id",
    pkType: "bigint",
    columns: ["verification_id", "body"],
    convert: (keys, r) => {
      const body = text(r.body);
      const verificationId = text(r.verification_id);
      if (isSealedText(body)) return only("body", resealed(keys, body, AAD.vendorPayload(verificationId)));
      return { body: sealVendorPayload(keys, verificationId, JSON.parse(body)) };
    },
  },
  {
    table: "verification_artifacts",
    pk: "id",
    pkType: "text",
    columns: ["verification_id", "kind", "data"],
    convert: (keys, r) => {
      const data = r.data as Uint8Array;
      const aad = AAD.artifact(text(r.verification_id), text(r.kind));
      if (isSealedBinary(data)) return only("data", resealed(keys, data, aad));
      return { data: sealArtifact(keys, text(r.verification_id), text(r.kind), Buffer.from(data)) };
    },
  },
  {
    table: "inbound_webhooks",
    pk: "id",
    pkType: "text",
    columns: ["raw_body"],
    convert: (keys, r) => {
      const body = r.raw_body as Uint8Array;
      if (body.length === 0) return null;
      if (isSealedBinary(body)) return only("raw_body", resealed(keys, body, AAD.inboundBody(text(r.id))));
      return { raw_body: sealInboundBody(keys, text(r.id), Buffer.from(body)) };
    },
  },
];

const only = (column: string, value: unknown): Row | null => (value === null ? null : { [column]: value });

export const REKEYED_TABLES = TABLES.map((t) => t.table);

export interface TableCount {
  /** rows read */
  scanned: number;
  /** rows written: sealed again under the current key, or sealed for the first time */
  rekeyed: number;
  /** rows under a key that is not configured (MASTER_KEY_PREVIOUS is missing it): left as they are */
  unreadable: number;
}

export interface RekeyOptions {
  batchSize?: number;
  /** called after each committed batch (progress; tests stop a run here) */
  onBatch?: (table: string, counts: TableCount) => void | Promise<void>;
}

export async function rekey(deps: { db: Db; keys: Keys }, opts: RekeyOptions = {}): Promise<Record<string, TableCount>> {
  const batchSize = opts.batchSize ?? 200;
  const report: Record<string, TableCount> = {};
  for (const t of TABLES) {
    const counts: TableCount = { scanned: 0, rekeyed: 0, unreadable: 0 };
    report[t.table] = counts;
    let cursor: string | null = null;
    for (;;) {
      const after: string | null = cursor;
      const done = await deps.db.$transaction(
        async (tx): Promise<{ rows: Row[]; rekeyed: number; unreadable: number }> => {
          let rekeyed = 0;
          let unreadable = 0;
          // the table, key and column names are this file's constants, never input
          const batch: Row[] = await tx.$queryRawUnsafe<Row[]>(
            `SELECT ${[t.pk, ...t.columns.filter((c) => c !== t.pk)].join(", ")} FROM ${t.table} WHERE $1::text IS NULL OR ${t.pk} > $1::${t.pkType} ORDER BY ${t.pk} LIMIT ${batchSize} FOR UPDATE`,
            after,
          );
          for (const row of batch) {
            let next: Row | null;
            try {
              next = t.convert(deps.keys, row);
            } catch (e) {
              if (!(e instanceof UnknownKeyError)) throw e;
              unreadable++;
              continue;
            }
            if (!next) continue;
            const names = Object.keys(next);
            const sets = names.map((c, i) => `${c} = $${i + 1}${t.casts?.[c] ? `::${t.casts[c]}` : ""}`);
            const values = names.map((c) => (t.casts?.[c] === "jsonb" ? JSON.stringify(next[c]) : next[c]));
            await tx.$executeRawUnsafe(
              `UPDATE ${t.table} SET ${sets.join(", ")} WHERE ${t.pk} = $${names.length + 1}::${t.pkType}`,
              ...values,
              String(row[t.pk]),
            );
            rekeyed++;
          }
          return { rows: batch, rekeyed, unreadable };
        },
        { timeout: 60_000 },
      );
      const { rows } = done;
      counts.scanned += rows.length;
      counts.rekeyed += done.rekeyed;
      counts.unreadable += done.unreadable;
      if (rows.length === 0) break;
      cursor = String(rows[rows.length - 1]![t.pk]);
      await opts.onBatch?.(t.table, counts);
      if (rows.length < batchSize) break;
    }
  }
  return report;
}

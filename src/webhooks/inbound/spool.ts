// Vendor webhooks that arrive while Postgres is down are not refused (VerificarIdentidad never
// resends, DMS gives up after its retries): they are spooled, sealed with the master key, in a Redis
// stream and acknowledged, then drained into inbound_webhooks in arrival order once Postgres is back.
// Only when neither store can take a webhook does the gateway answer 503. The stream survives a
// Redis restart only with persistence on (appendonly yes; see the README).
import type { Logger } from "pino";
import type { Redis } from "ioredis";
import type { Db } from "../../db/client.js";
import { decryptBytes, encryptBytes, type Keys } from "../../domain/crypto.js";
import { sealInboundBody } from "../../core/at-rest.js";
import { enqueue } from "../../core/jobs.js";
import { errorForLog } from "../../observability/logger.js";

export interface SpooledWebhook {
  id: string;
  vendor: string;
  vendorAccountId: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  rawBody: Buffer;
  receivedAt: Date;
}

export const spoolKey = (prefix: string) => `${prefix}:webhook-spool`;
const aad = (id: string) => `webhook-spool:${id}`;

export async function spoolWebhook(redis: Redis, prefix: string, keys: Keys, w: SpooledWebhook): Promise<void> {
  // headers and body can carry personal data: sealed like every other stored secret
  const sealed = encryptBytes(keys, Buffer.from(JSON.stringify({ headers: w.headers, query: w.query, body: w.rawBody.toString("base64") })), aad(w.id));
  await redis.xadd(
    spoolKey(prefix),
    "*",
    "id",
    w.id,
    "vendor",
    w.vendor,
    "account",
    w.vendorAccountId,
    "at",
    String(w.receivedAt.getTime()),
    "sealed",
    sealed.toString("base64"),
  );
}

/** Moves spooled webhooks into Postgres (oldest first) with their ingest jobs; stops at the first database error. */
export async function drainWebhookSpool(deps: { db: Db; redis: Redis; prefix: string; keys: Keys; log: Logger }): Promise<number> {
  const { db, redis, prefix } = deps;
  const key = spoolKey(prefix);
  if ((await redis.xlen(key)) === 0) return 0;
  const lock = `${prefix}:webhook-spool-drain`;
  if ((await redis.set(lock, String(process.pid), "PX", 30_000, "NX")) !== "OK") return 0;
  let moved = 0;
  try {
    for (;;) {
      const entries = await redis.xrange(key, "-", "+", "COUNT", 100);
      if (entries.length === 0) break;
      for (const [entryId, fields] of entries) {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        const id = f.id!;
        const plain = JSON.parse(decryptBytes(deps.keys, Buffer.from(f.sealed!, "base64"), aad(id)).toString("utf8")) as {
          headers: Record<string, string>;
          query: Record<string, string>;
          body: string;
        };
        const receivedAt = new Date(Number(f.at));
        await db.$transaction(async (tx) => {
          const inserted = await tx.inboundWebhook.createMany({
            data: [
              {
                id,
                vendor: f.vendor!,
                vendorAccountId: f.account!,
                headers: plain.headers,
                query: plain.query,
                rawBody: sealInboundBody(deps.keys, id, Buffer.from(plain.body, "base64")),
                status: "received",
                receivedAt,
                nextDueAt: new Date(),
              },
            ],
            skipDuplicates: true,
          });
          if (inserted.count > 0) await enqueue(tx, "ingest", `ingest-${id}`, { inboundWebhookId: id });
        });
        await redis.xdel(key, entryId);
        moved++;
      }
    }
  } catch (e) {
    deps.log.warn({ err: errorForLog(e), moved }, "webhook spool drain paused; the rest waits in Redis");
  } finally {
    await redis.del(lock).catch(() => undefined);
  }
  if (moved > 0) deps.log.info({ moved }, "spooled vendor webhooks moved into Postgres");
  return moved;
}

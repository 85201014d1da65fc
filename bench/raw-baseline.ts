// The raw baseline of `npm run bench` (issue 13): what the gateway's hot paths cost when written by
// hand with node:http, pg and ioredis, doing the same durable work into the gateway's own migrated
// schema. It is the yardstick the gateway is measured against, so it is lean but not wrong:
//   POST /v1/verifications   tenant lookup by API key (key id + sha256, the gateway's scheme), JSON
//                            parse, base64 decode and magic-byte check of each image, AES-256-GCM seal
//                            of the input (the gateway's sealed format, so its workers can open it),
//                            ONE statement (data-modifying CTEs: one transaction, one round trip)
//                            writing the verification, its sealed input, its `created` event and its
//                            outbox row (claimed: published by this process, as the gateway's accept
//                            publishes its own submit job), then a Redis push. request_hash only with an Idempotency-Key
//                            (it is only ever compared then); no idempotency replay, no zod, no routing
//                            rules beyond the tenant's default list, no vendor-specific validation.
//   POST /hooks/verificaridentidad/:accountId   Basic auth against the account's sealed
//                            credentials, the raw request stored (its body sealed) in inbound_webhooks with its outbox
//                            row (one statement), then a Redis push.
//   GET /v1/verifications/:id, GET /v1/verifications?reference=   tenant-scoped reads.
// API keys and vendor accounts are cached for 30 s, as the gateway caches them; the accept path
// reads its tenant's routing and accounts on every request, as the gateway does.
// Run alone: DATABASE_URL=... REDIS_URL=... MASTER_KEY=... PORT=... node --import tsx bench/raw-baseline.ts
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { apiKeyIdOf, constantTimeEqual, decryptJson, encryptBytes, newId, sha256Hex } from "../src/domain/crypto.js";
import { sniffImageType } from "../src/domain/image-type.js";

export interface RawBaselineOptions {
  databaseUrl: string;
  redisUrl: string;
  masterKey: Buffer;
  /** Redis key prefix of the pushes (the bench deletes them afterwards) */
  prefix: string;
  port?: number;
  maxBodyBytes?: number;
  maxImageBytes?: number;
  poolMax?: number;
}

export interface RawBaseline {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const CACHE_TTL_MS = 30_000;
const CHECKS = new Set(["document", "liveness", "face_match"]);
const NOT_STORED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly path?: string,
  ) {
    super(title);
  }
}

// `timestamp(3)` columns hold UTC (Prisma's convention): read them as UTC whatever the machine's zone
const TIMESTAMP_OID = 1114;
const utcTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID ? (s: string) => new Date(`${s.replace(" ", "T")}Z`) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, "body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

/** strict enough: the decoded length must be what the text's length promises (Buffer.from skips bad characters) */
function decodeImage(value: unknown, declared: unknown, path: string, maxBytes: number): { base64: string; bytes: Buffer } {
  if (typeof value !== "string" || value.length === 0 || value.length % 4 !== 0) throw new HttpError(400, "not valid base64", path);
  const bytes = Buffer.from(value, "base64");
  const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
  if (bytes.length !== (value.length / 4) * 3 - padding) throw new HttpError(400, "not valid base64", path);
  if (bytes.length > maxBytes) throw new HttpError(413, "image too large", path);
  const actual = sniffImageType(bytes);
  if (actual === null || actual !== declared) throw new HttpError(415, "image bytes are not the declared type", path);
  return { base64: value, bytes };
}

interface Row {
  [column: string]: unknown;
}

function toResource(v: Row) {
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
  return {
    id: v.id,
    reference: v.reference ?? null,
    vendor: v.vendor ?? null,
    status: v.status,
    decision: v.decision ?? null,
    reasons: v.reasons ?? [],
    checks: v.checks ?? {},
    nextAction: v.next_action ?? null,
    vendorReference: v.vendor_reference ?? null,
    metadata: v.metadata ?? {},
    createdAt: iso(v.created_at),
    updatedAt: iso(v.updated_at),
    completedAt: iso(v.completed_at),
    decidedBy: v.decided_mapping && v.decided_policy !== null ? { mapping: v.decided_mapping, policy: v.decided_policy } : null,
    erasure: v.erasure ?? null,
  };
}

const ACCEPT_SQL = `
WITH v AS (
  INSERT INTO verifications (id, tenant_id, reference, requested_checks, requested_vendor, status, metadata, document_country,
                             idempotency_key, request_hash, next_due_at, created_at, updated_at, route_plan)
  VALUES ($1, $2, $3, $4::text[], $5, 'pending', $6::jsonb, $7, $8, $9, $10, $10, $10, $11::jsonb)
), i AS (
  INSERT INTO verification_inputs (verification_id, payload_enc, created_at) VALUES ($1, $12, $10)
), e AS (
  INSERT INTO verification_events (verification_id, source, type, to_status, detail, created_at) VALUES ($1, 'api', 'created', 'pending', $13::jsonb, $10)
)
INSERT INTO outbox (queue, job_id, payload, available_at, subject_id, created_at, published_at) VALUES ('submit', 'submit-' || $1, $14::jsonb, $10, $1, $10, $10)`;

const INGEST_SQL = `
WITH w AS (
  INSERT INTO inbound_webhooks (id, vendor, vendor_account_id, headers, query, raw_body, status, received_at, next_due_at)
  VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, 'received', $7, $7)
)
INSERT INTO outbox (queue, job_id, payload, available_at, subject_id, created_at) VALUES ('ingest', 'ingest-' || $1, $8::jsonb, $7, $1, $7)`;

const TENANT_SQL = `
SELECT k.tenant_id, k.key_hash, k.revoked_at, t.routing,
       (SELECT coalesce(json_agg(a.id), '[]'::json) FROM vendor_accounts a WHERE a.tenant_id = t.id AND a.disabled_at IS NULL) AS accounts
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = $1`;

export async function startRawBaseline(o: RawBaselineOptions): Promise<RawBaseline> {
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.poolMax ?? 10, types: utcTypes });
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 1 });
  const maxBody = o.maxBodyBytes ?? 25 * 1024 * 1024;
  const maxImage = o.maxImageBytes ?? 10 * 1024 * 1024;
  const keys = new Map<string, { tenantId: string; keyHash: string; until: number }>();
  const accounts = new Map<string, { row: Row | null; until: number }>();

  function bearer(req: IncomingMessage): { key: string; keyId: string } {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const keyId = m ? apiKeyIdOf(m[1]!) : null;
    if (!m || !keyId) throw new HttpError(401, "unauthorized");
    return { key: m[1]!, keyId };
  }

  async function tenantOf(req: IncomingMessage): Promise<string> {
    const { key, keyId } = bearer(req);
    let hit = keys.get(keyId);
    if (!hit || hit.until < Date.now()) {
      const { rows } = await pool.query("SELECT tenant_id, key_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL", [keyId]);
      if (!rows[0]) throw new HttpError(401, "unauthorized");
      hit = { tenantId: rows[0].tenant_id, keyHash: rows[0].key_hash, until: Date.now() + CACHE_TTL_MS };
      keys.set(keyId, hit);
    }
    if (!constantTimeEqual(sha256Hex(key), hit.keyHash)) throw new HttpError(401, "unauthorized");
    return hit.tenantId;
  }

  async function accept(req: IncomingMessage, res: ServerResponse) {
    const { key, keyId } = bearer(req);
    // the tenant, its routing and its accounts, read on every request (one round trip)
    const tenant = (await pool.query(TENANT_SQL, [keyId])).rows[0];
    if (!tenant || tenant.revoked_at || !constantTimeEqual(sha256Hex(key), tenant.key_hash)) throw new HttpError(401, "unauthorized");
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new HttpError(415, "send application/json");
    const raw = await readBody(req, maxBody);
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new HttpError(400, "malformed JSON");
    }
    if (!body || typeof body !== "object") throw new HttpError(400, "body must be an object");
    const checks = body.checks;
    if (!Array.isArray(checks) || checks.length === 0 || !checks.every((c) => CHECKS.has(c))) throw new HttpError(400, "invalid checks", "$.checks");
    const images = (body.document?.images ?? []) as Record<string, unknown>[];
    if (!Array.isArray(images) || images.length > 4) throw new HttpError(400, "invalid images", "$.document.images");
    const sealedImages = images.map((img, i) => ({
      side: img.side,
      contentType: img.contentType,
      data: decodeImage(img.data, img.contentType, `$.document.images[${i}].data`, maxImage).base64,
    }));
    const selfie = body.selfie
      ? { contentType: body.selfie.contentType, data: decodeImage(body.selfie.data, body.selfie.contentType, "$.selfie.data", maxImage).base64 }
      : undefined;

    const routed = ((tenant.routing?.default ?? []) as string[]).filter((id) => (tenant.accounts as string[]).includes(id));
    const routePlan = { accounts: routed, resolved: routed.length };
    const id = newId("ver");
    // the gateway's sealed format: the input with images as base64, here the text as received (no re-encoding)
    const plain = {
      subject: body.subject,
      document: body.document ? { type: body.document.type, country: body.document.country, images: sealedImages } : undefined,
      selfie,
      faceCapture: body.faceCapture,
      hosted: body.hosted,
      tags: body.tags,
    };
    const sealed = encryptBytes(o.masterKey, Buffer.from(JSON.stringify(plain)), `verification-input:${id}`);
    const now = new Date();
    const at = now.toISOString();
    const idempotencyKey = (req.headers["idempotency-key"] as string | undefined) ?? null;
    const metadata = body.metadata ?? {};
    await pool.query(ACCEPT_SQL, [
      id,
      tenant.tenant_id,
      body.reference ?? null,
      checks,
      body.vendor ?? null,
      JSON.stringify(metadata),
      body.document?.country ?? null,
      idempotencyKey,
      idempotencyKey ? sha256Hex(raw) : null,
      at,
      JSON.stringify(routePlan),
      sealed,
      JSON.stringify({ checks, requestedVendor: body.vendor ?? null, route: routePlan.accounts }),
      JSON.stringify({ verificationId: id }),
    ]);
    await redis.lpush(`${o.prefix}:baseline:submit`, `submit-${id}`);
    const resource = toResource({ id, reference: body.reference, status: "pending", metadata, created_at: now, updated_at: now });
    send(res, 202, resource, { location: `/v1/verifications/${id}` });
  }

  async function accountOf(id: string): Promise<Row | null> {
    const hit = accounts.get(id);
    if (hit && hit.until > Date.now()) return hit.row;
    const { rows } = await pool.query("SELECT id, vendor, credentials_enc FROM vendor_accounts WHERE id = $1", [id]);
    accounts.set(id, { row: rows[0] ?? null, until: Date.now() + CACHE_TTL_MS });
    return rows[0] ?? null;
  }

  async function ingest(req: IncomingMessage, res: ServerResponse, vendor: string, accountId: string, query: URLSearchParams) {
    const account = await accountOf(accountId);
    if (!account || account.vendor !== vendor || vendor !== "verificaridentidad") throw new HttpError(404, "unknown vendor account");
    const creds = decryptJson<{ webhookUser: string; webhookPassword: string }>(o.masterKey, account.credentials_enc as string, `vendor-account:${account.id}`);
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(req.headers.authorization ?? "");
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const userOk = constantTimeEqual(colon >= 0 ? decoded.slice(0, colon) : "", creds.webhookUser);
    const passwordOk = constantTimeEqual(colon >= 0 ? decoded.slice(colon + 1) : "", creds.webhookPassword);
    if (!m || colon < 0 || !userOk || !passwordOk) throw new HttpError(401, "webhook authentication failed");
    const raw = await readBody(req, 5 * 1024 * 1024);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !NOT_STORED_HEADERS.has(k)) headers[k] = v;
    const id = newId("iwh");
    // sealed at rest until ingested, bound to its row (the gateway's format)
    const sealedBody = raw.length === 0 ? raw : encryptBytes(o.masterKey, raw, `inbound-webhook:${id}`);
    await pool.query(INGEST_SQL, [
      id,
      vendor,
      account.id,
      JSON.stringify(headers),
      JSON.stringify(Object.fromEntries(query)),
      sealedBody,
      new Date().toISOString(),
      JSON.stringify({ inboundWebhookId: id }),
    ]);
    await redis.lpush(`${o.prefix}:baseline:ingest`, `ingest-${id}`);
    send(res, 200, { received: true, id });
  }

  async function read(req: IncomingMessage, res: ServerResponse, id: string) {
    const tenantId = await tenantOf(req);
    const { rows } = await pool.query("SELECT * FROM verifications WHERE id = $1 AND tenant_id = $2", [id, tenantId]);
    if (!rows[0]) throw new HttpError(404, "no such verification");
    send(res, 200, toResource(rows[0]));
  }

  async function list(req: IncomingMessage, res: ServerResponse, query: URLSearchParams) {
    const tenantId = await tenantOf(req);
    const limit = Math.min(Math.max(Number(query.get("limit") ?? 20) || 20, 1), 100);
    const reference = query.get("reference");
    const { rows } = reference
      ? await pool.query("SELECT * FROM verifications WHERE tenant_id = $1 AND reference = $2 ORDER BY id DESC LIMIT $3", [tenantId, reference, limit + 1])
      : await pool.query("SELECT * FROM verifications WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2", [tenantId, limit + 1]);
    const page = rows.slice(0, limit);
    send(res, 200, { data: page.map(toResource), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://baseline");
    const parts = url.pathname.split("/").filter(Boolean);
    const route = async () => {
      if (req.method === "POST" && url.pathname === "/v1/verifications") return accept(req, res);
      if (req.method === "GET" && url.pathname === "/v1/verifications") return list(req, res, url.searchParams);
      if (req.method === "GET" && parts.length === 3 && parts[0] === "v1" && parts[1] === "verifications") return read(req, res, parts[2]!);
      if (req.method === "POST" && parts.length === 3 && parts[0] === "hooks") return ingest(req, res, parts[1]!, parts[2]!, url.searchParams);
      if (url.pathname === "/healthz") return send(res, 200, { status: "ok" });
      throw new HttpError(404, "no such route");
    };
    route().catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof HttpError)
        return send(
          res,
          e.status,
          { title: e.title, ...(e.path ? { errors: [{ path: e.path, message: e.title }] } : {}) },
          { "content-type": "application/problem+json" },
        );
      send(res, 500, { title: "internal error" });
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    async close() {
      await new Promise((r) => server.close(r));
      await pool.end();
      redis.disconnect();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

// run as its own process by the bench
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { decodeKey } = await import("../src/config/env.js");
  const masterKey = decodeKey(process.env.MASTER_KEY ?? "");
  if (!masterKey || !process.env.DATABASE_URL) {
    console.error("raw baseline: DATABASE_URL and MASTER_KEY (32 bytes, hex or base64) are required");
    process.exit(2);
  }
  const b = await startRawBaseline({
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    masterKey,
    prefix: process.env.QUEUE_PREFIX ?? "bench",
    port: Number(process.env.PORT ?? 0),
  });
  console.log(`raw baseline listening on ${b.url}`);
  process.on("SIGTERM", () => void b.close().then(() => process.exit(0)));
}

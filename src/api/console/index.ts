// The operations web console at /admin: a static single page (HTML, CSS and one script bundled by
// esbuild from the typed sources in ./browser, no framework, no CDN) and the extra admin API
// endpoints its screens need. The page itself is public; every data call it makes carries the admin token.
import { existsSync, readFileSync } from "node:fs";
import express, { type Response, type Router } from "express";
import { Prisma } from "../../generated/prisma/client.js";
import type { AppContext } from "../../app/context.js";
import { ADAPTERS, VENDOR_IDS } from "../../adapters/registry.js";
import { vendorForm } from "../../adapters/kit/forms.js";
import { circuitStateOf, concurrencyOf } from "../../core/vendor-http.js";
import { circuitView, newestProbe, readSharedHealth, redisAccountHealth } from "../../core/account-health.js";
import { toResource } from "../../core/verifications.js";
import { VERIFICATION_STATUSES } from "../../domain/model.js";
import { z } from "../../domain/zod.js";
import { replayDelivery } from "../../webhooks/outbound/deliver.js";
import { QUEUE_NAMES } from "../../core/jobs.js";
import { Problem, fromZod } from "../problem.js";
import { recordAudit } from "../../core/audit.js";
import { operatorOf } from "../admin-auth.js";
import { UpdateWebhookEndpointSchema } from "../schemas.js";
import { patchWebhookEndpoint } from "../webhook-endpoint-routes.js";
import {
  type Answer,
  type AdminDeliveryPageSchema,
  type AdminWebhookEndpointSchema,
  QUEUE_STATES,
  type AdminVerificationSchema,
  type DeliveryStatus,
  type QueuesReportSchema,
  type ReplayQueuedSchema,
  type VendorAccountStatusListSchema,
  type VendorInfoListSchema,
  type VerificationEventLogSchema,
} from "../resources.js";

function asset(name: string): Buffer {
  const file = new URL(`./${name}`, import.meta.url);
  // console.js is built, not committed: scripts/build-console.mjs (npm start, npm test and npm run build run it)
  if (!existsSync(file)) throw new Error(`the console's ${name} is missing: run \`npm run build:console\` (or \`npm run build\` for dist/)`);
  return readFileSync(file);
}

// No inline script or style anywhere in the console: everything comes from /admin/console.*
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function sendAsset(res: Response, type: string, body: Buffer): void {
  res.setHeader("Content-Security-Policy", CONSOLE_CSP);
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  res.setHeader("Cache-Control", "no-store");
  res.type(type).send(body);
}

/** Serves the console's page and assets (no auth: the page asks for the admin token). */
export function adminConsoleRouter(_app: AppContext): Router {
  const ASSETS = { html: asset("console.html"), js: asset("console.js"), css: asset("console.css") };
  // strict: only these exact paths; everything else under /admin falls through to the API
  const r = express.Router({ strict: true });
  const page = (_req: unknown, res: Response) => sendAsset(res, "html", ASSETS.html);
  r.get("/", page);
  r.get("/console.js", (_req, res) => sendAsset(res, "application/javascript; charset=utf-8", ASSETS.js));
  r.get("/console.css", (_req, res) => sendAsset(res, "text/css; charset=utf-8", ASSETS.css));
  return r;
}

const id = z.string().min(1).max(100);
const limit = (def: number) => z.coerce.number().int().min(1).max(200).default(def);

const VerificationsQuery = z.object({
  tenantId: id.optional(),
  status: z.enum(VERIFICATION_STATUSES).optional(),
  reference: z.string().min(1).max(200).optional(),
  cursor: id.optional(),
  limit: limit(50),
});

const DELIVERY_STATUSES = ["pending", "retrying", "succeeded", "failed"] as const;
const DeliveriesQuery = z.object({
  tenantId: id.optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  verificationId: id.optional(),
  cursor: id.optional(),
  limit: limit(50),
});

const AccountsQuery = z.object({
  tenantId: id.optional(),
  vendor: z.enum(VENDOR_IDS).optional(),
});

const IdParam = z.object({ id });

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const p = schema.safeParse(value);
  if (!p.success) throw fromZod(p.error);
  return p.data;
}

function withTimeout<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** Extra admin API endpoints the console needs, mounted behind the admin token. */
export function adminOpsRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  const healthBoard = redisAccountHealth(app.queues.connection, app.queues.prefix);

  // Each vendor's account form, from its manifest: { vendor, displayName, defaultBaseUrl, capabilities, secretKeys,
  // credentialsTemplate (what the credentials box starts with), credentialsSchema, settingsSchema (JSON Schema) }
  const vendors = VENDOR_IDS.map((vendor) => vendorForm(ADAPTERS[vendor].manifest));
  r.get("/vendors", (_req, res) => {
    res.json({ data: vendors.map((v) => ({ ...v, secretKeys: [...v.secretKeys] })) } satisfies Answer<typeof VendorInfoListSchema>);
  });

  // The public resource plus tenantId; the personal input (subject, images) is never read here.
  r.get("/verifications", async (req, res) => {
    const q = parse(VerificationsQuery, req.query);
    const rows = await app.db.verification.findMany({
      where: {
        ...(q.tenantId ? { tenantId: q.tenantId } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.reference ? { reference: q.reference } : {}),
        ...(q.cursor ? { id: { lt: q.cursor } } : {}),
      },
      orderBy: { id: "desc" },
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map((v) => ({ ...toResource(app.env.keys, v), tenantId: v.tenantId, vendorAccountId: v.vendorAccountId })),
      nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    });
  });

  r.get("/verifications/:id", async (req, res) => {
    const { id: vid } = parse(IdParam, req.params);
    const v = await app.db.verification.findUnique({ where: { id: vid } });
    if (!v) throw new Problem(404, "Not found", "no such verification");
    res.json({ ...toResource(app.env.keys, v), tenantId: v.tenantId, vendorAccountId: v.vendorAccountId } satisfies Answer<typeof AdminVerificationSchema>);
  });

  r.get("/verifications/:id/events", async (req, res) => {
    const { id: vid } = parse(IdParam, req.params);
    const v = await app.db.verification.findUnique({ where: { id: vid } });
    if (!v) throw new Problem(404, "Not found", "no such verification");
    const [events, calls] = await Promise.all([
      app.db.verificationEvent.findMany({ where: { verificationId: v.id }, orderBy: { id: "asc" } }),
      app.db.vendorCall.findMany({ where: { verificationId: v.id }, orderBy: { id: "asc" }, take: 500 }),
    ]);
    res.json({
      verification: { ...toResource(app.env.keys, v), tenantId: v.tenantId, vendorAccountId: v.vendorAccountId },
      data: events.map((e) => ({
        id: e.id.toString(),
        source: e.source,
        type: e.type,
        fromStatus: e.fromStatus,
        toStatus: e.toStatus,
        detail: e.detail,
        createdAt: e.createdAt.toISOString(),
      })),
      vendorCalls: calls.map((c) => ({
        id: c.id.toString(),
        vendorAccountId: c.vendorAccountId,
        vendor: c.vendor,
        endpoint: c.endpoint,
        httpStatus: c.httpStatus,
        attempt: c.attempt,
        outcome: c.outcome,
        errorKind: c.errorKind,
        latencyMs: c.latencyMs,
        createdAt: c.createdAt.toISOString(),
      })),
    } satisfies Answer<typeof VerificationEventLogSchema>);
  });

  r.get("/queues", async (_req, res) => {
    const queues = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        try {
          const q = app.queues.byName[name];
          const [counts, paused] = await withTimeout(3000, Promise.all([q.getJobCounts(...QUEUE_STATES), q.isPaused()]));
          return { name, counts, paused, error: null };
        } catch (e) {
          return { name, counts: null, paused: null, error: `redis unavailable: ${(e as Error).message.slice(0, 80)}` };
        }
      }),
    );
    const now = new Date();
    const [due, scheduled, oldest] = await Promise.all([
      app.db.outboxMessage.count({ where: { publishedAt: null, availableAt: { lte: now } } }),
      app.db.outboxMessage.count({ where: { publishedAt: null, availableAt: { gt: now } } }),
      app.db.outboxMessage.findFirst({
        where: { publishedAt: null, availableAt: { lte: now } },
        orderBy: { availableAt: "asc" },
        select: { availableAt: true },
      }),
    ]);
    res.json({
      redis: app.queues.connection.status,
      queues,
      outbox: {
        backlog: due + scheduled,
        due,
        scheduled,
        oldestDueAt: oldest?.availableAt.toISOString() ?? null,
        oldestDueAgeMs: oldest ? now.getTime() - oldest.availableAt.getTime() : null,
      },
      at: now.toISOString(),
    } satisfies Answer<typeof QueuesReportSchema>);
  });

  r.get("/vendor-accounts", async (req, res) => {
    const q = parse(AccountsQuery, req.query);
    const accounts = await app.db.vendorAccount.findMany({
      where: { ...(q.tenantId ? { tenantId: q.tenantId } : {}), ...(q.vendor ? { vendor: q.vendor } : {}) },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 500,
      include: { tenant: { select: { id: true, name: true } } },
    });
    const since = new Date(Date.now() - 15 * 60_000);
    const ids = accounts.map((a) => a.id);
    const stats = ids.length
      ? await app.db.$queryRaw<{ account: string; calls: number; errors: number; p50: number | null; p95: number | null; last_call: Date | null }[]>`
          SELECT vendor_account_id AS account,
                 count(*)::int AS calls,
                 (count(*) FILTER (WHERE outcome <> 'ok'))::int AS errors,
                 percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                 percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
                 max(created_at) AS last_call
          FROM vendor_calls
          WHERE created_at >= ${since} AND vendor_account_id IN (${Prisma.join(ids)})
          GROUP BY vendor_account_id`
      : [];
    const byAccount = new Map(stats.map((s) => [s.account, s]));
    const shared = await readSharedHealth(healthBoard, ids);
    res.json({
      windowMinutes: 15,
      data: accounts.map((a) => {
        const s = byAccount.get(a.id);
        const calls = s?.calls ?? 0;
        return {
          id: a.id,
          name: a.name,
          vendor: a.vendor,
          tenant: { id: a.tenant.id, name: a.tenant.name },
          disabled: a.disabledAt !== null,
          credits: a.credits,
          creditsCheckedAt: a.creditsCheckedAt?.toISOString() ?? null,
          ...circuitView(shared.get(a.id), circuitStateOf(a.id)),
          health: newestProbe({ ok: a.healthOk, detail: a.healthDetail, checkedAt: a.healthCheckedAt?.toISOString() ?? null }, shared.get(a.id)?.probe),
          concurrency: concurrencyOf(a.id),
          last15Minutes: {
            calls,
            errors: s?.errors ?? 0,
            errorRate: calls ? (s?.errors ?? 0) / calls : 0,
            p50LatencyMs: s?.p50 ?? null,
            p95LatencyMs: s?.p95 ?? null,
            lastCallAt: s?.last_call?.toISOString() ?? null,
          },
        };
      }),
    } satisfies Answer<typeof VendorAccountStatusListSchema>);
  });

  r.get("/webhook-deliveries", async (req, res) => {
    const q = parse(DeliveriesQuery, req.query);
    const rows = await app.db.webhookDelivery.findMany({
      where: {
        ...(q.tenantId ? { endpoint: { tenantId: q.tenantId } } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.verificationId ? { event: { verificationId: q.verificationId } } : {}),
        ...(q.cursor ? { id: { lt: q.cursor } } : {}),
      },
      orderBy: { id: "desc" },
      take: q.limit + 1,
      include: {
        attempts: { orderBy: { attemptNo: "asc" } },
        event: { select: { type: true, verificationId: true } },
        endpoint: { select: { id: true, tenantId: true, url: true, disabledAt: true } },
      },
    });
    const page = rows.slice(0, q.limit);
    res.json({
      data: page.map((d) => ({
        id: d.id,
        tenantId: d.endpoint.tenantId,
        endpointId: d.endpoint.id,
        endpointUrl: d.endpoint.url,
        endpointDisabled: d.endpoint.disabledAt !== null,
        eventId: d.eventId,
        eventType: d.event.type,
        verificationId: d.event.verificationId,
        status: d.status as DeliveryStatus,
        attemptCount: d.attemptCount,
        lastHttpStatus: d.lastHttpStatus,
        nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
        createdAt: d.createdAt.toISOString(),
        attempts: d.attempts.map((a) => ({
          attemptNo: a.attemptNo,
          httpStatus: a.httpStatus,
          error: a.error,
          latencyMs: a.latencyMs,
          at: a.createdAt.toISOString(),
        })),
      })),
      nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    } satisfies Answer<typeof AdminDeliveryPageSchema>);
  });

  // an operator re-enables (or edits) a tenant's endpoint, e.g. one the gateway disabled after failing deliveries
  r.patch("/webhook-endpoints/:id", async (req, res) => {
    const { id } = parse(IdParam, req.params);
    const body = UpdateWebhookEndpointSchema.safeParse(req.body ?? {});
    if (!body.success) throw fromZod(body.error);
    const e = await app.db.webhookEndpoint.findFirst({ where: { id, deletedAt: null } });
    if (!e) throw new Problem(404, "Not found", "no such webhook endpoint");
    const updated = await patchWebhookEndpoint(app, e, body.data);
    const view = (x: typeof e) => ({ id: x.id, tenantId: x.tenantId, url: x.url, events: x.events, disabled: x.disabledAt !== null });
    await recordAudit(app.db, operatorOf(req), {
      action: "webhook_endpoint.updated",
      entityType: "webhook_endpoint",
      entityId: e.id,
      before: view(e),
      after: view(updated),
    });
    res.json({ ...view(updated), createdAt: updated.createdAt.toISOString() } satisfies Answer<typeof AdminWebhookEndpointSchema>);
  });

  r.post("/webhook-deliveries/:id/replay", async (req, res) => {
    const { id: did } = parse(IdParam, req.params);
    const d = await app.db.webhookDelivery.findUnique({ where: { id: did }, include: { endpoint: { select: { disabledAt: true, deletedAt: true } } } });
    if (!d) throw new Problem(404, "Not found", "no such webhook delivery");
    if (d.endpoint.deletedAt) throw new Problem(409, "Endpoint deleted", "the delivery's webhook endpoint was deleted by the tenant");
    if (d.endpoint.disabledAt)
      throw new Problem(409, "Endpoint disabled", "the delivery's webhook endpoint is disabled; it must be re-enabled before a replay");
    await replayDelivery(app.db, d.id);
    await recordAudit(app.db, operatorOf(req), {
      action: "webhook_delivery.replayed",
      entityType: "webhook_delivery",
      entityId: d.id,
      before: { status: d.status, attemptCount: d.attemptCount },
      after: { status: "pending" },
    });
    app.onEnqueued?.();
    res.status(202).json({ id: d.id, status: "pending" } satisfies Answer<typeof ReplayQueuedSchema>);
  });

  return r;
}

// Tenant API: outbound webhook endpoints, deliveries and replay.
import express, { type Request, type Router } from "express";
import type { AppContext } from "../app/context.js";
import { decryptJson, encryptJson, newId } from "../domain/crypto.js";
import { endpointSecretsAad, replayDelivery } from "../webhooks/outbound/deliver.js";
import { generateWebhookSecret, type StoredSecret } from "../webhooks/outbound/signing.js";
import { checkWebhookUrl } from "../webhooks/outbound/url-guard.js";
import { Problem, fromZod } from "./problem.js";
import { CreateWebhookEndpointSchema, UpdateWebhookEndpointSchema } from "./schemas.js";
import type {
  Answer,
  DeliveryStatus,
  ReplayQueuedSchema,
  RotatedWebhookEndpointSchema,
  WebhookDeliveryListSchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "./resources.js";

/** how long the previous secret keeps signing after a rotation */
const ROTATION_OVERLAP_MS = 24 * 3600_000;

export function webhookEndpointRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  const view = (e: { id: string; url: string; events: string[]; disabledAt: Date | null; createdAt: Date }): Answer<typeof WebhookEndpointSchema> => ({
    id: e.id,
    url: e.url,
    events: e.events as Answer<typeof WebhookEndpointSchema>["events"],
    disabled: e.disabledAt !== null,
    createdAt: e.createdAt.toISOString(),
  });
  const findOwn = async (req: Request) => {
    const e = await app.db.webhookEndpoint.findFirst({ where: { id: String(req.params.id), tenantId: req.tenantId!, deletedAt: null } });
    if (!e) throw new Problem(404, "Not found", "no such webhook endpoint");
    return e;
  };

  // the same guard for a new endpoint and an edited one
  const guardUrl = (url: string) => guardWebhookUrl(app, url);

  r.post("/webhook-endpoints", async (req, res) => {
    const parsed = CreateWebhookEndpointSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    await guardUrl(parsed.data.url);
    const id = newId("we");
    const secret = generateWebhookSecret();
    const secrets: StoredSecret[] = [{ secret, createdAt: new Date().toISOString() }];
    const e = await app.db.webhookEndpoint.create({
      data: {
        id,
        tenantId: req.tenantId!,
        url: parsed.data.url,
        events: parsed.data.events ?? [],
        secretsEnc: encryptJson(app.env.keys, secrets, endpointSecretsAad(id)),
      },
    });
    res.status(201).json({ ...view(e), secret } satisfies Answer<typeof WebhookEndpointWithSecretSchema>);
  });

  r.get("/webhook-endpoints", async (req, res) => {
    const rows = await app.db.webhookEndpoint.findMany({ where: { tenantId: req.tenantId!, deletedAt: null }, orderBy: { createdAt: "asc" } });
    res.json({ data: rows.map(view) } satisfies Answer<typeof WebhookEndpointListSchema>);
  });

  // re-enabling clears what disabled it (also the gateway's own disabling after failing deliveries),
  // so the failing clock starts again; deliveries refused while disabled stay failed (replay them)
  r.patch("/webhook-endpoints/:id", async (req, res) => {
    const parsed = UpdateWebhookEndpointSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const e = await findOwn(req);
    res.json(view(await patchWebhookEndpoint(app, e, parsed.data)));
  });

  r.delete("/webhook-endpoints/:id", async (req, res) => {
    const e = await findOwn(req);
    await app.db.webhookEndpoint.update({ where: { id: e.id }, data: { deletedAt: new Date() } });
    res.status(204).end();
  });

  r.post("/webhook-endpoints/:id/rotate-secret", async (req, res) => {
    const e = await findOwn(req);
    const now = new Date();
    const old = decryptJson<StoredSecret[]>(app.env.keys, e.secretsEnc, endpointSecretsAad(e.id)).filter((s) => !s.expiresAt || new Date(s.expiresAt) > now);
    const until = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
    const secret = generateWebhookSecret();
    const secrets: StoredSecret[] = [...old.map((s) => ({ ...s, expiresAt: s.expiresAt ?? until })), { secret, createdAt: now.toISOString() }];
    await app.db.webhookEndpoint.update({ where: { id: e.id }, data: { secretsEnc: encryptJson(app.env.keys, secrets, endpointSecretsAad(e.id)) } });
    res.json({ ...view(e), secret, previousSecretsValidUntil: until } satisfies Answer<typeof RotatedWebhookEndpointSchema>);
  });

  r.get("/webhook-endpoints/:id/deliveries", async (req, res) => {
    const e = await findOwn(req);
    const rows = await app.db.webhookDelivery.findMany({
      where: { endpointId: e.id },
      orderBy: { createdAt: "desc" },
      take: 100,
      include: { attempts: { orderBy: { attemptNo: "asc" } }, event: { select: { type: true, verificationId: true } } },
    });
    res.json({
      data: rows.map((d) => ({
        id: d.id,
        eventId: d.eventId,
        eventType: d.event.type,
        verificationId: d.event.verificationId,
        status: d.status as DeliveryStatus,
        attemptCount: d.attemptCount,
        nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
        attempts: d.attempts.map((a) => ({
          attemptNo: a.attemptNo,
          httpStatus: a.httpStatus,
          error: a.error,
          latencyMs: a.latencyMs,
          at: a.createdAt.toISOString(),
        })),
      })),
    } satisfies Answer<typeof WebhookDeliveryListSchema>);
  });

  r.post("/webhook-deliveries/:id/replay", async (req, res) => {
    const d = await app.db.webhookDelivery.findFirst({ where: { id: String(req.params.id), endpoint: { tenantId: req.tenantId! } } });
    if (!d) throw new Problem(404, "Not found", "no such delivery");
    await replayDelivery(app.db, d.id);
    app.onEnqueued?.();
    res.status(202).json({ id: d.id, status: "pending" } satisfies Answer<typeof ReplayQueuedSchema>);
  });

  return r;
}

async function guardWebhookUrl(app: AppContext, url: string): Promise<void> {
  const check = await checkWebhookUrl(url, app.env.WEBHOOK_ALLOW_PRIVATE_URLS, undefined, { requireHttps: app.env.NODE_ENV === "production" });
  if (!check.ok) throw new Problem(422, "Webhook URL refused", `url ${check.problem}`, [{ path: "$.url", message: check.problem }]);
}

/**
 * An endpoint's edit, by its tenant (PATCH /v1/webhook-endpoints/:id) or by an operator (PATCH
 * /admin/webhook-endpoints/:id): the url passes the create guard; re-enabling also clears the failing streak that
 * disabled it.
 */
export async function patchWebhookEndpoint(
  app: AppContext,
  e: { id: string; disabledAt: Date | null },
  patch: { url?: string; events?: string[]; enabled?: boolean },
) {
  if (patch.url !== undefined) await guardWebhookUrl(app, patch.url);
  return app.db.webhookEndpoint.update({
    where: { id: e.id },
    data: {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.enabled === true ? { disabledAt: null, failingSince: null } : patch.enabled === false ? { disabledAt: e.disabledAt ?? new Date() } : {}),
    },
  });
}

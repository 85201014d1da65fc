// Inbound vendor webhooks over HTTP: the raw body as received, handed to src/webhooks/inbound.
import express, { type Router } from "express";
import type { AppContext } from "../app/context.js";
import type { RawWebhookRequest } from "../adapters/types.js";
import { adapterFor } from "../adapters/registry.js";
import { createAccountCache, receiveVendorWebhook } from "../webhooks/inbound/receive.js";
import { answerJson } from "./answer.js";
import { Problem } from "./problem.js";
import type { Answer, HookReceiptSchema } from "./resources.js";

export function hooksRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  const accounts = createAccountCache(app.db);
  const deps = { db: app.db, env: app.env, log: app.log, redis: app.queues.connection, prefix: app.queues.prefix };
  r.post("/:vendor/:accountId", express.raw({ type: () => true, limit: "5mb" }), async (req, res) => {
    const vendor = String(req.params.vendor);
    if (!adapterFor(vendor)) throw new Problem(404, "Not found", "unknown vendor");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k.toLowerCase()] = v;
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === "string") query[k] = v;
    const raw: RawWebhookRequest = {
      method: req.method,
      headers,
      query,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      receivedAt: new Date(),
    };
    const result = await receiveVendorWebhook(deps, accounts, vendor, String(req.params.accountId), raw);
    if (result.kind === "unknown_account") throw new Problem(404, "Not found", "unknown vendor account");
    if (result.kind === "unauthenticated") throw new Problem(401, "Unauthorized", "webhook authentication failed");
    if (result.kind === "stored") app.onEnqueued?.();
    const receipt: Answer<typeof HookReceiptSchema> = { received: true, id: result.id, ...(result.kind === "spooled" ? { spooled: true as const } : {}) };
    answerJson(res, 200, receipt);
  });
  return r;
}

// Inbound vendor webhooks: authenticate on the raw body, store the raw request
// first, answer 2xx quickly, and let the ingest worker parse it.
import express, { type Router } from "express";
import type { AppContext } from "../app/context.js";
import { adapterFor } from "../adapters/registry.js";
import type { RawWebhookRequest } from "../adapters/types.js";
import { toAdapterAccount } from "../core/accounts.js";
import { newId } from "../core/crypto.js";
import { VENDOR_IDS } from "../core/model.js";
import { enqueue } from "../workers/outbox.js";
import { Problem } from "./problem.js";

const NOT_STORED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

export function hooksRoutes(app: AppContext & { onEnqueued?: () => void }): Router {
  const r = express.Router();
  r.post("/:vendor/:accountId", express.raw({ type: () => true, limit: "5mb" }), async (req, res) => {
    const vendor = String(req.params.vendor);
    if (!(VENDOR_IDS as readonly string[]).includes(vendor)) throw new Problem(404, "Not found", "unknown vendor");
    const row = await app.db.vendorAccount.findUnique({ where: { id: String(req.params.accountId) } });
    const adapter = adapterFor(vendor);
    if (!row || row.vendor !== vendor || !adapter?.parseWebhook) throw new Problem(404, "Not found", "unknown vendor account");
    const account = toAdapterAccount(app.env.masterKey, app.env.PUBLIC_BASE_URL, row);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k.toLowerCase()] = v;
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const raw: RawWebhookRequest = { method: req.method, headers, query: req.query as Record<string, string>, rawBody, receivedAt: new Date() };
    if (adapter.authenticateWebhook && !adapter.authenticateWebhook(raw, account)) {
      req.log?.warn({ vendor, vendorAccountId: account.id }, "vendor webhook refused: authentication failed");
      throw new Problem(401, "Unauthorized", "webhook authentication failed");
    }
    const id = newId("iwh");
    const storedHeaders = Object.fromEntries(Object.entries(headers).filter(([k]) => !NOT_STORED_HEADERS.has(k)));
    await app.db.$transaction(async (tx) => {
      await tx.inboundWebhook.create({ data: { id, vendor, vendorAccountId: account.id, headers: storedHeaders, rawBody: new Uint8Array(rawBody), status: "received", receivedAt: raw.receivedAt } });
      await enqueue(tx, "ingest", `ingest-${id}`, { inboundWebhookId: id });
    });
    app.onEnqueued?.();
    res.status(200).json({ received: true, id });
  });
  return r;
}

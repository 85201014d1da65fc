// The express app: tenant, admin, hooks and docs routes; problem+json errors.
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import { pinoHttp } from "pino-http";
import type { AppContext } from "../app/context.js";
import { registry } from "../observability/metrics.js";
import { adminAuth, adminRoutes } from "./admin-routes.js";
import { hooksRoutes } from "./hooks-routes.js";
import { buildOpenApi, DOCS_HTML } from "./openapi.js";
import { Problem, problemHandler } from "./problem.js";
import { tenantAuth } from "./tenant-auth.js";
import { tenantRateLimit } from "./rate-limit.js";
import { verificationRoutes } from "./verification-routes.js";
import { webhookEndpointRoutes } from "./webhook-endpoint-routes.js";
import { deriveKey } from "../domain/crypto.js";
import { toAdapterAccount } from "../core/accounts.js";
import { ADAPTERS, VENDOR_IDS } from "../adapters/registry.js";
import { isAccountConfigError } from "../domain/errors.js";
import { adminConsoleRouter, adminOpsRoutes } from "./console/index.js";
import { allowedOriginsRoutes } from "./allowed-origins-routes.js";
import { redisAccountSlots } from "../core/account-slots.js";
import { redisAccountRate } from "../core/account-rate.js";
import { vendorRouteHttp } from "../core/vendor-http.js";

export function createApp(app: AppContext & { onEnqueued?: () => void }): Express {
  const e = express();
  e.disable("x-powered-by");
  e.set("trust proxy", true);
  e.use(
    pinoHttp({
      logger: app.log,
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      // only method, path (no query) and status: bodies and headers carry personal data and secrets
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split("?")[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/metrics" },
    }),
  );

  e.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  e.get("/readyz", async (_req, res) => {
    const [pg, redis] = await Promise.all([
      app.db.$queryRaw`SELECT 1`.then(() => "ok", (err: Error) => `down: ${err.message.slice(0, 80)}`),
      app.queues.connection.ping().then(() => "ok", (err: Error) => `down: ${err.message.slice(0, 80)}`),
    ]);
    // accepting needs Postgres only (the outbox holds the jobs while Redis is away): Redis is reported, not required
    const ok = pg === "ok";
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not_ready", postgres: pg, redis });
  });
  e.get("/metrics", async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  const openapi = buildOpenApi(app.env.PUBLIC_BASE_URL);
  e.get("/openapi.json", (_req, res) => void res.json(openapi));
  e.get("/docs", (_req, res) => void res.type("html").send(DOCS_HTML));

  e.use("/hooks", hooksRoutes(app));
  // the vendors' own routes (the IDENTY SDK proxy), before any body parser: they read raw bodies
  const shared = { slots: redisAccountSlots(app.queues.connection, app.queues.prefix), rate: redisAccountRate(app.queues.connection, app.queues.prefix) };
  for (const vendor of VENDOR_IDS) {
    for (const route of ADAPTERS[vendor].routes ?? []) {
      e.use(
        route.path,
        route.router({
          key: deriveKey(app.env.masterKey, route.keyPurpose),
          resolveAccount: async (accountId: string) => {
            const row = await app.db.vendorAccount.findUnique({ where: { id: accountId }, include: { tenant: { select: { allowedOrigins: true } } } });
            if (!row || row.vendor !== vendor) return null;
            const { tenant, ...account } = row;
            try {
              return { ...toAdapterAccount(app.env.masterKey, app.env.PUBLIC_BASE_URL, account), allowedOrigins: tenant.allowedOrigins };
            } catch (err) {
              if (isAccountConfigError(err)) return null;
              throw err;
            }
          },
          production: app.env.NODE_ENV === "production",
          // the browser's calls count in the account's limits shared with the workers
          httpFor: vendorRouteHttp(vendor, route.name, shared),
        }),
      );
    }
  }

  const json = express.json({ limit: app.env.MAX_BODY_BYTES, type: ["application/json", "application/*+json"] });
  // authentication first: nobody makes the server parse a body (up to MAX_BODY_BYTES) without a valid key
  e.use("/v1", tenantAuth(app.db), tenantRateLimit(app.queues.connection, app.queues.prefix, app.env.RATE_LIMIT_PER_KEY_PER_SECOND), json, verificationRoutes(app), webhookEndpointRoutes(app));
  e.use("/admin", adminConsoleRouter(app));
  e.use("/admin", adminAuth(app.env.ADMIN_TOKEN), json, adminRoutes(app), adminOpsRoutes(app), allowedOriginsRoutes(app));
  e.use((_req, _res, next) => next(new Problem(404, "Not found", "no such route")));
  e.use(problemHandler);
  return e;
}

// The express app: tenant, admin, hooks and docs routes; problem+json errors.
import express, { type Express } from "express";
import type { AppContext } from "../app/context.js";
import { registry } from "../observability/metrics.js";
import { adminRoutes } from "./admin-routes.js";
import { adminAuth } from "./admin-auth.js";
import { operatorRoutes } from "./operator-routes.js";
import { tenantSettingsRoutes } from "./tenant-settings-routes.js";
import { hooksRoutes } from "./hooks-routes.js";
import { buildOpenApi, DOCS_HTML } from "./openapi.js";
import { guardParsedBody, guardRequestLine } from "./input-guard.js";
import { Problem, problemHandler } from "./problem.js";
import { tenantAuth } from "./tenant-auth.js";
import { ipRateLimit, tenantRateLimit } from "./rate-limit.js";
import { verificationRoutes } from "./verification-routes.js";
import { webhookEndpointRoutes } from "./webhook-endpoint-routes.js";
import { bearerMatches, deriveKey } from "../domain/crypto.js";
import { toAdapterAccount } from "../core/accounts.js";
import { ADAPTERS, VENDOR_IDS } from "../adapters/registry.js";
import { isAccountConfigError } from "../domain/errors.js";
import { adminConsoleRouter, adminOpsRoutes } from "./console/index.js";
import { allowedOriginsRoutes } from "./allowed-origins-routes.js";
import { opsReportRoutes } from "./ops-report-routes.js";
import { redisAccountSlots } from "../core/account-slots.js";
import { redisAccountRate } from "../core/account-rate.js";
import { vendorRouteHttp } from "../core/vendor-http.js";
import { requestContext } from "./request-context.js";
import { basicAuthAsBearer, queuesBoard } from "./queues-board.js";

export function createApp(app: AppContext & { onEnqueued?: () => void }): Express {
  const e = express();
  e.disable("x-powered-by");
  // no answer of this gateway is to be content-sniffed (a stored file, an error page, a JSON body)
  e.use((_req, res, next) => (res.setHeader("X-Content-Type-Options", "nosniff"), next()));
  e.set("trust proxy", app.env.TRUST_PROXY);
  // the request's id, span and access line; the rest of the request (and every job, vendor call and webhook it
  // causes) runs under its id and span
  e.use(requestContext(app.log));

  // NUL, lone surrogates and bad percent-encoding in the path, the query or Idempotency-Key: 400 before any route
  e.use(guardRequestLine);
  // the server leaves this check to the app (src/api/server.ts) so that the refusal is a problem too
  e.use((req, _res, next) =>
    req.httpVersion === "1.1" && !req.headers.host
      ? next(new Problem(400, "Invalid request", "HTTP/1.1 requests need a Host header", [{ path: "header:Host", message: "required" }]))
      : next(),
  );

  e.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  e.get("/readyz", async (_req, res) => {
    const [pg, redis] = await Promise.all([
      app.db.$queryRaw`SELECT 1`.then(
        () => "ok",
        (err: Error) => `down: ${err.message.slice(0, 80)}`,
      ),
      app.queues.connection.ping().then(
        () => "ok",
        (err: Error) => `down: ${err.message.slice(0, 80)}`,
      ),
    ]);
    // accepting needs Postgres only (the outbox holds the jobs while Redis is away): Redis is reported, not required
    const ok = pg === "ok";
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not_ready", postgres: pg, redis });
  });
  e.get("/metrics", async (req, res) => {
    // queue depths, vendor error rates and tenant volumes are for operations only: behind METRICS_TOKEN when it is set
    if (app.env.METRICS_TOKEN && !bearerMatches(req.headers.authorization, app.env.METRICS_TOKEN)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      throw new Problem(401, "Unauthorized", "send Authorization: Bearer $METRICS_TOKEN");
    }
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
              return { ...toAdapterAccount(app.env.keys, app.env.PUBLIC_BASE_URL, account), allowedOrigins: tenant.allowedOrigins };
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
  // authentication first: nobody makes the server parse a body (up to MAX_BODY_BYTES) without a valid key;
  // the per-IP limit before it, so failed authentications are bounded too
  const perIp = ipRateLimit(app.queues.counters, app.queues.prefix, app.env.RATE_LIMIT_PER_IP_PER_SECOND);
  e.use(
    "/v1",
    perIp,
    tenantAuth(app.db, { withRouting: (req) => req.method === "POST" && req.path === "/verifications" }),
    tenantRateLimit(app.queues.counters, app.queues.prefix, app.env.RATE_LIMIT_PER_KEY_PER_SECOND),
    json,
    guardParsedBody,
    verificationRoutes(app),
    webhookEndpointRoutes(app),
  );
  e.use("/admin", adminConsoleRouter(app));
  // bull-board: the queues and their jobs, for operators (job data holds ids only, never personal data)
  const basic = basicAuthAsBearer();
  e.use("/admin/bull-board", perIp, basic.before, adminAuth(app.db, app.env.ADMIN_TOKEN), queuesBoard(app, "/admin/bull-board"), basic.challenge);
  e.use(
    "/admin",
    perIp,
    adminAuth(app.db, app.env.ADMIN_TOKEN),
    json,
    guardParsedBody,
    adminRoutes(app),
    adminOpsRoutes(app),
    allowedOriginsRoutes(app),
    operatorRoutes(app),
    tenantSettingsRoutes(app),
    opsReportRoutes(app),
  );
  e.use((_req, _res, next) => next(new Problem(404, "Not found", "no such route")));
  e.use(problemHandler);
  return e;
}

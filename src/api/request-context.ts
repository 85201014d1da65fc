// Each API request runs under its request id (X-Request-Id when it is a plain token, else a fresh one) and in a
// server span, so what it writes (outbox rows, vendor call rows, webhook events) carries both; one access line is
// logged when it ends. The span is named by the route pattern (`POST /v1/verifications/:id/cancel`), never the raw
// path.
//
// This was pino-http (issue 13): its per-request child logger (bindings serialized and redacted at every request)
// and its listeners were 9 % of a vendor webhook's CPU. The line it wrote is kept as it was: `req` (id, method, the
// path without its query), `res` (status), `responseTime`, "request completed", or "request errored" at error level
// for a 5xx. Its fields are fixed and never personal (pathForLog), so it is written by a child logger without the
// redaction walk; a request's own lines (`req.log`, the problem handler's) keep the redacting logger.
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from "@opentelemetry/semantic-conventions";
import { SpanStatusCode } from "@opentelemetry/api";
import { runInContext, SpanKind, startSpan } from "../observability/tracing.js";
import { newRequestId, REQUEST_ID_PATTERN, runWithRequestId } from "../observability/work-context.js";
import { pathForLog } from "../observability/logger.js";

declare module "express-serve-static-core" {
  interface Request {
    /** the request's id: X-Request-Id when it is a plain token, else a fresh one (answered as X-Request-Id) */
    id: string;
    /** the request's logger: its lines name the request */
    log: Logger;
  }
}

/** The route pattern that answered, or null when none matched (a 404). */
function routeOf(req: Request): string | null {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === "string" ? `${req.baseUrl}${path}` : null;
}

/** Paths whose requests are not logged (probes and scrapes, several a second). */
const NOT_LOGGED = new Set(["/healthz", "/metrics"]);

export function requestContext(log: Logger): RequestHandler {
  const access = log.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : newRequestId();
    req.id = requestId;
    res.setHeader("X-Request-Id", requestId);
    const startedAt = Date.now();
    const line = () => ({ id: requestId, method: req.method, path: pathForLog(req.originalUrl) });
    let own: Logger | undefined;
    // made when a line of the request's own is written (an error's): most requests write none
    Object.defineProperty(req, "log", { configurable: true, enumerable: false, get: () => (own ??= log.child({ req: line() })) });
    const { span, context } = startSpan(req.method, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, "kyc.request_id": requestId },
    });
    const logged = !NOT_LOGGED.has(req.url);
    const ended = (finished: boolean) => {
      res.removeListener("finish", onFinish);
      res.removeListener("close", onClose);
      if (finished) {
        const route = routeOf(req);
        span.updateName(`${req.method} ${route ?? "unmatched route"}`);
        if (route) span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (req.tenantId) span.setAttribute("kyc.tenant_id", req.tenantId);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      // the client may have gone away before the answer: the span still ends, and the line is still written
      span.end();
      if (logged) accessLine(access, res, line(), Date.now() - startedAt);
    };
    const onFinish = () => ended(true);
    const onClose = () => ended(res.writableFinished);
    res.once("finish", onFinish);
    res.once("close", onClose);
    runWithRequestId(requestId, () => runInContext(context, next));
  };
}

function accessLine(access: Logger, res: Response, req: { id: string; method: string; path: string }, responseTime: number): void {
  const fields = { req, res: { statusCode: res.statusCode }, responseTime };
  if (res.statusCode >= 500) access.error(fields, "request errored");
  else access.info(fields, "request completed");
}

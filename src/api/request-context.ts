// Each API request runs under its request id (pino-http's, from X-Request-Id or a fresh one) and
// in a server span, so what it writes (outbox rows, vendor call rows, webhook events) carries both.
// The span is named by the route pattern (`POST /v1/verifications/:id/cancel`), never the raw path.
import type { Request, RequestHandler } from "express";
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from "@opentelemetry/semantic-conventions";
import { SpanStatusCode } from "@opentelemetry/api";
import { runInContext, SpanKind, startSpan } from "../observability/tracing.js";
import { runWithRequestId } from "../observability/work-context.js";

/** The route pattern that answered, or null when none matched (a 404). */
function routeOf(req: Request): string | null {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === "string" ? `${req.baseUrl}${path}` : null;
}

export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const requestId = String(req.id);
    const { span, context } = startSpan(req.method, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, "kyc.request_id": requestId },
    });
    res.once("finish", () => {
      const route = routeOf(req);
      span.updateName(`${req.method} ${route ?? "unmatched route"}`);
      if (route) span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (req.tenantId) span.setAttribute("kyc.tenant_id", req.tenantId);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    res.once("close", () => {
      // the client went away before the answer: the span still ends
      if (!res.writableFinished) span.end();
    });
    runWithRequestId(requestId, () => runInContext(context, next));
  };
}

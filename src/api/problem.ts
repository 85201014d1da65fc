// RFC 9457 problem details: the one place errors become HTTP responses.
import { errorForLog } from "../observability/logger.js";
import type { NextFunction, Request, Response } from "express";
import type { ZodError } from "zod";
import { isVendorError } from "../domain/errors.js";
import { isDatabaseUnavailable } from "../db/errors.js";

/** seconds a client should wait before retrying a request refused because the database is unavailable */
export const DATABASE_RETRY_AFTER_S = 5;

export interface FieldError {
  /** JSON path of the bad field, e.g. "$.document.images[0].data" */
  path: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly type = `https://kyc-gateway.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
  ) {
    super(detail ?? title);
  }
}

export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${String(p)}`), "$");
}

export function fromZod(error: ZodError, prefix: readonly PropertyKey[] = []): Problem {
  const errors = error.issues.map((i) => ({ path: jsonPath([...prefix, ...i.path]), message: i.message }));
  return new Problem(400, "Invalid request", errors.map((e) => `${e.path}: ${e.message}`).join("; "), errors);
}

/** The RFC 9457 document of a problem. */
export function problemJson(p: Problem): string {
  return JSON.stringify({ type: p.type, title: p.title, status: p.status, detail: p.detail, ...(p.errors ? { errors: p.errors } : {}) });
}

export function sendProblem(res: Response, p: Problem): void {
  res.status(p.status).type("application/problem+json").send(problemJson(p));
}

export function problemHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) return;
  if (err instanceof Problem) return sendProblem(res, err);
  const e = err as { type?: string; status?: number; statusCode?: number; code?: unknown };
  // body-parser errors (multipart errors are mapped where the parser runs, src/api/uploads.ts)
  if (e.type === "entity.too.large")
    return sendProblem(res, new Problem(413, "Payload too large", "the request body is larger than allowed", [{ path: "$", message: "too large" }]));
  if (e.type === "entity.parse.failed")
    return sendProblem(res, new Problem(400, "Malformed JSON", "the body is not valid JSON", [{ path: "$", message: "not valid JSON" }]));
  if (e.type === "encoding.unsupported" || e.type === "charset.unsupported") return sendProblem(res, new Problem(415, "Unsupported encoding"));
  if (isDatabaseUnavailable(err)) {
    // nothing was written: every write is one transaction, so the request can be repeated as is
    req.log?.warn({ err: errorForLog(err) }, "database unavailable");
    res.setHeader("Retry-After", String(DATABASE_RETRY_AFTER_S));
    return sendProblem(
      res,
      new Problem(503, "Service unavailable", "the database is not reachable right now; retry after the Retry-After delay (nothing was stored)"),
    );
  }
  if (isVendorError(err)) return sendProblem(res, new Problem(err.kind === "parse" ? 400 : 502, "Vendor error", err.message));
  const status = e.status ?? e.statusCode;
  // zlib's errors (Z_DATA_ERROR, ...): a body that is not what its Content-Encoding says
  if (status === 400 && typeof e.code === "string" && e.code.startsWith("Z_"))
    return sendProblem(
      res,
      new Problem(400, "Invalid body encoding", "the body is not encoded as its Content-Encoding says", [
        { path: "header:Content-Encoding", message: "does not match the body" },
      ]),
    );
  // what else the body parsers refuse with a 4xx (an aborted or short body): the body as a whole
  if (status && status >= 400 && status < 500)
    return sendProblem(res, new Problem(status, "Bad request", "the request body could not be read", [{ path: "$", message: "could not be read" }]));
  req.log?.error({ err: errorForLog(err) }, "unhandled error");
  sendProblem(res, new Problem(500, "Internal error", "an unexpected error occurred; it has been logged"));
}

// bull-board over the gateway's BullMQ queues, for operators: read-only (Postgres owns the work, and
// the outbox and the sweeper put jobs back by themselves; replays go through the console's
// endpoints). Job data holds ids and the request context only, never personal data.
// Mounted behind the admin auth. A browser cannot add a Bearer header to a page it navigates to,
// so the board also takes the operator token as the password of HTTP Basic auth (the browser asks
// once and sends it with the board's own requests).
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { type RequestHandler, type Router } from "express";
import type { AppContext } from "../app/context.js";
import { QUEUE_NAMES } from "../core/jobs.js";
import { Problem } from "./problem.js";

export function queuesBoard(app: AppContext, basePath: string): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(app.queues.byName[name], { readOnlyMode: true })),
    // @bull-board/express 9.10.1 carries its own copy of @bull-board/api (9.10.1, beside the project's 9.10.2):
    // the same interface under two declarations
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    options: { uiConfig: { boardTitle: "KYC gateway queues" } },
  });
  const r = express.Router();
  // read-only, and so never a target for a cross-site request carrying the browser's Basic credentials
  r.use((req, _res, next) =>
    req.method === "GET" || req.method === "HEAD" ? next() : next(new Problem(405, "Method not allowed", "the queue board is read-only")),
  );
  r.use(serverAdapter.getRouter() as Router);
  return r;
}

/**
 * `Authorization: Basic base64(any-user:token)` read as `Bearer token` for the admin auth that follows,
 * and a 401 from it answered with the Basic challenge, so a browser asks for the token.
 */
export function basicAuthAsBearer(realm = "KYC gateway operators"): { before: RequestHandler; challenge: express.ErrorRequestHandler } {
  return {
    before(req, _res, next) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? "");
      if (m) {
        const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
        const token = decoded.slice(decoded.indexOf(":") + 1);
        if (token) req.headers.authorization = `Bearer ${token}`;
      }
      next();
    },
    challenge(err, _req, res, next) {
      if ((err as { status?: number }).status === 401) res.setHeader("WWW-Authenticate", `Basic realm="${realm}", charset="UTF-8"`);
      next(err);
    },
  };
}

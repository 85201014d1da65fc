// Authentication of the admin API and the console's API: ADMIN_TOKEN (the bootstrap admin) or a
// named operator's token, read from Postgres on every request so a revocation holds at once in
// every process. viewer operators may only read (GET/HEAD).
import type { NextFunction, Request, Response } from "express";
import type { Db } from "../db/client.js";
import type { Actor } from "../core/audit.js";
import { actorOfToken } from "../core/operators.js";
import { Problem } from "./problem.js";

declare module "express-serve-static-core" {
  interface Request {
    /** the operator behind an admin request (set by adminAuth): who the audit log names */
    operator?: Actor;
  }
}

const READ_METHODS = new Set(["GET", "HEAD"]);

export function adminAuth(db: Db, bootstrapToken: string) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const actor = m ? await actorOfToken(db, bootstrapToken, m[1]!) : null;
    if (!actor) return next(new Problem(401, "Unauthorized", "send Authorization: Bearer <ADMIN_TOKEN or an operator token>"));
    if (actor.role === "viewer" && !READ_METHODS.has(req.method))
      return next(new Problem(403, "Forbidden", `operator ${actor.name} has the viewer role: read only`));
    req.operator = actor;
    next();
  };
}

/** The operator of a request that passed adminAuth. */
export function operatorOf(req: Request): Actor {
  if (!req.operator) throw new Problem(401, "Unauthorized", "not signed in");
  return req.operator;
}

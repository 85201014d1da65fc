// Admin: named operators and who is signed in.
//   POST   /admin/operators {name, role}  -> 201 {id, name, role, token}  (the token is shown this once)
//   GET    /admin/operators               -> {data: [...]}  (never a token)
//   DELETE /admin/operators/:id           -> 204  (the token stops working at once in every process)
//   GET    /admin/whoami                  -> {id, name, role}  (what the console shows)
// Operators are managed with the bootstrap ADMIN_TOKEN only: a leaked operator token cannot mint
// others that would outlive its revocation.
import express, { type Request, type Router } from "express";
import type { AppContext } from "../app/context.js";
import { BOOTSTRAP_ACTOR } from "../core/audit.js";
import { CreateOperatorSchema, createOperator, listOperators, revokeOperator } from "../core/operators.js";
import { operatorOf } from "./admin-auth.js";
import { Problem, fromZod } from "./problem.js";

function bootstrapOnly(req: Request) {
  const actor = operatorOf(req);
  if (actor.id !== BOOTSTRAP_ACTOR.id) throw new Problem(403, "Forbidden", "operators are created and revoked with the bootstrap ADMIN_TOKEN only");
  return actor;
}

export function operatorRoutes(app: AppContext): Router {
  const r = express.Router();

  r.get("/whoami", (req, res) => {
    const { id, name, role } = operatorOf(req);
    res.json({ id, name, role, bootstrap: id === BOOTSTRAP_ACTOR.id });
  });

  r.get("/operators", async (_req, res) => {
    res.json({ data: await listOperators(app.db) });
  });

  r.post("/operators", async (req, res) => {
    const by = bootstrapOnly(req);
    const p = CreateOperatorSchema.safeParse(req.body ?? {});
    if (!p.success) throw fromZod(p.error);
    const created = await createOperator(app.db, by, p.data);
    res.status(201).json({ id: created.id, name: created.name, role: created.role, token: created.token, createdAt: created.createdAt });
  });

  r.delete("/operators/:id", async (req, res) => {
    const by = bootstrapOnly(req);
    if (!(await revokeOperator(app.db, by, String(req.params.id)))) throw new Problem(404, "Not found", "no such operator");
    res.status(204).end();
  });

  return r;
}

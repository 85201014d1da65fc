// The operations web console at /admin (filled in by the console work).
import express, { type Router } from "express";
import type { AppContext } from "../../app/context.js";

/** Serves the console's page and assets (no auth: the page asks for the admin token). */
export function adminConsoleRouter(_app: AppContext): Router {
  const r = express.Router();
  return r;
}

/** Extra admin API endpoints the console needs, mounted behind the admin token. */
export function adminOpsRoutes(_app: AppContext): Router {
  const r = express.Router();
  return r;
}

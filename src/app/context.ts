// Everything a process needs, built once and passed down (no module-level singletons
// besides metrics), so tests can build as many gateways as they like.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import type { Queues } from "../core/queues.js";

export interface AppContext {
  env: Env;
  db: Db;
  log: Logger;
  queues: Queues;
}

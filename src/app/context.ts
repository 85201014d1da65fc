// Everything a process needs, built once and passed down (no module-level singletons
// besides metrics), so tests can build as many gateways as they like.
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import type { Queues } from "../core/queues.js";
import type { JobPublisher } from "../core/publish.js";

export interface AppContext {
  env: Env;
  db: Db;
  log: Logger;
  queues: Queues;
  /** publishes the jobs this process writes on the hot path itself, after their commit (src/core/publish.ts) */
  publisher?: JobPublisher;
}

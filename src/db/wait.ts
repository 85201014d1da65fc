// A process started while Postgres is down waits for it (bounded exponential backoff, each
// attempt logged) instead of exiting: in a deployment the database often comes up after us.
import type { Logger } from "pino";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { errorForLog } from "../observability/logger.js";
import { isDatabaseUnavailable } from "./errors.js";
import { ensureDatabase, migrate, pendingMigrations, type MigrationResult } from "./migrate.js";

export interface WaitOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** give up after this long (0 = never) */
  giveUpAfterMs?: number;
}

/** ensureDatabase + migrate, retried while the database is unreachable. */
export async function migrateWhenReachable(databaseUrl: string, log: Logger, opts: WaitOptions = {}): Promise<MigrationResult> {
  const started = Date.now();
  const policy = retry(
    handleWhen((e) => isDatabaseUnavailable(e) && (!opts.giveUpAfterMs || Date.now() - started < opts.giveUpAfterMs)),
    {
      maxAttempts: Number.MAX_SAFE_INTEGER,
      backoff: new ExponentialBackoff({ initialDelay: opts.initialDelayMs ?? 500, maxDelay: opts.maxDelayMs ?? 10_000 }),
    },
  );
  policy.onRetry(({ delay, attempt }) => log.warn({ attempt, retryInMs: Math.round(delay) }, "Postgres not reachable yet: waiting before migrating"));
  policy.onFailure(({ reason }) => {
    if ("error" in reason && isDatabaseUnavailable(reason.error)) log.debug({ err: errorForLog(reason.error) }, "Postgres connection attempt failed");
  });
  return policy.execute(async () => {
    await ensureDatabase(databaseUrl).catch((e: unknown) => {
      if (isDatabaseUnavailable(e)) throw e;
      // not allowed to create databases: the migration below says whether it exists
    });
    return migrate(databaseUrl);
  });
}

/**
 * For a process that does not migrate (MIGRATE_ON_START=false: a one-shot migrate job does):
 * waits, with the same backoff, until Postgres answers and every migration it ships is applied.
 */
export async function waitForMigrations(databaseUrl: string, log: Logger, opts: WaitOptions = {}): Promise<void> {
  const started = Date.now();
  let delay = opts.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    let waitingFor: string;
    try {
      const pending = await pendingMigrations(databaseUrl);
      if (!pending.length) return;
      waitingFor = `migrations not applied yet: ${pending.join(", ")}`;
    } catch (e) {
      // 3D000: the database itself is not created yet (the migrate job creates it)
      const notCreated = (e as { code?: unknown }).code === "3D000";
      if (!notCreated && !isDatabaseUnavailable(e)) throw e;
      waitingFor = notCreated ? "database not created yet" : "Postgres not reachable yet";
    }
    if (opts.giveUpAfterMs && Date.now() - started >= opts.giveUpAfterMs) throw new Error(`gave up waiting: ${waitingFor}`);
    log.warn({ attempt, retryInMs: delay }, `${waitingFor}: waiting (the migrate job applies them)`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 10_000);
  }
}

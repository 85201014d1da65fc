// MIGRATE_ON_START=false (compose, Kubernetes: a one-shot migrate job migrates): a process
// waits while its database does not exist yet or lacks a migration, and starts once the job ran.
import { afterAll, describe, expect, it } from "vitest";
import pino from "pino";
import { ensureDatabase, listMigrations, migrate, pendingMigrations } from "../../src/db/migrate.js";
import { waitForMigrations } from "../../src/db/wait.js";
import { databaseUrlNamed, dropDatabase } from "../support/gateway.js";

const url = databaseUrlNamed(`kyc_test_wait_migrations_${Date.now()}`);
afterAll(() => dropDatabase(url));

describe("waiting for the migrate job", () => {
  it("waits through a missing database and pending migrations, then returns", async () => {
    const warnings: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    let done = false;
    const waiting = waitForMigrations(url, log, { initialDelayMs: 50, maxDelayMs: 100 }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(warnings.some((w) => /database not created yet/.test(w))).toBe(true);
    await ensureDatabase(url);
    expect(await pendingMigrations(url)).toEqual(listMigrations().map((m) => m.name));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(warnings.some((w) => /migrations not applied yet/.test(w))).toBe(true);
    await migrate(url);
    await waiting;
    expect(await pendingMigrations(url)).toEqual([]);
  });

  it("gives up when told to", async () => {
    await expect(
      waitForMigrations(databaseUrlNamed("kyc_never_created"), pino({ level: "silent" }), { initialDelayMs: 20, giveUpAfterMs: 100 }),
    ).rejects.toThrow(/gave up waiting/);
  });
});

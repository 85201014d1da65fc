// `npm run rekey` (in the image: `node dist/rekey-cli.js`): every ciphertext sealed again under
// the current MASTER_KEY, plaintext from before encryption at rest sealed (src/core/rekey.ts).
// Rotation: old key to MASTER_KEY_PREVIOUS, new key to MASTER_KEY, restart, run this, drop the old key.
// Safe to stop and run again; exits 1 when a row is under a key that is not configured.
import { loadProcessEnv } from "./config/env.js";
import { createDb } from "./db/client.js";
import { masterKeyId } from "./domain/crypto.js";
import { rekey } from "./core/rekey.js";

const env = loadProcessEnv();
const db = createDb(env.DATABASE_URL, { max: 2, statementTimeoutMs: 60_000 });
console.log(`rekey: current key ${masterKeyId(env.keys.current)}; previous ${env.keys.previous.map(masterKeyId).join(", ") || "none"}`);
try {
  const report = await rekey({ db, keys: env.keys }, { onBatch: (table, c) => console.log(`  ${table}: ${c.scanned} read, ${c.rekeyed} re-encrypted so far`) });
  let unreadable = 0;
  for (const [table, c] of Object.entries(report)) {
    console.log(
      `${table.padEnd(24)} ${String(c.scanned).padStart(8)} rows  ${String(c.rekeyed).padStart(8)} re-encrypted${c.unreadable ? `  ${c.unreadable} under a key not configured` : ""}`,
    );
    unreadable += c.unreadable;
  }
  if (unreadable) {
    console.error(`rekey: ${unreadable} rows are under a key that is neither MASTER_KEY nor in MASTER_KEY_PREVIOUS; add it and run again`);
    process.exitCode = 1;
  }
} finally {
  await db.$disconnect();
}

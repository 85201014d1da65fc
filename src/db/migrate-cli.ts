import { ensureDatabase, migrate } from "./migrate.js";

const url = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/kyc_gateway";
await ensureDatabase(url);
const r = await migrate(url);
console.log(`migrations: ${r.applied.length} applied (${r.applied.join(", ") || "none"}), ${r.alreadyApplied.length} already applied`);

// The import rule of the gateway (issue 9): layers only look down, no circles.
//
//   entry points   api/, workers/, app/ (the composition root), main.ts
//        ↓
//   webhooks/      inbound (receive, authenticate, spool) and outbound (sign, deliver)
//        ↓
//   core/          verification service, routing, policy, outbox writer, vendor runtime (HTTP, limits, context)
//        ↓
//   adapters/      pure vendor translation; their only I/O is the HTTP client the core injects
//        ↓
//   domain/        the result schema, vocabulary, error values and pure helpers every layer shares
//        ↓
//   config/, db/, observability/
//
// Skipping layers downwards is allowed (an entry point may read the domain). sandbox/ (the vendor simulators) is
// a separate program: it is written from the vendor files, so it never imports an adapter, and nothing but main.ts
// starts it. The demo tenant whose accounts point at it (app/demo-seed.ts) is the composition root's. `npm test` runs this rule (test/unit/architecture.test.ts).
const layer = (...names) => `^src/(${names.join("|")})/`;
const ENTRY = ["api", "workers", "app"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "a circle between modules", from: { path: "^src/" }, to: { circular: true } },
    {
      name: "foundation-looks-down",
      severity: "error",
      comment: "config, db and observability are the bottom layer",
      from: { path: layer("config", "db", "observability") },
      to: { path: [layer("domain", "adapters", "core", "webhooks", ...ENTRY, "sandbox"), "^src/main\\.ts$"] },
    },
    {
      name: "domain-looks-down",
      severity: "error",
      from: { path: layer("domain") },
      to: { path: [layer("adapters", "core", "webhooks", ...ENTRY, "sandbox"), "^src/main\\.ts$"] },
    },
    {
      name: "adapters-look-down",
      severity: "error",
      comment: "an adapter translates; the core's runtime (HTTP, limits, storage) is injected into it",
      from: { path: layer("adapters") },
      to: { path: [layer("core", "webhooks", ...ENTRY, "sandbox"), "^src/main\\.ts$"] },
    },
    {
      name: "adapters-no-io",
      severity: "error",
      comment: "no database, queue or Redis client in an adapter",
      from: { path: layer("adapters") },
      to: { path: ["^src/db/", "^node_modules/(ioredis|bullmq|pg|@prisma)/"] },
    },
    {
      name: "core-looks-down",
      severity: "error",
      from: { path: layer("core") },
      to: { path: [layer("webhooks", ...ENTRY, "sandbox"), "^src/main\\.ts$"] },
    },
    {
      name: "webhooks-look-down",
      severity: "error",
      from: { path: layer("webhooks") },
      to: { path: [layer(...ENTRY, "sandbox"), "^src/main\\.ts$"] },
    },
    {
      name: "entry-points-apart",
      severity: "error",
      comment: "the API and the workers are separate processes: what both need lives in core",
      from: { path: layer("api") },
      to: { path: layer("workers") },
    },
    {
      name: "workers-not-api",
      severity: "error",
      from: { path: layer("workers") },
      to: { path: layer("api") },
    },
    {
      name: "simulators-from-the-file",
      severity: "error",
      comment: "a simulator is written from the vendor's documentation, not from the adapter",
      from: { path: "^src/sandbox/" },
      to: { path: layer("adapters") },
    },
    {
      name: "sandbox-started-by-main-only",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/sandbox/", "^src/main\\.ts$"] },
      to: { path: "^src/sandbox/" },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API, so the TypeScript sources are parsed with swc
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/generated/" },
  },
};

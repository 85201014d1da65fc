// One zod schema for the environment: parsed once, failing fast with every bad variable listed.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, "a duration like 500ms, 5s, 5m, 2h or 1d");

export function parseDuration(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
  return n * unit;
}

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    DATABASE_URL: z.string().url().default("postgresql://postgres@127.0.0.1:5432/kyc_gateway"),
    REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
    // BullMQ key prefix: several gateways may share one Redis with different prefixes
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,32}$/)
      .default("kyc"),
    ADMIN_TOKEN: z.string().min(16, "at least 16 characters"),
    MASTER_KEY: z.string().refine((v) => decodeKey(v) !== null, "32 bytes as 64 hex characters or base64 (openssl rand -base64 32)"),
    // keys MASTER_KEY replaced, comma-separated: they still decrypt what they wrote until `npm run rekey` has re-encrypted it
    MASTER_KEY_PREVIOUS: z
      .string()
      .default("")
      .refine((v) => previousKeys(v).every((k) => decodeKey(k) !== null), "comma-separated keys, each 32 bytes as 64 hex characters or base64"),
    PUBLIC_BASE_URL: z.string().url().optional(),
    WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // Standard Webhooks' schedule: immediately, then 5s, 5m, 30m, 2h, 5h, 10h, 10h
    WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .default("5s,5m,30m,2h,5h,10h,10h")
      .refine((v) => v.split(",").every((d) => duration.safeParse(d.trim()).success), "comma-separated durations, e.g. 5s,5m,30m"),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    // where operations alerts go (a vendor account's credits or call allowance crossing a threshold), signed like
    // tenant webhooks with this Standard Webhooks secret (whsec_...)
    OPS_WEBHOOK_URL: z.string().url().optional(),
    OPS_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, "a Standard Webhooks secret: whsec_<base64>")
      .optional(),
    // an endpoint whose deliveries have all failed for this long is disabled and operations are told
    WEBHOOK_DISABLE_AFTER: duration.default("5d"),
    VENDOR_RETRY_BASE_MS: z.coerce.number().int().min(0).default(300),
    VENDOR_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
    // a vendor webhook naming a reference not (yet) stored is retried this long before it is reported as unknown
    INGEST_UNKNOWN_REFERENCE_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
    // how often each vendor account's own health probe runs (0 = never)
    HEALTH_PROBE_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
    OUTBOX_INTERVAL_MS: z.coerce.number().int().positive().default(500),
    WORKER_CONCURRENCY: z.coerce.number().int().positive().default(8),
    // requests per second per tenant API key, shared by every API process (429 with Retry-After past it)
    RATE_LIMIT_PER_KEY_PER_SECOND: z.coerce.number().int().positive().default(100),
    // requests per second per client IP on /v1 and /admin, counted before authentication
    RATE_LIMIT_PER_IP_PER_SECOND: z.coerce.number().int().positive().default(300),
    // which proxies' X-Forwarded-For names the client (Express "trust proxy"): true, false, a hop
    // count, or addresses/subnets/names (loopback, linklocal, uniquelocal). Trusting every sender
    // would let any client choose the address its per-IP limit counts.
    TRUST_PROXY: z
      .string()
      .default("loopback, linklocal, uniquelocal")
      .transform((v): boolean | number | string => (v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v)),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(25 * 1024 * 1024),
    MAX_IMAGE_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    // the image bytes one API process holds decoded, sealed and on their way to Postgres at once (each copy about that
    // size): an accept past it waits its turn, its multipart parts still on disk, so a burst of large uploads bounds
    // the process's memory instead of multiplying it (issue 13: 20 concurrent 10 MB uploads)
    ACCEPT_IMAGE_MEMORY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(32 * 1024 * 1024),
    // multipart image parts stream to temporary files here (created 0700; each removed when its response ends)
    UPLOAD_TMP_DIR: z.string().min(1).optional(),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(25_000),
    SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
    // how long a submit worker's claim on a vendor start lasts: past it, a worker that died mid-call is replaced
    START_CLAIM_LEASE_MS: z.coerce.number().int().positive().default(300_000),
    // the durable sweeper (src/workers/sweeper.ts): how often it runs, and how late work must be before it steps in
    SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
    SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
    // follow-ups (a certificate) and vendor erasures are retried from this delay, doubling up to the cap, for a day
    RETRY_BASE_MS: z.coerce.number().int().positive().default(2_000),
    RETRY_MAX_MS: z.coerce.number().int().positive().default(3_600_000),
    // Postgres pool: a partitioned or stopped database fails a request within these bounds (503), never hangs it
    DB_POOL_MAX: z.coerce.number().int().positive().default(10),
    DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    // a worker-only process (--worker) serves /metrics and /healthz on this port (0 = any free port)
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    // false where a one-shot migrate job applies the migrations (compose, Kubernetes): the process waits for them instead
    MIGRATE_ON_START: bool.default(true),
    // OpenTelemetry traces (src/observability/tracing.ts), off unless one of these is set: the exporter
    // (otlp, console or none) or an OTLP/HTTP endpoint (the exporter also reads OTEL_EXPORTER_OTLP_HEADERS)
    OTEL_TRACES_EXPORTER: z.enum(["otlp", "console", "none"]).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
    OTEL_SERVICE_NAME: z.string().min(1).max(100).default("kyc-gateway"),
    // when set, GET /metrics (API and worker) answers only `Authorization: Bearer <METRICS_TOKEN>`
    METRICS_TOKEN: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(16, "at least 16 characters").optional()),
    // the vendor simulators and the demo tenant in the same process (`--local`, `npm start`); never in production
    SANDBOX_ENABLED: bool.default(false),
  })
  .superRefine((e, ctx) => {
    if (e.NODE_ENV !== "production") return;
    // vendor webhook URLs and hosted-flow links are built from it: a production default of localhost is always wrong
    if (!e.PUBLIC_BASE_URL)
      ctx.addIssue({
        code: "custom",
        path: ["PUBLIC_BASE_URL"],
        message: "required when NODE_ENV=production (the URL vendors and end users reach this gateway at)",
      });
    // what `npm start` writes into the local .env must never reach production
    if (e.WEBHOOK_ALLOW_PRIVATE_URLS)
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_ALLOW_PRIVATE_URLS"],
        message: "must not be true when NODE_ENV=production (tenant webhooks could reach this network)",
      });
    if (e.ADMIN_TOKEN && e.ADMIN_TOKEN.length < PRODUCTION_ADMIN_TOKEN_LENGTH)
      ctx.addIssue({
        code: "custom",
        path: ["ADMIN_TOKEN"],
        message: `at least ${PRODUCTION_ADMIN_TOKEN_LENGTH} characters when NODE_ENV=production (openssl rand -base64 32)`,
      });
    if (e.SANDBOX_ENABLED)
      ctx.addIssue({ code: "custom", path: ["SANDBOX_ENABLED"], message: "the vendor simulators and demo tenant cannot run when NODE_ENV=production" });
  });

const PRODUCTION_ADMIN_TOKEN_LENGTH = 32;

export type Env = z.infer<typeof EnvSchema> & {
  PUBLIC_BASE_URL: string;
  /** the current master key's bytes (what purpose keys are derived from) */
  masterKey: Buffer;
  /** what seals and opens data at rest (src/core/crypto.ts KeyRing): the current key writes, every configured key reads */
  keys: { current: Buffer; previous: Buffer[] };
  webhookRetryScheduleMs: number[];
  webhookDisableAfterMs: number;
};

const previousKeys = (v: string) =>
  v
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);

export function decodeKey(v: string): Buffer | null {
  const t = v.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = Buffer.from(t, "base64");
  return b.length === 32 ? b : null;
}

export class EnvError extends Error {}

/**
 * The local `.env` that `npm start` writes (scripts/bootstrap.sh), for variables not already set.
 * Never in production: a deployment's configuration is its own (deploy/gateway.env, the orchestrator's
 * secrets), and that .env allows private webhook URLs.
 */
export function loadDotEnv(path: string, target: NodeJS.ProcessEnv = process.env): void {
  if (target.NODE_ENV === "production" || !existsSync(path)) return;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m && target[m[1]!] === undefined) target[m[1]!] = m[2]!.replace(/^["']|["']$/g, "");
  }
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment (see .env.example):\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const masterKey = decodeKey(e.MASTER_KEY)!;
  return {
    ...e,
    PUBLIC_BASE_URL: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    masterKey,
    keys: {
      current: masterKey,
      previous: previousKeys(e.MASTER_KEY_PREVIOUS)
        .map((k) => decodeKey(k)!)
        .filter((k) => !k.equals(masterKey)),
    },
    webhookRetryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE.split(",").map((d) => parseDuration(d.trim())),
    webhookDisableAfterMs: parseDuration(e.WEBHOOK_DISABLE_AFTER),
  };
}

/** For entry points: the local .env (outside production), then the environment; a bad one is printed and the process exits 2. */
export function loadProcessEnv(): Env {
  loadDotEnv(".env");
  try {
    return loadEnv();
  } catch (e) {
    if (e instanceof EnvError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

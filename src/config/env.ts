// One zod schema for the environment: parsed once, failing fast with every bad variable listed.
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, "a duration like 500ms, 5s, 5m, 2h or 1d");

export function parseDuration(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
  return n * unit;
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string().url().default("postgresql://postgres@127.0.0.1:5432/kyc_gateway"),
  REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
  // BullMQ key prefix: several gateways may share one Redis with different prefixes
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/).default("kyc"),
  ADMIN_TOKEN: z.string().min(16, "at least 16 characters"),
  MASTER_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, "32 bytes as 64 hex characters or base64 (openssl rand -base64 32)"),
  PUBLIC_BASE_URL: z.string().url().optional(),
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Standard Webhooks' schedule: immediately, then 5s, 5m, 30m, 2h, 5h, 10h, 10h
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default("5s,5m,30m,2h,5h,10h,10h")
    .refine((v) => v.split(",").every((d) => duration.safeParse(d.trim()).success), "comma-separated durations, e.g. 5s,5m,30m"),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
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
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
  MAX_IMAGE_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
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
}).superRefine((e, ctx) => {
  // vendor webhook URLs and hosted-flow links are built from it: a production default of localhost is always wrong
  if (e.NODE_ENV === "production" && !e.PUBLIC_BASE_URL) ctx.addIssue({ code: "custom", path: ["PUBLIC_BASE_URL"], message: "required when NODE_ENV=production (the URL vendors and end users reach this gateway at)" });
});

export type Env = z.infer<typeof EnvSchema> & { PUBLIC_BASE_URL: string; masterKey: Buffer; webhookRetryScheduleMs: number[]; webhookDisableAfterMs: number };

export function decodeKey(v: string): Buffer | null {
  const t = v.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = Buffer.from(t, "base64");
  return b.length === 32 ? b : null;
}

export class EnvError extends Error {}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment (see .env.example):\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    ...e,
    PUBLIC_BASE_URL: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    masterKey: decodeKey(e.MASTER_KEY)!,
    webhookRetryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE.split(",").map((d) => parseDuration(d.trim())),
    webhookDisableAfterMs: parseDuration(e.WEBHOOK_DISABLE_AFTER),
  };
}

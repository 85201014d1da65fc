// An account's settings: one shared schema for what the core reads (../shared/DESIGN.md "Vendor account
// settings with fixed names": "every vendor `concurrency`, `timeoutMs`, `maxRetries`", and the deadlines the
// pipeline keeps), merged into each vendor's own. Strict everywhere: an unknown key is refused with its path
// (`settings.throughput.proces`), never stripped, so that nothing an operator wrote is silently thrown away.
import { z } from "zod";

export const PricesSchema = z.strictObject({
  /** ISO 4217 */
  currency: z.string().regex(/^[A-Z]{3}$/),
  calls: z.record(z.string().min(1).max(100), z.number().min(0).max(1_000_000)).default({}),
  default: z.number().min(0).max(1_000_000).optional(),
});
export type Prices = z.infer<typeof PricesSchema>;

const ThresholdsSchema = z.strictObject({ soft: z.number().int().min(0).optional(), hard: z.number().int().min(0).optional() });
/**
 * Thresholds that warn operations before a vendor stops (core/alerts.ts): credits left (VerificarIdentidad `Cred`),
 * calls per UTC day and month (a DMS scan allowance, an IWS licence). Soft: an event and an operations webhook;
 * hard: the same, and the account leaves routing until it recovers.
 */
export const AlertsSchema = z.strictObject({
  credits: ThresholdsSchema.optional(),
  callsPerDay: ThresholdsSchema.optional(),
  callsPerMonth: ThresholdsSchema.optional(),
});
export type Alerts = z.infer<typeof AlertsSchema>;

export const CORE_SETTINGS_SHAPE = {
  /** calls in flight at once for the account, shared by every process (beyond it they queue) */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** one vendor call's time limit, in milliseconds */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** retries of a retryable failure, where the endpoint allows any */
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** how long a verification may wait in processing (the vendor's operator review) before it ends failed/vendor_timeout */
  processingDeadlineHours: z.number().positive().optional(),
  /** the cap of a failing poll chain's backoff */
  pollBackoffMaxSeconds: z.number().positive().optional(),
  /** what the vendor charges per call type (vendor_calls.cost): `calls` by endpoint label, `default` for the others */
  prices: PricesSchema.optional(),
  alerts: AlertsSchema.optional(),
};

export const CoreSettingsSchema = z.strictObject(CORE_SETTINGS_SHAPE);
export type CoreSettings = z.infer<typeof CoreSettingsSchema>;
export const CORE_SETTING_KEYS = Object.keys(CORE_SETTINGS_SHAPE) as (keyof CoreSettings)[];

/**
 * A vendor's settings schema: the shared keys, then the vendor's (a vendor may narrow a shared key or give it a
 * default: IDENTY's concurrency defaults to 4), in one strict object.
 */
export function accountSettingsSchema<S extends z.ZodRawShape>(vendorShape: S) {
  const shape = { ...CORE_SETTINGS_SHAPE, ...vendorShape } as Omit<typeof CORE_SETTINGS_SHAPE, keyof S> & S;
  return z.strictObject(shape);
}

/** schema.parse, throwing a ZodError whose unknown keys are each at their own path. */
export function parseStrict<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.flatMap((i): z.core.$ZodIssue[] =>
    i.code === "unrecognized_keys" ? i.keys.map((key) => ({ ...i, keys: [key], path: [...i.path, key], message: `unknown key ${key}` })) : [i],
  );
  throw new z.ZodError(issues);
}

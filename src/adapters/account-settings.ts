// The account settings every vendor shares (DESIGN.md "Vendor account settings": "every vendor
// `concurrency`, `timeoutMs`, `maxRetries`"), read by the core's vendor-call path
// (src/workers/adapter-context.ts). Spread into a vendor's settings schema so that parsing an
// account's settings never strips them.
import { z } from "zod";

export const CORE_ACCOUNT_SETTINGS = {
  /** calls in flight at once for the account (shared by every process) */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** the default per-call timeout of the account's vendor calls */
  timeoutMs: z.number().int().min(1_000).max(300_000).optional(),
  /** how many times a retryable failure is tried again (where the adapter lets a call be repeated) */
  maxRetries: z.number().int().min(0).max(10).optional(),
};

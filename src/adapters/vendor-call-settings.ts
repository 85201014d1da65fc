// The account settings every vendor has (../shared/DESIGN.md "Vendor account settings with fixed
// names": "every vendor `concurrency`, `timeoutMs`, `maxRetries`"), read by the one vendor-call
// path (src/core/adapter-runtime.ts). A vendor's settings schema spreads this shape so that
// parsing the settings on write never strips them.
import { z } from "zod";

export const vendorCallSettingsShape = {
  /** calls in flight at once for the account (beyond it they queue) */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** one call's time limit, in milliseconds */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** retries of a retryable failure, where the endpoint allows any */
  maxRetries: z.number().int().min(0).max(10).optional(),
};

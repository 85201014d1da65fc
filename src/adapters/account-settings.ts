// The account settings every vendor shares (DESIGN.md "Vendor account settings": "every vendor
// `concurrency`, `timeoutMs`, `maxRetries`"), read by the core's vendor-call path
// (src/core/adapter-runtime.ts). Spread into a vendor's settings schema so that parsing an
// account's settings never strips them.
import { z, type ZodType } from "zod";
import { VendorError } from "../domain/errors.js";
import type { AdapterAccount } from "./types.js";

export const CORE_ACCOUNT_SETTINGS = {
  /** calls in flight at once for the account (shared by every process) */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** the default per-call timeout of the account's vendor calls */
  timeoutMs: z.number().int().min(1_000).max(300_000).optional(),
  /** how many times a retryable failure is tried again (where the adapter lets a call be repeated) */
  maxRetries: z.number().int().min(0).max(10).optional(),
};

/**
 * An account's settings through the vendor's schema; invalid settings are a VendorError (rejected,
 * not retryable) naming the bad fields' paths only, before any vendor call.
 */
export function readAccountSettings<T>(schema: ZodType<T>, account: AdapterAccount, endpoint?: string): T {
  const parsed = schema.safeParse(account.settings ?? {});
  if (!parsed.success)
    throw new VendorError({
      kind: "rejected",
      vendor: account.vendor,
      retryable: false,
      ...(endpoint ? { endpoint } : {}),
      message: `${account.vendor} account settings are invalid (${parsed.error.issues.map((i) => i.path.join(".")).join(", ")})`,
    });
  return parsed.data;
}

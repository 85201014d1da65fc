// The one place a request is checked against the account that is about to serve it, before any
// vendor call. The API asks the routed account's validateRequest and answers 4xx; the worker asks
// again here before each account's start, because what it sends is not always what the API judged:
// a capture or retake adds input, an erasure removes it, and a fall-over reaches an account of
// another vendor with other limits. Adapters do not check again: `start` assumes a request this
// admitted.
import type { AdapterAccount, AdapterVerification, VendorAdapter } from "../adapters/types.js";
import { reason, type Reason, type VendorId } from "../domain/model.js";

/**
 * Null when the account's adapter can take the request, otherwise the technical reason that ends
 * this account's attempt (vendor_rejected_request: the gateway would have sent what the vendor
 * refuses; never a decline of the end user). Judged as of `acceptedAt`, as the API judged it, so a
 * scheduled send that was in the future then is not refused because the start waited for a worker.
 * The message names the fields only: the problems' texts may quote what the request held.
 */
export function requestRefusal(
  adapter: VendorAdapter,
  v: Pick<AdapterVerification, "input" | "checks">,
  account: AdapterAccount,
  acceptedAt: Date,
): Reason | null {
  const problems = adapter.validateRequest?.(v.input, v.checks, account, acceptedAt) ?? [];
  if (problems.length === 0) return null;
  const fields = problems.map((p) => `${p.path} (${p.status})`).join(", ");
  return reason("vendor_rejected_request", account.vendor as VendorId, null, `the request does not suit this vendor account: ${fields}`);
}

// Routing: a tenant's ordered vendor-account lists (default and per rule).
// Fall over to the next account on technical failure, never on a decision.
import { z } from "../domain/zod.js";
import type { CheckName } from "../domain/model.js";
import type { VendorAccountRow } from "./accounts.js";

export const RoutingRuleSchema = z.object({
  /** the rule applies when the request's checks equal this set (order ignored) */
  checks: z.array(z.enum(["document", "liveness", "face_match"])).min(1).optional(),
  /** ... and the document country is this ISO alpha-2 code */
  country: z.string().regex(/^[A-Z]{2}$/).optional(),
  accounts: z.array(z.string().min(1)).min(1),
});

export const RoutingSchema = z
  .object({
    default: z.array(z.string().min(1)).default([]),
    rules: z.array(RoutingRuleSchema).default([]),
  })
  .openapi("Routing");
export type Routing = z.infer<typeof RoutingSchema>;

export interface RouteRequest {
  checks: CheckName[];
  country: string | null;
  requestedVendor: string | null;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The ordered accounts a verification may use; disabled accounts are skipped. */
export function resolveRoute(routing: Routing, accounts: VendorAccountRow[], req: RouteRequest): VendorAccountRow[] {
  const active = accounts.filter((a) => a.disabledAt === null);
  const byId = new Map(active.map((a) => [a.id, a]));
  if (req.requestedVendor) {
    // a verification naming `vendor` uses the tenant's account(s) for that vendor, in routing order first
    const ordered = [...routing.default, ...routing.rules.flatMap((r) => r.accounts)].map((id) => byId.get(id)).filter((a): a is VendorAccountRow => !!a);
    const all = [...ordered, ...active.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())];
    return dedupe(all.filter((a) => a.vendor === req.requestedVendor));
  }
  const rule = routing.rules.find((r) => (!r.checks || sameSet(r.checks, req.checks)) && (!r.country || r.country === req.country));
  const ids = rule ? rule.accounts : routing.default;
  if (ids.length > 0) return dedupe(ids.map((id) => byId.get(id)).filter((a): a is VendorAccountRow => !!a));
  return dedupe(active.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()));
}

function dedupe(list: VendorAccountRow[]): VendorAccountRow[] {
  const seen = new Set<string>();
  return list.filter((a) => (seen.has(a.id) ? false : (seen.add(a.id), true)));
}

// Routing: a tenant's ordered vendor-account lists (default and per rule).
// Fall over to the next account on technical failure, never on a decision.
import { z } from "../domain/zod.js";
import type { CheckName } from "../domain/model.js";
import { adapterFor } from "../adapters/registry.js";
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

const CHECK_CAPABILITY = { document: "document", liveness: "liveness", face_match: "faceMatch" } as const;

/** Whether the account's vendor can perform every requested check. */
export function canPerform(vendor: string, checks: readonly CheckName[]): boolean {
  const adapter = adapterFor(vendor);
  return !!adapter && checks.every((c) => adapter.capabilities[CHECK_CAPABILITY[c]]);
}

/**
 * The one routing decision of a verification, taken when it is created and stored with it
 * (`verifications.route_plan`): the API validates the request against the first account, the worker starts
 * on these accounts in this order (falling over on technical failures), and a later change of the tenant's
 * routing does not move a verification already accepted.
 */
export interface RoutePlan {
  /** the capable accounts, in fall-over order */
  accounts: string[];
  /** how many accounts routing gave before the capability filter (0: the tenant has none for this request) */
  resolved: number;
}

export function planRoute(routing: Routing, accounts: VendorAccountRow[], req: RouteRequest): { plan: RoutePlan; accounts: VendorAccountRow[] } {
  const routed = resolveRoute(routing, accounts, req);
  const capable = routed.filter((a) => canPerform(a.vendor, req.checks));
  return { plan: { accounts: capable.map((a) => a.id), resolved: routed.length }, accounts: capable };
}

/** A stored plan, or null for a verification accepted before plans were stored. */
export function readRoutePlan(value: unknown): RoutePlan | null {
  const v = value as Partial<RoutePlan> | null;
  return v && Array.isArray(v.accounts) && typeof v.resolved === "number" ? { accounts: v.accounts.map(String), resolved: v.resolved } : null;
}

/** Why a verification has no account to start on, as the technical reason's message. */
export function noAccountMessage(plan: RoutePlan): string {
  return plan.resolved > 0 ? "no routed vendor account can perform the requested checks" : "the tenant has no vendor account for this request";
}

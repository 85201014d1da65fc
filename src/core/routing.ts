// Routing: a tenant's ordered vendor-account lists (default and per rule).
// Fall over to the next account on technical failure, never on a decision.
import { createHash, randomBytes } from "node:crypto";
import { z } from "../domain/zod.js";
import type { CheckName } from "../domain/model.js";
import { adapterFor } from "../adapters/registry.js";
import { inRouting, type VendorAccountRow } from "./accounts.js";

export const ShadowSchema = z.strictObject({
  /** the account that also decides sampled verifications, after the primary, without telling anyone */
  accountId: z.string().min(1),
  /** the share of the rule's verifications run on it, 0..1 */
  sampleRate: z.number().min(0).max(1),
});

export const RoutingRuleSchema = z
  .object({
    /** names the rule in reports (shadow reports, analytics); given one when saved without */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    /** the rule applies when the request's checks equal this set (order ignored) */
    checks: z
      .array(z.enum(["document", "liveness", "face_match"]))
      .min(1)
      .optional(),
    /** ... and the document country is this ISO alpha-2 code */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    accounts: z.array(z.string().min(1)).min(1),
    /** a split between `accounts` (an A/B trial): each verification starts on one account, chosen with these weights */
    weights: z.array(z.number().int().min(0).max(1_000_000)).optional(),
    shadow: ShadowSchema.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.weights === undefined) return;
    if (rule.weights.length !== rule.accounts.length)
      ctx.addIssue({ code: "custom", path: ["weights"], message: `one weight per account: ${rule.accounts.length} expected` });
    else if (rule.weights.every((w) => w === 0)) ctx.addIssue({ code: "custom", path: ["weights"], message: "at least one weight above 0" });
  });
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

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
  /** the verification being routed: a weighted split and shadow sampling are deterministic per verification */
  verificationId?: string;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The ordered accounts a verification may use; disabled accounts are skipped. */
export function resolveRoute(routing: Routing, accounts: VendorAccountRow[], req: RouteRequest): VendorAccountRow[] {
  const active = accounts.filter(inRouting);
  const byId = new Map(active.map((a) => [a.id, a]));
  if (req.requestedVendor) {
    // a verification naming `vendor` uses the tenant's account(s) for that vendor, in routing order first
    const ordered = [...routing.default, ...routing.rules.flatMap((r) => r.accounts)].map((id) => byId.get(id)).filter((a): a is VendorAccountRow => !!a);
    const all = [...ordered, ...active.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())];
    return dedupe(all.filter((a) => a.vendor === req.requestedVendor));
  }
  const rule = matchRule(routing, req);
  const ids = rule ? weightedOrder(rule, req.verificationId) : routing.default;
  if (ids.length > 0) return dedupe(ids.map((id) => byId.get(id)).filter((a): a is VendorAccountRow => !!a));
  return dedupe(active.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()));
}

/** The rule a request falls under, or undefined for the default list (a request naming its vendor has none). */
export function matchRule(routing: Routing, req: RouteRequest): RoutingRule | undefined {
  if (req.requestedVendor) return undefined;
  return routing.rules.find((r) => (!r.checks || sameSet(r.checks, req.checks)) && (!r.country || r.country === req.country));
}

/**
 * A number in [0, 1) fixed by the verification id and a purpose: the same verification always falls on the same
 * side of a split or a sample, whichever process routes it and however often.
 */
export function unitHash(verificationId: string, purpose: string): number {
  return createHash("sha256").update(`${purpose}:${verificationId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** The rule's accounts with the one its weights choose for this verification first; the others stay as fall-overs in order. */
function weightedOrder(rule: RoutingRule, verificationId: string | undefined): string[] {
  if (!rule.weights || verificationId === undefined) return rule.accounts;
  const total = rule.weights.reduce((a, b) => a + b, 0);
  let point = unitHash(verificationId, `weights:${rule.id ?? ""}`) * total;
  let chosen = rule.weights.findIndex((w) => (point -= w) < 0);
  if (chosen < 0) chosen = rule.weights.findLastIndex((w) => w > 0);
  return [rule.accounts[chosen]!, ...rule.accounts.filter((_, i) => i !== chosen)];
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
  /** the rule that routed it (absent: the default list or a requested vendor) */
  ruleId?: string;
  /** the account its rule's weights chose (an A/B trial) */
  weighted?: string;
  /** sampled for a shadow run on this account once the primary has decided */
  shadow?: { accountId: string };
}

export function planRoute(routing: Routing, accounts: VendorAccountRow[], req: RouteRequest): { plan: RoutePlan; accounts: VendorAccountRow[] } {
  const routed = resolveRoute(routing, accounts, req);
  const capable = routed.filter((a) => canPerform(a.vendor, req.checks));
  const plan: RoutePlan = { accounts: capable.map((a) => a.id), resolved: routed.length };
  const rule = matchRule(routing, req);
  if (rule?.id) plan.ruleId = rule.id;
  if (rule?.weights && capable[0]) plan.weighted = capable[0].id;
  const shadow = rule?.shadow && req.verificationId !== undefined ? accounts.find((a) => a.id === rule.shadow!.accountId) : undefined;
  if (
    shadow &&
    inRouting(shadow) &&
    !plan.accounts.includes(shadow.id) &&
    canShadow(shadow.vendor, req.checks) &&
    unitHash(req.verificationId!, `shadow:${rule!.id ?? ""}`) < rule!.shadow!.sampleRate
  )
    plan.shadow = { accountId: shadow.id };
  return { plan, accounts: capable };
}

/**
 * Vendors a shadow run can use: those that decide on the inputs the gateway already holds, in one call sequence
 * (issue: "synchronous vendors: DMS, ShareID, IDENTY with a stored capture"). Identomat and VerificarIdentidad
 * need the end user again (a hosted session, an SMS), which a shadow must never cause.
 */
const SHADOW_VENDORS: ReadonlySet<string> = new Set(["dms", "shareid", "identy"]);

export function canShadow(vendor: string, checks: readonly CheckName[]): boolean {
  return SHADOW_VENDORS.has(vendor) && canPerform(vendor, checks);
}

/** A stored plan, or null for a verification accepted before plans were stored. */
export function readRoutePlan(value: unknown): RoutePlan | null {
  const v = value as Partial<RoutePlan> | null;
  return v && Array.isArray(v.accounts) && typeof v.resolved === "number" ? (v as RoutePlan) : null;
}

/** Why a verification has no account to start on, as the technical reason's message. */
export function noAccountMessage(plan: RoutePlan): string {
  return plan.resolved > 0 ? "no routed vendor account can perform the requested checks" : "the tenant has no vendor account for this request";
}

/** What the tenant's accounts make wrong in a routing (422s naming the field): unknown accounts, an unusable shadow. */
export function routingProblems(routing: Routing, accounts: readonly VendorAccountRow[]): { path: string; message: string }[] {
  const own = new Map(accounts.map((a) => [a.id, a]));
  const problems: { path: string; message: string }[] = [];
  const lists = [["default", routing.default] as const, ...routing.rules.map((rule, i) => [`rules[${i}].accounts`, rule.accounts] as const)];
  for (const [path, ids] of lists)
    ids.forEach((id, j) => {
      if (!own.has(id)) problems.push({ path: `$.${path}[${j}]`, message: `${id} is not a vendor account of this tenant` });
    });
  const seen = new Set<string>();
  routing.rules.forEach((rule, i) => {
    if (rule.id !== undefined) {
      if (seen.has(rule.id)) problems.push({ path: `$.rules[${i}].id`, message: `rule id ${rule.id} is used twice` });
      seen.add(rule.id);
    }
    if (!rule.shadow) return;
    const path = `$.rules[${i}].shadow.accountId`;
    const shadow = own.get(rule.shadow.accountId);
    if (!shadow) problems.push({ path, message: `${rule.shadow.accountId} is not a vendor account of this tenant` });
    else if (rule.accounts.includes(shadow.id)) problems.push({ path, message: "the shadow account is one of the rule's own accounts" });
    else if (!SHADOW_VENDORS.has(shadow.vendor))
      problems.push({
        path,
        message: `a ${shadow.vendor} account cannot shadow: it needs the end user again (shadow vendors: ${[...SHADOW_VENDORS].join(", ")})`,
      });
  });
  return problems;
}

/** Every rule named: one saved without an id gets one, so reports can follow it when rules are reordered. */
export function withRuleIds(routing: Routing): Routing {
  return { ...routing, rules: routing.rules.map((r) => (r.id ? r : { id: `rule_${randomBytes(4).toString("hex")}`, ...r })) };
}

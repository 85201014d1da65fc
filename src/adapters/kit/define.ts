// A vendor as data plus a small typed handler (../shared/STYLE.md 1, 2, 5). The manifest holds the facts
// (id, name, capabilities, credential and settings schemas, default URL, sandbox defaults, fault points),
// readable without running anything; defineAdapter attaches the handlers to it and gives them the account's
// credentials and settings typed and parsed: once, when the core loads the account (parseAccount), with one
// error (AccountConfigError) for a bad configuration whatever the vendor.
import { z } from "zod";
import { AccountConfigError, type ConfigIssue } from "../../domain/errors.js";
import type { CheckName } from "../../domain/model.js";
import type { VendorManifest } from "./manifest.js";
import type {
  AdapterAccount,
  AdapterContext,
  AdapterVerification,
  FollowUp,
  HealthResult,
  Outcome,
  ParsedWebhook,
  RawWebhookRequest,
  RequestProblem,
  StoredVendorPayload,
  VendorAdapter,
  VendorRoute,
  VendorCapture,
  VerificationInputData,
} from "../types.js";
import { parseStrict } from "./settings.js";

export { defineManifest, type VendorManifest } from "./manifest.js";

/** The account as a vendor's handlers get it: credentials and settings parsed by the manifest's schemas. */
export type AccountOf<M extends VendorManifest> = AdapterAccount<z.output<M["credentials"]> & Record<string, unknown>, SettingsOf<M>>;
export type SettingsOf<M extends VendorManifest> = z.output<M["settings"]> & Record<string, unknown>;

/** What a vendor writes: its manifest and the handlers that differ from the defaults (none but start is required). */
export interface AdapterDefinition<M extends VendorManifest> {
  manifest: M;
  /** the version of the normalization (mapping tables, payload-to-outcome rules); bump it whenever a mapping changes */
  mappingVersion: string;
  renormalize?(payloads: StoredVendorPayload[], v: AdapterVerification): Outcome | null;
  /** a request is judged against the account's settings (its credentials play no part) as of `at`, when it was accepted */
  validateRequest?(input: VerificationInputData, checks: CheckName[], settings: SettingsOf<M>, at: Date): RequestProblem[];
  start(v: AdapterVerification, account: AccountOf<M>, ctx: AdapterContext): Promise<Outcome>;
  poll?(v: AdapterVerification, account: AccountOf<M>, ctx: AdapterContext): Promise<Outcome>;
  authenticateWebhook?(req: RawWebhookRequest, account: AccountOf<M>): boolean;
  parseWebhook?(req: RawWebhookRequest, account: AccountOf<M>): ParsedWebhook[];
  runFollowUp?(name: FollowUp, v: AdapterVerification, account: AccountOf<M>, ctx: AdapterContext): Promise<void>;
  erase?(v: AdapterVerification, account: AccountOf<M>, ctx: AdapterContext): Promise<{ ok: boolean; detail: string }>;
  health?(account: AccountOf<M>, ctx: AdapterContext): Promise<HealthResult>;
  startReachesUser?: boolean;
  /** its start sends the end user an SMS: counted in the tenant's daily SMS quota before the vendor is called */
  sendsSms?: boolean;
  repeatsLostStart?(account: AccountOf<M>): boolean;
  minHealthIntervalMs?: number;
  routes?: VendorRoute<AccountOf<M>>[];
  capture?: VendorCapture;
}

/** One part of an account: its value, or its issues at their paths from the account (["settings", "throughput", "proces"]). */
function parsePart(part: "credentials" | "settings", schema: z.ZodType, raw: unknown): { value: Record<string, unknown> } | { issues: ConfigIssue[] } {
  try {
    return { value: parseStrict(schema, raw ?? {}) as Record<string, unknown> };
  } catch (e) {
    if (!(e instanceof z.ZodError)) throw e;
    return { issues: e.issues.map((i) => ({ path: [part, ...i.path], message: i.message })) };
  }
}

/**
 * The adapter: the manifest's facts, the handlers, and parseAccount. Each handler is given the parsed account:
 * an account the core loaded (toAdapterAccount) is parsed already and passed as is; any other (a direct caller, a
 * unit test) is parsed at the call, with the same error.
 */
export function defineAdapter<M extends VendorManifest>(def: AdapterDefinition<M>): VendorAdapter & { readonly vendor: M["id"]; readonly manifest: M } {
  const { manifest: m } = def;
  const parsed = new WeakSet<object>();
  const parseAccount = (raw: AdapterAccount): AccountOf<M> => {
    if (parsed.has(raw)) return raw as AccountOf<M>;
    const credentials = parsePart("credentials", m.credentials, raw.credentials);
    const settings = parsePart("settings", m.settings, raw.settings);
    // every issue of both parts at once; credentials first (the error's kind: auth)
    if ("issues" in credentials) throw new AccountConfigError(m.id, "credentials", [...credentials.issues, ...("issues" in settings ? settings.issues : [])]);
    if ("issues" in settings) throw new AccountConfigError(m.id, "settings", settings.issues);
    const account = { ...raw, credentials: credentials.value, settings: settings.value } as AccountOf<M>;
    parsed.add(account);
    return account;
  };
  const checkDeclared = (capability: "webhooks" | "polling", present: boolean) => {
    if (m.capabilities[capability] !== present)
      throw new Error(
        `${m.id}: capabilities.${capability} is ${m.capabilities[capability]} but the adapter ${present ? "has" : "has no"} ${capability === "webhooks" ? "parseWebhook" : "poll"}`,
      );
  };
  checkDeclared("webhooks", Boolean(def.parseWebhook));
  checkDeclared("polling", Boolean(def.poll));
  if (def.parseWebhook && !def.authenticateWebhook)
    throw new Error(`${m.id}: parseWebhook without authenticateWebhook (every vendor webhook is authenticated)`);

  const a = (account: AdapterAccount) => parseAccount(account);
  const settingsOf = (account: AdapterAccount): SettingsOf<M> => {
    if (parsed.has(account)) return account.settings as SettingsOf<M>;
    const settings = parsePart("settings", m.settings, account.settings);
    if ("issues" in settings) throw new AccountConfigError(m.id, "settings", settings.issues);
    return settings.value as SettingsOf<M>;
  };
  const configProblem = (account: AdapterAccount) => {
    try {
      parseAccount(account);
      return "";
    } catch (e) {
      if (e instanceof AccountConfigError) return e.message;
      throw e;
    }
  };
  const configured = (account: AdapterAccount) => configProblem(account) === "";
  const adapter: VendorAdapter & { readonly vendor: M["id"]; readonly manifest: M } = {
    manifest: m,
    vendor: m.id,
    mappingVersion: def.mappingVersion,
    capabilities: m.capabilities,
    defaultBaseUrl: m.defaultBaseUrl,
    credentials: { parse: (x) => parseStrict(m.credentials, x ?? {}) as Record<string, unknown>, secretKeys: m.secretKeys },
    settings: { parse: (x) => parseStrict(m.settings, x ?? {}) as Record<string, unknown> },
    parseAccount: parseAccount as (account: AdapterAccount) => AdapterAccount,
    // async: a bad configuration is a rejection like any other failure of the call
    start: async (v, account, ctx) => def.start(v, a(account), ctx),
    ...(def.renormalize ? { renormalize: def.renormalize } : {}),
    ...(def.validateRequest
      ? { validateRequest: (input, checks, account, at) => def.validateRequest!(input, checks, settingsOf(account), at ?? new Date()) }
      : {}),
    ...(def.poll ? { poll: async (v, account, ctx) => def.poll!(v, a(account), ctx) } : {}),
    // fails closed: nothing is authenticated against secrets that do not parse
    ...(def.authenticateWebhook ? { authenticateWebhook: (req, account) => configured(account) && def.authenticateWebhook!(req, a(account)) } : {}),
    ...(def.parseWebhook ? { parseWebhook: (req, account) => def.parseWebhook!(req, a(account)) } : {}),
    ...(def.runFollowUp ? { runFollowUp: async (name, v, account, ctx) => def.runFollowUp!(name, v, a(account), ctx) } : {}),
    ...(def.erase ? { erase: async (v, account, ctx) => def.erase!(v, a(account), ctx) } : {}),
    // a probe of an account whose configuration does not parse reports it, as any failed probe
    ...(def.health
      ? { health: (account, ctx) => (configured(account) ? def.health!(a(account), ctx) : Promise.resolve({ ok: false, detail: configProblem(account) })) }
      : {}),
    ...(def.startReachesUser ? { startReachesUser: true } : {}),
    ...(def.sendsSms ? { sendsSms: true } : {}),
    ...(def.repeatsLostStart ? { repeatsLostStart: (account) => def.repeatsLostStart!(a(account)) } : {}),
    ...(def.minHealthIntervalMs ? { minHealthIntervalMs: def.minHealthIntervalMs } : {}),
    ...(def.routes ? { routes: def.routes as VendorRoute[] } : {}),
    ...(def.capture ? { capture: def.capture } : {}),
  };
  return adapter;
}

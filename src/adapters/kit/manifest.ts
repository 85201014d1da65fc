// A vendor's facts as data (../shared/STYLE.md 1): what the registry, the console's forms, the seed and the
// sandbox's defaults are derived from. No handler here: src/adapters/kit/define.ts attaches them.
import type { z } from "zod";

export interface AdapterCapabilities {
  document: boolean;
  liveness: boolean;
  faceMatch: boolean;
  /** the end user goes to the vendor (a widget, an SMS link): no retake through the gateway */
  hosted: boolean;
  /** the vendor calls back (parseWebhook); defineAdapter refuses a manifest that says otherwise */
  webhooks: boolean;
  /** results are fetched again later (poll); defineAdapter refuses a manifest that says otherwise */
  polling: boolean;
}

export interface VendorManifest<Id extends string = string, C extends z.ZodType = z.ZodType, S extends z.ZodType = z.ZodType> {
  id: Id;
  /** how operators and messages name the vendor */
  displayName: string;
  /** what the vendor does: routing reads document/liveness/faceMatch, the retake rule `hosted` */
  capabilities: AdapterCapabilities;
  /** the base URL of an account that names none */
  defaultBaseUrl: string;
  /** the account's credentials */
  credentials: C;
  /** credential keys never shown back, not even their last characters */
  secretKeys: readonly string[];
  /** the account's settings: accountSettingsSchema(vendor's own keys), the shared ones merged in */
  settings: S;
  /** the local sandbox (src/sandbox/<id>/): where its simulator is mounted and the account that works against it */
  sandbox: {
    path: `/${string}`;
    credentials: z.input<C>;
    /** a control call the simulator needs once the sandbox account exists (VerificarIdentidad: where its webhooks go) */
    setup?: (account: { webhookUrl: string; credentials: z.input<C> }) => { path: `/${string}`; body: unknown };
  };
  /** the paths (as the simulator serves them) the sandbox's fault injection may be aimed at */
  faultPoints: readonly string[];
}

/** A manifest, its literal id kept in the type. */
export function defineManifest<const Id extends string, C extends z.ZodType, S extends z.ZodType>(m: VendorManifest<Id, C, S>): VendorManifest<Id, C, S> {
  return m;
}

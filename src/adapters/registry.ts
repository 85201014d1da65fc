// The adapter registry: one line per vendor. The vendor ids (the enum of requests and of /openapi.json), the
// console's forms, the demo seed and the sandbox accounts are derived from it and the adapters' manifests.
import { z } from "zod";
import type { VendorAdapter } from "./types.js";
import { dmsAdapter } from "./dms/index.js";
import { shareidAdapter } from "./shareid/index.js";
import { identomatAdapter } from "./identomat/index.js";
import { verificaridentidadAdapter } from "./verificaridentidad/index.js";
import { identyAdapter } from "./identy/index.js";

const REGISTERED = [
  dmsAdapter,
  shareidAdapter,
  identomatAdapter,
  verificaridentidadAdapter,
  identyAdapter,
] as const;

export type RegisteredVendor = (typeof REGISTERED)[number]["vendor"];

export const ADAPTERS = Object.fromEntries(REGISTERED.map((a) => [a.vendor, a])) as unknown as { readonly [K in RegisteredVendor]: VendorAdapter };

/** Every registered vendor id, in registry order. */
export const VENDOR_IDS = REGISTERED.map((a) => a.vendor) as [RegisteredVendor, ...RegisteredVendor[]];

if (new Set(VENDOR_IDS).size !== VENDOR_IDS.length) throw new Error(`two adapters share a vendor id: ${VENDOR_IDS.join(", ")}`);

/** A vendor id a request may name: one of the registry's. */
export const RegisteredVendorSchema = z.enum(VENDOR_IDS);

export function adapterFor(vendor: string): VendorAdapter | null {
  return Object.hasOwn(ADAPTERS, vendor) ? (ADAPTERS[vendor as RegisteredVendor] ?? null) : null;
}

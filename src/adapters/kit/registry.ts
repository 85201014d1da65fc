// What a registry of adapters gives: the adapters by id, the vendor ids (the enum of requests and of
// /openapi.json) and a lookup. src/adapters/registry.ts is one list of adapters passed through here.
import { z } from "zod";
import type { VendorAdapter } from "../types.js";

export function registryOf<const A extends readonly (VendorAdapter & { readonly vendor: string })[]>(adapters: A) {
  type Id = A[number]["vendor"];
  const ids = adapters.map((a) => a.vendor) as unknown as [Id, ...Id[]];
  if (ids.length === 0) throw new Error("no adapter registered");
  if (new Set(ids).size !== ids.length) throw new Error(`two adapters share a vendor id: ${ids.join(", ")}`);
  const byId = Object.fromEntries(adapters.map((a) => [a.vendor, a])) as unknown as { readonly [K in Id]: VendorAdapter };
  return {
    ADAPTERS: byId,
    /** every registered vendor id, in registry order */
    VENDOR_IDS: ids,
    /** a vendor id a request may name: one of the registry's */
    RegisteredVendorSchema: z.enum(ids),
    adapterFor(vendor: string): VendorAdapter | null {
      return Object.hasOwn(byId, vendor) ? ((byId as Record<string, VendorAdapter>)[vendor] ?? null) : null;
    },
  };
}

// The adapter registry: one line per vendor. The vendor ids (the enum of requests and of /openapi.json), the
// console's forms, the demo seed and the sandbox accounts are derived from it and the adapters' manifests.
import { registryOf } from "./kit/registry.js";
import { dmsAdapter } from "./dms/index.js";
import { shareidAdapter } from "./shareid/index.js";
import { identomatAdapter } from "./identomat/index.js";
import { verificaridentidadAdapter } from "./verificaridentidad/index.js";
import { identyAdapter } from "./identy/index.js";

export const REGISTERED = [dmsAdapter, shareidAdapter, identomatAdapter, verificaridentidadAdapter, identyAdapter] as const;

export const { ADAPTERS, VENDOR_IDS, RegisteredVendorSchema, adapterFor } = registryOf(REGISTERED);
export type RegisteredVendor = (typeof VENDOR_IDS)[number];

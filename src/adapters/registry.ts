import type { VendorAdapter } from "./types.js";
import type { VendorId } from "../domain/model.js";
import { dmsAdapter } from "./dms/index.js";
import { shareidAdapter } from "./shareid/index.js";
import { identomatAdapter } from "./identomat/index.js";
import { verificaridentidadAdapter } from "./verificaridentidad/index.js";
import { identyAdapter } from "./identy/index.js";

export const ADAPTERS = {
  dms: dmsAdapter,
  shareid: shareidAdapter,
  identomat: identomatAdapter,
  verificaridentidad: verificaridentidadAdapter,
  identy: identyAdapter,
} as const satisfies Record<VendorId, VendorAdapter>;

export function adapterFor(vendor: string): VendorAdapter | null {
  return (ADAPTERS as Record<string, VendorAdapter>)[vendor] ?? null;
}

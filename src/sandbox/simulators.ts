// The sandbox's simulators: one line per vendor, mounted at /<vendor> (the path its adapter's manifest names as
// sandbox.path; test/unit/architecture/vendors.test.ts checks that the two lists agree). The simulators are
// written from the vendors' files, never from the adapters, so this list is the sandbox's own.
import type { SimulatorFactory } from "./types.js";
import { createDmsSimulator } from "./dms/simulator.js";
import { createShareidSimulator } from "./shareid/simulator.js";
import { createIdentomatSimulator } from "./identomat/simulator.js";
import { createVerificaridentidadSimulator } from "./verificaridentidad/simulator.js";
import { createIdentySimulator } from "./identy/simulator.js";

export const SIMULATORS = {
  dms: createDmsSimulator,
  shareid: createShareidSimulator,
  identomat: createIdentomatSimulator,
  verificaridentidad: createVerificaridentidadSimulator,
  identy: createIdentySimulator,
} as const satisfies Record<string, SimulatorFactory>;

export const SIMULATED_VENDORS = Object.keys(SIMULATORS) as [keyof typeof SIMULATORS, ...(keyof typeof SIMULATORS)[]];

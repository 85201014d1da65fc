// The sandbox's simulators, found by convention rather than listed: every folder here with a `simulator`
// module exporting `simulator` (a SimulatorFactory) is mounted at /<folder>, the path its adapter's manifest
// names as sandbox.path (test/unit/architecture/vendors.test.ts checks that the folders and the adapter
// registry agree). Adding a vendor's simulator is adding its folder. The simulators are written from the
// vendors' files, never from the adapters, so nothing here reads the adapter registry.
import { existsSync, readdirSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { SimulatorFactory } from "./types.js";

// .ts when run from the sources (vitest, tsx), .js from dist/
const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url));

/** The simulators under `root` (a folder URL ending in /), by folder name, in name order. */
export async function discoverSimulators(root: URL): Promise<Record<string, SimulatorFactory>> {
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/simulator${MODULE_EXTENSION}`, root)))
    .map((d) => d.name)
    .sort();
  const found: Record<string, SimulatorFactory> = {};
  for (const folder of folders) {
    const module = (await import(new URL(`${folder}/simulator${MODULE_EXTENSION}`, root).href)) as { simulator?: unknown };
    if (typeof module.simulator !== "function") throw new Error(`src/sandbox/${folder}/simulator exports no \`simulator\` factory`);
    found[folder] = module.simulator as SimulatorFactory;
  }
  return found;
}

export const SIMULATORS: Readonly<Record<string, SimulatorFactory>> = await discoverSimulators(new URL("./", import.meta.url));

export const SIMULATED_VENDORS = Object.keys(SIMULATORS);

// The DMS and ShareID simulators are written from their vendor files
// (../shared/vendors/dms-idverifr-liveverifr.txt, ../shared/vendors/shareid-authenticity-photo.txt),
// never from the adapter: a bug in the adapter must not be mirrored by its fake. Each signs, lists
// reasons and builds payloads on its own, so neither may import anything under src/adapters.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const SIMULATORS = ["dms", "shareid"] as const;

function sources(vendor: string): { file: string; text: string }[] {
  const dir = new URL(`../../../src/sandbox/${vendor}/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({ file: `src/sandbox/${vendor}/${f}`, text: readFileSync(new URL(f, dir), "utf8") }));
}

/** every module specifier of static imports, re-exports and dynamic imports */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g))
    out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

describe("simulators written from the vendor file", () => {
  it.each(SIMULATORS)("src/sandbox/%s imports nothing from src/adapters", (vendor) => {
    const files = sources(vendor);
    expect(files.length).toBeGreaterThan(0);
    for (const { file, text } of files) {
      const imports = specifiers(text);
      expect(imports.length, file).toBeGreaterThan(0);
      expect(
        imports.filter((s) => /(^|\/)adapters(\/|$)/.test(s)),
        file,
      ).toEqual([]);
    }
  });

  it("the check sees an adapter import when there is one", () => {
    expect(specifiers('import { signHillogy } from "../../adapters/dms/webhooks.js";\nimport type { X } from "../types.js";')).toEqual([
      "../../adapters/dms/webhooks.js",
      "../types.js",
    ]);
    expect(specifiers('const m = await import("../../adapters/shareid/mapping.js");')).toEqual(["../../adapters/shareid/mapping.js"]);
  });
});

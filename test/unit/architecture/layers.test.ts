// Issue 9: the import rule (.dependency-cruiser.cjs) holds for the whole source tree, and it would catch
// an import against it: a throwaway tree with one violation of each kind must fail it.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { cruise, type ICruiseResult, type IConfiguration } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
const config = createRequire(import.meta.url)(path.join(root, ".dependency-cruiser.cjs")) as IConfiguration;

async function cruiseTree(baseDir: string): Promise<ICruiseResult> {
  const { output } = await cruise(["src"], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden }, baseDir });
  return output as ICruiseResult;
}
const violations = async (baseDir: string) => (await cruiseTree(baseDir)).summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

describe("the import rule", () => {
  it("holds for src/: no import against the layers, no circle", async () => {
    const result = await cruiseTree(root);
    // the ".js" specifiers of the TypeScript sources resolve to their files (else the rule would see no edges at all)
    const service = result.modules.find((m) => m.source === "src/core/verifications.ts");
    expect(service?.dependencies.map((d) => d.resolved)).toContain("src/domain/model.ts");
    expect(result.summary.totalDependenciesCruised).toBeGreaterThan(300);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  const scratch = mkdtempSync(path.join(tmpdir(), "layers-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const file = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(scratch, rel)), { recursive: true });
    writeFileSync(path.join(scratch, rel), text);
  };

  it("fails on a lower layer importing a higher one, on a circle and on a simulator reading an adapter", async () => {
    file("src/domain/model.ts", "export const x = 1;\n");
    file("src/core/service.ts", 'import { y } from "../webhooks/outbound/emit.js";\nexport const s = y;\n');
    file("src/webhooks/outbound/emit.ts", "export const y = 2;\n");
    file("src/adapters/acme/index.ts", 'import { s } from "../../core/service.js";\nexport const a = s;\n');
    file("src/adapters/acme/a.ts", 'import { b } from "./b.js";\nexport const a = b;\n');
    file("src/adapters/acme/b.ts", 'import { a } from "./a.js";\nexport const b = () => a;\n');
    file("src/sandbox/acme/simulator.ts", 'import { a } from "../../adapters/acme/index.js";\nexport const sim = a;\n');
    file("src/api/routes.ts", 'import { w } from "../workers/runner.js";\nexport const r = w;\n');
    file("src/workers/runner.ts", "export const w = 3;\n");
    file("tsconfig.json", "{}\n");
    const found = await violations(scratch);
    expect(found).toEqual(
      expect.arrayContaining([
        "core-looks-down: src/core/service.ts -> src/webhooks/outbound/emit.ts",
        "adapters-look-down: src/adapters/acme/index.ts -> src/core/service.ts",
        expect.stringMatching(/^no-circular: src\/adapters\/acme\/[ab]\.ts -> src\/adapters\/acme\/[ab]\.ts$/),
        "simulators-from-the-file: src/sandbox/acme/simulator.ts -> src/adapters/acme/index.ts",
        "entry-points-apart: src/api/routes.ts -> src/workers/runner.ts",
      ]),
    );
  });
});

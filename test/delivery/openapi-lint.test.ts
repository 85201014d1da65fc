// `redocly lint` (recommended rules, redocly.yaml) on the OpenAPI document the code builds now:
// 0 errors, 0 warnings. The document is written where redocly.yaml expects the exported one
// (clients/typescript/openapi.json) inside a temporary directory, next to copies of the config and
// of the ignore file, so the committed file plays no part and the ignore list applies as is.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { documentText } from "../../scripts/openapi.js";

const root = join(import.meta.dirname, "../..");

describe("redocly lint of the OpenAPI document", () => {
  it("reports 0 errors and 0 warnings with the recommended rules", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kyc-openapi-lint-"));
    try {
      mkdirSync(join(dir, "clients/typescript"), { recursive: true });
      writeFileSync(join(dir, "clients/typescript/openapi.json"), documentText());
      for (const f of ["redocly.yaml", ".redocly.lint-ignore.yaml"]) copyFileSync(join(root, f), join(dir, f));
      const { stdout } = await promisify(execFile)(join(root, "node_modules/.bin/redocly"), ["lint", "--format=json"], {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        maxBuffer: 20 * 1024 * 1024,
      }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" })); // exit 1 on errors: the JSON says which
      const report = JSON.parse(stdout) as {
        totals: { errors: number; warnings: number; ignored: number };
        problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
      };
      const findings = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(findings).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      // what is ignored is exactly the ignore file's list, each entry with its reason there
      const ignoreList = parse(readFileSync(join(root, ".redocly.lint-ignore.yaml"), "utf8")) as Record<string, Record<string, string[]>>;
      expect(report.totals.ignored).toBe(Object.values(ignoreList).flatMap((rules) => Object.values(rules).flat()).length);
      expect(readFileSync(join(root, "redocly.yaml"), "utf8")).toMatch(/extends:\s*\n\s*- recommended/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// Reproducible installs: package.json and package-lock.json agree, so `npm ci` (what the
// bootstrap, the Dockerfile and CI run) installs exactly the lockfile. Checked twice: by npm
// itself (`npm ci --dry-run` on copies of the two files) and by a direct comparison whose
// failure names the disagreeing dependency.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
type Deps = Record<string, string>;
interface LockEntry {
  version?: string;
  dependencies?: Deps;
  optionalDependencies?: Deps;
  peerDependencies?: Deps;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Deps;
  engines?: unknown;
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies?: Deps;
  devDependencies?: Deps;
  optionalDependencies?: Deps;
  engines?: unknown;
};
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  name: string;
  version: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};

/** Where Node (and npm) would find `name` from the package at `from` in the lockfile's tree. */
function resolveInLock(from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return null;
    const i = dir.lastIndexOf("node_modules/");
    dir = i <= 0 ? "" : dir.slice(0, i - 1);
  }
}

describe("package.json and package-lock.json", () => {
  it("the lockfile's root entry is package.json's dependencies, exactly", () => {
    const rootEntry = lock.packages[""]!;
    expect(lock.lockfileVersion).toBe(3);
    expect(rootEntry.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(rootEntry.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
    expect(rootEntry.optionalDependencies ?? {}).toEqual(pkg.optionalDependencies ?? {});
    expect(rootEntry.engines).toEqual(pkg.engines);
  });

  it("every dependency of every locked package, the optional platform packages included, is locked", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path.startsWith("node_modules/") && !entry.version && !(entry as { link?: boolean }).link) missing.push(`${path} has no version`);
      const required = { ...entry.dependencies, ...entry.optionalDependencies };
      for (const [name, meta] of Object.entries(entry.peerDependencies ?? {})) if (!entry.peerDependenciesMeta?.[name]?.optional) required[name] = meta;
      for (const name of Object.keys(required)) if (!resolveInLock(path, name)) missing.push(`${name} (required by ${path || "the root"})`);
    }
    expect(missing).toEqual([]);
  });

  it("npm ci accepts them (npm ci --dry-run on copies of the two files)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kyc-lockfile-"));
    try {
      for (const f of ["package.json", "package-lock.json"]) copyFileSync(join(root, f), join(dir, f));
      const problems = await promisify(execFile)("npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: dir,
        env: { ...process.env, npm_config_update_notifier: "false" },
      }).then(
        () => [],
        (e: { stderr?: string; message: string }) => (e.stderr ?? e.message).split("\n").filter((l) => /in sync|Missing:|Invalid:|ERR/i.test(l)),
      );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

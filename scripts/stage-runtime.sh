#!/usr/bin/env bash
# What the production image gets from the build stage, laid out in OUT: the compiled dist/
# (without the sandbox: it has a target of its own), package.json and a lockfile (for
# `npm ci --omit=dev`) and the SQL migrations. No sources, tests, benches or dev tools.
# The staged package.json has no devDependencies and its lockfile is the committed one pruned
# to the production tree, every remaining entry checked identical (same version, same
# integrity): with the full lockfile `npm ci --omit=dev` would still install the Prisma CLI and
# TypeScript, optional peers of @prisma/client that the root also has as dev dependencies.
# Used by the Dockerfile and by scripts/image-check.sh, so both stage the same files.
# Usage: scripts/stage-runtime.sh OUT [--with-sandbox]   (run from a built checkout)
set -euo pipefail
OUT="${1:?usage: stage-runtime.sh OUT [--with-sandbox]}"
[ -f dist/main.js ] || { echo "stage-runtime: dist/main.js missing (npm run build first)" >&2; exit 1; }
FULL_LOCK="$(pwd -P)/package-lock.json"
mkdir -p "$OUT/prisma"
cp package.json package-lock.json "$OUT/"
cp -R dist "$OUT/dist"
cp -R prisma/migrations "$OUT/prisma/migrations"
find "$OUT/dist" -name '*.map' -delete
[ "${2:-}" = "--with-sandbox" ] || rm -rf "$OUT/dist/sandbox"
cd "$OUT"
# no devDependencies, and no workspaces: the typed client (clients/typescript) is not part of the runtime
node -e 'const fs = require("fs"); const p = JSON.parse(fs.readFileSync("package.json", "utf8")); delete p.devDependencies; delete p.workspaces; fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n")'
npm install --package-lock-only --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
node -e '
const full = require(process.argv[1]).packages, pruned = require(process.cwd() + "/package-lock.json").packages;
const bad = Object.entries(pruned).filter(([k, v]) => k && (!full[k] || full[k].version !== v.version || full[k].integrity !== v.integrity));
if (bad.length) { console.error("stage-runtime: the pruned lockfile differs from the committed one at " + bad.map(([k]) => k).join(", ")); process.exit(1); }
console.log(`stage-runtime: ${Object.keys(pruned).length - 1} of ${Object.keys(full).length - 1} locked packages are production ones, each as committed`);' "$FULL_LOCK"
